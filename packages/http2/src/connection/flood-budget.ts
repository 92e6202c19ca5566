/**
 * The flood budget: a token bucket of frames that cost us work but move nothing forward (the
 * SETTINGS, PING, empty-frame and reset floods of CVE-2019-9512/9515/9518 and their kin). Such a
 * frame spends a token; a frame that carries content, or a stream completed, gives one back, and
 * so does time (with a clock), up to the capacity. A peer that spends it all is ended with GOAWAY
 * ENHANCE_YOUR_CALM.
 */
import { ErrorCode, Http2Error } from "../errors.js";

export class FloodBudget {
  readonly capacity: number;
  private tokens: number;
  private readonly refillPerMs: number;
  private readonly clock: (() => number) | undefined;
  private refilledAt = 0;

  constructor(capacity: number, refillPerSecond: number, clock: (() => number) | undefined) {
    this.capacity = capacity;
    this.tokens = capacity;
    this.refillPerMs = refillPerSecond / 1000;
    this.clock = clock;
    if (clock !== undefined) this.refilledAt = clock();
  }

  /** A frame that moved something forward: one token back, up to the capacity. */
  refund(): void {
    if (this.tokens < this.capacity) this.tokens++;
  }

  /**
   * Takes one token for a frame that moves nothing forward; none left is a flood, a connection
   * error (ENHANCE_YOUR_CALM). Called from the frame handlers, so the throw ends the connection.
   */
  spend(what: string): void {
    if (--this.tokens >= 0) return;
    if (this.clock !== undefined) {
      const now = this.clock();
      const back = Math.floor((now - this.refilledAt) * this.refillPerMs);
      if (back > 0) {
        this.tokens = Math.min(this.capacity, this.tokens + back);
        this.refilledAt = now;
        if (this.tokens >= 0) return;
      }
    }
    throw new Http2Error(
      ErrorCode.ENHANCE_YOUR_CALM,
      `flood: more ${what} than the budget of ${this.capacity} frames that carry no request forward`,
    );
  }
}
