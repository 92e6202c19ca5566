import {
  Code,
  type Compression,
  RpcError,
  type ServerInterceptor,
  type ServiceImpl,
  type ServiceLike,
} from "@grpc-ts/core";
import type { CorsOptions } from "@grpc-ts/core/grpc-web";
import { createCallHandler, type DeadlineTimer, Router, startDeadlineTimer } from "@grpc-ts/core/protocol";
import { allocUnsafe } from "../alloc.js";
import { createCompressionRegistry, defaultCompressions } from "../compression.js";
import { type ServerKeepaliveOptions, serverConnectionPolicy } from "../http2/connection-policy.js";
import {
  checkFlowControlWindow,
  type EngineName,
  type FlowControlWindow,
  resolveEngine,
} from "../http2/engine.js";
import { listenGrpcTsHttp2 } from "../http2/grpc-ts-server.js";
import { ConnectionLimit } from "../http2/listen-socket.js";
import { listenNodeHttp2, type ServerTlsOptions } from "../http2/node-server.js";
import type { ServerEngine } from "../http2/seam.js";
import { parseListenAddress } from "./listen-address.js";

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
  /**
   * HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS per connection: streams past it are refused. Default
   * unlimited, and then (as for 2^32-1 or more) none is advertised.
   */
  readonly maxConcurrentStreams?: number;
  /**
   * Connections open at once, over all the addresses listened on (HTTP/1.1 ones for gRPC-Web
   * too). One over it is closed as soon as it is accepted, before any byte is read or written:
   * its client's connection attempt fails, so gRPC clients report UNAVAILABLE and retry later
   * with backoff, and the connections already open go on. Default unlimited.
   */
  readonly maxConnections?: number;
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
  /**
   * Keepalive (gRFC A8, A9). The server's own PINGs: after `timeMs` (default 2 hours) without
   * reading anything from a client, the server PINGs it, and a client that answers nothing
   * within `timeoutMs` (default 20 000 ms) is taken for dead: its connection is closed and its
   * calls cancelled (their handlers' signals fire). `timeMs: Infinity` sends none. The client's
   * PINGs: sooner than `minPingIntervalMs` (default 5 minutes) after the previous one (2 hours
   * while it has no calls, unless `permitWithoutCalls`) is a strike, and the third strike ends the
   * connection with GOAWAY ENHANCE_YOUR_CALM `too_many_pings`; a PING that follows HEADERS or DATA
   * the server sent is always allowed.
   */
  readonly keepalive?: ServerKeepaliveOptions;
  /** A connection with no call for this long is sent GOAWAY (`max_idle`) and closes (A9). Default: never. */
  readonly maxConnectionIdleMs?: number;
  /**
   * A connection this old (±10%, per connection) is sent GOAWAY (`max_age`): its clients move new
   * calls to a new connection, running calls finish (A9). Default: never.
   */
  readonly maxConnectionAgeMs?: number;
  /** After the age's GOAWAY, how long running calls have before the connection is closed. Default: no limit. */
  readonly maxConnectionAgeGraceMs?: number;
}

/** `server.shutdown(options)`. */
export interface ShutdownOptions {
  /** How long running calls have to finish before they are ended (default 10 000 ms). */
  readonly graceMs?: number;
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
   * Stops accepting calls and connections, sends every connection the two-phase GOAWAY (the
   * largest stream id and a PING, then the last stream id, so that no call in flight is lost),
   * lets running calls finish for up to `graceMs` (default 10 s; a number is `graceMs` too), then
   * ends the rest as `forceShutdown` does.
   */
  shutdown(options?: ShutdownOptions | number): Promise<void>;
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

export function createServer(options: ServerOptions = {}): Server {
  const router = new Router();
  const interceptors = options.interceptors ?? [];
  const engineName = resolveEngine(options.engine);
  checkFlowControlWindow(options.flowControlWindow);
  const connectionLimit =
    options.maxConnections === undefined ? undefined : new ConnectionLimit(options.maxConnections);
  const connectionPolicy = serverConnectionPolicy(options);
  const engines: ServerEngine[] = [];
  const calls = createCallHandler({
    router,
    compression: createCompressionRegistry(options.compressions ?? defaultCompressions),
    allocate: allocUnsafe,
    ...(options.maxReceiveMessageBytes === undefined
      ? {}
      : { maxReceiveMessageBytes: options.maxReceiveMessageBytes }),
    ...(options.maxSendMessageBytes === undefined
      ? {}
      : { maxSendMessageBytes: options.maxSendMessageBytes }),
    ...(options.responseCompression === undefined
      ? {}
      : { responseCompression: options.responseCompression }),
    ...(options.grpcWeb === undefined ? {} : { grpcWeb: options.grpcWeb }),
    ...(options.cors === undefined ? {} : { cors: options.cors }),
  });
  const onStream = calls.handle;
  let state: "serving" | "draining" | "stopped" = "serving";
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

  function forceShutdown(): void {
    notifyShutdown();
    state = "stopped";
    calls.refuseNewCalls();
    calls.cancelAll(new RpcError(Code.UNAVAILABLE, "the server was shut down"));
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
        ...(connectionLimit === undefined ? {} : { connectionLimit }),
        ...(options.flowControlWindow === undefined ? {} : { flowControlWindow: options.flowControlWindow }),
        connectionPolicy,
      });
      engines.push(engine);
      return port;
    },
    async shutdown(shutdownOptions = {}) {
      const graceMs =
        (typeof shutdownOptions === "number" ? shutdownOptions : shutdownOptions.graceMs) ?? 10_000;
      notifyShutdown();
      if (state === "stopped") return;
      state = "draining";
      calls.refuseNewCalls();
      const stopped = Promise.all(engines.map((e) => e.stopAccepting()));
      for (const e of engines) e.goAwayAll();
      if (calls.running > 0) {
        let timer: DeadlineTimer | undefined;
        await Promise.race([
          calls.idle(),
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
