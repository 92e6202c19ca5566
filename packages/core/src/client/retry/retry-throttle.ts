/**
 * Retry throttling (gRFC A6, `retryThrottling`), per server name: a token count that starts at
 * `maxTokens`, loses one for each failed attempt (one whose status is retryable or non-fatal, or
 * whose pushback says not to retry) and gains `tokenRatio` for each success, kept between 0 and
 * `maxTokens`. Retries and hedges go only while it is above `maxTokens / 2`. Kept in thousandths
 * of a token, so a ratio of up to 3 decimals adds up exactly.
 */
export class RetryThrottle {
  readonly maxTokens: number;
  readonly tokenRatio: number;
  readonly #max: number;
  readonly #ratio: number;
  #tokens: number;

  /** `maxTokens` in (0, 1000]; `tokenRatio` above 0, rounded to thousandths. */
  constructor(maxTokens: number, tokenRatio: number) {
    this.maxTokens = maxTokens;
    this.tokenRatio = tokenRatio;
    this.#max = Math.round(maxTokens * 1000);
    this.#ratio = Math.round(tokenRatio * 1000);
    this.#tokens = this.#max;
  }

  /** Tokens now (a whole number of thousandths). */
  get tokens(): number {
    return this.#tokens / 1000;
  }

  /** True while retries and hedges may go: more than half the tokens are left. */
  get allows(): boolean {
    return this.#tokens * 2 > this.#max;
  }

  onFailure(): void {
    this.#tokens = Math.max(0, this.#tokens - 1000);
  }

  onSuccess(): void {
    this.#tokens = Math.min(this.#max, this.#tokens + this.#ratio);
  }

  /** Same settings: a new service config with the same `retryThrottling` keeps the count. */
  sameAs(maxTokens: number, tokenRatio: number): boolean {
    return this.maxTokens === maxTokens && this.tokenRatio === tokenRatio;
  }
}
