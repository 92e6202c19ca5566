import { Code, codeFromHttpStatus } from "../code.js";
import { Metadata, type RawHeaders } from "../metadata.js";
import { RpcError } from "../rpc-error.js";
import { parseContentType } from "./content-type.js";
import { statusFromTrailers } from "./trailers.js";

/** What the client makes of response headers. */
export type ResponseHeaderResult =
  /** A normal start: messages and trailers follow. */
  | {
      readonly kind: "headers";
      readonly header: Metadata;
      readonly codec: string;
      readonly encoding: string | undefined;
    }
  /** Trailers-only: the headers carry the status; `error` undefined means OK with no messages. */
  | { readonly kind: "trailers-only"; readonly header: Metadata; readonly error: RpcError | undefined }
  | { readonly kind: "error"; readonly error: RpcError };

/**
 * Validates response headers as PROTOCOL-HTTP2.md asks: a non-200 status without grpc-status maps
 * to a code by HTTP status; a non-gRPC content type is UNKNOWN; grpc-status here is trailers-only.
 */
export function validateResponseHeaders(headers: RawHeaders, trailer: Metadata): ResponseHeaderResult {
  const status = Number(headers[":status"]);
  const hasStatus = headers["grpc-status"] !== undefined;
  if (status !== 200 && !hasStatus) {
    const code = codeFromHttpStatus(status);
    return {
      kind: "error",
      error: new RpcError(code, `the server answered with HTTP status ${status} instead of a gRPC response`, {
        metadata: Metadata.fromHeaders(headers),
      }),
    };
  }
  if (hasStatus) {
    return { kind: "trailers-only", header: new Metadata(), error: statusFromTrailers(headers, trailer) };
  }
  const ct = headers["content-type"];
  const parsed = parseContentType(typeof ct === "string" ? ct : undefined);
  if (parsed === undefined) {
    return {
      kind: "error",
      error: new RpcError(
        Code.UNKNOWN,
        `the server answered with content-type ${JSON.stringify(ct ?? "")}, not a gRPC one`,
      ),
    };
  }
  const enc = headers["grpc-encoding"];
  return {
    kind: "headers",
    header: Metadata.fromHeaders(headers),
    codec: parsed.codec,
    encoding: typeof enc === "string" ? enc : undefined,
  };
}
