/**
 * What both sides' users see alike: the events a connection reports on its listener, and the
 * options it takes (windows, frame and header limits, flood protection, adaptive windows, memory).
 * Each side extends both with its own (server-connection.ts, client-connection.ts).
 */
import type { Http2Error } from "../errors.js";

/** The events both sides report. `S` is the application's object for a stream. */
export interface ConnectionListenerBase<S> {
  /** Body octets from the peer (a view of the input; report them with `consume` once used). */
  onStreamData(stream: S, data: Uint8Array): void;
  /** The peer's trailers; `onStreamEnd` follows. */
  onStreamTrailers(stream: S, trailers: string[]): void;
  /** The peer ended its side. */
  onStreamEnd(stream: S): void;
  /** Writable again after `write` returned false. */
  onStreamDrain(stream: S): void;
  /**
   * The stream is gone: 0 after both sides ended normally (or one side ended and told the other
   * to stop), else the error code of a reset by either side, or of the connection's end.
   */
  onStreamClose(stream: S, errorCode: number): void;
  /** The peer sent GOAWAY. */
  onGoAway(lastStreamId: number, errorCode: number, debugData: Uint8Array): void;
  /**
   * The connection is over: after a connection error (ours or the peer's, `error` set), or a
   * graceful shutdown that has drained. Write the remaining output, then close the socket.
   */
  onConnectionClose(error: Http2Error | undefined): void;
}

/** Options both sides take. */
export interface ConnectionOptionsBase {
  /** SETTINGS_INITIAL_WINDOW_SIZE: each stream's receive window. Default 65535. */
  initialWindowSize?: number;
  /**
   * The connection's receive window (raised from 65535 by WINDOW_UPDATE). Default 4 MiB. A client
   * raises it further to twice the stream windows of its open streams (see ClientConnection).
   */
  connectionWindowSize?: number;
  /** SETTINGS_MAX_FRAME_SIZE we accept. Default 16384. */
  maxFrameSize?: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE we accept. Default 16384. */
  maxHeaderListSize?: number;
  /** SETTINGS_HEADER_TABLE_SIZE of our HPACK decoder. Default 4096. */
  headerTableSize?: number;
  /** Queued output octets per stream above which `write` returns false. Default 65536. */
  streamHighWaterMark?: number;
  /** The largest header list we send, whatever the peer allows. Default 65536. */
  maxSendHeaderListSize?: number;
  /**
   * Flood protection (the SETTINGS, PING, empty-frame and reset floods of CVE-2019-9512/9515/9518
   * and their kin): frames that cost us work but move no request forward (SETTINGS and PING the
   * peer sends, DATA with no content and no END_STREAM, PRIORITY and unknown frames, frames we
   * must answer with RST_STREAM) draw from a budget of this many. A DATA frame with content, received
   * or sent (a peer may PING to size its windows while we stream to it, see `adaptiveWindow`), and
   * a stream completed give one back, and so does time (`floodRefillPerSecond`, with `clock`), up
   * to this value; a peer that spends it all is ended with GOAWAY ENHANCE_YOUR_CALM. Default 1000.
   */
  floodBudget?: number;
  /** How much of the flood budget comes back per second (needs `clock`). Default 100. */
  floodRefillPerSecond?: number;
  /** Milliseconds from any fixed origin (e.g. `performance.now`), for the budget's refill. */
  clock?: () => number;
  /**
   * Adaptive receive windows: while the peer's sending is held back by our windows, measure the
   * bandwidth-delay product with PINGs and raise the stream windows (SETTINGS_INITIAL_WINDOW_SIZE)
   * and the connection window to it (see bdp-estimator.ts), from `initialWindowSize` and
   * `connectionWindowSize` up to `maxWindowSize`. With `clock`, a larger count taken over a
   * longer round trip (a slow reader) does not raise them. Default false.
   */
  adaptiveWindow?: boolean;
  /**
   * Memory for the output buffers: `n` writable octets, not necessarily zeroed (only written
   * octets are sent). Default `new Uint8Array(n)`; Node may pass `Buffer.allocUnsafe`.
   */
  allocate?: (n: number) => Uint8Array;
  /** The largest window `adaptiveWindow` may set. Default 16 MiB. */
  maxWindowSize?: number;
  /** The least time between two BDP probes, in `clock` milliseconds. Default 10. */
  bdpProbeIntervalMs?: number;
}
