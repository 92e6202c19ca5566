// A resolver that a test drives: each `push` is a result for every running resolver of its
// scheme (and for those started later), delivered synchronously; `resolveNow` calls are counted.
import type { ResolverFactory, ResolverListener, ResolverResult } from "@grpc-ts/node";

export interface PushResolver {
  /** For `createChannel(target, { resolvers: [factory] })`, with targets `SCHEME:anything`. */
  readonly factory: ResolverFactory;
  /** Delivers `result` now (to running resolvers) and on each later start. */
  push(result: ResolverResult): void;
  /** How many resolvers were made (a channel makes one again on each wake from IDLE). */
  readonly created: number;
  /** How many times a channel asked to resolve again. */
  readonly resolveNowCalls: number;
}

/** A resolver for `scheme` whose results come from `push`. */
export function createPushResolver(scheme: string, first?: ResolverResult): PushResolver {
  let last: ResolverResult | undefined = first;
  let created = 0;
  let resolveNowCalls = 0;
  const running = new Set<ResolverListener>();
  return {
    factory: {
      scheme,
      create() {
        created++;
        let listener: ResolverListener | undefined;
        let closed = false;
        return {
          start(l) {
            listener = l;
            running.add(l);
            queueMicrotask(() => {
              if (!closed && last !== undefined) l.onResult(last);
            });
          },
          resolveNow() {
            resolveNowCalls++;
          },
          close() {
            closed = true;
            if (listener !== undefined) running.delete(listener);
          },
        };
      },
      defaultAuthority: (target) => target.endpoint,
    },
    push(result) {
      last = result;
      for (const l of [...running]) l.onResult(result);
    },
    get created() {
      return created;
    },
    get resolveNowCalls() {
      return resolveNowCalls;
    },
  };
}
