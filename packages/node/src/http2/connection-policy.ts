/**
 * What a server does with each of its connections over time, for both engines: its own keepalive
 * PINGs (a client that answers nothing for `timeoutMs` after one is dead, and its connection is
 * closed, cancelling its calls), the client's PINGs held to the enforcement policy (gRFC A8), and
 * the connection's lifetime (A9: `max_idle`, `max_age` and its grace). The policies themselves
 * are the engine's runtime-neutral ones (@grpc-ts/http2); this file gives them Node's timers and
 * binds them to one connection (`ServerConnectionManager`), whatever the engine under it.
 */
import {
  ConnectionLifetime,
  type ConnectionLifetimeOptions,
  Keepalive,
  type KeepaliveOptions,
  type PingPolicy,
  type Timers,
} from "@grpc-ts/http2";
import { nodeTimers } from "./node-timers.js";

/** The server's keepalive options (ServerOptions.keepalive). */
export interface ServerKeepaliveOptions {
  /** Time without reading anything from a client after which the server PINGs it. Default 2 hours. */
  readonly timeMs?: number;
  /** Time after that PING within which the client must answer, or its connection is closed. Default 20 000 ms. */
  readonly timeoutMs?: number;
  /** The least time between a client's PINGs while it has calls (A8 enforcement). Default 5 minutes. */
  readonly minPingIntervalMs?: number;
  /** Whether a client with no calls may PING every `minPingIntervalMs` too (else every 2 hours). Default false. */
  readonly permitWithoutCalls?: boolean;
}

/** The options that make a server's connection policy (the ServerOptions they come from). */
export interface ConnectionPolicyOptions {
  readonly keepalive?: ServerKeepaliveOptions;
  readonly maxConnectionIdleMs?: number;
  readonly maxConnectionAgeMs?: number;
  readonly maxConnectionAgeGraceMs?: number;
}

/** A server's connection policy, checked and with its defaults. */
export interface ServerConnectionPolicy {
  /** The server's own PINGs; undefined: none (`timeMs` Infinity). */
  readonly keepalive: KeepaliveOptions | undefined;
  readonly pingPolicy: PingPolicy;
  readonly lifetime: ConnectionLifetimeOptions;
}

export const DEFAULT_SERVER_KEEPALIVE_TIME_MS = 2 * 60 * 60_000;
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 20_000;
export const DEFAULT_MIN_PING_INTERVAL_MS = 5 * 60_000;

/** Checks the options (RangeError for a bad one) and fills in the defaults. */
export function serverConnectionPolicy(options: ConnectionPolicyOptions): ServerConnectionPolicy {
  const k = options.keepalive ?? {};
  const timeMs = k.timeMs ?? DEFAULT_SERVER_KEEPALIVE_TIME_MS;
  const timeoutMs = k.timeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS;
  const minPingIntervalMs = k.minPingIntervalMs ?? DEFAULT_MIN_PING_INTERVAL_MS;
  checkTime("keepalive.timeMs", timeMs, true);
  checkTime("keepalive.timeoutMs", timeoutMs, false);
  if (!(minPingIntervalMs >= 0))
    throw new RangeError(`keepalive.minPingIntervalMs must be >= 0, got ${minPingIntervalMs}`);
  for (const name of ["maxConnectionIdleMs", "maxConnectionAgeMs", "maxConnectionAgeGraceMs"] as const) {
    const v = options[name];
    if (v !== undefined) checkTime(name, v, true);
  }
  const finite = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? undefined : v);
  const maxIdleMs = finite(options.maxConnectionIdleMs);
  const maxAgeMs = finite(options.maxConnectionAgeMs);
  const maxAgeGraceMs = finite(options.maxConnectionAgeGraceMs);
  return {
    // The server PINGs idle connections too (as grpc-go and grpc-js do): a dead client is found
    // whether or not it has calls. `permitWithoutCalls` is about the client's PINGs.
    keepalive: Number.isFinite(timeMs) ? { timeMs, timeoutMs, permitWithoutCalls: true } : undefined,
    pingPolicy: { minIntervalMs: minPingIntervalMs, permitWithoutCalls: k.permitWithoutCalls === true },
    lifetime: {
      ...(maxIdleMs === undefined ? {} : { maxIdleMs }),
      ...(maxAgeMs === undefined ? {} : { maxAgeMs }),
      ...(maxAgeGraceMs === undefined ? {} : { maxAgeGraceMs }),
    },
  };
}

function checkTime(name: string, value: number, infinityAllowed: boolean): void {
  if (typeof value !== "number" || !(value > 0) || (!infinityAllowed && !Number.isFinite(value)))
    throw new RangeError(`${name} must be a number of milliseconds > 0, got ${String(value)}`);
}

/** One server connection as the policies see it (each engine's adapter implements it). */
export interface ManagedServerConnection {
  readonly bytesRead: number;
  readonly activeStreams: number;
  /** Sends our keepalive PING; the adapter calls `pingAcked` when it is answered. */
  sendPing(): void;
  /** Two-phase graceful GOAWAY (NO_ERROR) with this debug data. */
  goAway(debugData: string): void;
  /** Closes the connection now; its streams end, their handlers' signals fire. */
  close(reason: string): void;
}

/** The keepalive and lifetime timers of one server connection. */
export class ServerConnectionManager {
  private readonly keepalive: Keepalive | undefined;
  private readonly lifetime: ConnectionLifetime | undefined;

  constructor(
    connection: ManagedServerConnection,
    policy: ServerConnectionPolicy,
    timers: Timers = nodeTimers,
  ) {
    if (policy.keepalive !== undefined) {
      const timeoutMs = policy.keepalive.timeoutMs;
      this.keepalive = new Keepalive(
        {
          get bytesRead() {
            return connection.bytesRead;
          },
          get activeStreams() {
            return connection.activeStreams;
          },
          sendPing: () => connection.sendPing(),
          timedOut: () => connection.close(`keepalive timed out: no answer to a PING within ${timeoutMs} ms`),
        },
        timers,
        policy.keepalive,
      );
    }
    const l = policy.lifetime;
    if (l.maxIdleMs !== undefined || l.maxAgeMs !== undefined)
      this.lifetime = new ConnectionLifetime(
        {
          get activeStreams() {
            return connection.activeStreams;
          },
          goAway: (debug) => connection.goAway(debug),
          forceClose: (reason) => connection.close(reason),
        },
        timers,
        l,
      );
  }

  start(): void {
    this.keepalive?.start();
    this.lifetime?.start();
  }

  pingAcked(): void {
    this.keepalive?.acked();
  }

  streamClosed(): void {
    this.lifetime?.streamClosed();
  }

  stop(): void {
    this.keepalive?.stop();
    this.lifetime?.stop();
  }
}
