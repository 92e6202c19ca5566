/**
 * The client side of gRPC over HTTP/2 (PROTOCOL-HTTP2.md) for one attempt of a call: the request
 * headers on one stream and the request envelopes the call gives it, the response headers
 * validated, response envelopes decoded (and decompressed) in order, and the status from the
 * trailers, a trailers-only response, or the way the stream ended. It reports to its call
 * (client/call.ts).
 */
import { Attempt } from "../client/attempt.js";
import type { Call } from "../client/call.js";
import type { ClientStream, ClientStreamListener, StreamOpener } from "../client/stream.js";
import { Code } from "../code.js";
import type { Compression, CompressionRegistry } from "../compression.js";
import { fieldsToObject, type HeaderFields } from "../header-fields.js";
import type { ClientRequest } from "../interceptor.js";
import { MessageReader } from "../message-reader.js";
import { frameMessage } from "../message-writer.js";
import type { Metadata } from "../metadata.js";
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

/** The compression of a call's request messages (undefined: none); INTERNAL when not registered. */
export function requestCompression(config: GrpcAttemptConfig, req: ClientRequest): Compression | undefined {
  const name = req.compression ?? config.defaultCompression;
  if (name === undefined || name === "identity") return undefined;
  const compression = config.compression.get(name);
  if (compression === undefined)
    throw new RpcError(Code.INTERNAL, `request compression "${name}" is not registered on this channel`);
  return compression;
}

/** A request message of `call` in its gRPC envelope (a `CallPlan`'s `frame`). */
export function frameGrpcRequest(
  config: GrpcAttemptConfig,
  call: Call,
  message: unknown,
): Uint8Array | Promise<Uint8Array> {
  const req = call.request;
  const codec = req.method.codecs[config.codecName];
  if (codec === undefined)
    throw new RpcError(Code.INTERNAL, `codec "${config.codecName}" is not available for ${req.method.path}`);
  return frameMessage(
    codec.request,
    message,
    "request",
    config.maxSendMessageBytes,
    requestCompression(config, req),
    config.allocate,
  );
}

/** Where an attempt is: not yet `open`, `open` on its stream, or `ended`. */
type State =
  | { readonly kind: "new" }
  | { readonly kind: "open"; readonly stream: ClientStream }
  | { readonly kind: "ended" };
const fresh: State = { kind: "new" };
const ended: State = { kind: "ended" };

export class GrpcAttempt extends Attempt implements ClientStreamListener {
  readonly #config: GrpcAttemptConfig;
  readonly #reader: MessageReader;
  #state: State = fresh;
  #headersSeen = false;

  constructor(call: Call, index: number, config: GrpcAttemptConfig) {
    super(call, index);
    this.#config = config;
    const codec = call.request.method.codecs[config.codecName];
    if (codec === undefined)
      throw new RpcError(
        Code.INTERNAL,
        `codec "${config.codecName}" is not available for ${call.request.method.path}`,
      );
    this.#reader = new MessageReader({
      maxBytes: config.maxReceiveMessageBytes,
      deserialize: codec.response.deserialize,
      what: "response",
      sink: call,
    });
  }

  /** Opens the attempt's stream on `opener` (a connection); the call then sends the request on it. */
  start(opener: StreamOpener): void {
    const call = this.call;
    if (!call.wants(this.index)) return;
    const req = call.request;
    const config = this.#config;
    let compression: Compression | undefined;
    try {
      compression = requestCompression(config, req);
    } catch (e) {
      call.abort(e as RpcError);
      return;
    }
    const fields = grpcRequestHeaders({
      path: req.method.path,
      authority: config.authority,
      scheme: config.scheme,
      codec: config.codecName,
      metadata: req.header,
      deadline: call.deadline,
      encoding: compression?.name,
      acceptEncoding: config.compression.acceptEncoding,
      userAgent: config.userAgent,
      previousAttempts: this.index,
    });
    let stream: ClientStream;
    try {
      stream = opener.request(fields, this);
    } catch (e) {
      // Nothing left the client (the connection closed under the pick, say): sent again at once
      // as a transparent retry, once.
      this.#state = ended;
      if (call.retryRefused(this)) return;
      this.#end(
        new RpcError(Code.UNAVAILABLE, `could not start a stream: ${(e as Error).message}`, { cause: e }),
      );
      return;
    }
    if (this.#state.kind === "ended") return;
    this.#state = { kind: "open", stream };
    call.attach(this);
  }

  // ---- Attempt ----

  write(frame: Uint8Array, last: boolean): boolean {
    const state = this.#state;
    if (state.kind !== "open") return true;
    if (last) {
      state.stream.end(frame);
      return true;
    }
    return state.stream.write(frame);
  }

  end(): void {
    const state = this.#state;
    if (state.kind === "open") state.stream.end();
  }

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
    if (state.kind === "open") state.stream.cancel();
  }

  // ---- ClientStreamListener ----

  onHeaders(fields: HeaderFields): void {
    if (this.#state.kind === "ended") return;
    this.#headersSeen = true;
    const call = this.call;
    const r = validateResponseHeaders(fieldsToObject(fields), this.trailer);
    if (r.kind === "error") {
      // Not a gRPC response (a proxy's 503, say): the attempt ends with the status it maps to.
      const state = this.#state;
      this.#end(r.error);
      if (state.kind === "open") state.stream.cancel();
      return;
    }
    if (r.kind === "trailers-only") {
      this.#end(r.error, r.header);
      return;
    }
    call.onHeader(this, r.header);
    if (this.#isEnded()) return;
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
      this.call.abort(new RpcError(Code.INTERNAL, "the server sent data before response headers"));
      return;
    }
    this.#reader.push(chunk);
  }

  onTrailers(fields: HeaderFields): void {
    if (this.#state.kind === "ended") return;
    const trailers = fieldsToObject(fields);
    this.#reader.afterPending(() =>
      this.#end(this.#reader.end() ?? statusFromTrailers(trailers, this.trailer)),
    );
  }

  onDrain(): void {
    if (this.#state.kind === "open") this.call.onDrain(this);
  }

  onClose(error: RpcError | undefined, refused: boolean): void {
    if (this.#state.kind === "ended") return;
    // Behind messages still being decompressed: trailers queued before this may end the attempt.
    this.#reader.afterPending(() => {
      if (this.#state.kind === "ended") return;
      if (refused && !this.#headersSeen) {
        this.#state = ended;
        this.#reader.stop();
        if (this.call.retryRefused(this)) return;
      }
      this.#end(
        error ?? new RpcError(Code.INTERNAL, "the server closed the stream without sending a status"),
      );
    });
  }

  /** A method, not a comparison in place: the state changes across calls out. */
  #isEnded(): boolean {
    return this.#state.kind === "ended";
  }

  #end(error: RpcError | undefined, header?: Metadata): void {
    this.#state = ended;
    this.#reader.stop();
    this.call.onEnd(this, error, header);
  }
}
