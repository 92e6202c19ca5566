/**
 * Node's timers for the engine's runtime-neutral policies (keepalive, connection lifetime): on
 * `performance.now`, and unref'd, so that a policy never keeps a process alive.
 */
import type { Timers } from "@grpc-ts/http2";
import { now } from "./engine.js";

/** Node's setTimeout accepts at most this; longer waits are done in steps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export const nodeTimers: Timers = {
  now,
  setTimeout(fn, ms) {
    const at = now() + ms;
    let timer: ReturnType<typeof setTimeout>;
    const arm = (wait: number) => {
      const step = Math.min(wait, MAX_TIMEOUT_MS);
      timer = setTimeout(() => {
        // A wait longer than one step goes on with the rest.
        if (step < wait) arm(at - now());
        else fn();
      }, step);
      timer.unref();
    };
    arm(ms);
    return { cancel: () => clearTimeout(timer) };
  },
};
