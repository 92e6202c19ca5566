/**
 * Keepalive PINGs (gRFC A8 for clients, and the server's own keepalive of A9): after `timeMs`
 * with nothing read from the peer, send a PING; if nothing at all is read within `timeoutMs`
 * after it (its ACK, or any other octet: the peer is alive), the connection is dead.
 *
 * The time is measured from the last activity seen: the connection's start, the last keepalive
 * ACK, or the moment a check found that octets had been read since the previous one (A8 allows
 * "polling" like this; it never measures from the PING sent, which would make a client that
 * matches a server's policy exactly look too eager). So a connection busy reading never sends a
 * keepalive PING, two PINGs are never less than `timeMs` apart, and a PING goes out between
 * `timeMs` and twice that after the last octet read (the host only counts octets: no clock is
 * read per chunk, and node:http2 gives no more than the count).
 *
 * Without `permitWithoutCalls`, a connection with no streams sends none: the timer stops when it
 * finds no stream, and the next stream opened (`streamOpened`) starts it again, with a PING at
 * once when `timeMs` has passed since the last activity (A8: a call after a long idle time then
 * learns of a dead connection within `timeoutMs`, not `timeMs + timeoutMs`).
 *
 * Runtime-neutral: the connection and the timers are the caller's (`KeepaliveHost`, `Timers`).
 */

/** Timers of the caller's runtime (Node's `setTimeout`, a fake clock in tests). */
export interface Timers {
  /** Milliseconds from any fixed origin (a monotonic clock). */
  now(): number;
  /** Calls `fn` once after `ms`, unless cancelled. */
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export interface KeepaliveOptions {
  /** Time without reading anything after which a PING is sent. */
  readonly timeMs: number;
  /** Time after a PING within which something must be read. */
  readonly timeoutMs: number;
  /** Whether PINGs are sent while the connection has no streams. */
  readonly permitWithoutCalls: boolean;
}

/** The connection a `Keepalive` watches. */
export interface KeepaliveHost {
  /** Octets read from the peer so far (only changes matter). */
  readonly bytesRead: number;
  /** Streams open now. */
  readonly activeStreams: number;
  /** Sends a keepalive PING; the host calls `Keepalive.acked` when its ACK arrives. */
  sendPing(): void;
  /** Nothing was read within `timeoutMs` of a PING: end the connection. */
  timedOut(): void;
}

const IDLE = 0;
const WAITING = 1;
const PINGING = 2;
const DORMANT = 3;
const STOPPED = 4;

export class Keepalive {
  private readonly host: KeepaliveHost;
  private readonly timers: Timers;
  private readonly timeMs: number;
  private readonly timeoutMs: number;
  private readonly permitWithoutCalls: boolean;
  private state = IDLE;
  private timer: { cancel(): void } | undefined;
  /** `bytesRead` when activity was last seen, and when. */
  private mark = 0;
  private aliveAt = 0;

  constructor(host: KeepaliveHost, timers: Timers, options: KeepaliveOptions) {
    for (const name of ["timeMs", "timeoutMs"] as const) {
      const v = options[name];
      if (!(v > 0)) throw new RangeError(`keepalive ${name} must be > 0, got ${v}`);
    }
    this.host = host;
    this.timers = timers;
    this.timeMs = options.timeMs;
    this.timeoutMs = options.timeoutMs;
    this.permitWithoutCalls = options.permitWithoutCalls;
  }

  /** Whether a PING is out and not yet answered. */
  get pinging(): boolean {
    return this.state === PINGING;
  }

  /** The connection is up: the first PING is due `timeMs` from now. */
  start(): void {
    if (this.state !== IDLE) return;
    this.seenAlive();
    this.wait(this.timeMs);
  }

  /** The ACK of our keepalive PING arrived. */
  acked(): void {
    if (this.state !== PINGING) return;
    this.timer?.cancel();
    this.seenAlive();
    this.wait(this.timeMs);
  }

  /** A stream was opened: wakes a keepalive that stopped for want of streams. */
  streamOpened(): void {
    if (this.state !== DORMANT) return;
    if (this.host.bytesRead !== this.mark) this.seenAlive();
    const left = this.aliveAt + this.timeMs - this.timers.now();
    if (left <= 0) this.ping();
    else this.wait(left);
  }

  /** The connection is gone: no more timers. */
  stop(): void {
    this.state = STOPPED;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private seenAlive(): void {
    this.mark = this.host.bytesRead;
    this.aliveAt = this.timers.now();
  }

  private wait(ms: number): void {
    this.state = WAITING;
    this.timer = this.timers.setTimeout(() => this.due(), ms);
  }

  private due(): void {
    if (this.state === STOPPED) return;
    this.timer = undefined;
    if (this.host.bytesRead !== this.mark) {
      // Octets came in since: the peer is alive; the next check is `timeMs` from now.
      this.seenAlive();
      this.wait(this.timeMs);
      return;
    }
    if (this.state === PINGING) {
      this.state = STOPPED;
      this.host.timedOut();
      return;
    }
    if (this.host.activeStreams === 0 && !this.permitWithoutCalls) {
      this.state = DORMANT;
      return;
    }
    this.ping();
  }

  private ping(): void {
    this.state = PINGING;
    this.mark = this.host.bytesRead;
    this.timer = this.timers.setTimeout(() => this.due(), this.timeoutMs);
    this.host.sendPing();
  }
}
