import {
  type ClientRequest,
  type ClientResponse,
  Code,
  Metadata,
  RpcError,
  type Transport,
} from "@grpc-ts/core";
import { statusFromTrailers } from "@grpc-ts/core/grpc";
import {
  encodeTextSegment,
  grpcWebRequestHeaders,
  validateWebResponseHeaders,
  WebResponseBody,
} from "@grpc-ts/core/grpc-web";
import {
  type AnyMethod,
  abortError,
  frameMessage,
  type MethodCodec,
  methodCodec,
} from "@grpc-ts/core/protocol";
import { VERSION } from "./version.js";

export interface GrpcWebTransportOptions {
  /** The server's URL, e.g. `https://api.example.com` or `https://example.com/prefix`; the method path is appended. */
  readonly baseUrl: string;
  /**
   * `binary` (default): `application/grpc-web`. `text`: `application/grpc-web-text`, the body in
   * base64 (what Google's grpc-web client sends by default; needed by some proxies).
   */
  readonly format?: "binary" | "text";
  /** The fetch to use (default: the global one), e.g. to add logging or to call from a test. */
  readonly fetch?: typeof globalThis.fetch;
  /** Message codec: `proto` (default) or `json`, or any codec the methods define. */
  readonly codec?: string;
  /** Largest response message accepted (default 4 MiB). */
  readonly maxReceiveMessageBytes?: number;
  /** Largest request message sent (default unlimited). */
  readonly maxSendMessageBytes?: number;
  /** fetch `credentials` (cookies and HTTP auth on cross-origin calls need `include` and a server allowing credentials). */
  readonly credentials?: "omit" | "same-origin" | "include";
}

/**
 * A gRPC-Web transport over `fetch` for `createClient(Service, transport)`.
 *
 * - Unary and server streaming; response messages come out as their bytes arrive in the body.
 * - Client streaming: fetch cannot stream a request body over HTTP/1.1, so the request messages are
 *   collected first and sent as one body (the server sees the same messages and end of stream).
 * - Bidirectional streaming is refused (UNIMPLEMENTED) before anything is sent: a browser cannot send
 *   request messages while it reads the response.
 * - Deadlines: `grpc-timeout` is sent and a local timer aborts the fetch (DEADLINE_EXCEEDED).
 * - An `AbortSignal` aborts the fetch (CANCELLED); the server sees the connection or stream close.
 * - Request metadata become headers; response headers and the trailer frame become metadata;
 *   a status other than OK is thrown as `RpcError` with its details and trailers.
 */
export function createGrpcWebTransport(options: GrpcWebTransportOptions): Transport {
  const base = options.baseUrl.replace(/\/+$/, "");
  const text = options.format === "text";
  const codecName = options.codec ?? "proto";
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const maxSend = options.maxSendMessageBytes ?? Number.POSITIVE_INFINITY;
  const userAgent = `grpc-ts-web/${VERSION}`;

  async function call(req: ClientRequest): Promise<ClientResponse> {
    const method = req.method;
    if (method.requestStream && method.responseStream) {
      throw new RpcError(
        Code.UNIMPLEMENTED,
        `${method.path}: bidirectional streaming cannot be carried by gRPC-Web over fetch ` +
          "(a browser cannot send request messages while it reads the response); " +
          "use gRPC over HTTP/2 (e.g. @grpc-ts/node) for this method",
      );
    }
    const codec = methodCodec(method, codecName);
    const life = new CallLife(req);
    try {
      const envelopes = req.stream
        ? await collectRequests(req.message, codec, maxSend, life)
        : frame(req.message, codec, maxSend);
      const headers = new Headers();
      const h = grpcWebRequestHeaders({
        codec: codecName,
        text,
        metadata: req.header,
        deadline: req.deadline,
        userAgent,
      });
      for (const k in h) {
        const v = h[k]!;
        if (typeof v === "string") headers.append(k, v);
        else for (const one of v) headers.append(k, one);
      }
      const body = text ? encodeTextSegment(envelopes) : envelopes;
      let res: Response;
      try {
        res = await doFetch(`${base}${method.path}`, {
          method: "POST",
          headers,
          body: body as Uint8Array<ArrayBuffer>,
          signal: life.signal,
          ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
        });
      } catch (e) {
        throw life.error(e, "the request failed");
      }
      return await readResponse(res, method, codec, life, options.maxReceiveMessageBytes);
    } catch (e) {
      life.end();
      throw RpcError.from(e);
    }
  }

  return { call };
}

/** A call's abort controller, fed by the caller's signal and the deadline timer. */
class CallLife {
  readonly #controller = new AbortController();
  readonly #userSignal: AbortSignal | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #onAbort = (): void => this.abort(abortError(this.#userSignal!));

  constructor(req: ClientRequest) {
    const signal = req.signal;
    this.#userSignal = signal;
    if (signal !== undefined) {
      if (signal.aborted) throw abortError(signal);
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    if (req.deadline !== undefined) {
      const ms = req.deadline - Date.now();
      if (ms <= 0) {
        this.end();
        throw new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded before the call started");
      }
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.abort(new RpcError(Code.DEADLINE_EXCEEDED, `deadline exceeded after ${Math.round(ms)} ms`));
      }, ms);
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  abort(reason: RpcError): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  /** The error for a failed fetch or body read: the abort reason when aborted, else UNAVAILABLE. */
  error(e: unknown, what: string): RpcError {
    const signal = this.#controller.signal;
    if (signal.aborted) return RpcError.from(signal.reason, Code.CANCELLED);
    if (e instanceof RpcError) return e;
    const detail = e instanceof Error ? e.message : String(e);
    return new RpcError(Code.UNAVAILABLE, `${what}: ${detail}`, { cause: e });
  }

  /** The call is over: stop the timer and stop listening to the caller's signal. */
  end(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#userSignal?.removeEventListener("abort", this.#onAbort);
  }
}

function frame(message: unknown, codec: MethodCodec<unknown, unknown>, maxSend: number): Uint8Array {
  return frameMessage(codec.request, message, "request", maxSend, undefined);
}

async function collectRequests(
  source: AsyncIterable<unknown>,
  codec: MethodCodec<unknown, unknown>,
  maxSend: number,
  life: CallLife,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const message of source) {
    if (life.signal.aborted) throw life.error(undefined, "");
    const f = frame(message, codec, maxSend);
    parts.push(f);
    size += f.length;
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function rawHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

async function readResponse(
  res: Response,
  method: AnyMethod,
  codec: MethodCodec<unknown, unknown>,
  life: CallLife,
  maxReceive: number | undefined,
): Promise<ClientResponse> {
  const trailer = new Metadata();
  const start = validateWebResponseHeaders(res.status, rawHeaders(res.headers), trailer);
  if (start.kind !== "headers") {
    void res.body?.cancel().catch(() => {});
    life.end();
    if (start.kind === "error") throw start.error;
    if (start.error !== undefined) throw start.error;
    if (!method.responseStream)
      throw new RpcError(Code.INTERNAL, `the server sent no response message for ${method.path}`);
    return { stream: true, method, header: start.header, trailer, message: emptyStream() };
  }
  const body = new WebResponseBody({
    text: start.text,
    ...(maxReceive === undefined ? {} : { maxReceiveMessageBytes: maxReceive }),
  });
  const reader = res.body?.getReader();
  const read = async (): Promise<Uint8Array | undefined> => {
    if (reader === undefined) return undefined;
    try {
      const r = await reader.read();
      return r.done ? undefined : r.value;
    } catch (e) {
      throw life.error(e, "reading the response failed");
    }
  };
  const decode = (payload: Uint8Array): unknown => {
    try {
      return codec.response.deserialize(payload);
    } catch (e) {
      throw new RpcError(Code.INTERNAL, `could not decode the response message: ${(e as Error).message}`, {
        cause: e,
      });
    }
  };

  if (!method.responseStream) {
    let message: unknown;
    let count = 0;
    for (let chunk = await read(); chunk !== undefined; chunk = await read()) {
      body.push(chunk, (payload) => {
        if (++count > 1)
          throw new RpcError(
            Code.INTERNAL,
            `the server sent more than one response message for ${method.path}`,
          );
        message = decode(payload);
      });
    }
    const error = statusFromTrailers(body.end(), trailer);
    life.end();
    if (error !== undefined) throw error;
    if (count === 0)
      throw new RpcError(Code.INTERNAL, `the server sent no response message for ${method.path}`);
    return { stream: false, method, header: start.header, trailer, message };
  }

  async function* messages(): AsyncGenerator<unknown> {
    let complete = false;
    try {
      const queue: unknown[] = [];
      for (let chunk = await read(); chunk !== undefined; chunk = await read()) {
        body.push(chunk, (payload) => queue.push(decode(payload)));
        // Each message goes to the caller as soon as its bytes are in.
        for (let i = 0; i < queue.length; i++) yield queue[i];
        queue.length = 0;
      }
      const error = statusFromTrailers(body.end(), trailer);
      complete = true;
      if (error !== undefined) throw error;
    } finally {
      // Stopped early (break, an error): abort the fetch so the server stops sending.
      if (!complete) {
        life.abort(new RpcError(Code.CANCELLED, "the caller stopped reading the response stream"));
        void reader?.cancel().catch(() => {});
      }
      life.end();
    }
  }
  return { stream: true, method, header: start.header, trailer, message: messages() };
}

function emptyStream(): AsyncIterable<unknown> {
  return {
    async *[Symbol.asyncIterator]() {
      // no messages
    },
  };
}
