/**
 * The client side of gRPC over HTTP/2 (PROTOCOL-HTTP2.md) for one attempt of a call: the request
 * headers and messages (compressed when asked) on one stream, the response headers validated,
 * response envelopes decoded (and decompressed) in order, and the status from the trailers, a
 * trailers-only response, or the way the stream ended. It reports to its call (client/call.ts).
 */
import type { Attempt, Call } from "../client/call.js";
import type { ClientStream, ClientStreamListener, StreamOpener } from "../client/stream.js";
import { Code } from "../code.js";
import type { Compression, CompressionRegistry } from "../compression.js";
import { fieldsToObject, type HeaderFields } from "../header-fields.js";
import { MessageReader } from "../message-reader.js";
import { frameMessage } from "../message-writer.js";
import type { MethodCodec } from "../method.js";
import { RpcError } from "../rpc-error.js";
import { grpcRequestHeaders } from "./request-headers.js";
import { validateResponseHeaders } from "./response-validation.js";
import { statusFromTrailers } from "./trailers.js";

/** Per-channel settings every attempt reads; made once. */
export interface GrpcAttemptConfig {
  readonly codecName: string;
  readonly compression: CompressionRegistry;
  /** Request compression when the call names none (`identity` or undefined: none). */
  readonly defaultCompression: string | undefined;
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  readonly userAgent: string;
  /** `:authority` and `:scheme` of requests. */
  readonly authority: string;
  readonly scheme: "http" | "https";
  /** Buffers for request envelopes (default `new Uint8Array`). */
  readonly allocate?: (size: number) => Uint8Array;
}

/** Where an attempt is: not yet `open`, `open` on its stream, or `ended`. */
type State =
  | { readonly kind: "new" }
  | { readonly kind: "open"; readonly stream: ClientStream }
  | { readonly kind: "ended" };
const fresh: State = { kind: "new" };
const ended: State = { kind: "ended" };

export class GrpcAttempt implements Attempt, ClientStreamListener {
  readonly #call: Call;
  readonly #config: GrpcAttemptConfig;
  readonly #codec: MethodCodec<unknown, unknown>;
  readonly #reader: MessageReader;
  #state: State = fresh;
  #headersSeen = false;
  #drainWaiter: (() => void) | undefined;

  constructor(call: Call, config: GrpcAttemptConfig, codec: MethodCodec<unknown, unknown>) {
    this.#call = call;
    this.#config = config;
    this.#codec = codec;
    this.#reader = new MessageReader({
      maxBytes: config.maxReceiveMessageBytes,
      deserialize: codec.response.deserialize,
      what: "response",
      sink: call,
    });
  }

  /** Opens the attempt's stream on `opener` (a connection) and sends the request. */
  start(opener: StreamOpener): void {
    const call = this.#call;
    if (call.done) return;
    call.attach(this);
    const req = call.request;
    const config = this.#config;
    const encodingName = req.compression ?? config.defaultCompression;
    let compression: Compression | undefined;
    if (encodingName !== undefined && encodingName !== "identity") {
      compression = config.compression.get(encodingName);
      if (compression === undefined) {
        this.#end(
          new RpcError(
            Code.INTERNAL,
            `request compression "${encodingName}" is not registered on this channel`,
          ),
        );
        return;
      }
    }
    const fields = grpcRequestHeaders({
      path: req.method.path,
      authority: config.authority,
      scheme: config.scheme,
      codec: config.codecName,
      metadata: req.header,
      deadline: req.deadline,
      encoding: compression?.name,
      acceptEncoding: config.compression.acceptEncoding,
      userAgent: config.userAgent,
    });
    let stream: ClientStream;
    try {
      stream = opener.request(fields, this);
    } catch (e) {
      this.#end(
        new RpcError(Code.UNAVAILABLE, `could not start a stream: ${(e as Error).message}`, { cause: e }),
      );
      return;
    }
    if (this.#state.kind === "ended") return;
    this.#state = { kind: "open", stream };
    if (req.stream) {
      void this.#pumpRequests(req.message, stream, compression);
      return;
    }
    let framed: Uint8Array | Promise<Uint8Array>;
    try {
      framed = this.#frame(req.message, compression);
    } catch (e) {
      call.abort(RpcError.from(e, Code.INTERNAL));
      return;
    }
    if (framed instanceof Uint8Array) stream.end(framed);
    else
      framed.then(
        (f) => {
          if (this.#state.kind === "open") stream.end(f);
        },
        (e) => call.abort(RpcError.from(e, Code.INTERNAL)),
      );
  }

  #frame(message: unknown, compression: Compression | undefined): Uint8Array | Promise<Uint8Array> {
    const config = this.#config;
    return frameMessage(
      this.#codec.request,
      message,
      "request",
      config.maxSendMessageBytes,
      compression,
      config.allocate,
    );
  }

  async #pumpRequests(
    source: AsyncIterable<unknown>,
    stream: ClientStream,
    compression: Compression | undefined,
  ): Promise<void> {
    try {
      for await (const message of source) {
        if (this.#isEnded()) return;
        const frame = await this.#frame(message, compression);
        if (this.#isEnded()) return;
        if (!stream.write(frame)) await new Promise<void>((resolve) => (this.#drainWaiter = resolve));
      }
      if (!this.#isEnded()) stream.end();
    } catch (e) {
      this.#call.abort(RpcError.from(e, Code.CANCELLED));
    }
  }

  /** A method, not a comparison in place: the state changes across the awaits of `#pumpRequests`. */
  #isEnded(): boolean {
    return this.#state.kind === "ended";
  }

  // ---- Attempt ----

  pause(): void {
    if (this.#state.kind === "open") this.#state.stream.pause();
  }

  resume(): void {
    if (this.#state.kind === "open") this.#state.stream.resume();
  }

  cancel(): void {
    const state = this.#state;
    this.#state = ended;
    this.#reader.stop();
    this.onDrain();
    if (state.kind === "open") state.stream.cancel();
  }

  // ---- ClientStreamListener ----

  onHeaders(fields: HeaderFields): void {
    if (this.#state.kind === "ended") return;
    this.#headersSeen = true;
    const call = this.#call;
    const r = validateResponseHeaders(fieldsToObject(fields), call.trailer);
    if (r.kind === "error") {
      call.abort(r.error);
      return;
    }
    call.onHeader(r.header);
    if (r.kind === "trailers-only") {
      this.#end(r.error);
      return;
    }
    try {
      this.#reader.compression = this.#config.compression.forEncoding(r.encoding);
    } catch {
      call.abort(
        new RpcError(
          Code.INTERNAL,
          `the server used response compression "${r.encoding}" that this client did not offer`,
        ),
      );
    }
  }

  onData(chunk: Uint8Array): void {
    if (this.#state.kind === "ended") return;
    if (!this.#headersSeen) {
      this.#call.abort(new RpcError(Code.INTERNAL, "the server sent data before response headers"));
      return;
    }
    this.#reader.push(chunk);
  }

  onTrailers(fields: HeaderFields): void {
    if (this.#state.kind === "ended") return;
    const trailers = fieldsToObject(fields);
    this.#reader.afterPending(() =>
      this.#end(this.#reader.end() ?? statusFromTrailers(trailers, this.#call.trailer)),
    );
  }

  onDrain(): void {
    const w = this.#drainWaiter;
    this.#drainWaiter = undefined;
    w?.();
  }

  onClose(error: RpcError | undefined, refused: boolean): void {
    this.onDrain();
    if (this.#state.kind === "ended") return;
    // Behind messages still being decompressed: trailers queued before this may end the attempt.
    this.#reader.afterPending(() => {
      if (this.#state.kind === "ended") return;
      if (refused && !this.#headersSeen) {
        this.#state = ended;
        this.#reader.stop();
        if (this.#call.retryRefused()) return;
      }
      this.#end(
        error ?? new RpcError(Code.INTERNAL, "the server closed the stream without sending a status"),
      );
    });
  }

  #end(error: RpcError | undefined): void {
    this.#state = ended;
    this.#reader.stop();
    this.onDrain();
    this.#call.onEnd(error);
  }
}
