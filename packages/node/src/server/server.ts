import {
  Code,
  type Compression,
  DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
  decodeTimeout,
  parseContentType,
  Router,
  RpcError,
  type ServerInterceptor,
  type ServiceImpl,
  type ServiceLike,
  statusToTrailers,
} from "@grpc-ts/core";
import { createCompressionRegistry, defaultCompressions } from "../compression.js";
import { listenNodeHttp2, type ServerTlsOptions } from "../http2/node-server.js";
import type { OutHeaders, ServerEngine, ServerStream } from "../http2/seam.js";
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
  const engines: ServerEngine[] = [];
  const calls = new Set<ServerCall>();
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

  /** Ends a stream before any call exists: trailers-only with a status (and an HTTP status). */
  function reject(
    stream: ServerStream,
    httpStatus: number,
    error: RpcError,
    extra: OutHeaders = emptyHeaders,
  ): void {
    stream.listen(ignoreListener);
    stream.respond(
      {
        ":status": String(httpStatus),
        "content-type": "application/grpc",
        ...extra,
        ...statusToTrailers(error, undefined),
      },
      true,
    );
  }

  function onStream(stream: ServerStream): void {
    const h = stream.headers;
    if (state !== "serving") {
      reject(stream, 200, new RpcError(Code.UNAVAILABLE, "the server is shutting down"));
      return;
    }
    if (h[":method"] !== "POST") {
      reject(stream, 405, new RpcError(Code.INTERNAL, `gRPC requires POST, not ${h[":method"]}`));
      return;
    }
    const ct = h["content-type"];
    const parsed = parseContentType(typeof ct === "string" ? ct : undefined);
    if (parsed === undefined) {
      reject(
        stream,
        415,
        new RpcError(Code.INTERNAL, `invalid gRPC request content-type ${JSON.stringify(ct ?? "")}`),
      );
      return;
    }
    const path = h[":path"] as string;
    const route = router.get(path);
    if (route === undefined) {
      reject(stream, 200, unimplemented(path));
      return;
    }
    const codec = route.method.codecs[parsed.codec];
    if (codec === undefined) {
      reject(
        stream,
        200,
        new RpcError(Code.INTERNAL, `codec "${parsed.codec}" is not supported for ${path}`),
      );
      return;
    }
    let deadline: number | undefined;
    const timeout = h["grpc-timeout"];
    const encoding = h["grpc-encoding"];
    let requestCompression: Compression | undefined;
    try {
      if (timeout !== undefined) deadline = Date.now() + decodeTimeout(timeout as string);
      requestCompression = compression.forEncoding(encoding as string | undefined);
    } catch (e) {
      const err = RpcError.from(e, Code.INTERNAL);
      reject(
        stream,
        200,
        err,
        err.code === Code.UNIMPLEMENTED
          ? { "grpc-accept-encoding": compression.acceptEncoding }
          : emptyHeaders,
      );
      return;
    }
    const call = new ServerCall(stream, config, {
      route,
      codecName: parsed.codec,
      codec,
      requestCompression,
      deadline,
    });
    calls.add(call);
    call.start();
  }

  function unimplemented(path: string): RpcError {
    const slash = path.lastIndexOf("/");
    const service = path.slice(1, slash);
    return router.hasService(service)
      ? new RpcError(
          Code.UNIMPLEMENTED,
          `method ${path.slice(slash + 1)} of service ${service} is not implemented`,
        )
      : new RpcError(Code.UNIMPLEMENTED, `unknown service ${service || path}`);
  }

  function forceShutdown(): void {
    notifyShutdown();
    state = "stopped";
    const err = new RpcError(Code.UNAVAILABLE, "the server was shut down");
    for (const call of [...calls]) call.cancel(err);
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
      const { engine, port } = await listenNodeHttp2(target, {
        onStream,
        ...(listenOptions.tls === undefined ? {} : { tls: listenOptions.tls }),
        ...(options.maxConcurrentStreams === undefined
          ? {}
          : { maxConcurrentStreams: options.maxConcurrentStreams }),
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
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
        ]);
        clearTimeout(timer);
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
