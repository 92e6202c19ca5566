/**
 * The record of one stream, the same class on both sides: its state (§5.1), its two flow-control
 * windows, its queue of output waiting for window, and what its side of the connection keeps
 * while it waits to be opened or told of its close.
 */

/**
 * Stream states (§5.1). Our side is still open (we may send) while `state <= HALF_CLOSED_REMOTE`.
 * Push is never used, so neither are the reserved states; a client's stream waiting for a
 * concurrency slot (no id yet) is IDLE.
 */
export const STATE_OPEN = 0;
export const STATE_HALF_CLOSED_REMOTE = 1;
/** We ended our side (a client waiting for the response); a server's stream never stays here. */
export const STATE_HALF_CLOSED_LOCAL = 2;
export const STATE_CLOSED = 3;
export const STATE_IDLE = 4;

/**
 * One class for both sides: a derived class per side measured slower (its constructor is not
 * inlined), and one shape keeps the shared code monomorphic.
 */
export class Stream<S> {
  /** 0 while a client's stream waits for a concurrency slot. */
  id: number;
  state = STATE_OPEN;
  user: S | undefined;
  /** What the peer may still send us (as the peer sees it). */
  recvWindow: number;
  /** Consumed by the application, not yet returned with WINDOW_UPDATE. */
  unacked = 0;
  /** What we may still send. */
  sendWindow: number;
  /** Our header section went out (a server's response, a client's request). */
  headersSent = false;
  /** `end` was called (trailers, or the end, wait behind queued data). */
  endQueued = false;
  trailers: readonly string[] | undefined = undefined;
  trailerFlags: ArrayLike<number> | undefined = undefined;
  /** The peer's content-length, or -1. */
  contentLength = -1;
  /** Body octets received. */
  received = 0;
  /** Data waiting for flow-control window: views, sent in order. */
  queue: Uint8Array[] = [];
  queued = 0;
  inSendList = false;
  needDrain = false;
  /**
   * `user` is set, and events can be told. Off again on a server's stream answered before the
   * request ended: the application was told its close, and what the client still sends is discarded.
   */
  opened = false;
  /** Closed before `opened`: the code to tell once it is. */
  closeCode = 0;
  /** A client's request header section and flags, kept while the stream waits for a slot. */
  requestHeaders: readonly string[] | undefined = undefined;
  requestFlags: ArrayLike<number> | undefined = undefined;
  /**
   * The peer's header section has arrived (a server's streams start with it; a client's get it
   * with the final, non-1xx, response head): DATA before it is malformed (§8.1).
   */
  headersReceived = true;
  /** A client's HEAD request: a content-length in the response promises no body. */
  headRequest = false;

  constructor(id: number, recvWindow: number, sendWindow: number) {
    this.id = id;
    this.recvWindow = recvWindow;
    this.sendWindow = sendWindow;
  }
}
