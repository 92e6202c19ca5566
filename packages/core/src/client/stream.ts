/**
 * The client side of the seam between gRPC and an HTTP engine: one outgoing request stream, as
 * any engine gives it (our HTTP/2 engine, node:http2, memory). The call machine above it
 * (call.ts and each protocol's attempt) is runtime-neutral. Headers cross it as field lists; a
 * stream that ends without a status says why with an RpcError made below the seam, so nothing
 * above it reads HTTP/2 error codes.
 */
import type { HeaderFields } from "../header-fields.js";
import type { RpcError } from "../rpc-error.js";

/** Events of one outgoing stream. */
export interface ClientStreamListener {
  /** The response's header fields (`:status` first); at most once, and before any data. */
  onHeaders(fields: HeaderFields): void;
  onData(chunk: Uint8Array): void;
  onTrailers(fields: HeaderFields): void;
  /** Writable again after `write` returned false. */
  onDrain(): void;
  /**
   * The stream is gone. `error` says why when it ended without its response (a reset, a lost
   * connection); undefined after a normal end. `refused`: the server never processed the request
   * (REFUSED_STREAM, or a GOAWAY that excluded it), so it may be sent again.
   */
  onClose(error: RpcError | undefined, refused: boolean): void;
}

export interface ClientStream {
  /** Sends body bytes; false means wait for `onDrain`. */
  write(chunk: Uint8Array): boolean;
  /** Half-closes, optionally with a last chunk. */
  end(chunk?: Uint8Array): void;
  /** Ends the stream at once (RST_STREAM CANCEL): the call has ended. */
  cancel(): void;
  /** Stops reading response data (flow control then holds the server back). */
  pause(): void;
  resume(): void;
}

/** Where streams are opened: a connection, or anything that makes streams (memory, tests). */
export interface StreamOpener {
  /** Opens one stream with the request's header fields (pseudo-header fields first). */
  request(fields: HeaderFields, listener: ClientStreamListener): ClientStream;
}
