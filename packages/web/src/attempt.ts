/**
 * One attempt of a call over gRPC-Web (PROTOCOL-WEB.md) as one `fetch`. The call machine around
 * it (deadline, cancellation, the response handed to the caller) is the core's `Call`, the same as
 * the Node channel's; this file is only the exchange: the request body (one envelope, or every
 * message of a client stream collected into one body, since fetch cannot stream a request body
 * over HTTP/1.1), the response headers validated, the body read chunk by chunk into messages for
 * the call, and the status from the trailer frame (or from the headers, trailers-only). A failed
 * fetch does not say whether the server processed the request, so an attempt never asks the call
 * for a transparent retry (`retryRefused`); the call's retry policy may still send another.
 */
import { Code, type Metadata, RpcError } from "@grpc-ts/core";
import { statusFromTrailers } from "@grpc-ts/core/grpc";
import {
  encodeTextSegment,
  grpcWebRequestHeaders,
  validateWebResponseHeaders,
  WebResponseBody,
} from "@grpc-ts/core/grpc-web";
import { Attempt, type Call, frameMessage, type MethodCodec } from "@grpc-ts/core/protocol";

/** Per-transport settings every attempt reads; made once. */
export interface GrpcWebAttemptConfig {
  /** The server's URL without a trailing slash; the method path is appended. */
  readonly baseUrl: string;
  /** `application/grpc-web-text`: the request body in base64. */
  readonly text: boolean;
  readonly codecName: string;
  readonly fetch: typeof globalThis.fetch;
  readonly maxReceiveMessageBytes: number | undefined;
  readonly maxSendMessageBytes: number;
  readonly userAgent: string;
  readonly credentials: "omit" | "same-origin" | "include" | undefined;
}

/**
 * Where an attempt is: `sending` (the request body being made, or the fetch waiting for the
 * response headers), `reading` the response body, or `ended`.
 */
type State =
  | { readonly kind: "sending" }
  | {
      readonly kind: "reading";
      readonly reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
      readonly body: WebResponseBody;
    }
  | { readonly kind: "ended" };
const sending: State = { kind: "sending" };
const ended: State = { kind: "ended" };

/** A request message of `call` in its gRPC-Web envelope (never compressed: HTTP does that). */
export function frameWebRequest(
  config: GrpcWebAttemptConfig,
  codec: MethodCodec<unknown, unknown>,
  message: unknown,
): Uint8Array {
  return frameMessage(codec.request, message, "request", config.maxSendMessageBytes, undefined);
}

export class GrpcWebAttempt extends Attempt {
  readonly #call: Call;
  readonly #config: GrpcWebAttemptConfig;
  readonly #codec: MethodCodec<unknown, unknown>;
  readonly #controller = new AbortController();
  #state: State = sending;
  /** The call's response stream is full: no reads until `resume`. */
  #paused = false;
  /** A read loop is running (at most one). */
  #pumping = false;

  /** The request's envelopes, until the last: fetch sends the body whole. */
  #parts: Uint8Array[] = [];

  constructor(call: Call, index: number, config: GrpcWebAttemptConfig, codec: MethodCodec<unknown, unknown>) {
    super(call, index);
    this.#call = call;
    this.#config = config;
    this.#codec = codec;
  }

  /** Joins the call: it gives the request's envelopes, and the fetch goes with the last. */
  start(): void {
    if (!this.#call.wants(this.index)) return;
    this.#call.attach(this);
  }

  write(frame: Uint8Array, last: boolean): boolean {
    if (this.#isEnded()) return true;
    this.#parts.push(frame);
    if (last) this.end();
    return true;
  }

  end(): void {
    if (this.#isEnded()) return;
    const parts = this.#parts;
    this.#parts = [];
    if (parts.length === 1) {
      this.#send(parts[0]!);
      return;
    }
    let size = 0;
    for (const p of parts) size += p.length;
    const out = new Uint8Array(size);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    this.#send(out);
  }

  /** A method, not a comparison in place: the state changes across awaits. */
  #isEnded(): boolean {
    return this.#state.kind === "ended";
  }

  #send(envelopes: Uint8Array): void {
    if (this.#isEnded()) return;
    const config = this.#config;
    const req = this.#call.request;
    const headers = new Headers();
    const h = grpcWebRequestHeaders({
      codec: config.codecName,
      text: config.text,
      metadata: req.header,
      deadline: this.#call.deadline,
      userAgent: config.userAgent,
      previousAttempts: this.index,
    });
    for (const k in h) {
      const v = h[k]!;
      if (typeof v === "string") headers.append(k, v);
      else for (const one of v) headers.append(k, one);
    }
    const init: RequestInit = {
      method: "POST",
      headers,
      body: (config.text ? encodeTextSegment(envelopes) : envelopes) as Uint8Array<ArrayBuffer>,
      signal: this.#controller.signal,
    };
    if (config.credentials !== undefined) init.credentials = config.credentials;
    let response: Promise<Response>;
    try {
      response = config.fetch(`${config.baseUrl}${req.method.path}`, init);
    } catch (e) {
      this.#failed(e, "the request failed");
      return;
    }
    response.then(
      (res) => this.#onResponse(res),
      (e: unknown) => this.#failed(e, "the request failed"),
    );
  }

  #onResponse(res: Response): void {
    if (this.#isEnded()) {
      void res.body?.cancel().catch(() => {});
      return;
    }
    const call = this.#call;
    const start = validateWebResponseHeaders(res.status, rawHeaders(res.headers), this.trailer);
    if (start.kind !== "headers") {
      void res.body?.cancel().catch(() => {});
      this.#end(start.error, start.kind === "trailers-only" ? start.header : undefined);
      return;
    }
    call.onHeader(this, start.header);
    if (this.#isEnded()) {
      void res.body?.cancel().catch(() => {});
      return;
    }
    const max = this.#config.maxReceiveMessageBytes;
    this.#state = {
      kind: "reading",
      reader: res.body?.getReader(),
      body: new WebResponseBody({
        text: start.text,
        ...(max === undefined ? {} : { maxReceiveMessageBytes: max }),
      }),
    };
    this.#read();
  }

  #read(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    void this.#pump().finally(() => {
      this.#pumping = false;
    });
  }

  /** Reads the body until it ends, the attempt ends, or the call pauses it. */
  async #pump(): Promise<void> {
    const call = this.#call;
    for (let state = this.#state; state.kind === "reading" && !this.#paused; state = this.#state) {
      let chunk: Uint8Array | undefined;
      try {
        const r = await state.reader?.read();
        chunk = r === undefined || r.done ? undefined : r.value;
      } catch (e) {
        this.#failed(e, "reading the response failed");
        return;
      }
      if (this.#isEnded()) return;
      try {
        if (chunk === undefined) {
          this.#end(statusFromTrailers(state.body.end(), this.trailer));
          return;
        }
        state.body.push(chunk, this.#onPayload);
      } catch (e) {
        call.onError(RpcError.from(e, Code.INTERNAL));
        return;
      }
    }
  }

  readonly #onPayload = (payload: Uint8Array): void => {
    if (this.#isEnded()) return;
    let message: unknown;
    try {
      message = this.#codec.response.deserialize(payload);
    } catch (e) {
      throw new RpcError(Code.INTERNAL, `could not decode the response message: ${(e as Error).message}`, {
        cause: e,
      });
    }
    this.#call.onMessage(message);
  };

  /** The fetch or a body read failed: UNAVAILABLE, unless the attempt had already ended. */
  #failed(e: unknown, what: string): void {
    if (this.#isEnded()) return;
    if (e instanceof RpcError) {
      this.#end(e);
      return;
    }
    const detail = e instanceof Error ? e.message : String(e);
    this.#end(new RpcError(Code.UNAVAILABLE, `${what}: ${detail}`, { cause: e }));
  }

  #end(error: RpcError | undefined, header?: Metadata): void {
    this.#state = ended;
    this.#call.onEnd(this, error, header);
  }

  // ---- Attempt ----

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    if (this.#state.kind === "reading") this.#read();
  }

  /** The call has ended: abort the fetch (the server sees the request or stream close). */
  cancel(): void {
    const state = this.#state;
    this.#state = ended;
    if (state.kind === "ended") return;
    this.#controller.abort();
    if (state.kind === "reading") void state.reader?.cancel().catch(() => {});
  }
}

function rawHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}
