// Runtime-neutral helpers for tests that wait: bounded waits, signals between a handler and a test,
// draining streams. Nothing here imports Node, so the core's and the web client's tests can use it.

/** Waits `ms` milliseconds; rejects with the signal's reason when it fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** What `deferred()` returns. */
export interface Deferred<T = void> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
}

/** A promise with its resolve function, for signalling between a handler and a test. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves with the signal's reason once it fires. */
export function aborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(signal.reason), { once: true }),
  );
}

/** Races a promise against a generous time bound, so that a hang fails the test instead of stalling it. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `check` every `intervalMs` (default 20) until it holds, failing after about `ms`: a bounded
 * wait on a condition that has no event to wait for.
 */
export async function until(check: () => boolean, ms: number, what: string, intervalMs = 20): Promise<void> {
  for (let waited = 0; !check(); waited += intervalMs) {
    if (waited >= ms) throw new Error(`${what}: not true within ${ms} ms`);
    await sleep(intervalMs);
  }
}

/** Awaits a promise expected to reject, and returns the rejection. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error("expected the promise to reject, but it resolved");
}

/** Drains an async iterable into an array. */
export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of source) out.push(v);
  return out;
}

/** An async source of the values, which then throws `fail` when one is given. */
export async function* fromValues<T>(values: readonly T[], fail?: unknown): AsyncGenerator<T> {
  for (const v of values) yield v;
  if (fail !== undefined) throw fail;
}
