/**
 * Field lists (`[name, value, ...]`) from the client seam's header objects; the other way is the
 * core's `fieldsToObject`.
 */
import type { OutHeaders } from "./seam.js";

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
