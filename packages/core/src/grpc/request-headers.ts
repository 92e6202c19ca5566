import type { Metadata } from "../metadata.js";
import { encodeTimeout } from "../timeout.js";
import { grpcContentType } from "./content-type.js";

export interface RequestHeaderOptions {
  readonly path: string;
  readonly codec: string;
  readonly metadata: Metadata;
  /** Absolute deadline (ms since the epoch). */
  readonly deadline: number | undefined;
  /** `grpc-encoding` of request messages; omitted for identity. */
  readonly encoding: string | undefined;
  readonly acceptEncoding: string;
  readonly userAgent: string;
}

/** The headers of a gRPC request (`:authority` and `:scheme` are the HTTP/2 layer's). */
export function grpcRequestHeaders(o: RequestHeaderOptions): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = {
    ":method": "POST",
    ":path": o.path,
    "content-type": grpcContentType(o.codec),
    te: "trailers",
    "user-agent": o.userAgent,
    "grpc-accept-encoding": o.acceptEncoding,
  };
  if (o.deadline !== undefined) h["grpc-timeout"] = encodeTimeout(o.deadline - Date.now());
  if (o.encoding !== undefined && o.encoding !== "identity") h["grpc-encoding"] = o.encoding;
  if (o.metadata.size > 0) o.metadata.writeHeaders(h);
  return h;
}
