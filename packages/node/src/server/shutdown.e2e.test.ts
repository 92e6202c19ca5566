// Server shutdown: graceful (running calls finish, new ones are refused), the grace period running
// out, and forceShutdown.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  aborted,
  assertRpcError,
  type Deferred,
  deferred,
  Echo,
  type EchoHarness,
  expectRpcError,
  sleep,
  startEcho,
  within,
} from "@grpc-ts/testing";
import { Code, createChannel, createClient } from "../index.js";

describe("shutdown", () => {
  const harnesses: EchoHarness[] = [];
  const releases: Deferred[] = [];
  after(() => {
    for (const h of harnesses) h.close();
    for (const r of releases) r.resolve();
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

  it("the grace period running out: shutdown resolves while a handler still holds its call, which ends with UNAVAILABLE, and the handler's signal fires", async () => {
    const started = deferred();
    // Never released during the test: only the end of the grace period can end the call.
    const release = deferred();
    releases.push(release);
    let handlerReturned = false;
    let reason: Promise<unknown> = Promise.resolve(undefined);
    const h = await start({
      impl: {
        async *serverStream(_req, ctx) {
          reason = aborted(ctx.signal);
          yield { index: 0 };
          started.resolve();
          await release.promise;
          handlerReturned = true;
        },
      },
    });
    const got: number[] = [];
    // The calls that forceShutdown ends get UNAVAILABLE (server.ts): in its status when the trailers
    // get out before the connection closes, and from the lost connection otherwise.
    const outcome = expectRpcError(
      (async () => {
        for await (const r of h.client.serverStream({})) got.push(r.index);
      })(),
      Code.UNAVAILABLE,
    );
    await within(started.promise, 5000, "stream start");
    await within(h.server.shutdown(200), 10_000, "shutdown with grace");
    assert.equal(handlerReturned, false, "shutdown waited for the handler instead of the grace period");
    await within(outcome, 5000, "client");
    assert.deepEqual(got, [0]);
    assertRpcError(await within(reason, 5000, "handler signal"), Code.CANCELLED, "the server was shut down");
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
    const streamStarted = deferred();
    const h = await start({
      impl: {
        async unary(_req, ctx) {
          started.resolve();
          await sleep(60_000, ctx.signal);
          return {};
        },
        async clientStream(requests, ctx) {
          for await (const _ of requests) {
            streamStarted.resolve();
            break;
          }
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
    await within(started.promise, 5000, "unary handler start");
    await within(streamStarted.promise, 5000, "client-stream handler's first message");
    h.server.forceShutdown();
    await within(expectRpcError(unary, Code.UNAVAILABLE), 5000, "unary");
    try {
      await within(expectRpcError(clientStream, Code.UNAVAILABLE), 5000, "client stream");
    } finally {
      stopWriting.abort();
    }
  });
});
