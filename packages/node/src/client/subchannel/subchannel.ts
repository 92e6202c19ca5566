/**
 * A subchannel: one connection to one address, with its own connection backoff
 * (connection-backoff.md) and the states of connectivity-semantics-and-api.md.
 *
 * It never reconnects by itself. A failed attempt leaves it in TRANSIENT_FAILURE until the backoff
 * delay (counted from the start of that attempt) has passed, then it is IDLE; a READY connection
 * that closes or receives GOAWAY also makes it IDLE. Policies call `connect()` when they want a
 * connection (pick_first does it whenever one of its subchannels is IDLE).
 *
 * What a policy sees (`state`) combines the connectivity with health: a READY subchannel that the
 * channel marked unhealthy (`setHealth(false)`) looks TRANSIENT_FAILURE, so policies stop picking
 * it, while its connection stays open for the calls already on it.
 */
import { Code, RpcError } from "@grpc-ts/core";
import { ErrorCode, TOO_MANY_PINGS } from "@grpc-ts/http2";
import type { ConnectAddress } from "../../http2/client-socket.js";
import type { ClientConnection, ConnectionListener } from "../../http2/seam.js";
import { Backoff, type BackoffOptions } from "../backoff.js";
import type { SubchannelState } from "../balancer/balancer.js";
import type { Clock, TimerHandle } from "../clock.js";
import { Watchers } from "./watchers.js";

/** Opens one connection to `address`, reporting to `listener` (connectGrpcTsHttp2 and friends, bound to their options). */
export type Connector = (address: ConnectAddress, listener: ConnectionListener) => ClientConnection;

/** One connection attempt in flight. */
export interface ConnectAttempt {
  readonly startedAt: number;
  /** The attempt after this one may start no earlier than this (start + the backoff delay). */
  readonly backoffUntil: number;
  /** The connector's connection; undefined only while the connector is being called. */
  readonly connection: ClientConnection | undefined;
}

/** The subchannel's own connectivity, as a tagged union: each state carries what it owns. */
export type SubchannelConnectivity =
  | { readonly kind: "IDLE" }
  | { readonly kind: "CONNECTING"; readonly attempt: ConnectAttempt }
  | { readonly kind: "READY"; readonly connection: ClientConnection }
  | {
      readonly kind: "TRANSIENT_FAILURE";
      readonly error: RpcError;
      /** Fires at `until`, making the subchannel IDLE. */
      readonly backoffTimer: TimerHandle;
      readonly until: number;
    }
  | { readonly kind: "SHUTDOWN" };

export interface SubchannelOptions {
  readonly address: ConnectAddress;
  readonly connector: Connector;
  readonly clock: Clock;
  readonly backoff?: BackoffOptions;
  /** The backoff's jitter source (Math.random by default). */
  readonly random?: () => number;
  /**
   * The server ended a connection with GOAWAY ENHANCE_YOUR_CALM `too_many_pings` (gRFC A8): our
   * keepalive PINGs come too often for it (the channel doubles its keepalive time).
   */
  readonly onTooManyPings?: (subchannel: SharedSubchannel) => void;
}

/** The subchannel the pool shares among policies; policies hold handles to it (pool.ts). */
export interface SharedSubchannel {
  readonly address: ConnectAddress;
  /** `1.2.3.4:5`, `[::1]:5` or `unix:/path`. */
  readonly name: string;
  readonly connectivity: SubchannelConnectivity;
  /** The state policies see: the connectivity, with READY turned TRANSIENT_FAILURE while unhealthy. */
  readonly state: SubchannelState;
  /** The connection calls start on: set while READY (healthy or not), undefined otherwise. */
  readonly connection: ClientConnection | undefined;
  readonly healthy: boolean;
  /** Starts an attempt when IDLE; a no-op in any other state. */
  connect(): void;
  /** `listener` gets every change of `state` from now on, in order; returns a function that stops it. */
  watch(listener: (state: SubchannelState) => void): () => void;
  /**
   * The health-checking hook: the channel marks the subchannel unhealthy (policies then see
   * TRANSIENT_FAILURE with `error` while it is READY) or healthy again. It stays as set across
   * connections; a checker that runs per connection sets it again for each.
   */
  setHealth(healthy: boolean, error?: RpcError): void;
  /**
   * Health not known yet (a checker waits for its first report): policies see CONNECTING while
   * the connection is READY (A17), until `setHealth` says how it is.
   */
  setHealthPending(): void;
  /**
   * `listener` gets every change of `connectivity` from now on (before policies hear of what it
   * makes of `state`): for the health checker, which must see READY even while `state` stays
   * CONNECTING. Returns a function that stops it.
   */
  watchConnectivity(listener: (connectivity: SubchannelConnectivity) => void): () => void;
  /**
   * The channel found that `connection` takes no new streams (it refused one, or `acceptsStreams`
   * went false before GOAWAY was reported): if it is the current one the subchannel goes IDLE.
   */
  retire(connection: ClientConnection): void;
  /** SHUTDOWN: the attempt or connection is closed (running calls finish) and watchers are dropped. */
  close(): void;
}

/** The address as text: `1.2.3.4:5`, `[::1]:5`, `unix:/path`. */
export function addressName(address: ConnectAddress): string {
  if ("path" in address) return `unix:${address.path}`;
  return address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

const ENHANCE_YOUR_CALM = ErrorCode.ENHANCE_YOUR_CALM;

const IDLE_STATE: SubchannelState = { kind: "IDLE" };
const CONNECTING_STATE: SubchannelState = { kind: "CONNECTING" };
const READY_STATE: SubchannelState = { kind: "READY" };
const IDLE: SubchannelConnectivity = { kind: "IDLE" };
const SHUTDOWN: SubchannelConnectivity = { kind: "SHUTDOWN" };

export function createSubchannel(options: SubchannelOptions): SharedSubchannel {
  return new SubchannelImpl(options);
}

class SubchannelImpl implements SharedSubchannel {
  readonly address: ConnectAddress;
  readonly name: string;
  readonly #connector: Connector;
  readonly #clock: Clock;
  readonly #backoff: Backoff;
  readonly #onTooManyPings: ((subchannel: SharedSubchannel) => void) | undefined;
  #connectivity: SubchannelConnectivity = IDLE;
  #state: SubchannelState = IDLE_STATE;
  #healthy = true;
  #healthPending = false;
  #healthError: RpcError | undefined;
  readonly #watchers = new Watchers<SubchannelState>();
  readonly #connectivityWatchers = new Watchers<SubchannelConnectivity>();

  constructor(options: SubchannelOptions) {
    this.address = options.address;
    this.name = addressName(options.address);
    this.#connector = options.connector;
    this.#clock = options.clock;
    this.#backoff = new Backoff(options.backoff, options.random);
    this.#onTooManyPings = options.onTooManyPings;
  }

  get connectivity(): SubchannelConnectivity {
    return this.#connectivity;
  }

  get state(): SubchannelState {
    return this.#state;
  }

  get healthy(): boolean {
    return this.#healthy;
  }

  get connection(): ClientConnection | undefined {
    return this.#connectivity.kind === "READY" ? this.#connectivity.connection : undefined;
  }

  connect(): void {
    if (this.#connectivity.kind !== "IDLE") return;
    const startedAt = this.#clock.now();
    const delay = this.#backoff.next();
    const attempt: { startedAt: number; backoffUntil: number; connection: ClientConnection | undefined } = {
      startedAt,
      backoffUntil: startedAt + delay,
      connection: undefined,
    };
    const timeoutMs = Math.max(delay, this.#backoff.minConnectTimeoutMs);
    const timeout = this.#clock.setTimeout(() => {
      if (!this.#isAttempt(attempt)) return;
      attempt.connection?.destroy();
      this.#failed(attempt, `connection attempt timed out after ${timeoutMs} ms`, undefined);
    }, timeoutMs);
    timeout.unref();
    this.#set({ kind: "CONNECTING", attempt });
    const listener: ConnectionListener = {
      onConnect: () => {
        if (!this.#isAttempt(attempt) || attempt.connection === undefined) return;
        timeout.cancel();
        this.#backoff.reset();
        this.#set({ kind: "READY", connection: attempt.connection });
      },
      onGoAway: (errorCode, debugData) => {
        if (errorCode === ENHANCE_YOUR_CALM && debugData === TOO_MANY_PINGS) this.#onTooManyPings?.(this);
        if (attempt.connection !== undefined) this.retire(attempt.connection);
      },
      onClose: (error) => {
        if (this.#isAttempt(attempt)) {
          timeout.cancel();
          this.#failed(attempt, error?.message ?? "the connection closed before it was ready", error);
        } else if (attempt.connection !== undefined) this.#lost(attempt.connection);
      },
    };
    let connection: ClientConnection;
    try {
      connection = this.#connector(this.address, listener);
    } catch (e) {
      if (!this.#isAttempt(attempt)) return;
      timeout.cancel();
      this.#failed(attempt, e instanceof Error ? e.message : String(e), e);
      return;
    }
    if (!this.#isAttempt(attempt)) {
      // The connector reported a failure before returning, or the subchannel was closed.
      connection.destroy();
      return;
    }
    attempt.connection = connection;
  }

  watch(listener: (state: SubchannelState) => void): () => void {
    return this.#watchers.add(listener);
  }

  setHealth(healthy: boolean, error?: RpcError): void {
    this.#healthPending = false;
    this.#healthy = healthy;
    this.#healthError = healthy
      ? undefined
      : (error ?? new RpcError(Code.UNAVAILABLE, `${this.name}: the health check reports it unhealthy`));
    this.#publish();
  }

  watchConnectivity(listener: (connectivity: SubchannelConnectivity) => void): () => void {
    return this.#connectivityWatchers.add(listener);
  }

  setHealthPending(): void {
    this.#healthPending = true;
    this.#healthy = false;
    this.#healthError = undefined;
    this.#publish();
  }

  retire(connection: ClientConnection): void {
    if (this.#connectivity.kind !== "READY" || this.#connectivity.connection !== connection) return;
    connection.close();
    this.#set(IDLE);
  }

  close(): void {
    const c = this.#connectivity;
    if (c.kind === "SHUTDOWN") return;
    this.#watchers.clear();
    this.#connectivityWatchers.clear();
    this.#connectivity = SHUTDOWN;
    if (c.kind === "CONNECTING") c.attempt.connection?.destroy();
    else if (c.kind === "READY") c.connection.close();
    else if (c.kind === "TRANSIENT_FAILURE") c.backoffTimer.cancel();
  }

  #isAttempt(attempt: ConnectAttempt): boolean {
    return this.#connectivity.kind === "CONNECTING" && this.#connectivity.attempt === attempt;
  }

  /** The READY connection went away (closed, or GOAWAY): IDLE until a policy connects again. */
  #lost(connection: ClientConnection): void {
    if (this.#connectivity.kind === "READY" && this.#connectivity.connection === connection) this.#set(IDLE);
  }

  #failed(attempt: ConnectAttempt, reason: string, cause: unknown): void {
    const error = new RpcError(
      Code.UNAVAILABLE,
      `${this.name}: ${reason}`,
      cause === undefined ? {} : { cause },
    );
    const wait = Math.max(0, attempt.backoffUntil - this.#clock.now());
    const backoffTimer = this.#clock.setTimeout(() => {
      if (this.#connectivity.kind === "TRANSIENT_FAILURE" && this.#connectivity.backoffTimer === backoffTimer)
        this.#set(IDLE);
    }, wait);
    backoffTimer.unref();
    this.#set({ kind: "TRANSIENT_FAILURE", error, backoffTimer, until: attempt.backoffUntil });
  }

  #set(connectivity: SubchannelConnectivity): void {
    this.#connectivity = connectivity;
    this.#connectivityWatchers.publish(connectivity);
    this.#publish();
  }

  /** Recomputes what policies see and tells the watchers when it changed. */
  #publish(): void {
    const c = this.#connectivity;
    let next: SubchannelState;
    switch (c.kind) {
      case "IDLE":
      case "SHUTDOWN":
        next = IDLE_STATE;
        break;
      case "CONNECTING":
        next = CONNECTING_STATE;
        break;
      case "READY":
        next = this.#healthPending
          ? CONNECTING_STATE
          : this.#healthError === undefined
            ? READY_STATE
            : { kind: "TRANSIENT_FAILURE", error: this.#healthError };
        break;
      case "TRANSIENT_FAILURE":
        next = { kind: "TRANSIENT_FAILURE", error: c.error };
        break;
    }
    const prev = this.#state;
    if (
      next === prev ||
      (next.kind === "TRANSIENT_FAILURE" && prev.kind === "TRANSIENT_FAILURE" && next.error === prev.error)
    )
      return;
    this.#state = next;
    if (c.kind === "SHUTDOWN") return;
    this.#watchers.publish(next);
  }
}
