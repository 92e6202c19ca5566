/** Connection backoff parameters (connection-backoff.md); the defaults are the spec's. */
export interface BackoffOptions {
  readonly initialMs?: number;
  readonly multiplier?: number;
  readonly jitter?: number;
  readonly maxMs?: number;
  /** Each connection attempt may take at least this long. */
  readonly minConnectTimeoutMs?: number;
}

/**
 * The backoff schedule: `next()` gives the delay before the next attempt, growing by the
 * multiplier up to the maximum, each delay jittered by ±jitter; `reset()` after a success.
 */
export class Backoff {
  readonly initialMs: number;
  readonly multiplier: number;
  readonly jitter: number;
  readonly maxMs: number;
  readonly minConnectTimeoutMs: number;
  #current: number;
  #started = false;
  readonly #random: () => number;

  constructor(options: BackoffOptions = {}, random: () => number = Math.random) {
    this.initialMs = options.initialMs ?? 1000;
    this.multiplier = options.multiplier ?? 1.6;
    this.jitter = options.jitter ?? 0.2;
    // setTimeout cannot wait longer than 2^31 - 1 ms.
    this.maxMs = Math.min(options.maxMs ?? 120_000, 2_147_483_647);
    this.minConnectTimeoutMs = options.minConnectTimeoutMs ?? 20_000;
    this.#current = this.initialMs;
    this.#random = random;
  }

  /** The delay before the next attempt: the initial backoff first, then grown and jittered. */
  next(): number {
    const base = this.#current;
    const first = base === this.initialMs && !this.#started;
    this.#started = true;
    this.#current = Math.min(this.#current * this.multiplier, this.maxMs);
    if (first) return base;
    const spread = base * this.jitter;
    return Math.max(0, base + (this.#random() * 2 - 1) * spread);
  }

  reset(): void {
    this.#current = this.initialMs;
    this.#started = false;
  }
}
