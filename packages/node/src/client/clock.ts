/**
 * Time for the client's layers (resolvers, subchannels, balancers, the channel): the real clock
 * by default, a fake one in unit tests, so that backoff, rate limits and timers are tested
 * without waiting.
 */
export interface Clock {
  now(): number;
  /** Calls `fn` after `ms`; the handle's `unref` lets the process exit while it waits. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

export interface TimerHandle {
  cancel(): void;
  /** The timer no longer keeps the process alive (Node's `unref`); a no-op on fake clocks. */
  unref(): void;
  ref(): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return {
      cancel: () => clearTimeout(t),
      unref: () => void t.unref(),
      ref: () => void t.ref(),
    };
  },
};
