/**
 * The client side of one call, runtime-neutral: its deadline and cancellation, the response
 * handed to the caller (a single message once the call is complete; a stream as soon as the
 * response headers are in), and its result. The bytes travel in attempts (an `Attempt`: one
 * exchange over one stream, made by the transport for the call's protocol). A transport makes the
 * call with the function that starts an attempt, and the call starts one; a stream that the
 * server refused before processing it is started once more, transparently (gRFC A6).
 */
import { abortError } from "../abort-error.js";
import { Code } from "../code.js";
import { type DeadlineTimer, startDeadlineTimer } from "../deadline-timer.js";
import type { ClientRequest, ClientResponse } from "../interceptor.js";
import { Metadata } from "../metadata.js";
import { RpcError } from "../rpc-error.js";
import { createWritableIterable, type WritableIterable } from "../writable-iterable.js";

/** One attempt as its call drives it. */
export interface Attempt {
  /** The caller's response stream is full: stop reading (flow control holds the server back). */
  pause(): void;
  resume(): void;
  /** The call has ended (deadline, cancellation, a local error): stop, and tell the server. */
  cancel(): void;
}

/**
 * Starts an attempt of `call` now, or later when the transport can (no connection yet): the
 * attempt then `attach`es itself and reports to the call. `transparent` is true for the retry
 * of a refused stream.
 */
export type StartAttempt = (call: Call, transparent: boolean) => void;

/**
 * Where a call is: `waiting` for its response; `streaming` once a response stream was handed to
 * the caller (its messages go to `output`); `done` once settled for good.
 */
type Phase =
  | { readonly kind: "waiting" }
  | { readonly kind: "streaming"; readonly output: WritableIterable<unknown> }
  | { readonly kind: "done" };
const waiting: Phase = { kind: "waiting" };
const done: Phase = { kind: "done" };

export class Call {
  readonly request: ClientRequest;
  readonly promise: Promise<ClientResponse>;
  /** Response trailers, filled by the attempt before the call ends. */
  readonly trailer = new Metadata();
  readonly #startAttempt: StartAttempt;
  readonly #onEnd: ((call: Call) => void) | undefined;
  #resolve!: (r: ClientResponse) => void;
  #reject!: (e: unknown) => void;
  #phase: Phase = waiting;
  #attempt: Attempt | undefined;
  #attempts = 0;
  #committed = false;
  #header: Metadata | undefined;
  #message: unknown;
  #messageCount = 0;
  #timer: DeadlineTimer | undefined;
  #onAbort: (() => void) | undefined;

  /** `onEnd` is told once when the call has ended, however it ended (a transport counts its calls). */
  constructor(req: ClientRequest, startAttempt: StartAttempt, onEnd?: (call: Call) => void) {
    this.request = req;
    this.#startAttempt = startAttempt;
    this.#onEnd = onEnd;
    this.promise = new Promise<ClientResponse>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const signal = req.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#finish(abortError(signal));
        return;
      }
      this.#onAbort = () => this.#cancel(abortError(signal));
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    if (req.deadline !== undefined) {
      const ms = req.deadline - Date.now();
      if (ms <= 0) {
        this.#finish(new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded before the call started"));
        return;
      }
      this.#timer = startDeadlineTimer(req.deadline, () => {
        this.#timer = undefined;
        this.#cancel(new RpcError(Code.DEADLINE_EXCEEDED, `deadline exceeded after ${Math.round(ms)} ms`));
      });
    }
  }

  /** Starts the first attempt (unless the call already ended: an aborted signal, a past deadline). */
  begin(): Promise<ClientResponse> {
    if (this.#phase.kind !== "done") {
      this.#attempts++;
      this.#startAttempt(this, false);
    }
    return this.promise;
  }

  get done(): boolean {
    return this.#phase.kind === "done";
  }

  get waitForReady(): boolean {
    return this.request.waitForReady === true;
  }

  /** How many attempts were started (the first counts). */
  get attempts(): number {
    return this.#attempts;
  }

  /** The attempt that carries the call from now on; cancelled at once if the call has ended. */
  attach(attempt: Attempt): void {
    if (this.#phase.kind === "done") {
      attempt.cancel();
      return;
    }
    this.#attempt = attempt;
  }

  /** Fails the call without an attempt (no connection could be had, for instance). */
  fail(error: RpcError): void {
    this.#finish(error);
  }

  /**
   * The attempt's stream was refused before the server processed it: true when another attempt
   * was started for it (once, while nothing of the response came and the request was one message).
   */
  retryRefused(): boolean {
    if (this.#phase.kind === "done" || this.#committed || this.request.stream || this.#attempts > 1)
      return false;
    this.#attempts++;
    this.#attempt = undefined;
    this.#startAttempt(this, true);
    return true;
  }

  // ---- from the attempt ----

  /** The response headers: the call is committed to this attempt. */
  onHeader(header: Metadata): void {
    if (this.#phase.kind !== "waiting") return;
    this.#committed = true;
    this.#header = header;
    if (!this.request.method.responseStream) return;
    const output = createWritableIterable<unknown>({
      highWaterMark: 16,
      onDrain: () => this.#attempt?.resume(),
      onReturn: () =>
        this.#cancel(new RpcError(Code.CANCELLED, "the caller stopped reading the response stream")),
    });
    this.#phase = { kind: "streaming", output };
    this.#resolve({
      stream: true,
      method: this.request.method,
      header,
      trailer: this.trailer,
      message: output,
    });
  }

  /** A decoded response message, in order. */
  onMessage(message: unknown): void {
    const phase = this.#phase;
    if (phase.kind === "done") return;
    if (phase.kind === "streaming") {
      const output = phase.output;
      void output.write(message).catch(() => {});
      if (output.full) this.#attempt?.pause();
      return;
    }
    if (++this.#messageCount > 1) {
      this.#cancel(
        new RpcError(
          Code.INTERNAL,
          `the server sent more than one response message for ${this.request.method.path}`,
        ),
      );
      return;
    }
    this.#message = message;
  }

  /** The attempt ended with its status: OK (undefined) or the error. */
  onEnd(error: RpcError | undefined): void {
    this.#finish(error);
  }

  /** The response body could not be read (framing, decompression, decoding): the call fails. */
  onError(error: RpcError): void {
    this.#cancel(error);
  }

  /** Ends the call from the attempt's side with a local error (the attempt is told to stop). */
  abort(error: RpcError): void {
    this.#cancel(error);
  }

  // ---- ending ----

  #cancel(error: RpcError): void {
    if (this.#phase.kind === "done") return;
    this.#attempt?.cancel();
    this.#finish(error);
  }

  #finish(error: RpcError | undefined): void {
    const phase = this.#phase;
    if (phase.kind === "done") return;
    this.#phase = done;
    this.#timer?.cancel();
    this.#onEnd?.(this);
    if (this.#onAbort !== undefined) this.request.signal?.removeEventListener("abort", this.#onAbort);
    if (phase.kind === "streaming") {
      if (error === undefined) phase.output.close();
      else phase.output.fail(error);
      return;
    }
    if (error !== undefined) {
      this.#reject(error);
      return;
    }
    const method = this.request.method;
    const header = this.#header ?? new Metadata();
    if (method.responseStream) {
      const output = createWritableIterable<unknown>();
      output.close();
      this.#resolve({ stream: true, method, header, trailer: this.trailer, message: output });
    } else if (this.#messageCount === 0) {
      this.#reject(new RpcError(Code.INTERNAL, `the server sent no response message for ${method.path}`));
    } else {
      this.#resolve({ stream: false, method, header, trailer: this.trailer, message: this.#message });
    }
  }
}
