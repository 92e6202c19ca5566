import type { Metadata } from "../metadata.js";
import { encodeTimeout } from "../timeout.js";
import { grpcWebContentType } from "./content-type.js";

export interface WebRequestHeaderOptions {
  readonly codec: string;
  /** `application/grpc-web-text`: the body is base64 and the response is asked for in text too. */
  readonly text: boolean;
  readonly metadata: Metadata;
  /** Absolute deadline (ms since the epoch). */
  readonly deadline: number | undefined;
  /** Sent as `x-user-agent` (browsers do not let a page set `user-agent`). */
  readonly userAgent: string;
  /** Attempts of this call before this one (gRFC A6 `grpc-previous-rpc-attempts`; 0: omitted). */
  readonly previousAttempts?: number;
}

/**
 * The headers of a gRPC-Web request (PROTOCOL-WEB.md), for `fetch` or any HTTP/1.1 or HTTP/2
 * client: content type, `accept` of the same format, `x-grpc-web: 1`, `x-user-agent`, `grpc-timeout`
 * and the custom metadata (`-bin` values base64). No `te` and no `grpc-accept-encoding`: gRPC-Web
 * leaves compression to HTTP (`Content-Encoding`), so responses are not message-compressed.
 */
export function grpcWebRequestHeaders(o: WebRequestHeaderOptions): Record<string, string | string[]> {
  const contentType = grpcWebContentType(o.codec, o.text);
  const h: Record<string, string | string[]> = {
    "content-type": contentType,
    accept: contentType,
    "x-grpc-web": "1",
    "x-user-agent": o.userAgent,
  };
  if (o.deadline !== undefined) h["grpc-timeout"] = encodeTimeout(o.deadline - Date.now());
  if (o.previousAttempts !== undefined && o.previousAttempts > 0)
    h["grpc-previous-rpc-attempts"] = String(o.previousAttempts);
  if (o.metadata.size > 0) o.metadata.writeHeaders(h);
  return h;
}
