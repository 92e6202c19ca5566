import { Code } from "./code.js";
import { RpcError } from "./rpc-error.js";

/**
 * A bounded async queue: a producer writes, a consumer iterates. `write` resolves once the queue has
 * room again, so a fast producer waits for a slow consumer (backpressure), and nothing grows without
 * bound. Used for request streams handed to handlers, response streams handed to callers, and by
 * applications that send messages on a client- or bidi-streaming call one at a time.
 */
export interface WritableIterable<T> extends AsyncIterable<T> {
  /** Queues a value; resolves when the queue is below its high-water mark. Rejects after close/fail. */
  write(value: T): Promise<void>;
  /** Ends the stream: the consumer sees the values already queued, then the end. */
  close(): void;
  /** Ends the stream with an error, delivered to the consumer after the queued values. */
  fail(error: unknown): void;
  /** True once closed or failed. */
  readonly closed: boolean;
  /** True while the queue is at or above its high-water mark (a producer should hold back). */
  readonly full: boolean;
}

export interface WritableIterableOptions {
  /** How many values may wait before `write` holds the producer back (default 16, at least 1). */
  readonly highWaterMark?: number;
  /** Called when the consumer stops early (break/return/throw from a for-await loop). */
  readonly onReturn?: () => void;
  /** Called each time the consumer takes a value and the queue has fallen below the mark. */
  readonly onDrain?: () => void;
}

export function createWritableIterable<T>(options: WritableIterableOptions = {}): WritableIterable<T> {
  const highWaterMark = Math.max(1, options.highWaterMark ?? 16);
  const queue: T[] = [];
  let head = 0;
  let done = false;
  let error: unknown;
  let failed = false;
  let consumerGone = false;
  let waitingConsumer: ((r: IteratorResult<T>) => void) | undefined;
  let waitingConsumerReject: ((e: unknown) => void) | undefined;
  const waitingProducers: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  function size(): number {
    return queue.length - head;
  }

  function releaseProducers(): void {
    while (waitingProducers.length > 0 && size() < highWaterMark) waitingProducers.shift()!.resolve();
  }

  function take(): T {
    const v = queue[head]!;
    queue[head++] = undefined as T;
    if (head > 64 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    return v;
  }

  function settleConsumer(): void {
    const resolve = waitingConsumer;
    const reject = waitingConsumerReject;
    if (resolve === undefined || reject === undefined) return;
    if (size() > 0) {
      waitingConsumer = waitingConsumerReject = undefined;
      resolve({ value: take(), done: false });
      afterTake();
    } else if (done) {
      waitingConsumer = waitingConsumerReject = undefined;
      if (failed) reject(error);
      else resolve({ value: undefined, done: true });
    }
  }

  function afterTake(): void {
    if (size() < highWaterMark) {
      releaseProducers();
      options.onDrain?.();
    }
  }

  function stopProducers(reason: unknown): void {
    for (const p of waitingProducers.splice(0)) p.reject(reason);
  }

  const iterable: WritableIterable<T> = {
    get closed() {
      return done;
    },
    get full() {
      return size() >= highWaterMark;
    },
    write(value: T): Promise<void> {
      if (done || consumerGone) {
        return Promise.reject(
          consumerGone
            ? new RpcError(Code.CANCELLED, "the stream's reader stopped reading")
            : new RpcError(Code.INTERNAL, "write after the stream was closed"),
        );
      }
      queue.push(value);
      settleConsumer();
      if (size() < highWaterMark) return Promise.resolve();
      return new Promise((resolve, reject) => waitingProducers.push({ resolve, reject }));
    },
    close(): void {
      if (done) return;
      done = true;
      settleConsumer();
    },
    fail(e: unknown): void {
      if (done) return;
      done = true;
      failed = true;
      error = e;
      stopProducers(e);
      settleConsumer();
    },
    [Symbol.asyncIterator](): AsyncIterator<T> {
      return {
        next(): Promise<IteratorResult<T>> {
          if (size() > 0) {
            const value = take();
            afterTake();
            return Promise.resolve({ value, done: false });
          }
          if (done) return failed ? Promise.reject(error) : Promise.resolve({ value: undefined, done: true });
          if (consumerGone) return Promise.resolve({ value: undefined, done: true });
          return new Promise((resolve, reject) => {
            waitingConsumer = resolve;
            waitingConsumerReject = reject;
          });
        },
        return(): Promise<IteratorResult<T>> {
          if (!consumerGone) {
            consumerGone = true;
            queue.length = head = 0;
            stopProducers(new RpcError(Code.CANCELLED, "the stream's reader stopped reading"));
            if (!done) options.onReturn?.();
          }
          return Promise.resolve({ value: undefined, done: true });
        },
      };
    },
  };
  return iterable;
}
