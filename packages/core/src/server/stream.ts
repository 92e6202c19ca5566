/**
 * The server side of the seam between gRPC and an HTTP engine: one incoming request stream, as any
 * engine gives it (our HTTP/2 engine, node:http2, an HTTP/1.1 server for gRPC-Web, or memory).
 * The call handling above it (call-handler.ts, server-call.ts) is runtime-neutral and never asks
 * which engine it runs on. Headers cross it as field lists (header-fields.ts). Listeners are
 * objects, not closures, so a call can be its own listener.
 */
import type { HandlerContext } from "../handler-context.js";
import type { HeaderFields } from "../header-fields.js";

/** Events of one incoming stream. */
export interface ServerStreamListener {
  onData(chunk: Uint8Array): void;
  /** The client half-closed its side. */
  onEnd(): void;
  /** Writable again after `write` returned false. */
  onDrain(): void;
  /** The stream is gone: finished, or reset (`rstCode` non-zero, or the connection died). */
  onClose(rstCode: number): void;
}

/** One incoming request stream. */
export interface ServerStream {
  /** The request's header fields, pseudo-header fields (`:method`, `:path`, ...) first. */
  readonly requestFields: HeaderFields;
  /** `ipv4:1.2.3.4:5`, `ipv6:[::1]:5`, `unix:/path`, or another transport's own form. */
  readonly peer: string;
  readonly tls: HandlerContext["tls"];
  /** `1.1` for an HTTP/1.1 request (served for gRPC-Web only); absent means HTTP/2. */
  readonly httpVersion?: "1.1" | "2";
  /** Starts delivering events; to be called once. */
  listen(listener: ServerStreamListener): void;
  /**
   * Sends the response's header fields (`:status` first); `endStream` makes it a trailers-only
   * response. Once the response is complete (here or with `end`), a client still sending is told
   * to stop (RST_STREAM NO_ERROR). A frozen list may be kept by the engine and sent again as is.
   */
  respond(fields: HeaderFields, endStream: boolean): void;
  /**
   * Sends body bytes, after `head` when given (as if joined; `head` is copied before this returns,
   * so the caller may reuse it: a message's 5-octet prefix); false means wait for `onDrain`.
   */
  write(chunk: Uint8Array, head?: Uint8Array): boolean;
  /**
   * Sends `lastChunk` (if any) and the trailer fields, and ends the stream (headers must have been
   * sent); an empty list ends it with no trailers. A unary response is one `respond` and one `end`.
   */
  end(trailers: HeaderFields, lastChunk?: Uint8Array): void;
  /** Resets the stream with an HTTP/2 error code. */
  reset(code: number): void;
  /** Stops reading body data (flow control then holds the sender back). */
  pause(): void;
  resume(): void;
  readonly headersSent: boolean;
  readonly closed: boolean;
}
