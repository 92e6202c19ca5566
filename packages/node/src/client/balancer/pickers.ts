/** The pickers the built-in policies share: queue, fail, a fixed result, and the IDLE one. */
import type { RpcError } from "@grpc-ts/core";
import type { Picker, PickResult } from "./balancer.js";

const QUEUE: PickResult = { kind: "queue" };

/** Every pick waits for the next picker. */
export const QUEUE_PICKER: Picker = { pick: () => QUEUE };

/** Every pick gets `result` (made once, so picks allocate nothing). */
export function fixedPicker(result: PickResult): Picker {
  return { pick: () => result };
}

/** Every pick fails with `error` (unless the call waits for ready). */
export function failPicker(error: RpcError): Picker {
  return fixedPicker({ kind: "fail", error });
}

/**
 * For an IDLE policy: picks wait, and the first one makes the policy connect (`exitIdle`, called
 * after the pick returns, never inside it), as an IDLE channel reconnects on its next call.
 */
export function idlePicker(exitIdle: () => void): Picker {
  let asked = false;
  return {
    pick: () => {
      if (!asked) {
        asked = true;
        queueMicrotask(exitIdle);
      }
      return QUEUE;
    },
  };
}
