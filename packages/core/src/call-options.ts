import type { Metadata, MetadataInit } from "./metadata.js";

/** Per-call options of a client call. */
export interface CallOptions {
  /** Relative deadline in milliseconds; combined with `deadline`, the earlier wins. */
  readonly timeoutMs?: number;
  /** Absolute deadline (a Date or ms since the epoch). */
  readonly deadline?: Date | number;
  /** Aborting it cancels the call (the server sees CANCELLED; the call rejects with CANCELLED). */
  readonly signal?: AbortSignal;
  /** Request metadata. */
  readonly metadata?: MetadataInit;
  /** Called once with the response headers. */
  readonly onHeader?: (header: Metadata) => void;
  /** Called once with the response trailers (also when the call fails with a status). */
  readonly onTrailer?: (trailer: Metadata) => void;
  /** Compress request messages with this algorithm (e.g. `gzip`); default: the channel's setting. */
  readonly compression?: string;
  /** Wait for the channel to become ready instead of failing fast while it is unavailable. */
  readonly waitForReady?: boolean;
  /**
   * false: this call is not retried or hedged, whatever the channel's service config says
   * (default true: as the config says; gRFC A6).
   */
  readonly retries?: boolean;
}
