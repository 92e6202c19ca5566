/**
 * The seam's header objects and our engine's field lists (`[name, value, ...]`), both ways, for
 * both of its adapters.
 */
import type { InHeaders, OutHeaders } from "./seam.js";

/**
 * A header object from a decoded field list: repeated names joined (`, `, or `; ` for cookies),
 * or, with `keepApart`, kept apart as arrays (gRPC metadata keeps each value).
 */
export function headersOf(fields: readonly string[], keepApart: boolean): InHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    const existing = out[name];
    if (existing === undefined) out[name] = value;
    else if (keepApart) {
      if (typeof existing === "string") out[name] = [existing, value];
      else existing.push(value);
    } else {
      out[name] = `${existing as string}${name === "cookie" ? "; " : ", "}${value}`;
    }
  }
  return out;
}

/** A seam header object as a field list, pseudo-headers first (RFC 9113 §8.3). */
export function fieldsOf(headers: OutHeaders): string[] {
  const out: string[] = [];
  for (const name in headers) {
    if (name.charCodeAt(0) !== 0x3a) continue;
    pushField(out, name, headers[name]!);
  }
  appendRegularFields(out, headers);
  return out;
}

/** Appends the fields of `headers` that are not pseudo-headers, names in lowercase. */
export function appendRegularFields(out: string[], headers: OutHeaders): void {
  for (const name in headers) {
    if (name.charCodeAt(0) === 0x3a) continue;
    pushField(out, name, headers[name]!);
  }
}

function pushField(out: string[], name: string, value: string | string[]): void {
  const lower = name.toLowerCase();
  if (typeof value === "string") out.push(lower, value);
  else for (const v of value) out.push(lower, v);
}
