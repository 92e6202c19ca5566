import type { Metadata } from "./metadata.js";
import type { AnyMethod } from "./method.js";

/** What a handler knows about its call, and how it shapes the response. */
export interface HandlerContext {
  readonly method: AnyMethod;
  /** Request metadata (reserved protocol headers excluded). */
  readonly metadata: Metadata;
  /** The client's address, e.g. `ipv4:127.0.0.1:53412`, `ipv6:[::1]:53412` or `unix:/tmp/s.sock`. */
  readonly peer: string;
  /** Absolute deadline in ms since the epoch, when the client set one. */
  readonly deadline: number | undefined;
  /** Fires when the client cancels, the deadline passes, or the server shuts down the call. */
  readonly signal: AbortSignal;
  /** Response headers; changes count until the first message (or the status) is sent. */
  readonly responseHeader: Metadata;
  /** Response trailers, sent with the status. */
  readonly responseTrailer: Metadata;
  /** Response compression for this call (`identity` turns it off); must be set before the first message. */
  setCompression(name: string): void;
  /** The request's `grpc-encoding` (`identity` when uncompressed). */
  readonly requestEncoding: string;
  /** TLS facts when the connection is secure: the client's certificate for mutual TLS. */
  readonly tls: TlsInfo | undefined;
}

export interface TlsInfo {
  /** True when the client presented a certificate that the server's CA verified. */
  readonly authorized: boolean;
  /** The client certificate's subject fields (e.g. `CN`), when one was presented. */
  readonly peerSubject: Readonly<Record<string, string | string[]>> | undefined;
  /** The negotiated protocol version, e.g. `TLSv1.3`. */
  readonly protocol: string | undefined;
}
