import { Code, codeFromHttpStatus } from "../code.js";
import { statusFromTrailers } from "../grpc/trailers.js";
import { Metadata, type RawHeaders } from "../metadata.js";
import { RpcError } from "../rpc-error.js";
import { parseWebContentType } from "./content-type.js";

/** What a gRPC-Web client makes of the HTTP status and response headers. */
export type WebResponseHeaderResult =
  /** A normal start: messages, then the trailer frame, follow in the body. */
  | {
      readonly kind: "headers";
      readonly header: Metadata;
      readonly codec: string;
      /** The body is base64 text. */
      readonly text: boolean;
    }
  /** Trailers-only: the headers carry the status; `error` undefined means OK with no messages. */
  | { readonly kind: "trailers-only"; readonly header: Metadata; readonly error: RpcError | undefined }
  | { readonly kind: "error"; readonly error: RpcError };

/**
 * Validates a gRPC-Web response's start, as the gRPC one (`validateResponseHeaders`) does: a
 * non-200 status without grpc-status maps to a code by HTTP status; grpc-status in the headers is a
 * trailers-only response; otherwise the content type must be a gRPC-Web one.
 */
export function validateWebResponseHeaders(
  httpStatus: number,
  headers: RawHeaders,
  trailer: Metadata,
): WebResponseHeaderResult {
  const hasStatus = headers["grpc-status"] !== undefined;
  if (httpStatus !== 200 && !hasStatus) {
    return {
      kind: "error",
      error: new RpcError(
        codeFromHttpStatus(httpStatus),
        `the server answered with HTTP status ${httpStatus} instead of a gRPC-Web response`,
        { metadata: Metadata.fromHeaders(headers) },
      ),
    };
  }
  if (hasStatus) {
    return { kind: "trailers-only", header: new Metadata(), error: statusFromTrailers(headers, trailer) };
  }
  const ct = headers["content-type"];
  const parsed = parseWebContentType(typeof ct === "string" ? ct : undefined);
  if (parsed === undefined) {
    return {
      kind: "error",
      error: new RpcError(
        Code.UNKNOWN,
        `the server answered with content-type ${JSON.stringify(ct ?? "")}, not a gRPC-Web one`,
      ),
    };
  }
  return { kind: "headers", header: Metadata.fromHeaders(headers), codec: parsed.codec, text: parsed.text };
}
