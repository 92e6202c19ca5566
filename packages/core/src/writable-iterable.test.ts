import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertRpcError, isRpcError } from "@grpc-ts/testing/assert";
import { collect } from "@grpc-ts/testing/async";
import { Code } from "./code.js";
import { RpcError } from "./rpc-error.js";
import { createWritableIterable } from "./writable-iterable.js";

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether a promise has settled after the microtask queue ran. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await tick();
  return done;
}

describe("createWritableIterable", () => {
  it("delivers values in order, then the end after close", async () => {
    const it = createWritableIterable<number>();
    const consumed = collect(it);
    for (let i = 0; i < 100; i++) await it.write(i);
    it.close();
    assert.deepEqual(
      await consumed,
      Array.from({ length: 100 }, (_, i) => i),
    );
  });

  it("delivers values written before the consumer starts, then the end", async () => {
    const it = createWritableIterable<string>({ highWaterMark: 10 });
    void it.write("a");
    void it.write("b");
    it.close();
    assert.equal(it.closed, true);
    assert.deepEqual(await collect(it), ["a", "b"]);
  });

  it("write resolves at once below the mark and waits at the mark", async () => {
    const it = createWritableIterable<number>({ highWaterMark: 2 });
    assert.equal(await settled(it.write(1)), true);
    assert.equal(it.full, false);
    const second = it.write(2);
    assert.equal(it.full, true);
    assert.equal(await settled(second), false, "the queue is at the mark");
    const iter = it[Symbol.asyncIterator]();
    assert.deepEqual(await iter.next(), { value: 1, done: false });
    assert.equal(await settled(second), true, "taking one made room");
    assert.equal(it.full, false);
  });

  it("hands a value straight to a waiting consumer", async () => {
    const it = createWritableIterable<number>({ highWaterMark: 1 });
    const iter = it[Symbol.asyncIterator]();
    const pending = iter.next();
    assert.equal(await settled(it.write(7)), true, "the value went to the consumer, not the queue");
    assert.deepEqual(await pending, { value: 7, done: false });
  });

  it("holds a fast producer of 10,000 values to the high-water mark", async () => {
    const highWaterMark = 16;
    const it = createWritableIterable<number>({ highWaterMark });
    let written = 0;
    let consumed = 0;
    let maxQueued = 0;
    let writesThatWaited = 0;
    const producer = (async () => {
      for (let i = 0; i < 10_000; i++) {
        written++;
        const p = it.write(i);
        if (it.full) writesThatWaited++;
        await p;
        assert.equal(it.full, false, "write resolved while the queue was full");
      }
      it.close();
    })();
    const iter = it[Symbol.asyncIterator]();
    const received: number[] = [];
    for (;;) {
      // Between next() calls nothing is in flight: every value written and not consumed is queued.
      maxQueued = Math.max(maxQueued, written - consumed);
      const r = await iter.next();
      if (r.done) break;
      consumed++;
      received.push(r.value);
      if (consumed % 3 === 0) await tick(); // a slow consumer
    }
    await producer;
    assert.equal(received.length, 10_000);
    assert.ok(
      received.every((v, i) => v === i),
      "order",
    );
    assert.equal(maxQueued, highWaterMark, "the queue filled to the mark and never beyond");
    assert.ok(writesThatWaited > 100, `the producer was held back (${writesThatWaited} times)`);
  });

  it("calls onDrain when a take leaves the queue below the mark", async () => {
    let drains = 0;
    const it = createWritableIterable<number>({ highWaterMark: 2, onDrain: () => drains++ });
    void it.write(1);
    void it.write(2);
    const iter = it[Symbol.asyncIterator]();
    await iter.next();
    assert.equal(drains, 1);
    await iter.next();
    assert.equal(drains, 2);
  });

  it("a waiting producer is released by close only as the consumer drains", async () => {
    const it = createWritableIterable<number>({ highWaterMark: 1 });
    const w = it.write(1);
    it.close();
    assert.equal(await settled(w), false);
    assert.deepEqual(await collect(it), [1]);
    await w;
  });

  it("rejects a write after close with INTERNAL", async () => {
    const it = createWritableIterable<number>();
    it.close();
    await assert.rejects(it.write(1), isRpcError(Code.INTERNAL));
    it.close(); // a second close is a no-op
    assert.deepEqual(await collect(it), []);
  });

  it("fail delivers the queued values, then the error, to the consumer", async () => {
    const it = createWritableIterable<number>({ highWaterMark: 10 });
    void it.write(1);
    void it.write(2);
    const boom = new RpcError(Code.DATA_LOSS, "boom");
    it.fail(boom);
    assert.equal(it.closed, true);
    const got: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const v of it) got.push(v);
      })(),
      (e) => e === boom,
    );
    assert.deepEqual(got, [1, 2]);
    await assert.rejects(it.write(3), isRpcError(Code.INTERNAL));
  });

  it("fail wakes a waiting consumer with the error", async () => {
    const it = createWritableIterable<number>();
    const iter = it[Symbol.asyncIterator]();
    const pending = iter.next();
    const err = new Error("x");
    it.fail(err);
    await assert.rejects(pending, (e) => e === err);
    // Later reads fail the same way; a close after the failure changes nothing.
    it.close();
    await assert.rejects(iter.next(), (e) => e === err);
  });

  it("fail rejects a producer waiting for room with the error", async () => {
    const it = createWritableIterable<number>({ highWaterMark: 1 });
    const w = it.write(1);
    const err = new Error("failed");
    it.fail(err);
    await assert.rejects(w, (e) => e === err);
  });

  it("close wakes a waiting consumer with the end", async () => {
    const it = createWritableIterable<number>();
    const iter = it[Symbol.asyncIterator]();
    const pending = iter.next();
    it.close();
    assert.deepEqual(await pending, { value: undefined, done: true });
    assert.deepEqual(await iter.next(), { value: undefined, done: true });
  });

  it("a consumer that breaks calls onReturn, drops the queue and cancels later writes", async () => {
    let returns = 0;
    const it = createWritableIterable<number>({ highWaterMark: 4, onReturn: () => returns++ });
    await it.write(1);
    await it.write(2);
    await it.write(3);
    for await (const v of it) {
      assert.equal(v, 1);
      break;
    }
    assert.equal(returns, 1);
    await assert.rejects(it.write(4), isRpcError(Code.CANCELLED));
    assert.equal(it.full, false, "the values nobody will read were dropped");
    assert.deepEqual(await it[Symbol.asyncIterator]().next(), { value: undefined, done: true });
  });

  it("a consumer that breaks makes a producer waiting for room reject with CANCELLED", async () => {
    let returns = 0;
    const it = createWritableIterable<number>({ highWaterMark: 1, onReturn: () => returns++ });
    void it.write(0);
    const consumer = (async () => {
      for await (const _ of it) {
        await tick();
        break;
      }
    })();
    let rejected: unknown;
    for (let i = 1; i < 100 && rejected === undefined; i++) {
      await it.write(i).catch((e: unknown) => {
        rejected = e;
      });
    }
    await consumer;
    assertRpcError(rejected, Code.CANCELLED);
    assert.equal(returns, 1);
    await assert.rejects(it.write(100), isRpcError(Code.CANCELLED));
    assert.deepEqual(await it[Symbol.asyncIterator]().next(), { value: undefined, done: true });
  });

  it("does not call onReturn when the stream had already ended", async () => {
    let returns = 0;
    const it = createWritableIterable<number>({ onReturn: () => returns++ });
    void it.write(1);
    void it.write(2);
    it.close();
    for await (const _ of it) break;
    assert.equal(returns, 0);
  });

  it("onReturn runs once even if return is called twice", async () => {
    let returns = 0;
    const it = createWritableIterable<number>({ onReturn: () => returns++ });
    const iter = it[Symbol.asyncIterator]();
    assert.deepEqual(await iter.return?.(), { value: undefined, done: true });
    await iter.return?.();
    assert.equal(returns, 1);
  });

  it("keeps order across queue compaction with a large backlog", async () => {
    const it = createWritableIterable<number>({ highWaterMark: 1000 });
    const iter = it[Symbol.asyncIterator]();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 150; i++) void it.write(next++);
      for (let i = 0; i < 100; i++) {
        const r = await iter.next();
        assert.equal(r.value, expected++);
      }
    }
    it.close();
    for (;;) {
      const r = await iter.next();
      if (r.done) break;
      assert.equal(r.value, expected++);
    }
    assert.equal(expected, next);
  });
});

describe("createWritableIterable with a high-water mark of 0", () => {
  it("treats it as 1, so write() still resolves once the consumer takes the value", async () => {
    const q = createWritableIterable<number>({ highWaterMark: 0 });
    const written = q.write(1);
    let resolved = false;
    void written.then(() => (resolved = true));
    await tick();
    assert.equal(resolved, false);
    const it = q[Symbol.asyncIterator]();
    assert.deepEqual(await it.next(), { value: 1, done: false });
    await tick();
    assert.equal(resolved, true);
  });
});
