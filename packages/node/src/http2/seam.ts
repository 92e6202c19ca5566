/**
 * The seam between gRPC and an HTTP/2 engine. Everything above it (server calls, client calls,
 * channels) speaks only these interfaces, so that `node:http2` and our own engine are
 * interchangeable. Its streams are the core's (`ServerStream`, `ClientStream`), since the call
 * handling on both sides is runtime-neutral; the engine and connection interfaces are here. Listeners are objects, not closures, so a call can be its own listener.
 */
import type { ClientStream, ClientStreamListener, HeaderFields } from "@grpc-ts/core/protocol";

export type {
  ClientStream,
  ClientStreamListener,
  ServerStream,
  ServerStreamListener,
} from "@grpc-ts/core/protocol";

export type InHeaders = Readonly<Record<string, string | string[] | undefined>>;

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

/** Events of one client connection. */
export interface ConnectionListener {
  onConnect(): void;
  /** The peer sent GOAWAY: no new streams here. `debugData` is its debug data (as latin1 text). */
  onGoAway(errorCode: number, debugData?: string): void;
  /** The connection is gone (with the reason when it failed). */
  onClose(error: Error | undefined): void;
}

export interface ClientConnection {
  /** Opens a stream with the request's header fields (pseudo-header fields first). */
  request(fields: HeaderFields, listener: ClientStreamListener): ClientStream;
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
