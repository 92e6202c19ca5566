/**
 * HPACK Huffman coding (RFC 7541 §5.2, Appendix B).
 *
 * Decoding is table-driven, four bits at a time: the states are the 256 internal nodes of the
 * code tree, and for each state and nibble a precomputed entry gives the next state, the symbol
 * completed on the way (at most one, as no code is shorter than five bits), whether the bits
 * since the last symbol form valid padding (a prefix of EOS, at most seven bits), and whether
 * EOS itself was met (a decoding error).
 */
import type { ByteWriter } from "../byte-writer.js";
import { HpackError } from "./hpack-error.js";
import { EOS, HUFFMAN_CODE_LENGTHS, HUFFMAN_CODES } from "./huffman-table.js";

const FLAG_EMIT = 0x100;
const FLAG_ACCEPT = 0x200;
const FLAG_FAIL = 0x400;

/** `[state * 16 + nibble]` → next state | flags | symbol << 16. */
const DECODE_TABLE: Uint32Array = buildDecodeTable();

function buildDecodeTable(): Uint32Array {
  // Internal nodes 0..255 (0 is the root); a child is a node id, or ~symbol for a leaf.
  const zero: number[] = [0];
  const one: number[] = [0];
  const depth: number[] = [0];
  const allOnes: boolean[] = [true];
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const len = HUFFMAN_CODE_LENGTHS[sym]!;
    const code = HUFFMAN_CODES[sym]!;
    let node = 0;
    for (let i = len - 1; i >= 0; i--) {
      const bit = Math.floor(code / 2 ** i) & 1;
      const children = bit ? one : zero;
      if (i === 0) {
        children[node] = ~sym;
        break;
      }
      let next = children[node]!;
      if (next === 0) {
        next = nodes++;
        zero[next] = 0;
        one[next] = 0;
        depth[next] = depth[node]! + 1;
        allOnes[next] = allOnes[node]! && bit === 1;
        children[node] = next;
      }
      node = next;
    }
  }
  const table = new Uint32Array(nodes * 16);
  for (let state = 0; state < nodes; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let flags = 0;
      let sym = 0;
      for (let bit = 3; bit >= 0; bit--) {
        const next = (nibble >> bit) & 1 ? one[node]! : zero[node]!;
        if (next < 0) {
          if (~next === EOS) {
            flags |= FLAG_FAIL;
            break;
          }
          sym = ~next;
          flags |= FLAG_EMIT;
          node = 0;
        } else {
          node = next;
        }
      }
      if (node === 0 || (allOnes[node] && depth[node]! <= 7)) flags |= FLAG_ACCEPT;
      table[state * 16 + nibble] = node | flags | (sym << 16);
    }
  }
  return table;
}

/** Octets that `str` takes Huffman-coded, or -1 if a char is above 0xff (not an octet). */
export function huffmanEncodedLength(str: string): number {
  let bits = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c > 0xff) return -1;
    bits += HUFFMAN_CODE_LENGTHS[c]!;
  }
  return (bits + 7) >>> 3;
}

/**
 * Appends the Huffman coding of `str` (char codes ≤ 0xff, checked by the caller), padded with
 * the high bits of EOS. `encodedLength` is `huffmanEncodedLength(str)` (so not -1).
 */
export function huffmanEncode(w: ByteWriter, str: string, encodedLength: number): void {
  w.ensure(encodedLength);
  const out = w.buf;
  let p = w.pos;
  let acc = 0; // pending bits, fewer than 8 between symbols
  let bits = 0;
  for (let i = 0; i < str.length; i++) {
    const sym = str.charCodeAt(i);
    let code = HUFFMAN_CODES[sym]!;
    let len = HUFFMAN_CODE_LENGTHS[sym]!;
    if (len > 24) {
      // Keep acc within 31 bits: take the top (len - 16) bits first.
      const hi = len - 16;
      acc = (acc << hi) | (code >>> 16);
      bits += hi;
      while (bits >= 8) {
        bits -= 8;
        out[p++] = acc >>> bits;
      }
      acc &= (1 << bits) - 1;
      code &= 0xffff;
      len = 16;
    }
    acc = (acc << len) | code;
    bits += len;
    while (bits >= 8) {
      bits -= 8;
      out[p++] = acc >>> bits;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out[p++] = (acc << (8 - bits)) | (0xff >>> bits);
  w.pos = p;
}

/**
 * Decodes `src[start..end)` into `out` from index 0 and returns the decoded length. `out` must
 * hold at least `((end - start) * 8 / 5) | 0` octets. Throws on EOS in the data or on padding
 * that is longer than 7 bits or not all ones.
 */
export function huffmanDecode(src: Uint8Array, start: number, end: number, out: Uint8Array): number {
  const table = DECODE_TABLE;
  let state = 0;
  let accept = true;
  let n = 0;
  for (let i = start; i < end; i++) {
    const byte = src[i]!;
    let e = table[(state << 4) | (byte >> 4)]!;
    if (e & FLAG_FAIL) throw new HpackError("huffman-invalid", "EOS in a Huffman-coded string");
    if (e & FLAG_EMIT) out[n++] = e >>> 16;
    e = table[((e & 0xff) << 4) | (byte & 0xf)]!;
    if (e & FLAG_FAIL) throw new HpackError("huffman-invalid", "EOS in a Huffman-coded string");
    if (e & FLAG_EMIT) out[n++] = e >>> 16;
    state = e & 0xff;
    accept = (e & FLAG_ACCEPT) !== 0;
  }
  if (!accept)
    throw new HpackError("huffman-invalid", "Huffman padding is not a prefix of EOS of at most 7 bits");
  return n;
}
