/**
 * A resolver whose answer is known when it is made (address lists, socket paths, passthrough, an
 * IP literal in a dns target): it delivers that one result after `start` returns and ignores
 * `resolveNow`, since asking again cannot change it.
 */
import type { Resolver, ResolverListener, ResolverResult } from "./resolver.js";

export function createStaticResolver(result: ResolverResult): Resolver {
  let started = false;
  let closed = false;
  return {
    start(listener: ResolverListener) {
      if (started) throw new Error("resolver already started");
      started = true;
      queueMicrotask(() => {
        if (!closed) listener.onResult(result);
      });
    },
    resolveNow() {},
    close() {
      closed = true;
    },
  };
}
