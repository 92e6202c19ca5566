/**
 * The seam between gRPC and an HTTP/2 engine. Everything above it (server calls, client calls,
 * channels) speaks only these interfaces, so that `node:http2` and our own engine are
 * interchangeable. Listeners are objects, not closures, so a call can be its own listener.
 */
import type { TlsInfo } from "@grpc-ts/core";

export type InHeaders = Readonly<Record<string, string | string[] | undefined>>;
export type OutHeaders = Record<string, string | string[]>;

/** Events of one incoming (server-side) stream. */
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
  /** Request headers, one value per name (repeated values joined): for the protocol's own headers. */
  readonly headers: InHeaders;
  /** Request headers with repeated values kept apart, for metadata; built when first read. */
  readonly metadataHeaders: InHeaders;
  /**
   * One request header as `headers` has it (repeated values joined), or undefined: for the few
   * the server reads on every call, which an engine can find without building `headers`.
   */
  header(name: string): string | undefined;
  /** `ipv4:1.2.3.4:5`, `ipv6:[::1]:5`, or `unix:/path`. */
  readonly peer: string;
  readonly tls: TlsInfo | undefined;
  /** `1.1` for an HTTP/1.1 request (served for gRPC-Web only); absent means HTTP/2. */
  readonly httpVersion?: "1.1" | "2";
  /** Starts delivering events; to be called once. */
  listen(listener: ServerStreamListener): void;
  /**
   * Sends response headers; `endStream` makes it a trailers-only response. Once the response is
   * complete (here or with `end`), a client still sending is told to stop (RST_STREAM NO_ERROR).
   */
  respond(headers: OutHeaders, endStream: boolean): void;
  /**
   * Sends body bytes, after `head` when given (as if joined; `head` is copied before this returns,
   * so the caller may reuse it: a message's 5-octet prefix); false means wait for `onDrain`.
   */
  write(chunk: Uint8Array, head?: Uint8Array): boolean;
  /**
   * Sends `lastChunk` (if any) and the trailers, and ends the stream (headers must have been sent);
   * `{}` ends it with no trailers. A unary response is thus one `respond` and one `end`.
   */
  end(trailers: OutHeaders, lastChunk?: Uint8Array): void;
  /** Resets the stream with an HTTP/2 error code. */
  reset(code: number): void;
  /** Stops reading body data (flow control then holds the sender back). */
  pause(): void;
  resume(): void;
  readonly headersSent: boolean;
  readonly closed: boolean;
}

/** A listening server engine. */
export interface ServerEngine {
  /** Stops accepting connections. Existing ones stay until `closeAll`/`destroyAll`. */
  stopAccepting(): Promise<void>;
  /** Sends GOAWAY to every connection (no new streams; running ones finish). */
  goAwayAll(): void;
  /** Destroys every connection at once. */
  destroyAll(): void;
  readonly connectionCount: number;
}

/** Events of one outgoing (client-side) stream. */
export interface ClientStreamListener {
  onHeaders(headers: InHeaders): void;
  onData(chunk: Uint8Array): void;
  onTrailers(trailers: InHeaders): void;
  onDrain(): void;
  /** The stream is gone. `rstCode` is the HTTP/2 code of a reset (0 after a normal end). */
  onClose(rstCode: number, error: Error | undefined): void;
}

export interface ClientStream {
  write(chunk: Uint8Array): boolean;
  /** Half-closes, optionally with a last chunk. */
  end(chunk?: Uint8Array): void;
  reset(code: number): void;
  pause(): void;
  resume(): void;
}

/** Events of one client connection. */
export interface ConnectionListener {
  onConnect(): void;
  /** The peer sent GOAWAY: no new streams here. */
  onGoAway(errorCode: number): void;
  /** The connection is gone (with the reason when it failed). */
  onClose(error: Error | undefined): void;
}

export interface ClientConnection {
  request(headers: OutHeaders, listener: ClientStreamListener): ClientStream;
  /** Streams open now. */
  readonly activeStreams: number;
  /**
   * False once the connection takes no new streams: closing, destroyed, or past a GOAWAY (which
   * can be known here before `onGoAway`/`onClose` are called, e.g. after a local protocol error).
   */
  readonly acceptsStreams: boolean;
  /** Graceful: no new streams, running ones finish. */
  close(): void;
  destroy(): void;
}
