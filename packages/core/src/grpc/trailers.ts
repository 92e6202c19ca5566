import { base64Decode, base64Encode } from "../base64.js";
import { Code, isCode } from "../code.js";
import { decodeStatusProto, encodeStatusProto } from "../error-detail.js";
import { Metadata, type RawHeaders } from "../metadata.js";
import { RpcError } from "../rpc-error.js";
import { decodeStatusMessage, encodeStatusMessage } from "./status-message.js";

/**
 * Status as sent in trailers, as header fields: `grpc-status`, `grpc-message`,
 * `grpc-status-details-bin`, then metadata.
 */
export function statusToTrailers(error: RpcError | undefined, trailer: Metadata | undefined): string[] {
  if (error === undefined) {
    const out = ["grpc-status", "0"];
    if (trailer !== undefined && trailer.size > 0) trailer.appendFields(out);
    return out;
  }
  const out = ["grpc-status", String(error.code)];
  if (error.rawMessage !== "") out.push("grpc-message", encodeStatusMessage(error.rawMessage));
  if (error.details.length > 0) {
    const status = encodeStatusProto({
      code: error.code,
      message: error.rawMessage,
      details: error.details,
    });
    out.push("grpc-status-details-bin", base64Encode(status).replace(/=+$/, ""));
  }
  // The error's metadata and the call's trailers both go out; a key in both keeps every value.
  const errorMd = error.metadata;
  const md =
    errorMd.size > 0
      ? trailer !== undefined && trailer.size > 0
        ? errorMd.clone().merge(trailer)
        : errorMd
      : trailer;
  if (md !== undefined && md.size > 0) md.appendFields(out);
  return out;
}

/**
 * The status in received trailers (or trailers-only headers): undefined for OK, an RpcError
 * otherwise; a missing or malformed `grpc-status` is INTERNAL/UNKNOWN as the spec says.
 * `trailer` receives the trailers' metadata.
 */
export function statusFromTrailers(headers: RawHeaders, trailer: Metadata): RpcError | undefined {
  const md = Metadata.fromHeaders(headers);
  trailer.merge(md);
  const raw = first(headers["grpc-status"]);
  if (raw === undefined) {
    return new RpcError(Code.INTERNAL, "the server's response ended without a grpc-status", {
      metadata: trailer,
    });
  }
  const code = Number(raw);
  const digits = /^\d+$/.test(raw);
  if (code === 0 && digits) return undefined;
  const message = decodeStatusMessage(first(headers["grpc-message"]) ?? "");
  if (!digits || !isCode(code)) {
    return new RpcError(
      Code.UNKNOWN,
      `invalid grpc-status ${JSON.stringify(raw)}${message ? `: ${message}` : ""}`,
      { metadata: trailer },
    );
  }
  const detailsRaw = first(headers["grpc-status-details-bin"]);
  let details: RpcError["details"] = [];
  if (detailsRaw !== undefined) {
    try {
      const status = decodeStatusProto(base64Decode(detailsRaw));
      details = status.details;
    } catch {
      // Undecodable details are dropped; the code and message still stand.
    }
  }
  return new RpcError(code, message, { metadata: trailer, details });
}

function first(v: string | readonly string[] | number | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "object") return v[0];
  return String(v);
}
