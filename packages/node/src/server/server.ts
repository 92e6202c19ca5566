import {
  Code,
  type Compression,
  DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
  decodeTimeout,
  grpcHandlerProtocol,
  grpcWebHandlerProtocol,
  parseContentType,
  parseWebContentType,
  Router,
  RpcError,
  type ServerInterceptor,
  type ServerWireProtocol,
  type ServiceImpl,
  type ServiceLike,
  statusToTrailers,
} from "@grpc-ts/core";
import { createCompressionRegistry, defaultCompressions } from "../compression.js";
import { type DeadlineTimer, startDeadlineTimer } from "../deadline-timer.js";
import {
  checkFlowControlWindow,
  type EngineName,
  type FlowControlWindow,
  resolveEngine,
} from "../http2/engine.js";
import { listenGrpcTsHttp2 } from "../http2/grpc-ts-server.js";
import { listenNodeHttp2, type ServerTlsOptions } from "../http2/node-server.js";
import type { OutHeaders, ServerEngine, ServerStream } from "../http2/seam.js";
import { CallList } from "./call-list.js";
import { type CorsOptions, createCors } from "./cors.js";
import { parseListenAddress } from "./listen-address.js";
import { type CallConfig, ServerCall } from "./server-call.js";

export interface ServerOptions {
  /** Largest request message accepted, after decompression (default 4 MiB). */
  readonly maxReceiveMessageBytes?: number;
  /** Largest response message sent (default unlimited). */
  readonly maxSendMessageBytes?: number;
  /** Compression algorithms offered (default gzip and deflate; identity is always there). */
  readonly compressions?: readonly Compression[];
  /**
   * Response compression when a handler does not choose: `mirror` (default) answers in the request's
   * encoding, `identity` never compresses, or an algorithm name. Only used when the client accepts it.
   */
  readonly responseCompression?: string;
  /** Wraps every handler; the first is outermost. */
  readonly interceptors?: readonly ServerInterceptor[];
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS per connection. */
  readonly maxConcurrentStreams?: number;
  /**
   * Slow-reader guard of our engine (`grpc-ts`): a connection whose responses have waited this
   * long on a client that neither opened its flow-control window for any of them nor read its
   * socket is ended with GOAWAY ENHANCE_YOUR_CALM. A client that reads, however slowly, is never
   * cut off. Default 120000 ms.
   */
  readonly stallTimeoutMs?: number;
  /**
   * Receive flow-control windows. `"adaptive"` (the default): on our engine, each stream's window
   * starts at 65,535 octets and the connection's at 4 MiB, and both grow (up to 16 MiB) to the
   * bandwidth-delay product measured with PINGs while they hold a client's sending back, as in
   * grpc-go and C-core. A number fixes each stream's window at that many octets (65535 or more;
   * on our engine the connection's at the larger of it and 4 MiB) and sends no such PINGs.
   * node:http2 (`engine: "node"`) only takes a fixed stream window from it.
   */
  readonly flowControlWindow?: FlowControlWindow;
  /**
   * Serve gRPC-Web (`application/grpc-web[-text][+proto|+json]`) beside gRPC, on the same port,
   * over HTTP/1.1 and HTTP/2 (default true). Client streaming works over both (the request body
   * carries the messages); bidirectional streaming needs HTTP/2 and is UNIMPLEMENTED over HTTP/1.1.
   */
  readonly grpcWeb?: boolean;
  /** CORS for gRPC-Web calls from pages of other origins (default: none, same-origin only). */
  readonly cors?: CorsOptions;
  /**
   * The HTTP/2 engine: `node` is node:http2; `grpc-ts` is our own engine (@grpc-ts/http2). The
   * default is the environment's `GRPC_TS_HTTP2_ENGINE`, else `DEFAULT_ENGINE` (see http2/engine.ts).
   */
  readonly engine?: EngineName;
}

export interface ListenOptions {
  /** Serve TLS (and mutual TLS with `clientCert`). Without it the server speaks h2c (plaintext). */
  readonly tls?: ServerTlsOptions;
}

export interface Server {
  /** Adds a service implementation; methods it leaves out answer UNIMPLEMENTED. */
  add<S extends ServiceLike>(service: S, impl: ServiceImpl<S>): this;
  /** Starts listening; resolves with the bound port (the chosen one for port 0; 0 for unix sockets). */
  listen(address: string, options?: ListenOptions): Promise<number>;
  /**
   * Stops accepting calls and connections, lets running calls finish for up to `graceMs`
   * (default 10 s), then ends the rest as `forceShutdown` does.
   */
  shutdown(graceMs?: number): Promise<void>;
  /** Ends every call at once (clients get UNAVAILABLE) and closes every connection. */
  forceShutdown(): void;
  /** The services added, for health and reflection services. */
  readonly router: Router;
  /**
   * Calls `listener` once, synchronously, when `shutdown()` or `forceShutdown()` is first called,
   * before anything stops (the health service uses it to report NOT_SERVING); at once when the
   * server is already shutting down. Errors thrown by a listener during shutdown are ignored.
   * Returns a function that removes the listener.
   */
  onShutdown(listener: () => void): () => void;
}

const emptyHeaders: OutHeaders = {};

export function createServer(options: ServerOptions = {}): Server {
  const router = new Router();
  const interceptors = options.interceptors ?? [];
  const compression = createCompressionRegistry(options.compressions ?? defaultCompressions);
  const engineName = resolveEngine(options.engine);
  checkFlowControlWindow(options.flowControlWindow);
  const engines: ServerEngine[] = [];
  const calls = new CallList<ServerCall>();
  let state: "serving" | "draining" | "stopped" = "serving";
  let drained: (() => void) | undefined;
  const shutdownListeners = new Set<() => void>();
  let shutdownNotified = false;

  function notifyShutdown(): void {
    if (shutdownNotified) return;
    shutdownNotified = true;
    for (const listener of [...shutdownListeners]) {
      try {
        listener();
      } catch {
        // A listener must not keep the server from stopping.
      }
    }
    shutdownListeners.clear();
  }

  const config: CallConfig = {
    maxReceiveMessageBytes: options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
    maxSendMessageBytes: options.maxSendMessageBytes ?? Number.POSITIVE_INFINITY,
    compression,
    responseCompression: options.responseCompression ?? "mirror",
    onCallEnd(call) {
      calls.delete(call);
      if (calls.size === 0) drained?.();
    },
  };

  const grpcWeb = options.grpcWeb ?? true;
  const cors = options.cors === undefined ? undefined : createCors(options.cors);

  /** Ends a stream before any call exists: trailers-only with a status (and an HTTP status). */
  function reject(
    stream: ServerStream,
    httpStatus: number,
    error: RpcError,
    extra: OutHeaders = emptyHeaders,
    wire?: ServerWireProtocol,
  ): void {
    stream.listen(ignoreListener);
    const headers: OutHeaders = {
      ":status": String(httpStatus),
      "content-type": wire?.contentType ?? "application/grpc",
      ...extra,
      ...statusToTrailers(error, undefined),
    };
    wire?.finishHeaders(headers);
    stream.respond(headers, true);
  }

  /** The wire protocol a request's content type asks for: gRPC, gRPC-Web (binary or text), or none. */
  function wireProtocolOf(
    stream: ServerStream,
    ct: string | undefined,
  ): { codec: string; wire: ServerWireProtocol } | undefined {
    const grpc = parseContentType(ct);
    if (grpc !== undefined) return { codec: grpc.codec, wire: grpcHandlerProtocol(grpc.codec) };
    const web = grpcWeb ? parseWebContentType(ct) : undefined;
    if (web === undefined) return undefined;
    const origin = stream.headers.origin;
    const finishHeaders = cors?.forOrigin(typeof origin === "string" ? origin : undefined);
    return {
      codec: web.codec,
      wire: grpcWebHandlerProtocol({
        codec: web.codec,
        text: web.text,
        ...(finishHeaders === undefined ? {} : { finishHeaders }),
      }),
    };
  }

  function onStream(stream: ServerStream): void {
    // `header()` rather than `headers`: an engine can find a field without building the object.
    const method = stream.header(":method");
    if (cors !== undefined && method === "OPTIONS") {
      stream.listen(ignoreListener);
      stream.respond(cors.preflight(stream.headers), true);
      return;
    }
    const ct = stream.header("content-type");
    const parsed = wireProtocolOf(stream, ct);
    const wire = parsed?.wire;
    if (state !== "serving") {
      reject(stream, 200, new RpcError(Code.UNAVAILABLE, "the server is shutting down"), emptyHeaders, wire);
      return;
    }
    if (method !== "POST") {
      reject(
        stream,
        405,
        new RpcError(Code.INTERNAL, `gRPC requires POST, not ${method}`),
        emptyHeaders,
        wire,
      );
      return;
    }
    if (parsed === undefined) {
      reject(
        stream,
        415,
        new RpcError(Code.INTERNAL, `invalid gRPC request content-type ${JSON.stringify(ct ?? "")}`),
      );
      return;
    }
    if (stream.httpVersion === "1.1" && parsed.wire.name === "grpc") {
      reject(
        stream,
        505,
        new RpcError(
          Code.INTERNAL,
          "gRPC requires HTTP/2, and this request came over HTTP/1.1 (over HTTP/1.1 use gRPC-Web: application/grpc-web)",
        ),
      );
      return;
    }
    const path = stream.header(":path") as string;
    const route = router.get(path);
    if (route === undefined) {
      reject(stream, 200, unimplemented(path), emptyHeaders, wire);
      return;
    }
    const codec = route.method.codecs[parsed.codec];
    if (codec === undefined) {
      reject(
        stream,
        200,
        new RpcError(Code.INTERNAL, `codec "${parsed.codec}" is not supported for ${path}`),
        emptyHeaders,
        wire,
      );
      return;
    }
    if (stream.httpVersion === "1.1" && route.method.requestStream && route.method.responseStream) {
      // An HTTP/1.1 exchange is half-duplex in practice (browsers, proxies): the request body ends
      // before the response is read, so a bidi handler waiting for a reply would deadlock.
      reject(
        stream,
        200,
        new RpcError(
          Code.UNIMPLEMENTED,
          `bidirectional streaming (${path}) needs HTTP/2; this gRPC-Web request came over HTTP/1.1`,
        ),
        emptyHeaders,
        wire,
      );
      return;
    }
    let deadline: number | undefined;
    const timeout = stream.header("grpc-timeout");
    const encoding = stream.header("grpc-encoding");
    let requestCompression: Compression | undefined;
    try {
      if (timeout !== undefined) deadline = Date.now() + decodeTimeout(timeout);
      requestCompression = compression.forEncoding(encoding);
    } catch (e) {
      const err = RpcError.from(e, Code.INTERNAL);
      reject(
        stream,
        200,
        err,
        err.code === Code.UNIMPLEMENTED
          ? { "grpc-accept-encoding": compression.acceptEncoding }
          : emptyHeaders,
        wire,
      );
      return;
    }
    const call = new ServerCall(stream, config, {
      route,
      codecName: parsed.codec,
      codec,
      requestCompression,
      deadline,
      protocol: parsed.wire,
    });
    calls.add(call);
    call.start();
  }

  function unimplemented(path: string): RpcError {
    const slash = path.lastIndexOf("/");
    const service = path.slice(1, slash);
    return router.hasService(service)
      ? new RpcError(Code.UNIMPLEMENTED, `unknown method ${path.slice(slash + 1)} for service ${service}`)
      : new RpcError(Code.UNIMPLEMENTED, `unknown service ${service || path}`);
  }

  function forceShutdown(): void {
    notifyShutdown();
    state = "stopped";
    const err = new RpcError(Code.UNAVAILABLE, "the server was shut down");
    for (const call of calls.toArray()) call.cancel(err);
    for (const e of engines) {
      void e.stopAccepting();
      e.destroyAll();
    }
  }

  const server: Server = {
    router,
    add(service, impl) {
      router.add(service, impl, interceptors);
      return server;
    },
    async listen(address, listenOptions = {}) {
      if (state !== "serving") throw new Error("the server was shut down");
      const target = parseListenAddress(address);
      const listenEngine = engineName === "grpc-ts" ? listenGrpcTsHttp2 : listenNodeHttp2;
      const { engine, port } = await listenEngine(target, {
        onStream,
        ...(listenOptions.tls === undefined ? {} : { tls: listenOptions.tls }),
        ...(options.maxConcurrentStreams === undefined
          ? {}
          : { maxConcurrentStreams: options.maxConcurrentStreams }),
        ...(options.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: options.stallTimeoutMs }),
        ...(options.flowControlWindow === undefined ? {} : { flowControlWindow: options.flowControlWindow }),
      });
      engines.push(engine);
      return port;
    },
    async shutdown(graceMs = 10_000) {
      notifyShutdown();
      if (state === "stopped") return;
      state = "draining";
      const stopped = Promise.all(engines.map((e) => e.stopAccepting()));
      for (const e of engines) e.goAwayAll();
      if (calls.size > 0) {
        let timer: DeadlineTimer | undefined;
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise<void>((resolve) => (timer = startDeadlineTimer(Date.now() + graceMs, resolve))),
        ]);
        timer?.cancel();
      }
      forceShutdown();
      await stopped;
    },
    forceShutdown,
    onShutdown(listener) {
      if (shutdownNotified) {
        listener();
        return () => {};
      }
      shutdownListeners.add(listener);
      return () => {
        shutdownListeners.delete(listener);
      };
    },
  };
  return server;
}

const ignoreListener = { onData() {}, onEnd() {}, onDrain() {}, onClose() {} };
