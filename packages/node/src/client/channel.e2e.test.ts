// The channel over real sockets: failing fast and waiting for ready, connectivity states, close,
// and each target scheme (dns, ipv4, ipv6, unix).
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  createEchoService,
  deferred,
  Echo,
  expectRpcError,
  freePort,
  listenLoopback,
  type ServerHandle,
  startServer,
  until,
  within,
} from "@grpc-ts/testing";
import { Code, type ConnectivityState, createChannel, createClient, type HandlerContext } from "../index.js";

/** Whether `::1` can be bound on this machine. */
async function canBindIpv6Loopback(): Promise<boolean> {
  try {
    await freePort("::1");
    return true;
  } catch {
    return false;
  }
}

/** Starts an Echo server that records each call's peer. */
async function startRecording(address: string): Promise<ServerHandle & { peers: string[] }> {
  const peers: string[] = [];
  const echo = createEchoService();
  const handle = await startServer({
    address,
    setup: (server) => {
      server.add(Echo, {
        ...echo,
        unary: (req, ctx: HandlerContext) => {
          peers.push(ctx.peer);
          return { message: req.message };
        },
      });
    },
  });
  return { ...handle, peers };
}

const fastBackoff = { initialMs: 50, maxMs: 200, minConnectTimeoutMs: 2000 } as const;

describe("channel", () => {
  const cleanups: (() => void)[] = [];
  after(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });

  it("connection refused: UNAVAILABLE at once, naming the address", async () => {
    const port = await freePort();
    const channel = createChannel(`127.0.0.1:${port}`, { backoff: fastBackoff });
    cleanups.push(() => channel.close());
    const client = createClient(Echo, channel);
    const e = await within(expectRpcError(client.unary({}), Code.UNAVAILABLE), 5000, "refused");
    assert.ok(e.rawMessage.includes(`127.0.0.1:${port}`), e.rawMessage);
    assert.equal(channel.getState(), "TRANSIENT_FAILURE");
    // While in TRANSIENT_FAILURE a call fails fast too.
    await within(expectRpcError(client.unary({}), Code.UNAVAILABLE, String(port)), 5000, "fail fast");
  });

  it("waitForReady: the call waits through failed connection attempts until a server answers", async () => {
    // A listener that drops every connection at once: each is one failed attempt of the channel.
    let attempts = 0;
    const dropper = net.createServer((socket) => {
      attempts++;
      socket.destroy();
    });
    dropper.listen(0, "127.0.0.1");
    await new Promise<void>((resolve) => dropper.once("listening", resolve));
    const port = (dropper.address() as net.AddressInfo).port;
    const channel = createChannel(`127.0.0.1:${port}`, { backoff: fastBackoff });
    cleanups.push(() => channel.close());
    const client = createClient(Echo, channel);
    const states: ConnectivityState[] = [];
    channel.onStateChange((s) => states.push(s));
    let settled = false;
    const call = client.unary({ message: "waited" }, { waitForReady: true, timeoutMs: 20_000 });
    void call.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await until(() => attempts >= 2, 5000, "two failed attempts");
    // Sticky TRANSIENT_FAILURE (gRFC A62): the channel reports it once and keeps trying.
    assert.ok(states.includes("TRANSIENT_FAILURE"), `states: ${states.join(" ")}`);
    assert.equal(settled, false, "the call is still waiting");
    await new Promise<void>((resolve) => dropper.close(() => resolve()));
    const server = await startRecording(`127.0.0.1:${port}`);
    cleanups.push(() => server.close());
    const res = await within(call, 10_000, "waitForReady call");
    assert.equal(res.message, "waited");
    assert.equal(channel.getState(), "READY");
  });

  it("waitForReady with a deadline and no server: DEADLINE_EXCEEDED", async () => {
    const port = await freePort();
    const channel = createChannel(`127.0.0.1:${port}`, { backoff: fastBackoff });
    cleanups.push(() => channel.close());
    const client = createClient(Echo, channel);
    await within(
      expectRpcError(client.unary({}, { waitForReady: true, timeoutMs: 300 }), Code.DEADLINE_EXCEEDED),
      5000,
      "waitForReady deadline",
    );
  });

  it("calls and waitForReady() during TRANSIENT_FAILURE wait for the backoff instead of reconnecting at once", async () => {
    // A listener that accepts and drops every connection, counting them.
    let attempts = 0;
    const dropper = net.createServer((socket) => {
      attempts++;
      socket.destroy();
    });
    const port = await listenLoopback(dropper);
    cleanups.push(() => dropper.close());
    const channel = createChannel(`127.0.0.1:${port}`, { backoff: { initialMs: 2000, maxMs: 2000 } });
    cleanups.push(() => channel.close());
    const client = createClient(Echo, channel);
    await within(expectRpcError(client.unary({}), Code.UNAVAILABLE), 5000, "first attempt");
    assert.equal(channel.getState(), "TRANSIENT_FAILURE");
    const waiting: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      waiting.push(client.unary({}, { waitForReady: true, timeoutMs: 300 }).catch((e: unknown) => e));
      waiting.push(channel.waitForReady({ timeoutMs: 300 }).catch((e: unknown) => e));
      channel.getState(true);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.all(waiting);
    assert.equal(attempts, 1, "one connection attempt within the first backoff delay");
  });

  it("states: IDLE, then CONNECTING and READY on the first call; close() gives SHUTDOWN", async () => {
    const server = await startRecording("127.0.0.1:0");
    cleanups.push(() => server.close());
    const channel = createChannel(server.target);
    cleanups.push(() => channel.close());
    const states: ConnectivityState[] = [];
    channel.onStateChange((s) => states.push(s));
    assert.equal(channel.getState(), "IDLE");
    const client = createClient(Echo, channel);
    assert.equal((await client.unary({ message: "a" })).message, "a");
    assert.deepEqual(states, ["CONNECTING", "READY"]);
    channel.close();
    assert.equal(channel.getState(), "SHUTDOWN");
    assert.deepEqual(states, ["CONNECTING", "READY", "SHUTDOWN"]);
    await expectRpcError(client.unary({}), Code.UNAVAILABLE, "closed");
    await expectRpcError(channel.waitForReady(), Code.UNAVAILABLE);
  });

  it("getState(true) and waitForReady() connect without a call", async () => {
    const server = await startRecording("127.0.0.1:0");
    cleanups.push(() => server.close());
    const channel = createChannel(server.target);
    cleanups.push(() => channel.close());
    assert.equal(channel.getState(true), "CONNECTING");
    await within(channel.waitForReady({ timeoutMs: 5000 }), 6000, "ready");
    assert.equal(channel.getState(), "READY");
    assert.deepEqual(server.peers, []);
  });

  it("waitForReady({timeoutMs}) with no server: DEADLINE_EXCEEDED naming the failure", async () => {
    const port = await freePort();
    const channel = createChannel(`127.0.0.1:${port}`, { backoff: fastBackoff });
    cleanups.push(() => channel.close());
    await within(
      expectRpcError(channel.waitForReady({ timeoutMs: 300 }), Code.DEADLINE_EXCEEDED),
      5000,
      "wait",
    );
  });

  it("close() fails calls waiting for the connection with UNAVAILABLE", async () => {
    const port = await freePort();
    const channel = createChannel(`127.0.0.1:${port}`, { backoff: fastBackoff });
    const client = createClient(Echo, channel);
    const failed = new Promise<void>((resolve) =>
      channel.onStateChange((s) => {
        if (s === "TRANSIENT_FAILURE") resolve();
      }),
    );
    const waiting = client.unary({}, { waitForReady: true });
    const ready = channel.waitForReady();
    // A connection attempt has failed, and both are still waiting for the next.
    await within(failed, 5000, "a failed connection attempt");
    channel.close();
    await within(expectRpcError(waiting, Code.UNAVAILABLE, "closed"), 5000, "waiting call");
    await within(expectRpcError(ready, Code.UNAVAILABLE, "closed"), 5000, "waitForReady");
  });

  it("close() lets a running call finish", async () => {
    const started = deferred();
    const release = deferred();
    const server = await startServer({
      setup: (s) => {
        s.add(Echo, {
          ...createEchoService(),
          async unary(req) {
            if (req.message === "slow") {
              started.resolve();
              await release.promise;
            }
            return { message: req.message };
          },
        });
      },
    });
    cleanups.push(() => server.close());
    cleanups.push(() => release.resolve());
    const channel = createChannel(server.target);
    cleanups.push(() => channel.close());
    const client = createClient(Echo, channel);
    await client.unary({});
    const running = client.unary({ message: "slow" });
    await within(started.promise, 5000, "the handler starting");
    channel.close();
    release.resolve();
    assert.equal((await within(running, 5000, "running call")).message, "slow");
  });

  it("the server going away: the channel goes IDLE, then reconnects for the next call", async () => {
    const first = await startRecording("127.0.0.1:0");
    const channel = createChannel(first.target, { backoff: fastBackoff });
    cleanups.push(() => channel.close());
    const client = createClient(Echo, channel);
    await client.unary({ message: "one" });
    const states: ConnectivityState[] = [];
    channel.onStateChange((s) => states.push(s));
    first.close();
    await until(() => channel.getState() !== "READY", 2000, "the channel leaving READY");
    assert.equal(channel.getState(), "IDLE");
    const second = await startRecording(`127.0.0.1:${first.port}`);
    cleanups.push(() => second.close());
    assert.equal((await within(client.unary({ message: "two" }), 5000, "reconnect")).message, "two");
    assert.equal(second.peers.length, 1);
    assert.deepEqual(states, ["IDLE", "CONNECTING", "READY"]);
  });

  describe("targets", () => {
    it("dns:///localhost:PORT", async () => {
      const server = await startRecording("127.0.0.1:0");
      cleanups.push(() => server.close());
      const channel = createChannel(`dns:///localhost:${server.port}`);
      cleanups.push(() => channel.close());
      assert.equal((await createClient(Echo, channel).unary({ message: "dns" })).message, "dns");
      assert.match(server.peers[0] ?? "", /^ipv4:127\.0\.0\.1:\d+$/);
    });

    it("ipv4:127.0.0.1:PORT (and a list whose first address is refused)", async () => {
      const server = await startRecording("127.0.0.1:0");
      cleanups.push(() => server.close());
      const channel = createChannel(`ipv4:127.0.0.1:${server.port}`);
      cleanups.push(() => channel.close());
      assert.equal((await createClient(Echo, channel).unary({ message: "v4" })).message, "v4");
      const refused = await freePort();
      const list = createChannel(`ipv4:127.0.0.1:${refused},127.0.0.1:${server.port}`);
      cleanups.push(() => list.close());
      assert.equal((await createClient(Echo, list).unary({ message: "second" })).message, "second");
    });

    it("ipv6:[::1]:PORT", async (t) => {
      if (!(await canBindIpv6Loopback())) {
        t.skip("::1 cannot be bound on this machine (no IPv6 loopback)");
        return;
      }
      const server = await startRecording("[::1]:0");
      cleanups.push(() => server.close());
      const channel = createChannel(`ipv6:[::1]:${server.port}`);
      cleanups.push(() => channel.close());
      assert.equal((await createClient(Echo, channel).unary({ message: "v6" })).message, "v6");
      assert.match(server.peers[0] ?? "", /^ipv6:\[::1\]:\d+$/);
    });

    it("unix:/path (the server listening on unix: too)", async () => {
      const path = join(tmpdir(), `grpc-ts-test-${process.pid}-${Date.now()}.sock`);
      rmSync(path, { force: true });
      const server = await startRecording(`unix:${path}`);
      cleanups.push(() => {
        server.close();
        rmSync(path, { force: true });
      });
      assert.equal(server.port, 0);
      for (const target of [`unix:${path}`, `unix://${path}`]) {
        const channel = createChannel(target);
        cleanups.push(() => channel.close());
        assert.equal((await createClient(Echo, channel).unary({ message: target })).message, target);
      }
      assert.equal(server.peers.length, 2);
      for (const peer of server.peers) assert.match(peer, /^unix:/);
    });
  });
});
