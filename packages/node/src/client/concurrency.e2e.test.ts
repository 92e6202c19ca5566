// Many concurrent calls multiplexed over one channel's single HTTP/2 connection.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { collect, type EchoHarness, sleep, startEcho } from "@grpc-ts/testing";

describe("concurrency on one channel", () => {
  let h: EchoHarness;
  const peers = new Set<string>();
  before(async () => {
    h = await startEcho({
      impl: {
        async unary(req, ctx) {
          peers.add(ctx.peer);
          // Different delays so that responses come back in another order than the requests.
          await sleep(Number(req.id % 7n), ctx.signal);
          return { id: req.id, message: `echo ${req.message}` };
        },
        async *serverStream(req, ctx) {
          peers.add(ctx.peer);
          for (let i = 0; i < req.count; i++) yield { id: req.id, index: i };
        },
      },
    });
  });
  after(() => h.close());

  it("1000 concurrent unary calls: each answered with its own id, all over one connection", async () => {
    peers.clear();
    const n = 1000;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        h.client.unary({ id: BigInt(i), message: `m${i}` }, { timeoutMs: 60_000 }),
      ),
    );
    assert.equal(results.length, n);
    results.forEach((r, i) => {
      assert.equal(r.id, BigInt(i));
      assert.equal(r.message, `echo m${i}`);
    });
    assert.equal(peers.size, 1, `peers: ${[...peers].join(", ")}`);
    assert.match([...peers][0] ?? "", /^ipv4:127\.0\.0\.1:\d+$/);
    assert.equal(h.channel.getState(), "READY");
  });

  it("100 concurrent server streams interleave without mixing messages", async () => {
    peers.clear();
    const streams = await Promise.all(
      Array.from({ length: 100 }, (_, i) => collect(h.client.serverStream({ id: BigInt(i), count: 20 }))),
    );
    streams.forEach((msgs, i) => {
      assert.equal(msgs.length, 20);
      msgs.forEach((m, j) => {
        assert.equal(m.id, BigInt(i));
        assert.equal(m.index, j);
      });
    });
    assert.equal(peers.size, 1);
  });

  it("the server's maxConcurrentStreams: calls beyond it wait for a free stream, none fails", async () => {
    let running = 0;
    let maxRunning = 0;
    const limited = await startEcho({
      server: { maxConcurrentStreams: 2 },
      impl: {
        async unary(req, ctx) {
          running++;
          maxRunning = Math.max(maxRunning, running);
          try {
            await sleep(20, ctx.signal);
          } finally {
            running--;
          }
          return { id: req.id };
        },
      },
    });
    try {
      // A burst on a fresh connection: the client learns the limit from the server's SETTINGS.
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => limited.client.unary({ id: BigInt(i) }, { timeoutMs: 20_000 })),
      );
      assert.deepEqual(
        results.map((r) => r.id),
        Array.from({ length: 10 }, (_, i) => BigInt(i)),
      );
      assert.equal(maxRunning, 2);
    } finally {
      limited.close();
    }
  });
});
