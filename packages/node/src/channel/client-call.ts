import {
  type ClientRequest,
  type ClientResponse,
  Code,
  type Compression,
  createWritableIterable,
  Metadata,
  RpcError,
  type WritableIterable,
} from "@grpc-ts/core";
import { grpcRequestHeaders, statusFromTrailers, validateResponseHeaders } from "@grpc-ts/core/grpc";
import {
  abortError,
  type CompressionRegistry,
  type DeadlineTimer,
  frameMessage,
  MessageReader,
  type MethodCodec,
  startDeadlineTimer,
} from "@grpc-ts/core/protocol";
import { ErrorCode, errorCodeName } from "@grpc-ts/http2";
import { allocUnsafe } from "../alloc.js";
import { codeFromResetCode } from "../http2/reset-code.js";
import type { ClientConnection, ClientStream, ClientStreamListener, InHeaders } from "../http2/seam.js";

/**
 * Where a call is: `waiting` for its response; `streaming` once a response stream was handed to
 * the caller (its messages go to `output`); `done` once settled for good (status or failure).
 */
type Phase =
  | { readonly kind: "waiting" }
  | { readonly kind: "streaming"; readonly output: WritableIterable<unknown> }
  | { readonly kind: "done" };
const waiting: Phase = { kind: "waiting" };
const done: Phase = { kind: "done" };

/** Per-channel settings every call reads; made once. */
export interface ClientCallConfig {
  readonly codecName: string;
  readonly compression: CompressionRegistry;
  readonly defaultCompression: string | undefined;
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  readonly userAgent: string;
  /**
   * A stream refused before the server processed it (REFUSED_STREAM, no response) is handed back
   * once for a transparent retry on another connection (gRFC A6); false: it cannot be retried.
   */
  readonly retryRefused?: (call: ClientCall, refusedOn: ClientConnection) => boolean;
}

/**
 * The client side of one gRPC call over one HTTP/2 stream. It settles `promise` with the
 * response: for a single response message once the call is complete; for a response stream as
 * soon as the response headers are in.
 */
export class ClientCall implements ClientStreamListener {
  readonly promise: Promise<ClientResponse>;
  readonly #req: ClientRequest;
  readonly #config: ClientCallConfig;
  readonly #codec: MethodCodec<unknown, unknown>;
  readonly #reader: MessageReader;
  readonly #trailer = new Metadata();
  #resolve!: (r: ClientResponse) => void;
  #reject!: (e: unknown) => void;
  #phase: Phase = waiting;
  #stream: ClientStream | undefined;
  #header: Metadata | undefined;
  #message: unknown;
  #messageCount = 0;
  #timer: DeadlineTimer | undefined;
  #drainWaiter: (() => void) | undefined;
  #onAbort: (() => void) | undefined;
  #connection: ClientConnection | undefined;
  #attempts = 0;

  constructor(req: ClientRequest, config: ClientCallConfig, codec: MethodCodec<unknown, unknown>) {
    this.#req = req;
    this.#config = config;
    this.#codec = codec;
    this.#reader = new MessageReader({
      maxBytes: config.maxReceiveMessageBytes,
      deserialize: codec.response.deserialize,
      what: "response",
      sink: this,
    });
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

  get done(): boolean {
    return this.#phase.kind === "done";
  }

  get waitForReady(): boolean {
    return this.#req.waitForReady;
  }

  /** Fails the call before it had a stream (no connection, for instance). */
  fail(error: RpcError): void {
    this.#finish(error);
  }

  /** Opens the stream on a ready connection and sends the request. */
  start(connection: ClientConnection): void {
    if (this.#isDone()) return;
    this.#attempts++;
    this.#connection = connection;
    const req = this.#req;
    const encodingName = req.compression ?? this.#config.defaultCompression;
    let requestCompression: Compression | undefined;
    if (encodingName !== undefined && encodingName !== "identity") {
      requestCompression = this.#config.compression.get(encodingName);
      if (requestCompression === undefined) {
        this.#finish(
          new RpcError(
            Code.INTERNAL,
            `request compression "${encodingName}" is not registered on this channel`,
          ),
        );
        return;
      }
    }
    const headers = grpcRequestHeaders({
      path: req.method.path,
      codec: this.#config.codecName,
      metadata: req.header,
      deadline: req.deadline,
      encoding: requestCompression?.name,
      acceptEncoding: this.#config.compression.acceptEncoding,
      userAgent: this.#config.userAgent,
    });
    let stream: ClientStream;
    try {
      stream = connection.request(headers, this);
    } catch (e) {
      this.#finish(
        new RpcError(Code.UNAVAILABLE, `could not start a stream: ${(e as Error).message}`, { cause: e }),
      );
      return;
    }
    this.#stream = stream;
    if (req.stream) {
      void this.#pumpRequests(req.message, stream, requestCompression);
    } else {
      let framed: Uint8Array | Promise<Uint8Array>;
      try {
        framed = this.#frame(req.message, requestCompression);
      } catch (e) {
        this.#cancel(RpcError.from(e, Code.INTERNAL));
        return;
      }
      if (framed instanceof Uint8Array) stream.end(framed);
      else
        framed.then(
          (f) => stream.end(f),
          (e) => this.#cancel(RpcError.from(e, Code.INTERNAL)),
        );
    }
  }

  #frame(message: unknown, compression: Compression | undefined): Uint8Array | Promise<Uint8Array> {
    return frameMessage(
      this.#codec.request,
      message,
      "request",
      this.#config.maxSendMessageBytes,
      compression,
      allocUnsafe,
    );
  }

  async #pumpRequests(
    source: AsyncIterable<unknown>,
    stream: ClientStream,
    compression: Compression | undefined,
  ): Promise<void> {
    try {
      for await (const message of source) {
        if (this.#isDone()) return;
        const frame = await this.#frame(message, compression);
        if (this.#isDone()) return;
        if (!stream.write(frame)) await new Promise<void>((resolve) => (this.#drainWaiter = resolve));
      }
      if (!this.#isDone()) stream.end();
    } catch (e) {
      this.#cancel(RpcError.from(e, Code.CANCELLED));
    }
  }

  // ---- ClientStreamListener ----

  onHeaders(headers: InHeaders): void {
    if (this.#isDone()) return;
    const r = validateResponseHeaders(headers, this.#trailer);
    if (r.kind === "error") {
      this.#cancel(r.error);
      return;
    }
    if (r.kind === "trailers-only") {
      this.#header = r.header;
      this.#finish(r.error);
      return;
    }
    this.#header = r.header;
    try {
      this.#reader.compression = this.#config.compression.forEncoding(r.encoding);
    } catch {
      this.#cancel(
        new RpcError(
          Code.INTERNAL,
          `the server used response compression "${r.encoding}" that this client did not offer`,
        ),
      );
      return;
    }
    if (this.#req.method.responseStream) {
      const output = createWritableIterable<unknown>({
        highWaterMark: 16,
        onDrain: () => this.#stream?.resume(),
        onReturn: () =>
          this.#cancel(new RpcError(Code.CANCELLED, "the caller stopped reading the response stream")),
      });
      this.#phase = { kind: "streaming", output };
      this.#resolve({
        stream: true,
        method: this.#req.method,
        header: r.header,
        trailer: this.#trailer,
        message: output,
      });
    }
  }

  onData(chunk: Uint8Array): void {
    if (this.#isDone()) return;
    if (this.#header === undefined) {
      this.#cancel(new RpcError(Code.INTERNAL, "the server sent data before response headers"));
      return;
    }
    this.#reader.push(chunk);
  }

  onTrailers(trailers: InHeaders): void {
    if (this.#isDone()) return;
    this.#reader.afterPending(() =>
      this.#finish(this.#reader.end() ?? statusFromTrailers(trailers, this.#trailer)),
    );
  }

  onDrain(): void {
    const w = this.#drainWaiter;
    this.#drainWaiter = undefined;
    w?.();
  }

  onClose(rstCode: number, error: Error | undefined): void {
    this.onDrain();
    // Behind messages still being decompressed: trailers queued before this may settle the call.
    if (!this.#isDone()) this.#reader.afterPending(() => this.#closedWithoutStatus(rstCode, error));
  }

  #closedWithoutStatus(rstCode: number, error: Error | undefined): void {
    if (this.#isDone()) return;
    // Refused before any response (by the server, or by a connection that is going away): the
    // server never saw it, so a single request message may be sent again, once.
    const refusedOn = this.#connection;
    if (
      rstCode === ErrorCode.REFUSED_STREAM &&
      this.#header === undefined &&
      !this.#req.stream &&
      this.#attempts === 1 &&
      refusedOn !== undefined &&
      this.#config.retryRefused !== undefined
    ) {
      this.#stream = undefined;
      if (this.#config.retryRefused(this, refusedOn)) return;
    }
    const code = (error as { code?: string } | undefined)?.code;
    if (error !== undefined && code !== "ERR_HTTP2_STREAM_ERROR") {
      this.#finish(
        new RpcError(Code.UNAVAILABLE, `the connection was lost: ${error.message}`, { cause: error }),
      );
    } else if (rstCode !== ErrorCode.NO_ERROR) {
      this.#finish(
        new RpcError(
          codeFromResetCode(rstCode),
          `the server reset the stream with HTTP/2 error ${errorCodeName(rstCode)}`,
        ),
      );
    } else {
      this.#finish(new RpcError(Code.INTERNAL, "the server closed the stream without sending a status"));
    }
  }

  // ---- MessageSink ----

  /** A decoded response message, in order. */
  onMessage(message: unknown): void {
    const phase = this.#phase;
    if (phase.kind === "done") return;
    if (phase.kind === "streaming") {
      const output = phase.output;
      void output.write(message).catch(() => {});
      if (output.full) this.#stream?.pause();
      return;
    }
    if (++this.#messageCount > 1) {
      this.#cancel(
        new RpcError(
          Code.INTERNAL,
          `the server sent more than one response message for ${this.#req.method.path}`,
        ),
      );
      return;
    }
    this.#message = message;
  }

  /** The response body could not be read. */
  onError(error: RpcError): void {
    this.#cancel(error);
  }

  // ---- ending ----

  /** Ends the call locally and resets the stream (RST_STREAM CANCEL) so the server stops too. */
  #cancel(error: RpcError): void {
    if (this.#isDone()) return;
    this.#stream?.reset(ErrorCode.CANCEL);
    this.#finish(error);
  }

  /** A method, not a comparison in place: the phase changes across the awaits of `#pumpRequests`. */
  #isDone(): boolean {
    return this.#phase.kind === "done";
  }

  #finish(error: RpcError | undefined): void {
    const phase = this.#phase;
    if (phase.kind === "done") return;
    this.#phase = done;
    this.#reader.stop();
    this.#timer?.cancel();
    if (this.#onAbort !== undefined) this.#req.signal?.removeEventListener("abort", this.#onAbort);
    this.onDrain();
    const method = this.#req.method;
    if (phase.kind === "streaming") {
      if (error === undefined) phase.output.close();
      else phase.output.fail(error);
      return;
    }
    if (error !== undefined) {
      this.#reject(error);
      return;
    }
    const header = this.#header ?? new Metadata();
    if (method.responseStream) {
      const output = createWritableIterable<unknown>();
      output.close();
      this.#resolve({ stream: true, method, header, trailer: this.#trailer, message: output });
    } else if (this.#messageCount === 0) {
      this.#reject(new RpcError(Code.INTERNAL, `the server sent no response message for ${method.path}`));
    } else {
      this.#resolve({ stream: false, method, header, trailer: this.#trailer, message: this.#message });
    }
  }
}
