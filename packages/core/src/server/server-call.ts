import { Code } from "../code.js";
import { acceptsEncoding, type Compression, type CompressionRegistry } from "../compression.js";
import { type DeadlineTimer, startDeadlineTimer } from "../deadline-timer.js";
import { writeEnvelopePrefix } from "../envelope.js";
import { grpcHandlerProtocol } from "../grpc/handler-protocol.js";
import { statusToTrailers } from "../grpc/trailers.js";
import type { HandlerContext, TlsInfo } from "../handler-context.js";
import { fieldValue, type HeaderFields } from "../header-fields.js";
import { MessageReader } from "../message-reader.js";
import { frameMessage, serializeMessage } from "../message-writer.js";
import { Metadata } from "../metadata.js";
import type { AnyMethod, MethodCodec } from "../method.js";
import type { Route } from "../router.js";
import { RpcError } from "../rpc-error.js";
import type { ServerWireProtocol } from "../wire-protocol.js";
import { createWritableIterable, type WritableIterable } from "../writable-iterable.js";
import type { Linked } from "./call-list.js";
import type { ServerStream, ServerStreamListener } from "./stream.js";

/**
 * The prefix of the response message being written: streams copy it before `write` returns, and
 * calls write one at a time (JavaScript runs one at a time), so one buffer serves them all.
 */
const prefix = new Uint8Array(5);

/**
 * A client reset this close to (or after) the call's deadline counts as the deadline passing: the
 * client's timer and ours measure the same deadline, the client's usually fires first, and ours
 * started later, when the request arrived. The slack is this many ms, or a tenth of the call's
 * timeout when that is longer (a loaded process sees the reset late by more than a fixed margin).
 */
const DEADLINE_RESET_SLACK_MS = 50;
const DEADLINE_RESET_SLACK_SHARE = 0.1;

/**
 * The trailers of a call that succeeded with no trailing metadata: one frozen list for every call,
 * which an engine may encode once and send again (the seam allows it for frozen lists).
 */
const OK_TRAILERS: HeaderFields = Object.freeze(["grpc-status", "0"]);
/**
 * Response headers with no metadata and no compression, frozen and shared like OK_TRAILERS: one
 * per content type (a few), made again if the server's accept-encoding differs.
 */
const plainHeaders = new Map<string, HeaderFields>();
const NO_FIELDS: HeaderFields = Object.freeze([]);

/**
 * Where a call is: reading requests (`open`), past the client's half-close (`half-closed`), or
 * `done` once its status was sent or its stream went away (nothing is sent after that).
 */
type Phase = "open" | "half-closed" | "done";

/** Per-server settings every call reads; made once. */
export interface CallConfig {
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  readonly compression: CompressionRegistry;
  /** Response compression when the handler sets none: `mirror` answers in the request's encoding. */
  readonly responseCompression: string;
  /** Buffers for response envelopes (a runtime may pass a pooled allocator); default `new Uint8Array`. */
  readonly allocate: ((size: number) => Uint8Array) | undefined;
  readonly onCallEnd: (call: ServerCall) => void;
}

export interface CallStart {
  readonly route: Route;
  readonly codecName: string;
  readonly codec: MethodCodec<unknown, unknown>;
  readonly requestCompression: Compression | undefined;
  readonly deadline: number | undefined;
  /** How the bytes travel (gRPC or gRPC-Web); default: gRPC for `codecName`. */
  readonly protocol?: ServerWireProtocol;
}

/**
 * The server side of one gRPC call: decodes request envelopes, runs the route, and sends
 * headers, messages and trailers. It is its stream's listener and the handler's context.
 */
export class ServerCall implements ServerStreamListener, HandlerContext, Linked<ServerCall> {
  readonly method: AnyMethod;
  /** The server's list of running calls (call-list.ts). */
  prevLinked: ServerCall | undefined = undefined;
  nextLinked: ServerCall | undefined = undefined;
  readonly deadline: number | undefined;
  /** How close to the deadline a client's reset counts as the deadline passing (see above). */
  readonly #resetSlackMs: number;
  readonly #stream: ServerStream;
  readonly #config: CallConfig;
  readonly #start: CallStart;
  readonly #reader: MessageReader;
  readonly #wire: ServerWireProtocol;
  #metadata: Metadata | undefined;
  #responseHeader: Metadata | undefined;
  #responseTrailer: Metadata | undefined;
  #controller: AbortController | undefined;
  #abortReason: RpcError | undefined;
  #timer: DeadlineTimer | undefined;
  /** Single-request kinds: the request, once received. */
  #request: unknown;
  #requestCount = 0;
  /** Streaming-request kinds: the queue handed to the handler. */
  #input: WritableIterable<unknown> | undefined;
  #phase: Phase = "open";
  #sendCompression: Compression | undefined | null = null;
  #drainWaiter: (() => void) | undefined;
  #responseIterator: AsyncIterator<unknown> | undefined;

  constructor(stream: ServerStream, config: CallConfig, start: CallStart) {
    this.#stream = stream;
    this.#config = config;
    this.#start = start;
    this.method = start.route.method;
    this.deadline = start.deadline;
    this.#resetSlackMs =
      start.deadline === undefined
        ? 0
        : Math.max(DEADLINE_RESET_SLACK_MS, (start.deadline - Date.now()) * DEADLINE_RESET_SLACK_SHARE);
    this.#reader = new MessageReader({
      maxBytes: config.maxReceiveMessageBytes,
      deserialize: start.codec.request.deserialize,
      what: "request",
      sink: this,
    });
    this.#reader.compression = start.requestCompression;
    this.#wire = start.protocol ?? grpcHandlerProtocol(start.codecName);
  }

  // ---- HandlerContext ----

  get metadata(): Metadata {
    this.#metadata ??= Metadata.fromFields(this.#stream.requestFields);
    return this.#metadata;
  }

  get peer(): string {
    return this.#stream.peer;
  }

  get tls(): TlsInfo | undefined {
    return this.#stream.tls;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abortReason !== undefined) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  get responseHeader(): Metadata {
    this.#responseHeader ??= new Metadata();
    return this.#responseHeader;
  }

  get responseTrailer(): Metadata {
    this.#responseTrailer ??= new Metadata();
    return this.#responseTrailer;
  }

  get requestEncoding(): string {
    return this.#start.requestCompression?.name ?? "identity";
  }

  setCompression(name: string): void {
    if (this.#stream.headersSent)
      throw new RpcError(Code.INTERNAL, "setCompression() after the response headers were sent");
    if (name === "identity") {
      this.#sendCompression = undefined;
      return;
    }
    const found = this.#config.compression.get(name);
    if (found === undefined)
      throw new RpcError(Code.INTERNAL, `response compression "${name}" is not registered on this server`);
    this.#sendCompression = found;
  }

  // ---- lifecycle ----

  /** Starts the call: listens to the stream, arms the deadline, and runs streaming-request handlers at once. */
  start(): void {
    this.#stream.listen(this);
    const deadline = this.deadline;
    if (deadline !== undefined) this.#timer = startDeadlineTimer(deadline, () => this.#deadlineExceeded());
    if (this.method.requestStream) {
      this.#input = createWritableIterable<unknown>({
        highWaterMark: 16,
        onDrain: () => this.#stream.resume(),
      });
      this.#invoke(this.#input);
    }
  }

  /** Ends the call from the server's side (shutdown): the handler's signal fires, the client gets `error`. */
  cancel(error: RpcError): void {
    this.#abort(new RpcError(Code.CANCELLED, error.rawMessage));
    this.#finish(error);
  }

  // ---- ServerStreamListener ----

  onData(chunk: Uint8Array): void {
    if (this.#phase !== "open") return;
    try {
      this.#reader.push(this.#wire.decodeRequestBody(chunk));
    } catch (e) {
      this.#fail(e);
    }
  }

  onEnd(): void {
    if (this.#phase === "done") return;
    this.#phase = "half-closed";
    this.#reader.afterPending(() => this.#endOfRequests());
  }

  onDrain(): void {
    const w = this.#drainWaiter;
    this.#drainWaiter = undefined;
    w?.();
  }

  onClose(rstCode: number): void {
    this.onDrain();
    if (this.#phase !== "done") {
      // The stream went away before we sent the status: the client cancelled or the connection died.
      this.#phase = "done";
      this.#reader.stop();
      // A client whose deadline passes resets the stream (RST_STREAM CANCEL), usually a moment
      // before our own timer for the same deadline fires: the handler is told DEADLINE_EXCEEDED.
      const deadline = this.deadline;
      const reason =
        deadline !== undefined && Date.now() >= deadline - this.#resetSlackMs
          ? new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded (the client gave up at its deadline)")
          : new RpcError(
              Code.CANCELLED,
              rstCode === 0
                ? "the client went away before the call completed"
                : `the client cancelled the call (RST_STREAM code ${rstCode})`,
            );
      this.#abort(reason);
      this.#cleanup();
      this.#input?.fail(reason);
      void this.#responseIterator?.return?.(undefined)?.catch?.(() => {});
    }
    this.#config.onCallEnd(this);
  }

  // ---- receiving (MessageSink) ----

  /** A decoded request message, in order. */
  onMessage(message: unknown): void {
    if (this.#phase === "done") return;
    const input = this.#input;
    if (input !== undefined) {
      void input.write(message).catch(() => {});
      if (input.full) this.#stream.pause();
      return;
    }
    if (++this.#requestCount > 1) {
      this.#fail(
        new RpcError(
          Code.INTERNAL,
          `received more than one request message for ${this.method.kind} method ${this.method.path}`,
        ),
      );
      return;
    }
    this.#request = message;
  }

  /** The request body could not be read. */
  onError(error: RpcError): void {
    this.#fail(error);
  }

  #endOfRequests(): void {
    if (this.#phase === "done") return;
    try {
      this.#wire.endRequestBody();
    } catch (e) {
      this.#fail(e);
      return;
    }
    const truncated = this.#reader.end();
    if (truncated !== undefined) {
      this.#fail(truncated);
      return;
    }
    if (this.#input !== undefined) {
      this.#input.close();
      return;
    }
    if (this.#requestCount === 0) {
      this.#fail(
        new RpcError(
          Code.INTERNAL,
          `the client sent no request message for ${this.method.kind} method ${this.method.path}`,
        ),
      );
      return;
    }
    this.#invoke(this.#request);
    this.#request = undefined;
  }

  // ---- running the handler ----

  #invoke(message: unknown): void {
    let result: unknown;
    try {
      result = this.#start.route.invoke(message, this);
    } catch (e) {
      this.#fail(e);
      return;
    }
    if (this.method.responseStream) {
      void this.#pump(result);
    } else if (isThenable(result)) {
      result.then(
        (m) => this.#sendSingle(m),
        (e) => this.#fail(e),
      );
    } else {
      this.#sendSingle(result);
    }
  }

  async #pump(result: unknown): Promise<void> {
    try {
      const source = (isThenable(result) ? await result : result) as AsyncIterable<unknown> | undefined;
      if (
        source === undefined ||
        source === null ||
        typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] !== "function"
      ) {
        throw new RpcError(
          Code.INTERNAL,
          `the handler of streaming method ${this.method.path} did not return an async iterable`,
        );
      }
      const it = source[Symbol.asyncIterator]();
      this.#responseIterator = it;
      for (;;) {
        const r = await it.next();
        if (r.done || this.#isDone()) break;
        if (this.#wire.name === "grpc" && this.#responseCompression() === undefined) {
          // gRPC without compression: the payload and its prefix go to the stream as two parts,
          // never joined into an envelope here (the engine copies both into its output anyway).
          const payload = serializeMessage(
            this.#start.codec.response,
            r.value,
            "response",
            this.#config.maxSendMessageBytes,
          );
          this.#sendHeaders();
          writeEnvelopePrefix(prefix, 0, payload.length);
          if (!this.#stream.write(payload, prefix))
            await new Promise<void>((resolve) => (this.#drainWaiter = resolve));
          continue;
        }
        const framed = this.#frame(r.value);
        // Awaited only when compressing: a ready frame costs no extra turn of the microtask queue.
        const frame = framed instanceof Uint8Array ? framed : await framed;
        if (this.#isDone()) break;
        this.#sendHeaders();
        if (!this.#stream.write(this.#wire.encodeResponseBody(frame)))
          await new Promise<void>((resolve) => (this.#drainWaiter = resolve));
      }
      this.#finish(undefined);
    } catch (e) {
      this.#fail(e);
    }
  }

  #sendSingle(message: unknown): void {
    if (this.#phase === "done") return;
    let framed: Uint8Array | Promise<Uint8Array>;
    try {
      framed = this.#frame(message);
    } catch (e) {
      this.#fail(e);
      return;
    }
    if (framed instanceof Uint8Array) this.#sendFrameAndFinish(framed);
    else
      framed.then(
        (f) => this.#sendFrameAndFinish(f),
        (e) => this.#fail(e),
      );
  }

  #sendFrameAndFinish(frame: Uint8Array): void {
    if (this.#phase === "done") return;
    this.#sendHeaders();
    this.#finish(undefined, this.#wire.encodeResponseBody(frame));
  }

  /** Serializes (and compresses) one response message into an envelope. */
  #frame(message: unknown): Uint8Array | Promise<Uint8Array> {
    const max = this.#config.maxSendMessageBytes;
    return frameMessage(
      this.#start.codec.response,
      message,
      "response",
      max,
      this.#responseCompression(),
      this.#config.allocate,
    );
  }

  #responseCompression(): Compression | undefined {
    if (this.#sendCompression !== null) return this.#sendCompression;
    const policy = this.#config.responseCompression;
    let chosen: Compression | undefined;
    if (policy === "mirror") chosen = this.#start.requestCompression;
    else if (policy !== "identity") chosen = this.#config.compression.get(policy);
    if (
      chosen !== undefined &&
      !acceptsEncoding(fieldValue(this.#stream.requestFields, "grpc-accept-encoding"), chosen.name)
    )
      chosen = undefined;
    this.#sendCompression = chosen;
    return chosen;
  }

  #baseHeaders(): string[] {
    const h = [
      ":status",
      "200",
      "content-type",
      this.#wire.contentType,
      "grpc-accept-encoding",
      this.#config.compression.acceptEncoding,
    ];
    const md = this.#responseHeader;
    if (md !== undefined && md.size > 0) md.appendFields(h);
    return h;
  }

  #sendHeaders(): void {
    if (this.#stream.headersSent) return;
    const c = this.#responseCompression();
    const md = this.#responseHeader;
    if (c === undefined && (md === undefined || md.size === 0) && this.#wire.plainHeaders) {
      this.#stream.respond(this.#plainHeaders(), false);
      return;
    }
    const h = this.#baseHeaders();
    if (c !== undefined) h.push("grpc-encoding", c.name);
    this.#wire.finishHeaders(h);
    this.#stream.respond(h, false);
  }

  #plainHeaders(): HeaderFields {
    const contentType = this.#wire.contentType;
    const acceptEncoding = this.#config.compression.acceptEncoding;
    let h = plainHeaders.get(contentType);
    if (h === undefined || h[5] !== acceptEncoding) {
      h = Object.freeze([
        ":status",
        "200",
        "content-type",
        contentType,
        "grpc-accept-encoding",
        acceptEncoding,
      ]);
      if (plainHeaders.size < 64 || plainHeaders.has(contentType)) plainHeaders.set(contentType, h);
    }
    return h;
  }

  // ---- ending ----

  #fail(reason: unknown): void {
    if (this.#phase === "done") return;
    const err = RpcError.from(reason);
    this.#finish(err);
  }

  #deadlineExceeded(): void {
    this.#timer = undefined;
    if (this.#phase === "done") return;
    const err = new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded");
    this.#abort(err);
    this.#finish(err);
  }

  #abort(reason: RpcError): void {
    if (this.#abortReason !== undefined) return;
    this.#abortReason = reason;
    this.#controller?.abort(reason);
  }

  /**
   * Sends the status (trailers, or trailers-only when nothing was sent yet) exactly once;
   * `lastFrame` is a response message sent together with the status (the unary path).
   */
  #finish(error: RpcError | undefined, lastFrame?: Uint8Array): void {
    if (this.#phase === "done") return;
    this.#phase = "done";
    this.#reader.stop();
    this.#cleanup();
    const md = this.#responseTrailer;
    const trailers =
      error === undefined && (md === undefined || md.size === 0) ? OK_TRAILERS : statusToTrailers(error, md);
    const s = this.#stream;
    if (!s.closed) {
      if (!s.headersSent) {
        const h = this.#baseHeaders();
        for (let i = 0; i < trailers.length; i++) h.push(trailers[i]!);
        this.#wire.finishHeaders(h);
        s.respond(h, true);
      } else {
        // gRPC: HTTP/2 trailers. gRPC-Web: a trailer frame ends the body, with no HTTP trailers.
        const frame = this.#wire.trailerFrame(trailers);
        if (frame === undefined) s.end(trailers, lastFrame);
        else {
          if (lastFrame !== undefined) s.write(lastFrame);
          s.end(NO_FIELDS, frame);
        }
      }
    }
    if (this.#input !== undefined && !this.#input.closed) {
      this.#input.fail(error ?? new RpcError(Code.CANCELLED, "the call already completed"));
    }
    if (error !== undefined && this.#responseIterator !== undefined) {
      void this.#responseIterator.return?.(undefined)?.catch?.(() => {});
    }
  }

  /** A method, not a comparison in place: the phase changes across the awaits of `#pump`. */
  #isDone(): boolean {
    return this.#phase === "done";
  }

  #cleanup(): void {
    if (this.#timer !== undefined) {
      this.#timer.cancel();
      this.#timer = undefined;
    }
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null && typeof (v as PromiseLike<unknown>).then === "function";
}
