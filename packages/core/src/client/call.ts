/**
 * The client side of one call, runtime-neutral: its deadline and cancellation, its request
 * messages (framed once, and kept while another attempt may need them), its attempts, the
 * response handed to the caller (a single message once the call is complete; a stream as soon as
 * the response headers are in), and its result.
 *
 * The bytes travel in attempts (attempt.ts), which a transport makes with its `CallPlan`. With a
 * retry or hedging policy (gRFC A6, retry/) the call starts more attempts: after a retryable
 * status and a backoff, or on the hedging timer; it commits to one attempt when that attempt's
 * response headers come, when the request no longer fits its buffer, or when no other attempt
 * may follow, and from then on it has no other. A stream the server refused before processing it
 * is sent once more at once (a transparent retry), policy or not, while the request can be sent
 * again.
 */
import { abortError } from "../abort-error.js";
import { Code } from "../code.js";
import { type DeadlineTimer, startDeadlineTimer } from "../deadline-timer.js";
import type { ClientRequest, ClientResponse } from "../interceptor.js";
import { Metadata } from "../metadata.js";
import { RpcError } from "../rpc-error.js";
import { createWritableIterable, type WritableIterable } from "../writable-iterable.js";
import type { Attempt } from "./attempt.js";
import { hasCode, jittered, nextBackoff, parsePushback, type RetryPlan, STOP } from "./retry/retry-policy.js";

/** What a transport gives its calls: made once (per method config), never per call. */
export interface CallPlan {
  /**
   * Makes attempt `index` of `call` and starts it, now or when it can (no connection yet): the
   * attempt `attach`es itself to the call once it can send, or `fail`s.
   */
  start(call: Call, index: number): void;
  /** A request message as the wire carries it (serialized, maybe compressed, in its envelope). */
  frame(call: Call, message: unknown): Uint8Array | Promise<Uint8Array>;
  /** Retries or hedging; undefined: one attempt (and transparent retries). */
  readonly retry?: RetryPlan | undefined;
  /** The method config's timeout (ms): the call's deadline is at most this far off. */
  readonly timeoutMs?: number | undefined;
  /** The method config's wait-for-ready, for calls that do not say. */
  readonly waitForReady?: boolean | undefined;
}

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

const PREVIOUS_ATTEMPTS = "grpc-previous-rpc-attempts";
const PUSHBACK = "grpc-retry-pushback-ms";
const NONE = -1;

export class Call {
  readonly request: ClientRequest;
  readonly promise: Promise<ClientResponse>;
  /** Response trailers: those of the attempt that ended the call. */
  readonly trailer = new Metadata();
  readonly #onEnd: ((call: Call) => void) | undefined;
  #plan: CallPlan | undefined;
  /** The plan's retry policy, unless this call turned retries off. */
  #retry: RetryPlan | undefined;
  #deadline: number | undefined;
  #resolve!: (r: ClientResponse) => void;
  #reject!: (e: unknown) => void;
  #phase: Phase = waiting;
  /** Attempts attached and not ended. */
  #live: Attempt[] = [];
  /** Attempts started and not yet ended (attached or not). */
  #outstanding = 0;
  /** Attempts started, transparent retries not counted. */
  #started = 0;
  /** The attempt (by index) the call is committed to, or NONE. */
  #committed = 0;
  /** Indexes (bits) whose transparent retry was used. */
  #transparent = 0;
  #header: Metadata | undefined;
  #message: unknown;
  #messageCount = 0;
  #timer: DeadlineTimer | undefined;
  #onAbort: (() => void) | undefined;
  // ---- the request ----
  /** A unary request's envelope (kept for every attempt). */
  #only: Uint8Array | undefined;
  /** A streamed request's envelopes not yet sent to every attempt that may need them. */
  #frames: Uint8Array[] | undefined;
  /** Envelopes were let go once sent: the request can no longer be sent again. */
  #dropped = false;
  #requestDone = false;
  /** Bytes this call holds in the retry buffer. */
  #held = 0;
  /** The request pump waits for an attempt that takes more. */
  #wake: (() => void) | undefined;
  // ---- retries and hedging ----
  #retryTimer: { cancel(): void } | undefined;
  #backoffMs = 0;
  #hedgingStopped = false;
  #lastError: RpcError | undefined;

  /**
   * A call of `req`; its deadline and cancellation count from now, and `begin` starts it.
   * `onEnd` is told once when the call has ended, however it ended (a transport counts its calls).
   */
  constructor(req: ClientRequest, onEnd?: (call: Call) => void) {
    this.request = req;
    this.#onEnd = onEnd;
    this.#deadline = req.deadline;
    this.promise = new Promise<ClientResponse>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const signal = req.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#finish(undefined, abortError(signal), undefined);
        return;
      }
      this.#onAbort = () => this.#cancel(abortError(signal));
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    if (req.deadline !== undefined) {
      const ms = req.deadline - Date.now();
      if (ms <= 0) {
        this.#finish(
          undefined,
          new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded before the call started"),
          undefined,
        );
        return;
      }
      this.#armDeadline(req.deadline, ms);
    }
  }

  #armDeadline(deadline: number, ms: number): void {
    this.#timer?.cancel();
    this.#timer = startDeadlineTimer(deadline, () => {
      this.#timer = undefined;
      this.#cancel(new RpcError(Code.DEADLINE_EXCEEDED, `deadline exceeded after ${Math.round(ms)} ms`));
    });
  }

  /**
   * Starts the call with `plan` (the transport's, for the call's method config): frames the
   * request and starts the first attempt, unless the call already ended.
   */
  begin(plan: CallPlan): Promise<ClientResponse> {
    if (this.#isDone()) return this.promise;
    const req = this.request;
    this.#plan = plan;
    const retry = req.retries === false ? undefined : plan.retry;
    this.#retry = retry;
    if (retry !== undefined) this.#committed = NONE;
    if (retry?.kind === "retry") this.#backoffMs = retry.initialBackoffMs;
    const timeout = plan.timeoutMs;
    if (timeout !== undefined) {
      const deadline = Date.now() + timeout;
      if (this.#deadline === undefined || deadline < this.#deadline) {
        this.#deadline = deadline;
        this.#armDeadline(deadline, timeout);
      }
    }
    if (req.stream) this.#frames = [];
    else {
      let framed: Uint8Array | Promise<Uint8Array>;
      try {
        framed = plan.frame(this, req.message);
      } catch (e) {
        this.#finish(undefined, RpcError.from(e, Code.INTERNAL), undefined);
        return this.promise;
      }
      if (framed instanceof Uint8Array) this.#setOnly(framed);
      else
        framed.then(
          (f) => {
            if (this.#isDone()) return;
            this.#setOnly(f);
            for (const a of this.#live.slice()) this.#feed(a);
          },
          (e: unknown) => this.#cancel(RpcError.from(e, Code.INTERNAL)),
        );
    }
    this.#startAttempt(0);
    if (req.stream) void this.#pump(req.message);
    if (this.#retry?.kind === "hedge") this.#armHedge();
    return this.promise;
  }

  get done(): boolean {
    return this.#isDone();
  }

  /** A method, not a comparison in place: the phase changes across calls out and awaits. */
  #isDone(): boolean {
    return this.#phase.kind === "done";
  }

  get waitForReady(): boolean {
    return (this.request.waitForReady ?? this.#plan?.waitForReady) === true;
  }

  /** The deadline of every attempt (ms since the epoch): the request's, or the method config's if sooner. */
  get deadline(): number | undefined {
    return this.#deadline;
  }

  /** How many attempts were started (the first counts; transparent retries do not). */
  get attempts(): number {
    return this.#started;
  }

  /**
   * Attempts may overlap (a hedging policy): each has trailers of its own. Otherwise attempts
   * follow one another and fill the call's trailers, emptied before each retry.
   */
  get hedging(): boolean {
    return this.#retry?.kind === "hedge";
  }

  /** Attempt `index` may still go: the call has not ended, nor committed to another attempt. */
  wants(index: number): boolean {
    return !this.#isDone() && (this.#committed === NONE || this.#committed === index);
  }

  /** The attempt can send now: the call sends it the request (it is cancelled if not wanted). */
  attach(attempt: Attempt): void {
    if (!this.wants(attempt.index)) {
      attempt.cancel();
      return;
    }
    this.#live.push(attempt);
    this.#feed(attempt);
    this.#wakePump();
  }

  /** Fails the call, whatever its policy says (the channel was closed, say). */
  fail(error: RpcError): void {
    this.#cancel(error);
  }

  /**
   * The attempt's stream was refused before the server processed it: true when another attempt
   * with its number was started in its place (once per number, while the request can be sent
   * again and the call wants it).
   */
  retryRefused(attempt: Attempt): boolean {
    const bit = attempt.index < 31 ? 1 << attempt.index : 0;
    if (!this.wants(attempt.index) || (this.#transparent & bit) !== 0 || bit === 0) return false;
    if (this.request.stream ? this.#dropped : this.#only === undefined) return false;
    this.#transparent |= bit;
    this.#removeLive(attempt);
    this.#plan!.start(this, attempt.index);
    return true;
  }

  // ---- from the attempts ----

  /** Writable again after a write returned false. */
  onDrain(attempt: Attempt): void {
    attempt.blocked = false;
    if (this.#isDone()) return;
    this.#feed(attempt);
    this.#wakePump();
  }

  /** The response headers: the call commits to this attempt. */
  onHeader(attempt: Attempt, header: Metadata): void {
    if (this.#phase.kind !== "waiting") return;
    if (this.#committed !== attempt.index) {
      if (this.#committed !== NONE) {
        this.#removeLive(attempt);
        attempt.cancel();
        return;
      }
      this.#commitTo(attempt);
    }
    this.#deliverHeader(header);
  }

  /** A decoded response message, in order (only the committed attempt has any). */
  onMessage(message: unknown): void {
    const phase = this.#phase;
    if (phase.kind === "done") return;
    if (phase.kind === "streaming") {
      const output = phase.output;
      void output.write(message).catch(() => {});
      if (output.full) for (const a of this.#live) a.pause();
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

  /**
   * The attempt ended with its status: OK (undefined) or the error; `header`: the attempt's
   * trailers-only response (which does not commit the call).
   */
  onEnd(attempt: Attempt, error: RpcError | undefined, header?: Metadata): void {
    if (this.#isDone()) return;
    this.#removeLive(attempt);
    this.#outstanding--;
    const retry = this.#retry;
    if (error === undefined) {
      retry?.context.throttle?.onSuccess();
      if (this.#committed !== attempt.index) this.#commitTo(attempt);
      this.#finish(attempt, undefined, header);
      return;
    }
    if (retry === undefined || this.#committed === attempt.index) {
      if (retry !== undefined && hasCode(retry, error.code)) retry.context.throttle?.onFailure();
      this.#finish(attempt, error, header);
      return;
    }
    if (this.#committed !== NONE) return; // another attempt carries the call
    this.#afterFailure(retry, attempt, error, header);
  }

  /** The response body could not be read (framing, decompression, decoding): the call fails. */
  onError(error: RpcError): void {
    this.#cancel(error);
  }

  /** Ends the call from an attempt's side with a local error (every attempt is told to stop). */
  abort(error: RpcError): void {
    this.#cancel(error);
  }

  // ---- attempts ----

  #startAttempt(index: number): void {
    if (index >= this.#started) this.#started = index + 1;
    const retry = this.#retry;
    // The last attempt a retry policy allows: nothing can follow it.
    if (retry?.kind === "retry" && this.#committed === NONE && index === retry.maxAttempts - 1)
      this.#committed = index;
    this.#outstanding++;
    this.#plan!.start(this, index);
  }

  /** A failed attempt of an uncommitted call: another attempt, now or later, or the call ends. */
  #afterFailure(retry: RetryPlan, attempt: Attempt, error: RpcError, header: Metadata | undefined): void {
    const qualifies = hasCode(retry, error.code);
    const raw = error.metadata.get(PUSHBACK);
    const pushback = parsePushback(typeof raw === "string" ? raw : undefined);
    const throttle = retry.context.throttle;
    if (qualifies || pushback === STOP) throttle?.onFailure();
    if (retry.kind === "retry") {
      if (
        !qualifies ||
        pushback === STOP ||
        this.#started >= retry.maxAttempts ||
        (throttle !== undefined && !throttle.allows)
      ) {
        this.#finish(attempt, error, header);
        return;
      }
      let delay: number;
      if (pushback !== undefined) {
        delay = pushback;
        this.#backoffMs = retry.initialBackoffMs;
      } else {
        delay = jittered(this.#backoffMs, retry.context.random);
        this.#backoffMs = nextBackoff(retry, this.#backoffMs);
      }
      // The failed attempt's trailers are not the call's.
      if (attempt.trailer === this.trailer) this.trailer.clear();
      this.#retryTimer = retry.context.schedule(() => {
        this.#retryTimer = undefined;
        if (!this.#isDone()) this.#startAttempt(this.#started);
      }, delay);
      return;
    }
    // Hedging: a fatal status ends the call; a non-fatal one sends the next hedge at once.
    if (!qualifies) {
      this.#finish(attempt, error, header);
      return;
    }
    if (pushback === STOP) {
      this.#hedgingStopped = true;
      this.#retryTimer?.cancel();
      this.#retryTimer = undefined;
    }
    this.#lastError = error;
    if (this.#canHedge()) {
      this.#retryTimer?.cancel();
      this.#retryTimer = undefined;
      if (pushback !== undefined && pushback > 0) {
        this.#retryTimer = retry.context.schedule(() => {
          this.#retryTimer = undefined;
          this.#hedge();
        }, pushback);
      } else this.#hedge();
      return;
    }
    if (this.#outstanding === 0) this.#finish(attempt, error, header);
  }

  #canHedge(): boolean {
    const retry = this.#retry;
    if (retry?.kind !== "hedge" || this.#hedgingStopped || this.#committed !== NONE) return false;
    if (this.#started >= retry.maxAttempts) return false;
    const throttle = retry.context.throttle;
    return throttle === undefined || throttle.allows;
  }

  /** Sends the next hedge (when one may go) and arms the timer for the one after. */
  #hedge(): void {
    if (this.#isDone()) return;
    if (this.#committed === this.#started) {
      // Committed (the request outgrew the buffer) to the hedge this timer was for.
      this.#startAttempt(this.#started);
      return;
    }
    if (!this.#canHedge()) {
      if (this.#outstanding === 0 && this.#lastError !== undefined)
        this.#finish(undefined, this.#lastError, undefined);
      return;
    }
    this.#startAttempt(this.#started);
    this.#armHedge();
  }

  #armHedge(): void {
    const retry = this.#retry;
    if (retry?.kind !== "hedge" || this.#retryTimer !== undefined || this.#isDone()) return;
    if (retry.hedgingDelayMs <= 0) {
      while (this.#canHedge() && !this.#isDone()) this.#startAttempt(this.#started);
      return;
    }
    if (!this.#canHedge()) return;
    this.#retryTimer = retry.context.schedule(() => {
      this.#retryTimer = undefined;
      this.#hedge();
    }, retry.hedgingDelayMs);
  }

  /** From now on the call has only `attempt`: the others stop, no other starts, the buffer is let go. */
  #commitTo(attempt: Attempt): void {
    this.#committed = attempt.index;
    this.#retryTimer?.cancel();
    this.#retryTimer = undefined;
    const live = this.#live;
    if (live.length !== 1 || live[0] !== attempt) {
      for (const other of live) if (other !== attempt) other.cancel();
      this.#live = live.includes(attempt) ? [attempt] : [];
    }
    this.#release();
    this.#wakePump();
  }

  #removeLive(attempt: Attempt): void {
    const live = this.#live;
    const i = live.indexOf(attempt);
    if (i >= 0) live.splice(i, 1);
  }

  // ---- the request ----

  #setOnly(frame: Uint8Array): void {
    this.#only = frame;
    if (this.#committed === NONE && !this.#hold(frame.length)) this.#commitNow();
  }

  /** Takes `bytes` of the retry buffer for this call: false when they do not fit. */
  #hold(bytes: number): boolean {
    const buffer = this.#retry?.context.buffer;
    if (buffer === undefined || !buffer.take(this.#held, bytes)) return false;
    this.#held += bytes;
    return true;
  }

  #release(): void {
    if (this.#held === 0) return;
    this.#retry?.context.buffer.give(this.#held);
    this.#held = 0;
  }

  /**
   * The request no longer fits: commit to the attempt that has sent the most, else to the one
   * started last (not yet attached), else to the next one (a retry waiting for its backoff).
   */
  #commitNow(): void {
    let best: Attempt | undefined;
    for (const a of this.#live) if (best === undefined || a.sent > best.sent) best = a;
    if (best !== undefined) {
      this.#commitTo(best);
      return;
    }
    this.#release();
    if (this.#outstanding > 0) {
      this.#committed = this.#started - 1;
      this.#retryTimer?.cancel();
      this.#retryTimer = undefined;
    } else this.#committed = this.#started;
  }

  /** Sends `attempt` the envelopes it has not had, and the end of the request once it is complete. */
  #feed(attempt: Attempt): void {
    if (attempt.halfClosed || attempt.blocked) return;
    const only = this.#only;
    if (!this.request.stream) {
      if (only === undefined) return;
      attempt.sent = 1;
      attempt.halfClosed = true;
      attempt.write(only, true);
      return;
    }
    const frames = this.#frames!;
    const complete = this.#requestDone;
    while (attempt.sent < frames.length) {
      const f = frames[attempt.sent++]!;
      const last = complete && attempt.sent === frames.length;
      if (last) attempt.halfClosed = true;
      if (!attempt.write(f, last)) {
        attempt.blocked = true;
        break;
      }
    }
    if (complete && !attempt.halfClosed && attempt.sent === frames.length) {
      attempt.halfClosed = true;
      attempt.end();
    }
    // Committed: what this attempt has sent is needed no more.
    if (this.#committed === attempt.index && attempt.sent > 0) {
      frames.splice(0, attempt.sent);
      attempt.sent = 0;
      this.#dropped = true;
    }
  }

  /** Some attempt takes another envelope now. */
  #wantsMore(): boolean {
    const frames = this.#frames!;
    for (const a of this.#live) if (!a.blocked && a.sent >= frames.length) return true;
    return false;
  }

  #wakePump(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** Reads the caller's request stream once, no faster than the attempts send it. */
  async #pump(source: AsyncIterable<unknown>): Promise<void> {
    const frames = this.#frames!;
    try {
      for await (const message of source) {
        if (this.#isDone()) return;
        const framed = this.#plan!.frame(this, message);
        const f = framed instanceof Uint8Array ? framed : await framed;
        if (this.#isDone()) return;
        frames.push(f);
        if (this.#committed === NONE && !this.#hold(f.length)) this.#commitNow();
        for (const a of this.#live.slice()) this.#feed(a);
        while (!this.#wantsMore()) {
          await new Promise<void>((resolve) => (this.#wake = resolve));
          if (this.#isDone()) return;
        }
      }
      if (this.#isDone()) return;
      this.#requestDone = true;
      for (const a of this.#live.slice()) this.#feed(a);
    } catch (e) {
      this.#cancel(RpcError.from(e, Code.CANCELLED));
    }
  }

  // ---- ending ----

  #deliverHeader(header: Metadata): void {
    this.#header = header;
    if (!this.request.method.responseStream) return;
    const output = createWritableIterable<unknown>({
      highWaterMark: 16,
      onDrain: () => {
        for (const a of this.#live) a.resume();
      },
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

  #cancel(error: RpcError): void {
    if (this.#isDone()) return;
    const live = this.#live;
    this.#live = [];
    for (const a of live) a.cancel();
    this.#finish(undefined, error, undefined);
  }

  /** Settles the call: `attempt` is the one that ended it (undefined: the call itself did). */
  #finish(attempt: Attempt | undefined, error: RpcError | undefined, header: Metadata | undefined): void {
    if (this.#isDone()) return;
    if (header !== undefined && this.#phase.kind === "waiting") this.#deliverHeader(header);
    const phase = this.#phase;
    this.#phase = done;
    // Hedges still out (a fatal status ended the call) are no longer wanted.
    const live = this.#live;
    if (live.length > 0) {
      this.#live = [];
      for (const a of live) if (a !== attempt) a.cancel();
    }
    this.#timer?.cancel();
    this.#retryTimer?.cancel();
    this.#retryTimer = undefined;
    this.#release();
    this.#wakePump();
    this.#onEnd?.(this);
    if (this.#onAbort !== undefined) this.request.signal?.removeEventListener("abort", this.#onAbort);
    if (attempt !== undefined && attempt.trailer !== this.trailer) this.trailer.merge(attempt.trailer);
    if (this.#started > 1) {
      // A6: the client learns how many attempts came before the one that ended the call.
      const previous = String(this.#started - 1);
      this.trailer.set(PREVIOUS_ATTEMPTS, previous);
      // The error's own metadata too, when it is the attempt's trailers (not an error shared by calls).
      if (error !== undefined && attempt !== undefined && error.metadata === attempt.trailer)
        error.metadata.set(PREVIOUS_ATTEMPTS, previous);
    }
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
    const h = this.#header ?? new Metadata();
    if (method.responseStream) {
      const output = createWritableIterable<unknown>();
      output.close();
      this.#resolve({ stream: true, method, header: h, trailer: this.trailer, message: output });
    } else if (this.#messageCount === 0) {
      this.#reject(new RpcError(Code.INTERNAL, `the server sent no response message for ${method.path}`));
    } else {
      this.#resolve({ stream: false, method, header: h, trailer: this.trailer, message: this.#message });
    }
  }
}
