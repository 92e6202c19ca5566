import {
  type ClientRequest,
  type ClientResponse,
  Code,
  type Compression,
  RpcError,
  type Transport,
} from "@grpc-ts/core";
import {
  DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
  type DeadlineTimer,
  startDeadlineTimer,
} from "@grpc-ts/core/protocol";
import { createCompressionRegistry, defaultCompressions } from "../compression.js";
import {
  checkFlowControlWindow,
  type EngineName,
  type FlowControlWindow,
  resolveEngine,
} from "../http2/engine.js";
import { connectGrpcTsHttp2 } from "../http2/grpc-ts-client.js";
import { type ClientTlsOptions, type ConnectAddress, connectNodeHttp2 } from "../http2/node-client.js";
import type { ClientConnection, ConnectionListener } from "../http2/seam.js";
import { VERSION } from "../version.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import { ClientCall, type ClientCallConfig } from "./client-call.js";
import { resolveTarget } from "./resolver.js";
import { parseTarget, type Target } from "./target.js";

export type ConnectivityState = "IDLE" | "CONNECTING" | "READY" | "TRANSIENT_FAILURE" | "SHUTDOWN";

/** The channel's state; only a READY channel has a connection, the one its calls go on. */
type ChannelState =
  | { readonly kind: "IDLE" | "CONNECTING" | "TRANSIENT_FAILURE" | "SHUTDOWN" }
  | { readonly kind: "READY"; readonly connection: ClientConnection };

const IDLE: ChannelState = { kind: "IDLE" };
const CONNECTING: ChannelState = { kind: "CONNECTING" };
const TRANSIENT_FAILURE: ChannelState = { kind: "TRANSIENT_FAILURE" };
const SHUTDOWN: ChannelState = { kind: "SHUTDOWN" };

export interface ChannelOptions {
  /** Connect with TLS (`{}` trusts the system's CAs); without it the channel speaks h2c (plaintext). */
  readonly tls?: ClientTlsOptions;
  /** Message codec: `proto` (default, `application/grpc`) or `json` (`application/grpc+json`). */
  readonly codec?: string;
  /** Compress request messages with this algorithm by default (per call: `compression`). */
  readonly compression?: string;
  /** Algorithms offered for responses (default gzip and deflate). */
  readonly compressions?: readonly Compression[];
  /** Largest response message accepted, after decompression (default 4 MiB). */
  readonly maxReceiveMessageBytes?: number;
  /** Largest request message sent (default unlimited). */
  readonly maxSendMessageBytes?: number;
  /** Prepended to the `user-agent` header. */
  readonly userAgent?: string;
  /** Reconnection backoff (connection-backoff.md defaults). */
  readonly backoff?: BackoffOptions;
  /**
   * The HTTP/2 engine: `node` (node:http2) or `grpc-ts` (our own). Default: the environment
   * variable GRPC_TS_HTTP2_ENGINE, else our own (`DEFAULT_ENGINE` in http2/engine.ts).
   */
  readonly engine?: EngineName;
  /**
   * Receive flow-control windows. `"adaptive"` (the default): on our engine, each stream's window
   * starts at 65,535 octets and the connection's at 4 MiB, and both grow (up to 16 MiB) to the
   * bandwidth-delay product measured with PINGs while they hold the server's sending back, as in
   * grpc-go and C-core. A number fixes each stream's window at that many octets (65535 or more;
   * on our engine the connection's at the larger of it and 4 MiB) and sends no such PINGs.
   * node:http2 (`engine: "node"`) only takes a fixed stream window from it.
   */
  readonly flowControlWindow?: FlowControlWindow;
}

export interface Channel extends Transport {
  readonly target: string;
  /** The connectivity state; with `connect` true, an IDLE channel starts connecting. */
  getState(connect?: boolean): ConnectivityState;
  /** Calls `listener` on every state change; returns a function that stops it. */
  onStateChange(listener: (state: ConnectivityState) => void): () => void;
  /** Connects and resolves when READY; rejects with UNAVAILABLE/DEADLINE_EXCEEDED otherwise. */
  waitForReady(options?: { readonly timeoutMs?: number; readonly signal?: AbortSignal }): Promise<void>;
  /** Stops new calls, lets running ones finish, then closes the connection. */
  close(): void;
}

interface Waiter {
  readonly call: ClientCall;
  readonly waitForReady: boolean;
}

/** A channel to a target: one HTTP/2 connection shared by all calls, connected lazily, with reconnection. */
export function createChannel(target: string, options: ChannelOptions = {}): Channel {
  const parsed: Target = parseTarget(target);
  const config: ClientCallConfig = {
    codecName: options.codec ?? "proto",
    compression: createCompressionRegistry(options.compressions ?? defaultCompressions),
    defaultCompression: options.compression,
    maxReceiveMessageBytes: options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
    maxSendMessageBytes: options.maxSendMessageBytes ?? Number.POSITIVE_INFINITY,
    userAgent: `${options.userAgent === undefined ? "" : `${options.userAgent} `}grpc-ts-node/${VERSION}`,
    retryRefused: (call, refusedOn) => retryRefused(call, refusedOn),
  };
  const backoff = new Backoff(options.backoff);
  const connectHttp2 = resolveEngine(options.engine) === "grpc-ts" ? connectGrpcTsHttp2 : connectNodeHttp2;
  checkFlowControlWindow(options.flowControlWindow);
  const listeners = new Set<(s: ConnectivityState) => void>();
  let state: ChannelState = IDLE;
  let waiting: Waiter[] = [];
  let lastError: RpcError | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  const old = new Set<ClientConnection>();

  function setState(next: ChannelState): void {
    const changed = state.kind !== next.kind;
    state = next;
    if (changed) for (const l of [...listeners]) l(next.kind);
  }

  function flush(): void {
    const list = waiting;
    waiting = [];
    for (const w of list) {
      if (w.call.done) continue;
      if (state.kind === "READY") w.call.start(state.connection);
      else if (state.kind === "TRANSIENT_FAILURE" && w.waitForReady) waiting.push(w);
      else if (state.kind === "SHUTDOWN")
        w.call.fail(new RpcError(Code.UNAVAILABLE, "the channel was closed"));
      else if (state.kind === "TRANSIENT_FAILURE") w.call.fail(unavailable());
      else waiting.push(w);
    }
  }

  function unavailable(): RpcError {
    return new RpcError(
      Code.UNAVAILABLE,
      lastError?.rawMessage ?? `cannot reach ${target}`,
      lastError ? { cause: lastError } : {},
    );
  }

  function connect(): void {
    if (state.kind === "CONNECTING" || state.kind === "READY" || state.kind === "SHUTDOWN") return;
    // After a failure the retry timer reconnects once the backoff delay is over: new calls and
    // waitForReady() must not cut it short (connection-backoff.md).
    if (state.kind === "TRANSIENT_FAILURE" && retryTimer !== undefined) return;
    if (retryTimer !== undefined) {
      clearTimeout(retryTimer);
      retryTimer = undefined;
    }
    setState(CONNECTING);
    const attemptDeadline = Date.now() + Math.max(backoff.initialMs, backoff.minConnectTimeoutMs);
    resolveTarget(parsed).then(
      (addresses) => tryAddresses(addresses, 0, attemptDeadline, []),
      (e: unknown) => connectFailed(RpcError.from(e, Code.UNAVAILABLE)),
    );
  }

  function tryAddresses(addresses: ConnectAddress[], i: number, deadline: number, errors: string[]): void {
    if (state.kind === "SHUTDOWN") return;
    if (i >= addresses.length) {
      connectFailed(new RpcError(Code.UNAVAILABLE, `failed to connect to ${target}: ${errors.join("; ")}`));
      return;
    }
    const address = addresses[i]!;
    let settled = false;
    let conn: ClientConnection | undefined;
    const timer = setTimeout(
      () => {
        if (settled) return;
        settled = true;
        conn?.destroy();
        tryAddresses(addresses, i + 1, deadline, [...errors, `${describe(address)}: connection timed out`]);
      },
      Math.max(0, deadline - Date.now()),
    );
    timer.unref?.();
    const listener: ConnectionListener = {
      onConnect() {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (state.kind === "SHUTDOWN") {
          conn!.close();
          return;
        }
        backoff.reset();
        lastError = undefined;
        setState({ kind: "READY", connection: conn! });
        flush();
      },
      onGoAway() {
        retire(conn!);
      },
      onClose(error) {
        old.delete(conn!);
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          tryAddresses(addresses, i + 1, deadline, [
            ...errors,
            `${describe(address)}: ${error?.message ?? "connection closed"}`,
          ]);
          return;
        }
        retire(conn!);
      },
    };
    conn = connectHttp2(
      {
        address,
        authority: parsed.authority,
        tls: options.tls,
        ...(options.flowControlWindow === undefined ? {} : { flowControlWindow: options.flowControlWindow }),
      },
      listener,
    );
  }

  /** The connection takes no new calls: the channel goes IDLE, or reconnects if calls wait. */
  function retire(conn: ClientConnection): void {
    if (state.kind !== "READY" || state.connection !== conn) return;
    old.add(conn);
    conn.close();
    setState(IDLE);
    if (waiting.length > 0) connect();
  }

  /** Transparent retry of a refused stream: the connection that refused it takes no more calls. */
  function retryRefused(call: ClientCall, refusedOn: ClientConnection): boolean {
    if (state.kind === "SHUTDOWN") return false;
    retire(refusedOn);
    if (state.kind === "READY") call.start(state.connection);
    else {
      waiting.push({ call, waitForReady: call.waitForReady });
      retryTimer?.ref?.();
      connect();
    }
    return true;
  }

  function connectFailed(error: RpcError): void {
    if (state.kind === "SHUTDOWN") return;
    lastError = error;
    setState(TRANSIENT_FAILURE);
    flush();
    const delay = backoff.next();
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (state.kind !== "TRANSIENT_FAILURE") return;
      if (waiting.length > 0) {
        setState(IDLE);
        connect();
      } else {
        setState(IDLE);
      }
    }, delay);
    // Calls waiting for the connection keep the process alive; an idle channel does not.
    if (waiting.length === 0) retryTimer.unref?.();
  }

  const channel: Channel = {
    target,
    call(req: ClientRequest): Promise<ClientResponse> {
      const codec = req.method.codecs[config.codecName];
      if (codec === undefined) {
        return Promise.reject(
          new RpcError(Code.INTERNAL, `codec "${config.codecName}" is not available for ${req.method.path}`),
        );
      }
      const call = new ClientCall(req, config, codec);
      if (call.done) return call.promise;
      // A connection can stop taking streams before its GOAWAY or close event reaches us: the call
      // then waits for a new connection instead of failing on this one.
      if (state.kind === "READY" && !state.connection.acceptsStreams) retire(state.connection);
      if (state.kind === "READY") call.start(state.connection);
      else if (state.kind === "SHUTDOWN") call.fail(new RpcError(Code.UNAVAILABLE, "the channel was closed"));
      else if (state.kind === "TRANSIENT_FAILURE" && !req.waitForReady) call.fail(unavailable());
      else {
        waiting.push({ call, waitForReady: req.waitForReady });
        retryTimer?.ref?.();
        connect();
      }
      return call.promise;
    },
    getState(doConnect = false) {
      if (doConnect && state.kind === "IDLE") connect();
      return state.kind;
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    waitForReady(o = {}) {
      return new Promise<void>((resolve, reject) => {
        let timer: DeadlineTimer | undefined;
        const done = (err?: RpcError) => {
          stop();
          timer?.cancel();
          o.signal?.removeEventListener("abort", onAbort);
          if (err === undefined) resolve();
          else reject(err);
        };
        const onAbort = () => done(RpcError.from(o.signal?.reason, Code.CANCELLED));
        const stop = channel.onStateChange((s) => {
          if (s === "READY") done();
          else if (s === "SHUTDOWN") done(new RpcError(Code.UNAVAILABLE, "the channel was closed"));
          else if (s === "IDLE") connect();
        });
        if (o.timeoutMs !== undefined) {
          timer = startDeadlineTimer(Date.now() + o.timeoutMs, () =>
            done(
              new RpcError(
                Code.DEADLINE_EXCEEDED,
                `channel not ready after ${o.timeoutMs} ms${lastError ? `: ${lastError.rawMessage}` : ""}`,
              ),
            ),
          );
        }
        o.signal?.addEventListener("abort", onAbort, { once: true });
        if (state.kind === "READY") done();
        else if (state.kind === "SHUTDOWN") done(new RpcError(Code.UNAVAILABLE, "the channel was closed"));
        else connect();
      });
    },
    close() {
      if (state.kind === "SHUTDOWN") return;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      const conn = state.kind === "READY" ? state.connection : undefined;
      setState(SHUTDOWN);
      flush();
      conn?.close();
      for (const c of old) c.close();
    },
  };
  return channel;
}

function describe(a: ConnectAddress): string {
  return "path" in a
    ? `unix:${a.path}`
    : a.host.includes(":")
      ? `[${a.host}]:${a.port}`
      : `${a.host}:${a.port}`;
}
