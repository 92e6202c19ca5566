/**
 * HPACK integer representation (RFC 7541 §5.1): an N-bit prefix, then 7-bit groups, least
 * significant first, each but the last with the high bit set.
 */
import type { ByteWriter } from "../byte-writer.js";
import { HpackError } from "./hpack-error.js";

/** The largest integer accepted from a peer: lengths, indexes and table sizes all fit in 2^31 - 1. */
export const MAX_HPACK_INTEGER = 0x7fffffff;

/** A read position in a header block, shared by the decoding steps so none allocates. */
export interface Cursor {
  buf: Uint8Array;
  pos: number;
  end: number;
}

/**
 * Writes `value` with an N-bit prefix (`prefixBits` 1..8); `flags` are the bits above the
 * prefix in the first octet (the representation's pattern).
 */
export function encodeInteger(w: ByteWriter, value: number, prefixBits: number, flags: number): void {
  const max = (1 << prefixBits) - 1;
  w.ensure(6);
  const b = w.buf;
  let p = w.pos;
  if (value < max) {
    b[p++] = flags | value;
  } else {
    b[p++] = flags | max;
    let rest = value - max;
    while (rest >= 128) {
      b[p++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    b[p++] = rest;
  }
  w.pos = p;
}

/**
 * Reads an integer with an N-bit prefix at `c.pos` (the first octet's high bits are ignored) and
 * advances past it. Rejects a truncated integer and one above `MAX_HPACK_INTEGER` (which also
 * bounds the number of continuation octets, zero-padded ones included).
 */
export function decodeInteger(c: Cursor, prefixBits: number): number {
  const buf = c.buf;
  let p = c.pos;
  if (p >= c.end) throw new HpackError("truncated", "integer expected");
  const max = (1 << prefixBits) - 1;
  let value = buf[p++]! & max;
  if (value === max) {
    let shift = 0;
    let b: number;
    do {
      if (p >= c.end) throw new HpackError("truncated", "integer continues past the block");
      if (shift > 28) throw new HpackError("integer-overflow", "integer has too many octets");
      b = buf[p++]!;
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    if (value > MAX_HPACK_INTEGER) throw new HpackError("integer-overflow", `integer ${value} is too large`);
  }
  c.pos = p;
  return value;
}
