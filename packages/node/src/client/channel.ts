/**
 * The channel: a target's calls, through its layers. The resolver (resolver/) turns the target
 * into endpoints and maybe a service config; the service config (service-config/) picks the
 * load-balancing policy and the method configs; the policy (balancer/) makes subchannels (one
 * connection to one address each, shared in a pool: subchannel/) and gives a picker; each call
 * (the core's `Call`, with a gRPC attempt) asks the picker where to go, and waits in the queue
 * while the picker says so. An idle channel (no call for `idleTimeoutMs`) drops its resolver,
 * policy and connections, and the next call wakes it.
 */
import { Code, type Compression, Metadata, RpcError, type Transport } from "@grpc-ts/core";
import { frameGrpcRequest, GrpcAttempt, type GrpcAttemptConfig } from "@grpc-ts/core/grpc";
import {
  Call,
  type CallPlan,
  createMethodConfigIndex,
  DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
  DEFAULT_MAX_RETRY_ATTEMPTS,
  type DeadlineTimer,
  type MethodConfig,
  type MethodConfigLookup,
  parseServiceConfig,
  RetryBuffer,
  type RetryContext,
  RetryThrottle,
  retryPlanOf,
  type ServiceConfig,
  startDeadlineTimer,
} from "@grpc-ts/core/protocol";
import { allocUnsafe } from "../alloc.js";
import { createCompressionRegistry, defaultCompressions } from "../compression.js";
import {
  checkFlowControlWindow,
  type EngineName,
  type FlowControlWindow,
  resolveEngine,
} from "../http2/engine.js";
import { connectGrpcTsHttp2 } from "../http2/grpc-ts-client.js";
import { type ClientTlsOptions, connectNodeHttp2 } from "../http2/node-client.js";
import { VERSION } from "../version.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import type {
  ConnectivityState,
  Helper,
  LoadBalancer,
  LoadBalancerFactory,
  Picker,
} from "./balancer/balancer.js";
import { QUEUE_PICKER } from "./balancer/pickers.js";
import { type BalancerRegistry, createBalancerRegistry } from "./balancer/registry.js";
import { type Clock, realClock, type TimerHandle } from "./clock.js";
import { type HealthWatcher, watchSubchannelHealth } from "./health/health-watcher.js";
import { createResolverRegistry, defaultResolverOptions } from "./resolver/registry.js";
import type { Resolver, ResolverFactory, ResolverListener, ResolverResult } from "./resolver/resolver.js";
import { parseTarget } from "./resolver/target.js";
import { createSubchannelPool, type SubchannelPool } from "./subchannel/pool.js";
import type { Connector, SharedSubchannel } from "./subchannel/subchannel.js";

export type { ConnectivityState } from "./balancer/balancer.js";

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
  /** Reconnection backoff of each subchannel (connection-backoff.md defaults). */
  readonly backoff?: BackoffOptions;
  /**
   * The HTTP/2 engine: `node` (node:http2) or `grpc-ts` (our own). Default: the environment
   * variable GRPC_TS_HTTP2_ENGINE, else our own (see http2/engine.ts).
   */
  readonly engine?: EngineName;
  /**
   * Receive flow-control windows. `"adaptive"` (the default): each stream's window starts at
   * 4 MiB (the default receive limit, as C-core announces, so a response within it never waits
   * for a WINDOW_UPDATE that a proxy may not read) and grows on our engine (up to 16 MiB) to the
   * bandwidth-delay product measured with PINGs, as in grpc-go and C-core; the connection's
   * window is kept at twice the open streams' windows. A number fixes each stream's window at
   * that many octets (65535 or more; the connection's at the larger of it and 4 MiB) and sends no
   * such PINGs. node:http2 (`engine: "node"`) takes the start and fixed windows, not the growth.
   */
  readonly flowControlWindow?: FlowControlWindow;
  /** Resolvers for more schemes (or in place of a built-in one of the same scheme). */
  readonly resolvers?: readonly ResolverFactory[];
  /** Load-balancing policies to choose from by name in the service config, besides the built-ins. */
  readonly loadBalancers?: readonly LoadBalancerFactory[];
  /**
   * The default service config (service_config.md), as JSON text or its parsed value: used until
   * the resolver gives one, and whenever it gives none. Invalid: `createChannel` throws.
   */
  readonly serviceConfig?: string | object;
  /** Ignore service configs from the resolver (use `serviceConfig` only). */
  readonly disableResolverServiceConfig?: boolean;
  /** DNS: at most one resolution per this many ms (default 30 000). */
  readonly dnsMinResolutionIntervalMs?: number;
  /** DNS: resolve again every this many ms as well (default: only when the policy asks). */
  readonly dnsPeriodicResolutionMs?: number;
  /** DNS: read the service config from the name's TXT record (default false). */
  readonly dnsServiceConfig?: boolean;
  /** With no call for this long, the channel drops its connections and resolver (default 30 min; 0: never). */
  readonly idleTimeoutMs?: number;
  /**
   * false: no call is retried or hedged, whatever the service config says (gRFC A6; transparent
   * retries of streams the server refused still happen). Default true.
   */
  readonly retries?: boolean;
  /** A retry or hedging policy's `maxAttempts` above this is treated as this (default 5, A6). */
  readonly maxRetryAttempts?: number;
  /** Request bytes one call keeps for its retries (default 1 MiB); past it, the call commits. */
  readonly retryBufferBytes?: number;
  /** Request bytes all of the channel's calls keep for retries (default 16 MiB). */
  readonly channelRetryBufferBytes?: number;
  /**
   * Keepalive (gRFC A8): after `timeMs` without reading anything on a connection, send a PING;
   * if nothing comes back within `timeoutMs` (default 20 000 ms), the connection is taken for
   * dead: its calls fail with UNAVAILABLE ("keepalive timed out"), and the channel connects
   * again. Off unless `timeMs` is set; at least 10 000 ms. Without `permitWithoutCalls`
   * (default false) a connection with no call sends none. A server that finds the PINGs too
   * frequent ends the connection with GOAWAY ENHANCE_YOUR_CALM `too_many_pings`: the channel
   * then doubles its `timeMs` for its new connections, and says so on the console.
   */
  readonly keepalive?: ChannelKeepaliveOptions;
}

/** `ChannelOptions.keepalive`. */
export interface ChannelKeepaliveOptions {
  readonly timeMs?: number;
  readonly timeoutMs?: number;
  readonly permitWithoutCalls?: boolean;
}

export interface Channel extends Transport {
  readonly target: string;
  /** The connectivity state; with `connect` true, an IDLE channel starts connecting. */
  getState(connect?: boolean): ConnectivityState;
  /** Calls `listener` on every state change; returns a function that stops it. */
  onStateChange(listener: (state: ConnectivityState) => void): () => void;
  /** Connects and resolves when READY; rejects with UNAVAILABLE/DEADLINE_EXCEEDED otherwise. */
  waitForReady(options?: { readonly timeoutMs?: number; readonly signal?: AbortSignal }): Promise<void>;
  /** Stops new calls, lets running ones finish, then closes the connections. */
  close(): void;
}

/**
 * What a test may replace: the clock of every layer, the policies' randomness, the connections,
 * the least keepalive time (to test keepalive without waiting 10 s), where warnings go.
 */
export interface ChannelInternals {
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly connector?: Connector;
  readonly keepaliveMinTimeMs?: number;
  readonly log?: (message: string) => void;
}

/** The least keepalive time (A8; grpc-go's floor too). */
export const KEEPALIVE_MIN_TIME_MS = 10_000;
const DEFAULT_KEEPALIVE_TIMEOUT_MS = 20_000;
/** What doubling the keepalive time stops at (the longest Node timer). */
const KEEPALIVE_MAX_TIME_MS = 2 ** 31 - 1;

const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60_000;
/** Paths whose call plans a channel keeps; past this many, further paths are looked up each time. */
const MAX_REMEMBERED_PATHS = 4096;
/** The metadata of the picks `waitForReady()` makes to learn why the channel is not ready. */
const NO_METADATA = new Metadata();
const DEFAULT_POLICY = "pick_first";
const NO_CONFIG: ServiceConfig = { loadBalancing: undefined, methodConfigs: [] };

/** The channel's state: only an ACTIVE channel has a resolver, a policy and a picker. */
type ChannelState =
  | { readonly kind: "IDLE" }
  | {
      readonly kind: "ACTIVE";
      readonly resolver: Resolver;
      policy: { readonly name: string; readonly balancer: LoadBalancer } | undefined;
      connectivity: ConnectivityState;
      picker: Picker;
    }
  | { readonly kind: "SHUTDOWN" };

const IDLE: ChannelState = { kind: "IDLE" };
const SHUTDOWN: ChannelState = { kind: "SHUTDOWN" };

/** A channel to `target` (naming.md: `dns:///host:port`, `ipv4:...`, `unix:...`, or your scheme). */
export function createChannel(target: string, options: ChannelOptions = {}): Channel {
  return createChannelWith(target, options, {});
}

export function createChannelWith(
  target: string,
  options: ChannelOptions,
  internals: ChannelInternals,
): Channel {
  const clock = internals.clock ?? realClock;
  const resolvers = createResolverRegistry(options.resolvers);
  const parsed = parseTarget(target, resolvers);
  const resolverFactory = resolvers.get(parsed.scheme)!;
  const resolverOptions = defaultResolverOptions({
    clock,
    ...(options.dnsMinResolutionIntervalMs === undefined
      ? {}
      : { dnsMinResolutionIntervalMs: options.dnsMinResolutionIntervalMs }),
    ...(options.dnsPeriodicResolutionMs === undefined
      ? {}
      : { dnsPeriodicResolutionMs: options.dnsPeriodicResolutionMs }),
    ...(options.dnsServiceConfig === undefined ? {} : { dnsServiceConfig: options.dnsServiceConfig }),
  });
  // The target is checked now: a resolver is made here once (and again on each wake from IDLE).
  let nextResolver: Resolver | undefined = resolverFactory.create(parsed, resolverOptions);
  const authority = resolverFactory.defaultAuthority(parsed);
  const balancers: BalancerRegistry = createBalancerRegistry(options.loadBalancers, {
    clock,
    ...(internals.random === undefined ? {} : { random: internals.random }),
  });
  const lookupPolicy = (name: string) => balancers.get(name);
  const defaultConfig: ServiceConfig =
    options.serviceConfig === undefined ? NO_CONFIG : parseServiceConfig(options.serviceConfig, lookupPolicy);
  const engineName = resolveEngine(options.engine);
  checkFlowControlWindow(options.flowControlWindow);
  const connectHttp2 = engineName === "grpc-ts" ? connectGrpcTsHttp2 : connectNodeHttp2;
  const log = internals.log ?? ((message: string) => console.warn(message));
  /** The keepalive of new connections (its time doubles on `too_many_pings`); undefined: off. */
  const keepaliveMinTimeMs = internals.keepaliveMinTimeMs ?? KEEPALIVE_MIN_TIME_MS;
  const keepalive = keepaliveOf(options.keepalive, keepaliveMinTimeMs);
  if (keepalive !== undefined && keepalive.timeMs > options.keepalive!.timeMs!)
    log(`grpc-ts: ${target}: keepalive.timeMs raised to the minimum of ${keepalive.timeMs} ms`);
  const codecName = options.codec ?? "proto";
  const maxReceive = options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES;
  const maxSend = options.maxSendMessageBytes ?? Number.POSITIVE_INFINITY;
  const attemptConfig: GrpcAttemptConfig = {
    codecName,
    compression: createCompressionRegistry(options.compressions ?? defaultCompressions),
    defaultCompression: options.compression,
    maxReceiveMessageBytes: maxReceive,
    maxSendMessageBytes: maxSend,
    userAgent: `${options.userAgent === undefined ? "" : `${options.userAgent} `}grpc-ts-node/${VERSION}`,
    authority,
    scheme: options.tls === undefined ? "http" : "https",
    allocate: allocUnsafe,
  };
  const pool: SubchannelPool = createSubchannelPool({
    clock,
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    ...(internals.random === undefined ? {} : { random: internals.random }),
    connector:
      internals.connector ??
      ((address, listener) =>
        connectHttp2(
          {
            address,
            authority,
            tls: options.tls,
            ...(options.flowControlWindow === undefined
              ? {}
              : { flowControlWindow: options.flowControlWindow }),
            ...(keepalive === undefined ? {} : { keepalive: { ...keepalive } }),
          },
          listener,
        )),
    onTooManyPings(subchannel) {
      if (keepalive === undefined) return;
      const was = keepalive.timeMs;
      keepalive.timeMs = Math.min(was * 2, KEEPALIVE_MAX_TIME_MS);
      log(
        `grpc-ts: ${target}: ${subchannel.name} sent GOAWAY ENHANCE_YOUR_CALM "too_many_pings": keepalive time doubled from ${was} to ${keepalive.timeMs} ms for new connections`,
      );
    },
  });
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;

  let state: ChannelState = IDLE;
  /**
   * The service config is known: the resolver gave its first result or error (or resolver
   * configs are ignored). Until then calls wait in `unconfigured`, not yet begun.
   */
  let configKnown = options.disableResolverServiceConfig === true;
  let unconfigured: Call[] = [];
  const defaultPlan: CallPlan = makePlan(attemptConfig, undefined);
  const listeners = new Set<(s: ConnectivityState) => void>();
  /** Attempts waiting for a picker that places them. */
  let queue: GrpcAttempt[] = [];
  /** Calls that have not ended (for the idle timer). */
  let running = 0;
  let idleTimer: TimerHandle | undefined;
  /** When the channel last had a call end (or a waitForReady settle): the idle timeout counts from it. */
  let lastActive = 0;
  /** While calls wait, something must keep the process alive: the subchannels' timers do not. */
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  let config: ServiceConfig = defaultConfig;
  let lastGoodResolverConfig: ServiceConfig | undefined;
  let methodConfigOf: MethodConfigLookup = createMethodConfigIndex(defaultConfig);
  const plans = new WeakMap<MethodConfig, CallPlan>();
  /** The plan for each path under the current config: one Map read per call. */
  const plansByPath = new Map<string, CallPlan>();
  const retryContext: RetryContext = {
    throttle: throttleFor(defaultConfig, undefined),
    buffer: new RetryBuffer(options.retryBufferBytes, options.channelRetryBufferBytes),
    schedule: (fn, ms) => clock.setTimeout(fn, ms),
    random: internals.random ?? Math.random,
  };
  const retriesOn = options.retries !== false;
  const maxRetryAttempts = options.maxRetryAttempts ?? DEFAULT_MAX_RETRY_ATTEMPTS;
  const health = new Map<SharedSubchannel, HealthWatcher>();
  const namedErrors = new WeakMap<RpcError, RpcError>();
  /** The policy and health service name the health watchers were made for. */
  let healthFor = "";
  const resolution = new Backoff(options.backoff);
  let resolutionTimer: TimerHandle | undefined;
  /** Reused for every pick: picks are synchronous. */
  const pickInfo: { path: string; metadata: Metadata } = { path: "", metadata: NO_METADATA };

  function publicState(): ConnectivityState {
    return state.kind === "ACTIVE" ? state.connectivity : state.kind;
  }

  function notify(): void {
    const s = publicState();
    for (const l of [...listeners]) l(s);
  }

  // ---- waking and sleeping ----

  function exitIdle(): void {
    if (state.kind !== "IDLE") return;
    const resolver = nextResolver ?? resolverFactory.create(parsed, resolverOptions);
    nextResolver = undefined;
    state = { kind: "ACTIVE", resolver, policy: undefined, connectivity: "CONNECTING", picker: QUEUE_PICKER };
    notify();
    resolver.start(resolverListener(resolver));
  }

  /** No call for `idleTimeoutMs`: drop the resolver, the policy and (through it) the connections. */
  function enterIdle(): void {
    if (state.kind !== "ACTIVE" || running > 0 || queue.length > 0) return;
    const s = state;
    state = IDLE;
    stopResolution(s);
    notify();
  }

  function stopResolution(s: Extract<ChannelState, { kind: "ACTIVE" }>): void {
    resolutionTimer?.cancel();
    resolutionTimer = undefined;
    s.resolver.close();
    s.policy?.balancer.close();
    s.policy = undefined;
    for (const w of health.values()) w.stop();
    health.clear();
  }

  /**
   * Arms the idle timer unless it is armed: it is not moved on each call (that would be a timer
   * per call); when it fires it goes IDLE only if no call ran since `lastActive`, and otherwise
   * waits out the rest of the timeout from then.
   */
  function armIdleTimer(): void {
    lastActive = clock.now();
    if (idleTimer !== undefined || idleTimeoutMs <= 0 || state.kind !== "ACTIVE") return;
    scheduleIdleCheck(idleTimeoutMs);
  }

  function scheduleIdleCheck(ms: number): void {
    idleTimer = clock.setTimeout(() => {
      idleTimer = undefined;
      if (state.kind !== "ACTIVE" || running > 0 || queue.length > 0) return;
      const idleFor = clock.now() - lastActive;
      if (idleFor >= idleTimeoutMs) enterIdle();
      else scheduleIdleCheck(idleTimeoutMs - idleFor);
    }, ms);
    idleTimer.unref();
  }

  // ---- resolver results ----

  function resolverListener(resolver: Resolver): ResolverListener {
    return {
      onResult(result) {
        if (state.kind !== "ACTIVE" || state.resolver !== resolver) return;
        resolution.reset();
        applyResult(state, result);
        configured();
      },
      onError(error) {
        if (state.kind !== "ACTIVE" || state.resolver !== resolver) return;
        const s = state;
        const policy = s.policy ?? switchPolicy(s, DEFAULT_POLICY);
        policy.balancer.resolverError(
          new RpcError(Code.UNAVAILABLE, `cannot resolve ${target}: ${error.rawMessage}`, { cause: error }),
        );
        configured();
        // Resolve again after a backoff (the resolver waits to be asked).
        resolutionTimer?.cancel();
        resolutionTimer = clock.setTimeout(() => {
          resolutionTimer = undefined;
          if (state.kind === "ACTIVE" && state.resolver === resolver) resolver.resolveNow();
        }, resolution.next());
        resolutionTimer.unref();
      },
    };
  }

  function applyResult(s: Extract<ChannelState, { kind: "ACTIVE" }>, result: ResolverResult): void {
    let chosen: ServiceConfig;
    if (options.disableResolverServiceConfig === true) chosen = defaultConfig;
    else if (result.serviceConfigError !== undefined || result.serviceConfig !== undefined) {
      let error: RpcError | undefined = result.serviceConfigError;
      let fromResolver: ServiceConfig | undefined;
      if (error === undefined) {
        try {
          fromResolver = parseServiceConfig(result.serviceConfig, lookupPolicy);
        } catch (e) {
          error = RpcError.from(e, Code.UNAVAILABLE);
        }
      }
      if (fromResolver !== undefined) {
        lastGoodResolverConfig = fromResolver;
        chosen = fromResolver;
      } else if (lastGoodResolverConfig !== undefined) {
        // A bad config keeps the last good one (service_config.md).
        chosen = lastGoodResolverConfig;
      } else {
        // Never a good one: calls fail, naming the error, until the resolver gives a good one.
        const policy = s.policy ?? switchPolicy(s, DEFAULT_POLICY);
        policy.balancer.resolverError(
          new RpcError(
            Code.UNAVAILABLE,
            `the service config of ${target} is invalid: ${error?.rawMessage ?? error?.message ?? "unknown"}`,
          ),
        );
        return;
      }
    } else chosen = defaultConfig;
    if (chosen !== config) {
      config = chosen;
      methodConfigOf = createMethodConfigIndex(chosen);
      plansByPath.clear();
      retryContext.throttle = throttleFor(chosen, retryContext.throttle);
    }
    const name = chosen.loadBalancing?.name ?? DEFAULT_POLICY;
    const policyConfig = chosen.loadBalancing?.config ?? balancers.get(DEFAULT_POLICY)!.parseConfig({});
    // Health checking follows the policy and the service name: when either changes, the old
    // watchers stop and a new policy asks for its subchannels again (the pool keeps their
    // connections), which are then watched anew.
    const healthKey = `${name}\n${chosen.healthCheck?.serviceName ?? ""}`;
    const healthChanged = healthKey !== healthFor;
    if (healthChanged) {
      healthFor = healthKey;
      for (const w of health.values()) w.stop();
      health.clear();
    }
    const policy = s.policy?.name === name && !healthChanged ? s.policy : switchPolicy(s, name);
    policy.balancer.update(result.endpoints, policyConfig);
  }

  function switchPolicy(
    s: Extract<ChannelState, { kind: "ACTIVE" }>,
    name: string,
  ): { readonly name: string; readonly balancer: LoadBalancer } {
    const old = s.policy;
    const factory = balancers.get(name)!;
    // Set once the policy is made: what it does inside its own constructor is not yet the channel's.
    let policy: { readonly name: string; readonly balancer: LoadBalancer } | undefined;
    const helper: Helper = {
      createSubchannel(address) {
        const handle = pool.acquire(address);
        const serviceName = config.healthCheck?.serviceName;
        // pick_first does no health checking (A17): only the policies that spread calls do.
        if (serviceName !== undefined && name !== DEFAULT_POLICY && !health.has(handle.shared)) {
          health.set(
            handle.shared,
            watchSubchannelHealth(handle.shared, serviceName, attemptConfig, clock, options.backoff),
          );
        }
        return handle;
      },
      updateState(connectivity, picker) {
        if (state.kind !== "ACTIVE" || policy === undefined || state.policy !== policy) return;
        const changed = state.connectivity !== connectivity;
        state.connectivity = connectivity;
        state.picker = picker;
        if (changed) notify();
        retryQueued();
      },
      requestReresolution() {
        if (state.kind === "ACTIVE" && policy !== undefined && state.policy === policy)
          state.resolver.resolveNow();
      },
    };
    policy = { name, balancer: factory.create(helper) };
    s.policy = policy;
    old?.balancer.close();
    return policy;
  }

  // ---- calls ----

  /** The service config is known now: the calls that waited for it begin. */
  function configured(): void {
    configKnown = true;
    if (unconfigured.length === 0) return;
    const waiting = unconfigured;
    unconfigured = [];
    for (const call of waiting) call.begin(planOf(call.request.method.path));
  }

  /** The plan of a call to `path` under the current service config. */
  function planOf(path: string): CallPlan {
    let plan = plansByPath.get(path);
    if (plan === undefined) {
      plan = planFor(methodConfigOf(path));
      if (plansByPath.size < MAX_REMEMBERED_PATHS) plansByPath.set(path, plan);
    }
    return plan;
  }

  /** The plan of the calls a method config governs (made once per method config). */
  function planFor(mc: MethodConfig | undefined): CallPlan {
    if (mc === undefined) return defaultPlan;
    let plan = plans.get(mc);
    if (plan === undefined) {
      plan = makePlan(
        mc.maxRequestMessageBytes === undefined && mc.maxResponseMessageBytes === undefined
          ? attemptConfig
          : {
              ...attemptConfig,
              maxReceiveMessageBytes: Math.min(maxReceive, mc.maxResponseMessageBytes ?? maxReceive),
              maxSendMessageBytes: Math.min(maxSend, mc.maxRequestMessageBytes ?? maxSend),
            },
        mc,
      );
      plans.set(mc, plan);
    }
    return plan;
  }

  function makePlan(ac: GrpcAttemptConfig, mc: MethodConfig | undefined): CallPlan {
    return {
      start(call, index) {
        if (state.kind === "IDLE") exitIdle();
        place(new GrpcAttempt(call, index, ac));
      },
      frame: (call, message) => frameGrpcRequest(ac, call, message),
      retry: mc === undefined || !retriesOn ? undefined : retryPlanOf(mc, retryContext, maxRetryAttempts),
      timeoutMs: mc?.timeoutMs,
      waitForReady: mc?.waitForReady,
    };
  }

  /** Asks the picker where `attempt` goes, and starts it there, queues it, or fails it. */
  function place(attempt: GrpcAttempt): void {
    const call = attempt.call;
    if (!call.wants(attempt.index)) return;
    if (state.kind === "SHUTDOWN") {
      call.fail(new RpcError(Code.UNAVAILABLE, "the channel was closed"));
      return;
    }
    if (state.kind !== "ACTIVE") {
      enqueue(attempt);
      return;
    }
    const req = call.request;
    pickInfo.path = req.method.path;
    pickInfo.metadata = req.header;
    const result = state.picker.pick(pickInfo);
    pickInfo.metadata = NO_METADATA;
    switch (result.kind) {
      case "pick": {
        const connection = pool.connectionOf(result.subchannel);
        if (connection === undefined || !connection.acceptsStreams) {
          // The picker is behind the connection (it closed, or stopped taking streams before its
          // GOAWAY came): the attempt waits for the next picker, and the subchannel learns it. In
          // that order: retiring the connection may give the next picker at once, which must
          // find the attempt in the queue.
          enqueue(attempt);
          if (connection !== undefined)
            (result.subchannel as { shared?: SharedSubchannel }).shared?.retire(connection);
          return;
        }
        attempt.start(connection);
        return;
      }
      case "queue":
        enqueue(attempt);
        return;
      case "fail":
        if (call.waitForReady) enqueue(attempt);
        else attempt.fail(naming(result.error));
        return;
      case "drop":
        call.fail(naming(result.error));
        return;
    }
  }

  /** A policy's error, with the target in front (made once per error object). */
  function naming(error: RpcError): RpcError {
    if (error.rawMessage.includes(target)) return error;
    let named = namedErrors.get(error);
    if (named === undefined) {
      named = new RpcError(error.code, `${target}: ${error.rawMessage}`, {
        cause: error,
        metadata: error.metadata,
      });
      namedErrors.set(error, named);
    }
    return named;
  }

  function enqueue(attempt: GrpcAttempt): void {
    queue.push(attempt);
    if (keepAlive === undefined) keepAlive = setInterval(() => {}, 1 << 30);
  }

  function retryQueued(): void {
    if (queue.length === 0) return;
    const waiting = queue;
    queue = [];
    for (const attempt of waiting) place(attempt);
    if (queue.length === 0 && keepAlive !== undefined) {
      clearInterval(keepAlive);
      keepAlive = undefined;
    }
  }

  function callEnded(_call: Call): void {
    if (--running === 0) armIdleTimer();
  }

  const channel: Channel = {
    target,
    call(req) {
      if (state.kind === "SHUTDOWN")
        return Promise.reject(new RpcError(Code.UNAVAILABLE, "the channel was closed"));
      if (req.method.codecs[codecName] === undefined)
        return Promise.reject(
          new RpcError(Code.INTERNAL, `codec "${codecName}" is not available for ${req.method.path}`),
        );
      running++;
      const call = new Call(req, callEnded);
      if (configKnown) return call.begin(planOf(req.method.path));
      // The method config comes with the resolver's first result (grpc-go and grpc-js wait too).
      unconfigured.push(call);
      if (state.kind === "IDLE") exitIdle();
      return call.promise;
    },
    getState(connect = false) {
      if (connect && state.kind === "IDLE") exitIdle();
      return publicState();
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
          if (state.kind === "ACTIVE" && running === 0) armIdleTimer();
          if (err === undefined) resolve();
          else reject(err);
        };
        const onAbort = () => done(RpcError.from(o.signal?.reason, Code.CANCELLED));
        const lastError = (): string => {
          if (state.kind !== "ACTIVE") return "";
          const r = state.picker.pick({ path: "", metadata: NO_METADATA });
          return r.kind === "fail" || r.kind === "drop" ? `: ${r.error.rawMessage}` : "";
        };
        const stop = channel.onStateChange((s) => {
          if (s === "READY") done();
          else if (s === "SHUTDOWN") done(new RpcError(Code.UNAVAILABLE, "the channel was closed"));
          else if (s === "IDLE") exitIdle();
        });
        if (o.timeoutMs !== undefined) {
          timer = startDeadlineTimer(Date.now() + o.timeoutMs, () =>
            done(
              new RpcError(Code.DEADLINE_EXCEEDED, `channel not ready after ${o.timeoutMs} ms${lastError()}`),
            ),
          );
        }
        o.signal?.addEventListener("abort", onAbort, { once: true });
        const now = publicState();
        if (now === "READY") done();
        else if (now === "SHUTDOWN") done(new RpcError(Code.UNAVAILABLE, "the channel was closed"));
        else if (state.kind === "IDLE") exitIdle();
      });
    },
    close() {
      if (state.kind === "SHUTDOWN") return;
      const s = state;
      state = SHUTDOWN;
      idleTimer?.cancel();
      nextResolver?.close();
      if (s.kind === "ACTIVE") stopResolution(s);
      pool.close();
      notify();
      configured();
      retryQueued();
    },
  };
  return channel;
}

/** The channel's keepalive, checked, with its defaults and floor (undefined: off). */
function keepaliveOf(
  k: ChannelKeepaliveOptions | undefined,
  minTimeMs: number,
): { timeMs: number; readonly timeoutMs: number; readonly permitWithoutCalls: boolean } | undefined {
  if (k === undefined || k.timeMs === undefined || k.timeMs === Number.POSITIVE_INFINITY) return undefined;
  const timeoutMs = k.timeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS;
  if (typeof k.timeMs !== "number" || !(k.timeMs > 0))
    throw new RangeError(`keepalive.timeMs must be a number of milliseconds > 0, got ${String(k.timeMs)}`);
  if (typeof timeoutMs !== "number" || !(timeoutMs > 0) || !Number.isFinite(timeoutMs))
    throw new RangeError(
      `keepalive.timeoutMs must be a number of milliseconds > 0, got ${String(timeoutMs)}`,
    );
  return {
    timeMs: Math.min(Math.max(k.timeMs, minTimeMs), KEEPALIVE_MAX_TIME_MS),
    timeoutMs,
    permitWithoutCalls: k.permitWithoutCalls === true,
  };
}

/** The throttle for `config`'s `retryThrottling`: `current` when its settings are the same. */
function throttleFor(config: ServiceConfig, current: RetryThrottle | undefined): RetryThrottle | undefined {
  const t = config.retryThrottling;
  if (t === undefined) return undefined;
  if (current?.sameAs(t.maxTokens, t.tokenRatio)) return current;
  return new RetryThrottle(t.maxTokens, t.tokenRatio);
}
