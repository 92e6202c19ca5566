/**
 * A timer for a deadline of any length. Node's setTimeout fires a delay above 2^31 - 1 ms
 * (about 24.8 days) after 1 ms instead (TimeoutOverflowWarning), so a call with a 30-day timeout
 * would fail at once: longer delays are waited for in steps.
 */
export interface DeadlineTimer {
  cancel(): void;
}

const MAX_DELAY_MS = 2_147_483_647;

/** Calls `fn` once `deadline` (ms since the epoch) has passed, unless cancelled first. */
export function startDeadlineTimer(deadline: number, fn: () => void): DeadlineTimer {
  let handle: ReturnType<typeof setTimeout>;
  const arm = () => {
    const ms = deadline - Date.now();
    if (ms > MAX_DELAY_MS) handle = setTimeout(arm, MAX_DELAY_MS);
    else handle = setTimeout(fn, Math.max(ms, 0));
  };
  arm();
  return { cancel: () => clearTimeout(handle) };
}
