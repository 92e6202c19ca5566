/**
 * A server's connection management (gRFC A9): how long one connection may live.
 *
 * - `maxIdleMs`: once the connection has had no stream for this long, a graceful GOAWAY with the
 *   debug data `max_idle`.
 * - `maxAgeMs`: at this age, jittered by up to ±10% per connection so that connections made
 *   together do not all go at once, a graceful GOAWAY with `max_age`; then, after
 *   `maxAgeGraceMs`, the connection is closed with whatever still runs on it.
 *
 * The GOAWAY itself (two-phase: 2^31 - 1 and a PING, then the last stream id) and the close are
 * the host's. The idle timer is not moved per stream: it is armed once, and when it fires it
 * looks at when the connection last became idle. Runtime-neutral: the timers and the randomness
 * are the caller's.
 */
import type { Timers } from "./keepalive.js";

export const MAX_IDLE = "max_idle";
export const MAX_AGE = "max_age";

export interface ConnectionLifetimeOptions {
  /** Time with no stream after which the connection is told to go. Default: never. */
  readonly maxIdleMs?: number;
  /** Age (±10%) at which the connection is told to go. Default: never. */
  readonly maxAgeMs?: number;
  /** After the age's GOAWAY, how long running streams have before the connection is closed. Default: no limit. */
  readonly maxAgeGraceMs?: number;
}

/** The connection a `ConnectionLifetime` manages. */
export interface LifetimeHost {
  /** Streams open now. */
  readonly activeStreams: number;
  /** A graceful GOAWAY (NO_ERROR) with this debug data: no new streams, the running ones finish. */
  goAway(debugData: string): void;
  /** The age's grace ran out: close the connection now. */
  forceClose(reason: string): void;
}

/** `maxAgeMs` with a jitter drawn uniformly from ±10% of it (`random` in [0, 1)). */
export function jitteredAge(maxAgeMs: number, random: () => number): number {
  return Math.round(maxAgeMs * (0.9 + 0.2 * random()));
}

export class ConnectionLifetime {
  private readonly host: LifetimeHost;
  private readonly timers: Timers;
  private readonly maxIdleMs: number;
  private readonly maxAgeGraceMs: number;
  /** The jittered age of this connection (Infinity: none). */
  readonly ageMs: number;
  private idleTimer: { cancel(): void } | undefined;
  private ageTimer: { cancel(): void } | undefined;
  /** When the connection last had no stream (while it has none). */
  private idleSince = 0;
  private goingAway = false;
  private stopped = false;

  constructor(
    host: LifetimeHost,
    timers: Timers,
    options: ConnectionLifetimeOptions,
    random: () => number = Math.random,
  ) {
    this.host = host;
    this.timers = timers;
    this.maxIdleMs = checkPositive("maxConnectionIdleMs", options.maxIdleMs);
    const maxAgeMs = checkPositive("maxConnectionAgeMs", options.maxAgeMs);
    this.maxAgeGraceMs = checkPositive("maxConnectionAgeGraceMs", options.maxAgeGraceMs);
    this.ageMs = Number.isFinite(maxAgeMs) ? jitteredAge(maxAgeMs, random) : Number.POSITIVE_INFINITY;
  }

  /** The connection is up (no streams yet). */
  start(): void {
    this.idleSince = this.timers.now();
    if (Number.isFinite(this.maxIdleMs)) this.armIdle(this.maxIdleMs);
    if (Number.isFinite(this.ageMs)) this.ageTimer = this.timers.setTimeout(() => this.aged(), this.ageMs);
  }

  /** A stream closed: if none is left, the connection is idle from now. */
  streamClosed(): void {
    if (this.host.activeStreams === 0 && Number.isFinite(this.maxIdleMs)) {
      this.idleSince = this.timers.now();
      if (this.idleTimer === undefined && !this.goingAway) this.armIdle(this.maxIdleMs);
    }
  }

  /** The connection is gone (or shutting down for another reason): no more timers. */
  stop(): void {
    this.stopped = true;
    this.idleTimer?.cancel();
    this.ageTimer?.cancel();
  }

  private armIdle(ms: number): void {
    this.idleTimer = this.timers.setTimeout(() => {
      this.idleTimer = undefined;
      if (this.stopped || this.goingAway || this.host.activeStreams > 0) return;
      const left = this.idleSince + this.maxIdleMs - this.timers.now();
      if (left > 0) {
        this.armIdle(left);
        return;
      }
      this.goingAway = true;
      this.host.goAway(MAX_IDLE);
    }, ms);
  }

  private aged(): void {
    if (this.stopped) return;
    if (!this.goingAway) {
      this.goingAway = true;
      this.idleTimer?.cancel();
      this.host.goAway(MAX_AGE);
    }
    if (Number.isFinite(this.maxAgeGraceMs))
      this.ageTimer = this.timers.setTimeout(() => {
        if (!this.stopped) this.host.forceClose(`max_age grace of ${this.maxAgeGraceMs} ms elapsed`);
      }, this.maxAgeGraceMs);
  }
}

function checkPositive(name: string, value: number | undefined): number {
  if (value === undefined) return Number.POSITIVE_INFINITY;
  if (!(value > 0)) throw new RangeError(`${name} must be > 0, got ${value}`);
  return value;
}
