import type { InHeaders } from "./seam.js";

/**
 * Headers from node:http2's raw list (`[name, value, name, value, ...]`), a repeated name giving an
 * array of its values. node:http2's header object joins repeated values with ", ", which would
 * turn the metadata values `a` and `b` into the one value `a, b`; gRPC keeps them apart.
 */
export function headersFromRaw(raw: readonly string[] | undefined, fallback: InHeaders): InHeaders {
  if (raw === undefined || raw.length === 0 || !hasRepeatedName(raw)) return fallback;
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const existing = out[name];
    if (existing === undefined) out[name] = value;
    else if (typeof existing === "string") out[name] = [existing, value];
    else existing.push(value);
  }
  return out;
}

/** True when a name occurs twice (case-insensitively). */
function hasRepeatedName(raw: readonly string[]): boolean {
  for (let i = 2; i < raw.length; i += 2) {
    const name = raw[i];
    for (let j = 0; j < i; j += 2) {
      const other = raw[j]!;
      // HTTP/1.1 names keep the sender's case.
      if (other === name || (other.length === name!.length && other.toLowerCase() === name!.toLowerCase()))
        return true;
    }
  }
  return false;
}

/**
 * Header fields (the core's field lists) from node's raw list, names lower-cased (HTTP/1.1 names
 * keep the sender's case), after `prefix` (pseudo-header fields an HTTP/1.1 request lacks); from
 * node's header object when there is no raw list.
 */
export function fieldsFromRaw(
  raw: readonly string[] | undefined,
  fallback: InHeaders,
  prefix: string[] = [],
): string[] {
  const out = prefix;
  if (raw !== undefined && raw.length > 0) {
    for (let i = 0; i + 1 < raw.length; i += 2) out.push(raw[i]!.toLowerCase(), raw[i + 1]!);
    return out;
  }
  for (const name in fallback) {
    const v = fallback[name];
    if (typeof v === "string") out.push(name, v);
    else if (v !== undefined) for (const one of v) out.push(name, one);
  }
  return out;
}
