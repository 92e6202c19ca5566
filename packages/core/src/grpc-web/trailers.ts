/**
 * gRPC-Web trailers (PROTOCOL-WEB.md): the status travels in the response body as the last
 * length-prefixed frame, flag 0x80, whose payload is an HTTP/1-style header block without the
 * terminating empty line: `key: value\r\n` per entry, keys lower-case. The status itself is the same
 * as in gRPC (`grpc-status`, `grpc-message`, `grpc-status-details-bin`, then metadata), so
 * `statusToTrailers` / `statusFromTrailers` of the gRPC protocol make and read the entries.
 *
 * `-bin` values stay base64-encoded here in both formats. (PROTOCOL-WEB.md says text mode may skip
 * that encoding, but raw bytes could contain CR/LF and break the header block; the gRPC-Web clients
 * and proxies we know all send and expect base64, and `Metadata.fromHeaders` decodes it.)
 */
import { Code } from "../code.js";
import { encodeEnvelope, Flag } from "../envelope.js";
import type { HeaderFields } from "../header-fields.js";
import { RpcError } from "../rpc-error.js";

const ascii = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/**
 * The payload of a trailer frame for header entries, given as fields (header-fields.ts) or as an
 * object: names lower-cased, one line per value.
 */
export function encodeTrailerBlock(
  trailers: HeaderFields | Readonly<Record<string, string | readonly string[]>>,
): Uint8Array {
  let block = "";
  if (isFieldList(trailers)) {
    for (let i = 0; i < trailers.length; i += 2)
      block += `${trailers[i]!.toLowerCase()}: ${trailers[i + 1]!}\r\n`;
    return ascii.encode(block);
  }
  for (const key in trailers) {
    const v = trailers[key]!;
    const name = key.toLowerCase();
    if (typeof v === "string") block += `${name}: ${v}\r\n`;
    else for (const one of v) block += `${name}: ${one}\r\n`;
  }
  return ascii.encode(block);
}

/** The whole trailer frame: flag 0x80, the length, the header block. */
export function encodeTrailerFrame(
  trailers: HeaderFields | Readonly<Record<string, string | readonly string[]>>,
): Uint8Array {
  return encodeEnvelope(Flag.TRAILER, encodeTrailerBlock(trailers));
}

function isFieldList(v: HeaderFields | object): v is HeaderFields {
  return Array.isArray(v);
}

/**
 * Reads a trailer frame's payload into header entries: keys lower-cased, values trimmed, a key
 * seen twice keeps both values. Lines may end in CRLF or LF; an empty payload has no entries (the
 * caller then finds no `grpc-status`). A line without a colon is INTERNAL.
 */
export function parseTrailerBlock(payload: Uint8Array): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const text = latin1.decode(payload);
  for (const raw of text.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) {
      throw new RpcError(
        Code.INTERNAL,
        `malformed gRPC-Web trailer line ${JSON.stringify(line.slice(0, 64))}: no "name: value"`,
      );
    }
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (typeof prev === "string") out[name] = [prev, value];
    else prev.push(value);
  }
  return out;
}
