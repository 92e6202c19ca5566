import type { HeaderFields } from "./header-fields.js";

/**
 * How one server call's bytes travel, for each wire protocol the server speaks: gRPC (status in
 * HTTP/2 trailers) or gRPC-Web (status in a trailer frame at the end of the body, optionally the
 * whole body in base64). The server picks one per request from its content type and hands it to
 * the call, which then never asks which protocol it speaks.
 */
export interface ServerWireProtocol {
  /** `grpc` or `grpc-web` (for logs and errors). */
  readonly name: string;
  /** The response's content type. */
  readonly contentType: string;
  /** Request body bytes as received, to length-prefixed messages (text mode decodes base64). */
  decodeRequestBody(chunk: Uint8Array): Uint8Array;
  /** Called at the end of the request body; throws when the body ended in a partial unit. */
  endRequestBody(): void;
  /** Length-prefixed response messages to the bytes sent (text mode encodes base64). */
  encodeResponseBody(bytes: Uint8Array): Uint8Array;
  /**
   * The status at the end of a response that has headers: undefined to send `trailers` as HTTP
   * trailers (gRPC), or the bytes to send as the end of the body, after which the body ends with
   * no HTTP trailers (gRPC-Web).
   */
  trailerFrame(trailers: HeaderFields): Uint8Array | undefined;
  /** Last fields appended to response headers (also trailers-only ones) before they are sent, e.g. CORS. */
  finishHeaders(fields: string[]): void;
  /** True when `finishHeaders` appends nothing, so a call may send shared frozen header fields. */
  readonly plainHeaders: boolean;
}
