// Cancellation both ways: a client that aborts or stops reading, and a handler that fails mid-stream.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  aborted,
  assertRpcError,
  type Deferred,
  deferred,
  type EchoHarness,
  type EchoRequestInit,
  expectRpcError,
  sleep,
  startEcho,
  within,
} from "@grpc-ts/testing";
import { Code, createWritableIterable, RpcError } from "../index.js";

/** What the server saw of the latest call of each method. */
interface Seen {
  started: Deferred;
  reason: Promise<unknown>;
  produced: number;
  finallyRan: Deferred;
}

function fresh(): Seen {
  return { started: deferred(), reason: new Promise(() => {}), produced: 0, finallyRan: deferred() };
}

describe("cancellation", () => {
  let h: EchoHarness;
  let seen = fresh();
  before(async () => {
    h = await startEcho({
      impl: {
        async unary(_req, ctx) {
          seen.reason = aborted(ctx.signal);
          seen.started.resolve();
          await sleep(10_000, ctx.signal);
          return {};
        },
        async *serverStream(req, ctx) {
          seen.reason = aborted(ctx.signal);
          try {
            for (let i = 0; i < req.count; i++) {
              yield { index: i };
              seen.produced++;
              if (i === 2) seen.started.resolve();
              if (req.delayMs > 0) await sleep(req.delayMs, ctx.signal);
            }
            if (req.failCode !== 0) throw new RpcError(Code.DATA_LOSS, `failed after ${req.count}`);
            if (req.message === "throw plain") throw new Error("plain failure");
          } finally {
            seen.finallyRan.resolve();
          }
        },
        async clientStream(requests, ctx) {
          seen.reason = aborted(ctx.signal);
          let n = 0;
          try {
            for await (const _ of requests) {
              if (++n === 2) seen.started.resolve();
            }
          } finally {
            seen.finallyRan.resolve();
          }
          return { received: n };
        },
        async *bidi(requests, ctx) {
          seen.reason = aborted(ctx.signal);
          try {
            for await (const r of requests) {
              if (r.failCode !== 0) throw new RpcError(Code.ABORTED, r.failMessage);
              yield { message: r.message };
              seen.started.resolve();
            }
          } finally {
            seen.finallyRan.resolve();
          }
        },
      },
    });
  });
  after(() => h.close());

  it("aborting a unary call mid-flight: CANCELLED at the client, the handler's signal fires", async () => {
    seen = fresh();
    const ac = new AbortController();
    const call = h.client.unary({}, { signal: ac.signal });
    await within(seen.started.promise, 5000, "handler start");
    ac.abort();
    await within(expectRpcError(call, Code.CANCELLED), 5000, "client");
    assertRpcError(await within(seen.reason, 5000, "handler signal"), Code.CANCELLED);
  });

  it("an abort reason that is an RpcError is the call's error", async () => {
    seen = fresh();
    const ac = new AbortController();
    const call = h.client.unary({}, { signal: ac.signal });
    await within(seen.started.promise, 5000, "handler start");
    ac.abort(new RpcError(Code.ABORTED, "user gave up"));
    await within(expectRpcError(call, Code.ABORTED, "user gave up"), 5000, "client");
    assertRpcError(await within(seen.reason, 5000, "handler signal"), Code.CANCELLED);
  });

  it("an already-aborted signal fails at once without reaching the server", async () => {
    seen = fresh();
    const ac = new AbortController();
    ac.abort();
    await expectRpcError(h.client.unary({}, { signal: ac.signal }), Code.CANCELLED);
    const started = await Promise.race([seen.started.promise.then(() => true), sleep(50).then(() => false)]);
    assert.equal(started, false);
  });

  it("aborting mid server stream: the loop throws CANCELLED, the handler's signal fires and its generator ends", async () => {
    seen = fresh();
    const ac = new AbortController();
    const got: number[] = [];
    const loop = (async () => {
      for await (const r of h.client.serverStream({ count: 100_000, delayMs: 5 }, { signal: ac.signal })) {
        got.push(r.index);
        if (got.length === 3) ac.abort();
      }
    })();
    await within(expectRpcError(loop, Code.CANCELLED), 5000, "client");
    assert.deepEqual(got, [0, 1, 2]);
    assertRpcError(await within(seen.reason, 5000, "handler signal"), Code.CANCELLED);
    await within(seen.finallyRan.promise, 5000, "handler finally");
    assert.ok(seen.produced < 100_000);
  });

  it("breaking out of for-await over a server stream cancels the server handler", async () => {
    seen = fresh();
    const got: number[] = [];
    for await (const r of h.client.serverStream({ count: 100_000, delayMs: 5 })) {
      got.push(r.index);
      if (got.length === 3) break;
    }
    assert.deepEqual(got, [0, 1, 2]);
    assertRpcError(await within(seen.reason, 5000, "handler signal"), Code.CANCELLED);
    // The generator has exited (its finally ran), long before its 100,000 messages: it stopped
    // producing, and a finished generator cannot produce again.
    await within(seen.finallyRan.promise, 5000, "handler finally");
    assert.ok(seen.produced < 100_000, `the handler produced ${seen.produced} messages`);
  });

  it("a handler throwing an RpcError mid-stream: the client gets the messages, then the status", async () => {
    seen = fresh();
    const got: number[] = [];
    const loop = (async () => {
      for await (const r of h.client.serverStream({ count: 4, failCode: 1 })) got.push(r.index);
    })();
    await within(expectRpcError(loop, Code.DATA_LOSS, "failed after 4"), 5000, "client");
    assert.deepEqual(got, [0, 1, 2, 3]);
  });

  it("a handler throwing a plain Error mid-stream: UNKNOWN after the messages", async () => {
    seen = fresh();
    const got: number[] = [];
    const loop = (async () => {
      for await (const r of h.client.serverStream({ count: 2, message: "throw plain" })) got.push(r.index);
    })();
    const e = await within(expectRpcError(loop, Code.UNKNOWN), 5000, "client");
    assert.deepEqual(got, [0, 1]);
    // The error's message is sent (as other gRPC implementations do), never its stack.
    assert.equal(e.rawMessage, "plain failure");
  });

  it("aborting mid client stream: CANCELLED at the client, the handler's request stream ends", async () => {
    seen = fresh();
    const ac = new AbortController();
    const requests = createWritableIterable<EchoRequestInit>();
    const call = h.client.clientStream(requests, { signal: ac.signal });
    await requests.write({ message: "1" });
    await requests.write({ message: "2" });
    await within(seen.started.promise, 5000, "handler saw 2 requests");
    ac.abort();
    await within(expectRpcError(call, Code.CANCELLED), 5000, "client");
    assertRpcError(await within(seen.reason, 5000, "handler signal"), Code.CANCELLED);
    await within(seen.finallyRan.promise, 5000, "handler finally");
    requests.close();
  });

  it("aborting mid bidi: CANCELLED at the client, the handler's signal fires", async () => {
    seen = fresh();
    const ac = new AbortController();
    const requests = createWritableIterable<EchoRequestInit>();
    const responses = h.client.bidi(requests, { signal: ac.signal })[Symbol.asyncIterator]();
    await requests.write({ message: "a" });
    assert.equal((await responses.next()).value?.message, "a");
    ac.abort();
    await within(expectRpcError(responses.next(), Code.CANCELLED), 5000, "client");
    assertRpcError(await within(seen.reason, 5000, "handler signal"), Code.CANCELLED);
    await within(seen.finallyRan.promise, 5000, "handler finally");
    requests.close();
  });

  it("a bidi handler failing mid-stream: the client's loop gets the status", async () => {
    seen = fresh();
    const got: string[] = [];
    const loop = (async () => {
      for await (const r of h.client.bidi([
        { message: "a" },
        { message: "b" },
        { failCode: 1, failMessage: "no more" },
      ]))
        got.push(r.message);
    })();
    await within(expectRpcError(loop, Code.ABORTED, "no more"), 5000, "client");
    assert.deepEqual(got, ["a", "b"]);
  });

  it("a bidi handler failing while the client is still sending: the client gets the status", async () => {
    seen = fresh();
    const requests = createWritableIterable<EchoRequestInit>();
    const responses = h.client.bidi(requests)[Symbol.asyncIterator]();
    await requests.write({ message: "a" });
    assert.equal((await responses.next()).value?.message, "a");
    await requests.write({ failCode: 1, failMessage: "stop sending" });
    await within(expectRpcError(responses.next(), Code.ABORTED, "stop sending"), 5000, "client");
    requests.close();
  });

  it("a bidi handler returning while the client is still sending: the stream ends OK", async () => {
    const local = await startEcho({
      impl: {
        async *bidi(reqs) {
          for await (const r of reqs) {
            yield { message: r.message };
            return;
          }
        },
      },
    });
    try {
      const requests = createWritableIterable<EchoRequestInit>();
      const responses = local.client.bidi(requests)[Symbol.asyncIterator]();
      await requests.write({ message: "only" });
      assert.equal((await responses.next()).value?.message, "only");
      assert.equal((await within(responses.next(), 5000, "end")).done, true);
      requests.close();
    } finally {
      local.close();
    }
  });

  it("a client request stream that throws cancels the call", async () => {
    seen = fresh();
    async function* requests() {
      yield { message: "1" };
      yield { message: "2" };
      await seen.started.promise;
      throw new Error("the source broke");
    }
    const e = await within(expectRpcError(h.client.clientStream(requests()), Code.CANCELLED), 5000, "client");
    assert.ok(e.rawMessage.includes("the source broke"), e.rawMessage);
    assertRpcError(await within(seen.reason, 5000, "handler signal"), Code.CANCELLED);
  });
});
