/**
 * The static Huffman code of HPACK (RFC 7541 Appendix B), as data.
 *
 * The code is canonical: listed by (length, symbol), each code is the previous one plus one,
 * shifted left when the length grows. So the 257 code lengths (256 octets, then EOS) determine
 * every code, and the codes are derived from them here. The tests check the result against
 * codes printed in the RFC and against its worked examples (Appendix C.4 and C.6).
 */

/** Code length in bits of each symbol: index 0..255 is the octet, 256 is EOS. */
// biome-ignore format: one row of the RFC table per 16 symbols
export const HUFFMAN_CODE_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0x00
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 0x10
   6, 10, 10, 12, 13,  6,  8, 11, 10, 10,  8, 11,  8,  6,  6,  6, // 0x20  ' ' .. '/'
   5,  5,  5,  6,  6,  6,  6,  6,  6,  6,  7,  8, 15,  6, 12, 10, // 0x30  '0' .. '?'
  13,  6,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7, // 0x40  '@' .. 'O'
   7,  7,  7,  7,  7,  7,  7,  7,  8,  7,  8, 13, 19, 13, 14,  6, // 0x50  'P' .. '_'
  15,  5,  6,  5,  6,  5,  6,  6,  6,  5,  7,  7,  6,  6,  6,  5, // 0x60  '`' .. 'o'
   6,  7,  6,  5,  5,  6,  7,  7,  7,  7,  7, 15, 11, 14, 13, 28, // 0x70  'p' .. 0x7f
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 0x80
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 0x90
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 0xa0
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 0xb0
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 0xc0
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 0xd0
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 0xe0
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 0xf0
  30, // EOS
];

/** The symbol that ends nothing: a decoder that meets it in a string must fail (RFC 7541 §5.2). */
export const EOS = 256;

/** Code of each symbol, right-aligned (the low `HUFFMAN_CODE_LENGTHS[s]` bits). */
export const HUFFMAN_CODES: Uint32Array = deriveCanonicalCodes(HUFFMAN_CODE_LENGTHS);

function deriveCanonicalCodes(lengths: readonly number[]): Uint32Array {
  const order = lengths.map((_, sym) => sym).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const codes = new Uint32Array(lengths.length);
  let code = 0;
  let len = lengths[order[0]!]!;
  for (let i = 0; i < order.length; i++) {
    const sym = order[i]!;
    const l = lengths[sym]!;
    if (i > 0) code = (code + 1) * 2 ** (l - len);
    len = l;
    codes[sym] = code;
  }
  return codes;
}
