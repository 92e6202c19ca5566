/**
 * One attempt of a call: one exchange with the server (a stream on a connection, a fetch), made
 * by a transport for its protocol and driven by its call (call.ts). A call has one attempt at a
 * time, several while it hedges, and more in turn while it retries (gRFC A6). The attempt sends
 * the request envelopes the call gives it, and reports the response to the call, naming itself.
 */
import { Metadata } from "../metadata.js";
import type { RpcError } from "../rpc-error.js";
import type { Call } from "./call.js";

export abstract class Attempt {
  readonly call: Call;
  /** 0 for the first attempt; a transparent retry keeps the number of the attempt it replaces. */
  readonly index: number;
  /** This attempt's trailers: the call's own unless attempts of the call can overlap (hedging). */
  readonly trailer: Metadata;
  /** The call's bookkeeping: request envelopes written so far. */
  sent = 0;
  /** The call's bookkeeping: the last write returned false (no more until `call.onDrain`). */
  blocked = false;
  /** The call's bookkeeping: the request was half-closed. */
  halfClosed = false;

  constructor(call: Call, index: number) {
    this.call = call;
    this.index = index;
    this.trailer = call.hedging ? new Metadata() : call.trailer;
  }

  /** Sends one request envelope, half-closing after it when `last`; false: wait for `call.onDrain`. */
  abstract write(frame: Uint8Array, last: boolean): boolean;
  /** Half-closes the request (no more envelopes). */
  abstract end(): void;
  /** The caller's response stream is full: stop reading (flow control holds the server back). */
  abstract pause(): void;
  abstract resume(): void;
  /** The call no longer wants this attempt: stop it and tell the server; it reports nothing more. */
  abstract cancel(): void;

  /** Ends the attempt before it had an exchange (no connection could be had, say), with `error`. */
  fail(error: RpcError): void {
    this.call.onEnd(this, error);
  }
}
