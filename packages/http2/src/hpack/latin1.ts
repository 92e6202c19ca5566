/**
 * Header names and values are octet strings; the engine holds them as JavaScript strings with
 * one char per octet (Latin-1), which is lossless both ways and keeps `length` equal to the
 * octet count that HPACK's size accounting uses. gRPC metadata is ASCII (binary values travel as
 * base64 in `-bin` headers), so in practice these are ASCII strings.
 */

const CHUNK = 4096;

/** The string of `buf[start..end)`, one char per octet. */
export function latin1Decode(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 0) return "";
  if (n <= 12) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
    return s;
  }
  if (n <= CHUNK) return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
  let s = "";
  for (let i = start; i < end; i += CHUNK) {
    s += String.fromCharCode.apply(null, buf.subarray(i, Math.min(i + CHUNK, end)) as unknown as number[]);
  }
  return s;
}

/**
 * Writes the octets of `str` into `buf` at `pos` (room for `str.length` checked by the caller).
 * Throws a `RangeError` for a char above 0xff, which is not an octet.
 */
export function latin1Encode(str: string, buf: Uint8Array, pos: number): void {
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c > 0xff)
      throw new RangeError(`header text has a character above 0xff at ${i}: ${JSON.stringify(str)}`);
    buf[pos + i] = c;
  }
}

/** Whether every char of `str` is an octet (≤ 0xff). */
export function isLatin1(str: string): boolean {
  for (let i = 0; i < str.length; i++) if (str.charCodeAt(i) > 0xff) return false;
  return true;
}
