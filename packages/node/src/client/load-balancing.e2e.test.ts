// Load balancing over real sockets: three Echo backends on 127.0.0.1, 127.0.0.2 and 127.0.0.3,
// each counting the calls it answers. round_robin spreads calls evenly and keeps going when one
// backend dies (and uses it again once it is back); pick_first sends everything to the first
// address until it fails.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { type Backend, Echo, startBackend, startBackends, within } from "@grpc-ts/testing";
import { type Channel, createChannel, createClient } from "../index.js";

const HOSTS = ["127.0.0.1", "127.0.0.2", "127.0.0.3"];
const backoff = { initialMs: 100, maxMs: 500 } as const;
const ROUND_ROBIN = { loadBalancingConfig: [{ round_robin: {} }] };

/** Two turns of the event loop: socket events already received are handled. */
const clientReads = async () => {
  for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

const callsOf = (b: Backend) => b.calls;
const counts = (backends: readonly Backend[]) => backends.map((b) => b.calls);
const reset = (backends: readonly Backend[]) => {
  for (const b of backends) b.calls = 0;
};

describe("load balancing", { timeout: 60_000 }, () => {
  const backends: Backend[] = [];
  const channels: Channel[] = [];
  after(() => {
    for (const c of channels) c.close();
    for (const b of backends) b.kill();
  });

  async function threeBackends(): Promise<Backend[]> {
    const started = await Promise.all(HOSTS.map((h) => startBackend(h)));
    backends.push(...started);
    return started;
  }

  it("round_robin: 300 sequential calls, 100 on each of three backends (one port, three hosts)", async () => {
    const bs = await startBackends(HOSTS);
    backends.push(...bs);
    assert.equal(new Set(bs.map((b) => b.port)).size, 1);
    const channel = createChannel(`ipv4:${bs.map((b) => b.address).join(",")}`, {
      serviceConfig: ROUND_ROBIN,
      backoff,
    });
    channels.push(channel);
    const client = createClient(Echo, channel);
    // The policy is READY with its first READY subchannel: call until every backend has answered,
    // so that all three are in the rotation, then count from zero.
    for (let i = 0; i < 200 && !bs.every((b) => b.calls > 0); i++)
      await within(client.unary({}, { waitForReady: true }), 5000, "warm-up call");
    assert.ok(
      bs.every((b) => b.calls > 0),
      `warm-up reached ${counts(bs)}`,
    );
    reset(bs);
    const answeredBy = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const res = await within(client.unary({}), 5000, `call ${i}`);
      answeredBy.set(res.message, (answeredBy.get(res.message) ?? 0) + 1);
    }
    assert.deepEqual(counts(bs), [100, 100, 100]);
    assert.deepEqual(
      [...answeredBy.entries()].sort(),
      bs.map((b) => [b.address, 100]),
    );
  });

  it("round_robin: a backend killed mid-run loses no waitForReady call, and gets calls again once restarted", async () => {
    const bs = await threeBackends();
    const [a, b, c] = bs as [Backend, Backend, Backend];
    const channel = createChannel(`ipv4:${bs.map((x) => x.address).join(",")}`, {
      serviceConfig: ROUND_ROBIN,
      backoff,
    });
    channels.push(channel);
    const client = createClient(Echo, channel);
    for (let i = 0; i < 200 && !bs.every((x) => x.calls > 0); i++)
      await within(client.unary({}, { waitForReady: true }), 5000, "warm-up call");
    assert.ok(
      bs.every((x) => x.calls > 0),
      `warm-up reached ${counts(bs)}`,
    );
    reset(bs);
    for (let i = 0; i < 150; i++) {
      if (i === 75) {
        c.kill();
        // A killed server sends no GOAWAY: a call placed on its connection before the client has
        // read the connection's end could have reached it, so it fails (as in every gRPC). The
        // server is in this process; let the client read the end first.
        await clientReads();
      }
      const res = await within(client.unary({ message: `${i}` }, { waitForReady: true }), 5000, `call ${i}`);
      assert.notEqual(res.message, "", `call ${i}`);
    }
    // Every call was answered; the killed backend answered none after its death.
    assert.equal(a.calls + b.calls + c.calls, 150);
    assert.equal(c.calls, 25, `calls before the kill: ${counts(bs)}`);
    const beforeRestart = counts(bs);
    reset(bs);
    await c.start();
    // Within its reconnect backoff (at most 500 ms, bounded generously here) it is used again.
    let sent = 0;
    const deadline = Date.now() + 10_000;
    while (callsOf(c) === 0) {
      assert.ok(Date.now() < deadline, `the restarted backend got no call in ${sent} calls`);
      await within(client.unary({}, { waitForReady: true }), 5000, "call after restart");
      sent++;
    }
    assert.equal(c.calls, 1);
    assert.equal(a.calls + b.calls + c.calls, sent, `before the restart: ${beforeRestart}`);
    // Back in the rotation: the next 30 calls are 10 on each.
    reset(bs);
    for (let i = 0; i < 30; i++) await within(client.unary({}), 5000, `rotation call ${i}`);
    assert.deepEqual(counts(bs), [10, 10, 10]);
  });

  it("pick_first (the default): every call on the first address; after it dies, on the second", async () => {
    const bs = await threeBackends();
    const [a, b, c] = bs as [Backend, Backend, Backend];
    const channel = createChannel(`ipv4:${bs.map((x) => x.address).join(",")}`, { backoff });
    channels.push(channel);
    const client = createClient(Echo, channel);
    for (let i = 0; i < 50; i++) {
      const res = await within(client.unary({}), 5000, `call ${i}`);
      assert.equal(res.message, a.address);
    }
    assert.deepEqual(counts(bs), [50, 0, 0]);
    // The channel leaves READY when it sees the connection end (and pick_first tries the next).
    const leftReady = new Promise<void>((resolve) => {
      const stop = channel.onStateChange((s) => {
        if (s !== "READY") {
          stop();
          resolve();
        }
      });
    });
    a.kill();
    await within(leftReady, 5000, "the channel sees the connection end");
    for (let i = 0; i < 50; i++) {
      const res = await within(client.unary({}, { waitForReady: true }), 5000, `call ${i} after the kill`);
      assert.equal(res.message, b.address);
    }
    assert.deepEqual(counts(bs), [50, 50, 0]);
    assert.equal(c.calls, 0);
  });
});
