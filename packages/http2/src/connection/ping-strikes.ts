/**
 * A server's enforcement of the client's keepalive PINGs (gRFC A8, "Server Enforcement"): a PING
 * that comes sooner than the policy allows after the previous one is a strike; past
 * `MAX_PING_STRIKES` strikes the client is misbehaving, and the connection ends with GOAWAY
 * ENHANCE_YOUR_CALM and the debug data `too_many_pings` (`TOO_MANY_PINGS`), which tells a gRPC
 * client to double its keepalive time.
 *
 * The least interval is `minIntervalMs` while the connection has streams (or with
 * `permitWithoutCalls`), and two hours without (what TCP keepalive allows). PINGs have other uses
 * than keepalive (a peer measuring its bandwidth-delay product while we stream to it), so a PING
 * that follows HEADERS or DATA we sent is always allowed, and clears the strikes.
 *
 * Which PING the next one is measured from: every PING received, allowed or not, as grpc-go and
 * C-core do (A8's suggested algorithm only moves it on allowed ones, so a client that pings at
 * a bit less than the interval would be allowed every other PING forever). Pure: the time is the
 * caller's (`received(now, ...)`), so it runs on any clock.
 */

/** Strikes allowed; the next one ends the connection (A8's MAX_PING_STRIKES). */
export const MAX_PING_STRIKES = 2;
/** The least interval between PINGs on a connection with no streams, unless `permitWithoutCalls`. */
export const IDLE_PING_INTERVAL_MS = 2 * 60 * 60_000;
/** The GOAWAY debug data of a connection ended for too many PINGs (A8). */
export const TOO_MANY_PINGS = "too_many_pings";

/** What a server allows of the client's PINGs. */
export interface PingPolicy {
  /** The least time between two PINGs while there are streams (A8's PERMIT_KEEPALIVE_TIME). */
  readonly minIntervalMs: number;
  /** Whether PINGs on a connection with no streams are held to `minIntervalMs` too, not two hours. */
  readonly permitWithoutCalls: boolean;
}

export class PingStrikes {
  private readonly minIntervalMs: number;
  private readonly permitWithoutCalls: boolean;
  private strikes = 0;
  /** When the previous PING came (none yet: any first PING is allowed). */
  private lastAt = Number.NEGATIVE_INFINITY;
  /** The caller's count of HEADERS and DATA sent, as of the previous PING. */
  private sentMark = 0;

  constructor(policy: PingPolicy) {
    if (!(policy.minIntervalMs >= 0))
      throw new RangeError(`minIntervalMs must be >= 0, got ${policy.minIntervalMs}`);
    this.minIntervalMs = policy.minIntervalMs;
    this.permitWithoutCalls = policy.permitWithoutCalls;
  }

  /** Strikes so far. */
  get count(): number {
    return this.strikes;
  }

  /**
   * A PING (not an ACK) from the peer, at `now` (milliseconds), with `activeStreams` open, and
   * `sent` a count of the HEADERS and DATA we have sent that grows with each (any count: only a
   * change matters). False when it is one strike too many: end the connection.
   */
  received(now: number, activeStreams: number, sent: number): boolean {
    const previous = this.lastAt;
    this.lastAt = now;
    if (sent !== this.sentMark) {
      // We sent HEADERS or DATA since the previous PING: this one is allowed, and starts afresh.
      this.sentMark = sent;
      this.strikes = 0;
      return true;
    }
    const interval =
      activeStreams === 0 && !this.permitWithoutCalls ? IDLE_PING_INTERVAL_MS : this.minIntervalMs;
    if (now - previous >= interval) return true;
    return ++this.strikes <= MAX_PING_STRIKES;
  }
}
