import type { InHeaders } from "./seam.js";

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
