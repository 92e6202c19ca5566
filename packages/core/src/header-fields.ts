/**
 * HTTP header fields as a flat list, `[name, value, name, value, ...]`: the form an HTTP/2 engine
 * decodes and encodes (HPACK works on fields in order), and the form node:http2 and node:http give
 * as "raw headers". Names are lowercase; pseudo-header fields (`:status`, `:path`, ...) come first;
 * a name may repeat. The server side of every protocol reads and writes headers in this form, so an
 * engine hands its field lists through without building header objects.
 */
export type HeaderFields = readonly string[];

/**
 * The value of the field `name` (lowercase), or undefined: repeated fields joined with `, `
 * (`; ` for cookies, RFC 9113 §8.2.3), as HTTP folds them.
 */
export function fieldValue(fields: HeaderFields, name: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] !== name) continue;
    const value = fields[i + 1]!;
    found = found === undefined ? value : `${found}${name === "cookie" ? "; " : ", "}${value}`;
  }
  return found;
}

/**
 * A header object from a field list, for APIs that take one: repeated names as arrays of their
 * values (`keepApart`) or joined as `fieldValue` joins them.
 */
export function fieldsToObject(fields: HeaderFields, keepApart = true): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    const existing = out[name];
    if (existing === undefined) out[name] = value;
    else if (!keepApart) out[name] = `${existing as string}${name === "cookie" ? "; " : ", "}${value}`;
    else if (typeof existing === "string") out[name] = [existing, value];
    else existing.push(value);
  }
  return out;
}
