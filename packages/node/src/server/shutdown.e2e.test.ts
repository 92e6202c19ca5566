// Server shutdown: graceful (running calls finish, new ones are refused), the grace period running
// out, and forceShutdown.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  aborted,
  deferred,
  Echo,
  type EchoHarness,
  expectRpcError,
  sleep,
  startEcho,
  within,
} from "@grpc-ts/testing";
import { Code, createChannel, createClient, RpcError } from "../index.js";

describe("shutdown", () => {
  const harnesses: EchoHarness[] = [];
  after(() => {
    for (const h of harnesses) h.close();
  });
  async function start(options: Parameters<typeof startEcho>[0] = {}): Promise<EchoHarness> {
    const h = await startEcho(options);
    harnesses.push(h);
    return h;
  }

  it("shutdown(): a running call finishes, new calls get UNAVAILABLE, and it resolves after", async () => {
    const started = deferred();
    const release = deferred();
    const h = await start({
      impl: {
        async unary(req) {
          if (req.message === "running") {
            started.resolve();
            await release.promise;
          }
          return { message: req.message };
        },
      },
    });
    const events: string[] = [];
    const running = h.client.unary({ message: "running" }).then((r) => {
      events.push("call done");
      return r;
    });
    await within(started.promise, 5000, "handler start");
    const shutdown = h.server.shutdown(10_000).then(() => events.push("shutdown resolved"));
    // New calls: on the old connection (GOAWAY) and on a new channel (no listener).
    await within(expectRpcError(h.client.unary({ message: "late" }), Code.UNAVAILABLE), 5000, "late call");
    const other = createChannel(h.target);
    try {
      await within(
        expectRpcError(createClient(Echo, other).unary({}), Code.UNAVAILABLE),
        5000,
        "new channel",
      );
    } finally {
      other.close();
    }
    assert.deepEqual(events, [], "shutdown waits for the running call");
    release.resolve();
    assert.equal((await within(running, 5000, "running call")).message, "running");
    await within(shutdown, 5000, "shutdown");
    assert.deepEqual(events, ["call done", "shutdown resolved"]);
  });

  it("shutdown() with no calls resolves promptly, and a second shutdown() too", async () => {
    const h = await start();
    await h.client.unary({});
    await within(h.server.shutdown(10_000), 5000, "shutdown");
    await within(h.server.shutdown(10_000), 5000, "second shutdown");
    await assert.rejects(h.server.listen("127.0.0.1:0"), /shut down/);
  });

  it("the grace period running out: the remaining calls end (UNAVAILABLE or CANCELLED) and their signals fire", async () => {
    const started = deferred();
    let reason: Promise<unknown> = Promise.resolve(undefined);
    const h = await start({
      impl: {
        async *serverStream(_req, ctx) {
          reason = aborted(ctx.signal);
          yield { index: 0 };
          started.resolve();
          // Ignores the signal: only the end of the grace period stops it.
          for (let i = 1; i < 1000; i++) {
            await sleep(20);
            if (ctx.signal.aborted) return;
            yield { index: i };
          }
        },
      },
    });
    const got: number[] = [];
    const outcome = (async () => {
      for await (const r of h.client.serverStream({})) got.push(r.index);
    })().then(
      () => undefined,
      (err: unknown) => err,
    );
    await within(started.promise, 5000, "stream start");
    const t0 = Date.now();
    await within(h.server.shutdown(200), 10_000, "shutdown with grace");
    assert.ok(Date.now() - t0 < 5000);
    const e = await within(outcome, 5000, "client");
    assert.ok(e instanceof RpcError, `client got ${String(e)}`);
    assert.ok(e.code === Code.UNAVAILABLE || e.code === Code.CANCELLED, `code ${e.code}: ${e.rawMessage}`);
    assert.ok(got.length >= 1);
    const r = await within(reason, 5000, "handler signal");
    assert.ok(r instanceof RpcError);
  });

  it("forceShutdown(): a running stream ends with UNAVAILABLE at the client", async () => {
    const h = await start();
    const got: number[] = [];
    const stream = (async () => {
      for await (const r of h.client.serverStream({ count: 100_000, delayMs: 10 })) {
        got.push(r.index);
        if (got.length === 3) h.server.forceShutdown();
      }
    })();
    await within(expectRpcError(stream, Code.UNAVAILABLE), 5000, "forced");
    assert.ok(got.length >= 3 && got.length < 100_000);
    // The channel stays usable: nothing listens, so calls fail fast.
    await within(expectRpcError(h.client.unary({}), Code.UNAVAILABLE), 5000, "after force");
  });

  it("forceShutdown() during a unary call and a client stream: UNAVAILABLE for both", async () => {
    const started = deferred();
    const h = await start({
      impl: {
        async unary(_req, ctx) {
          started.resolve();
          await sleep(60_000, ctx.signal);
          return {};
        },
      },
    });
    const unary = h.client.unary({});
    const stopWriting = new AbortController();
    const clientStream = h.client.clientStream(
      (async function* () {
        yield { message: "a" };
        await sleep(60_000, stopWriting.signal).catch(() => {});
      })(),
    );
    await within(started.promise, 5000, "handler start");
    await sleep(50);
    h.server.forceShutdown();
    await within(expectRpcError(unary, Code.UNAVAILABLE), 5000, "unary");
    try {
      await within(expectRpcError(clientStream, Code.UNAVAILABLE), 5000, "client stream");
    } finally {
      stopWriting.abort();
    }
  });
});
