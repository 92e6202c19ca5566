/**
 * Memory for request messages kept so that another attempt can send them again (gRFC A6,
 * "Memory Management"): at most `perCallBytes` for one call, and `totalBytes` for all of a
 * channel's calls. A call whose messages do not fit is committed to the attempt it has (it is
 * still sent, but no longer retried); what a call holds is given back when it commits or ends.
 */
export const DEFAULT_RETRY_BUFFER_BYTES = 1 << 20;
export const DEFAULT_CHANNEL_RETRY_BUFFER_BYTES = 16 << 20;

export class RetryBuffer {
  readonly perCallBytes: number;
  readonly totalBytes: number;
  #used = 0;

  constructor(perCallBytes = DEFAULT_RETRY_BUFFER_BYTES, totalBytes = DEFAULT_CHANNEL_RETRY_BUFFER_BYTES) {
    this.perCallBytes = perCallBytes;
    this.totalBytes = totalBytes;
  }

  /** Bytes held by all calls now. */
  get used(): number {
    return this.#used;
  }

  /**
   * Takes `bytes` more for a call that holds `held` already: false (and nothing taken) when the
   * call's limit or the channel's would be passed.
   */
  take(held: number, bytes: number): boolean {
    if (held + bytes > this.perCallBytes || this.#used + bytes > this.totalBytes) return false;
    this.#used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}
