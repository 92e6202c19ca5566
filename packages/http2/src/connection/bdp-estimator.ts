/**
 * Adaptive receive windows: an estimate of the connection's bandwidth-delay product (BDP), the
 * octets in flight that keep the link busy, measured with PINGs as gRPC implementations do.
 *
 * While a window limits the peer (a stream or the connection has more than half of its window
 * outstanding), the connection returns every consumed octet (WINDOW_UPDATE) and sends one PING, at
 * the end of that batch of output, and counts the DATA octets the application takes in until the
 * ACK: what the peer delivers in one round trip holding full windows of credit. A count of two thirds or more of the current estimate,
 * at the highest bandwidth (count ÷ round trip) seen so far, means the window is what held the
 * peer back: the estimate becomes twice the count, up to `limit`. A count that grew only because
 * the round trip did is not taken, and octets that arrive but are not read (a handler that does
 * not read, a paused stream) do not count: windows grow for readers that keep up, never to hold
 * more unread data.
 *
 * No probe while the peer sends less than half a window per round trip (unary calls of small
 * messages never send one), none once the estimate reached `limit`, and with a clock, none sooner
 * than `minIntervalMs` after the previous one: the peer answers each PING, and its own flood
 * protection counts them (on loopback a round trip is well under a millisecond).
 */
export class BdpEstimator {
  /** The window the measurements call for (starts at the initial stream window). */
  estimate: number;
  private readonly limit: number;
  private readonly clock: (() => number) | undefined;
  private readonly minIntervalMs: number;
  /** A probe is wanted and waits for the end of the batch of output. */
  private due = false;
  /** A probe PING is out, its ACK not yet here. */
  private outstanding = false;
  /** Octets the application consumed since the probe went out. */
  private sample = 0;
  private sentAt = Number.NEGATIVE_INFINITY;
  /** Smoothed round trip (clock units), and how many probes measured it. */
  private rtt = 0;
  private probes = 0;
  /** The highest bandwidth measured (octets per clock unit). */
  private bandwidthMax = 0;

  constructor(initial: number, limit: number, clock: (() => number) | undefined, minIntervalMs: number) {
    this.estimate = initial;
    this.limit = limit;
    this.clock = clock;
    this.minIntervalMs = minIntervalMs;
  }

  /**
   * DATA arrived while `limited` (a window is more than half used): true when a probe should go
   * out at the end of this batch of output (then call `probeSent` as it is written).
   */
  wantProbe(limited: boolean): boolean {
    if (!limited || this.outstanding || this.due || this.estimate >= this.limit) return false;
    if (this.clock !== undefined && this.clock() - this.sentAt < this.minIntervalMs) return false;
    this.due = true;
    return true;
  }

  /** The probe PING is written: counting starts. */
  probeSent(): void {
    this.due = false;
    this.outstanding = true;
    this.sample = 0;
    if (this.clock !== undefined) this.sentAt = this.clock();
  }

  /** The application consumed `length` octets of DATA. */
  consumed(length: number): void {
    if (this.outstanding) this.sample += length;
  }

  /** The probe's ACK arrived: the new estimate when the windows should grow, else 0. */
  onAck(): number {
    if (!this.outstanding) return 0;
    this.outstanding = false;
    const sample = this.sample;
    if (this.clock !== undefined) {
      // A round trip below the clock's resolution still counts as a small positive time.
      const rtt = Math.max(this.clock() - this.sentAt, 1e-3);
      this.probes++;
      // The first ten probes average evenly; later ones weigh 90%, the path may have changed.
      this.rtt += (rtt - this.rtt) * (this.probes <= 10 ? 1 / this.probes : 0.9);
      // The count can hold up to about 1.5 round trips' worth of data (what was already on its
      // way when the PING left, then a round trip's), hence the 1.5.
      const bandwidth = sample / (this.rtt * 1.5);
      if (bandwidth < this.bandwidthMax) return 0;
      this.bandwidthMax = bandwidth;
    }
    if (sample * 3 < this.estimate * 2) return 0;
    const grown = Math.min(sample * 2, this.limit);
    if (grown <= this.estimate) return 0;
    this.estimate = grown;
    return grown;
  }
}
