import type { Metadata } from "../metadata.js";
import { encodeTimeout } from "../timeout.js";
import { grpcContentType } from "./content-type.js";

export interface RequestHeaderOptions {
  readonly path: string;
  /** `:authority` and `:scheme` of the request. */
  readonly authority: string;
  readonly scheme: "http" | "https";
  readonly codec: string;
  readonly metadata: Metadata;
  /** Absolute deadline (ms since the epoch). */
  readonly deadline: number | undefined;
  /** `grpc-encoding` of request messages; omitted for identity. */
  readonly encoding: string | undefined;
  readonly acceptEncoding: string;
  readonly userAgent: string;
  /** Attempts of this call before this one (gRFC A6 `grpc-previous-rpc-attempts`; 0: omitted). */
  readonly previousAttempts?: number;
}

/** The header fields of a gRPC request (PROTOCOL-HTTP2.md Request-Headers), pseudo-header fields first. */
export function grpcRequestHeaders(o: RequestHeaderOptions): string[] {
  const fields = [
    ":method",
    "POST",
    ":scheme",
    o.scheme,
    ":path",
    o.path,
    ":authority",
    o.authority,
    "content-type",
    grpcContentType(o.codec),
    "te",
    "trailers",
    "user-agent",
    o.userAgent,
    "grpc-accept-encoding",
    o.acceptEncoding,
  ];
  if (o.deadline !== undefined) fields.push("grpc-timeout", encodeTimeout(o.deadline - Date.now()));
  if (o.encoding !== undefined && o.encoding !== "identity") fields.push("grpc-encoding", o.encoding);
  if (o.previousAttempts !== undefined && o.previousAttempts > 0)
    fields.push("grpc-previous-rpc-attempts", String(o.previousAttempts));
  if (o.metadata.size > 0) o.metadata.appendFields(fields);
  return fields;
}
