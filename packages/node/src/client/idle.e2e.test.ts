// Idleness over real sockets: with `idleTimeoutMs`, a channel with no call goes IDLE and closes its
// connection (seen on the wire, through a counting TCP proxy); the next call wakes it (CONNECTING,
// then READY) on a new connection. A call that runs longer than the timeout keeps it awake.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { type Backend, Echo, startBackend, startTcpProxy, type TcpProxy, within } from "@grpc-ts/testing";
import { type Channel, type ConnectivityState, createChannel, createClient } from "../index.js";

/** Resolves on the channel's next change to `state`. */
function next(channel: Channel, state: ConnectivityState): Promise<void> {
  return new Promise((resolve) => {
    const stop = channel.onStateChange((s) => {
      if (s === state) {
        stop();
        resolve();
      }
    });
  });
}

describe("idle channels", { timeout: 30_000 }, () => {
  const backends: Backend[] = [];
  const proxies: TcpProxy[] = [];
  const channels: Channel[] = [];
  after(async () => {
    for (const c of channels) c.close();
    for (const b of backends) b.kill();
    await Promise.all(proxies.map((p) => p.close()));
  });

  async function setup(): Promise<{ backend: Backend; proxy: TcpProxy; channel: Channel }> {
    const backend = await startBackend("127.0.0.1");
    backends.push(backend);
    const proxy = await startTcpProxy(backend.host, backend.port);
    proxies.push(proxy);
    const channel = createChannel(proxy.address, { idleTimeoutMs: 200 });
    channels.push(channel);
    return { backend, proxy, channel };
  }

  it("no call for idleTimeoutMs: IDLE and the connection closed; a new call: CONNECTING, READY, a new connection", async () => {
    const { backend, proxy, channel } = await setup();
    const client = createClient(Echo, channel);
    const states: ConnectivityState[] = [];
    channel.onStateChange((s) => states.push(s));
    assert.equal(channel.getState(), "IDLE");
    for (let i = 0; i < 3; i++) await within(client.unary({}), 5000, `call ${i}`);
    assert.deepEqual(states, ["CONNECTING", "READY"]);
    assert.equal(proxy.accepted, 1);
    await within(next(channel, "IDLE"), 5000, "IDLE");
    await within(
      proxy.when((p) => p.open === 0),
      5000,
      "the connection closes",
    );
    assert.deepEqual(states, ["CONNECTING", "READY", "IDLE"]);
    assert.equal(channel.getState(), "IDLE");

    const res = await within(client.unary({ message: "again" }), 5000, "the call that wakes it");
    assert.equal(res.message, backend.address);
    assert.deepEqual(states, ["CONNECTING", "READY", "IDLE", "CONNECTING", "READY"]);
    assert.equal(proxy.accepted, 2);
    assert.equal(proxy.open, 1);
    assert.equal(backend.calls, 4);
  });

  it("a call longer than idleTimeoutMs keeps the channel awake until it ends", async () => {
    const { backend, proxy, channel } = await setup();
    const client = createClient(Echo, channel);
    const states: ConnectivityState[] = [];
    channel.onStateChange((s) => states.push(s));
    await within(client.unary({ delayMs: 1000 }), 5000, "a call of 1 s");
    assert.deepEqual(states, ["CONNECTING", "READY"], "no IDLE while the call ran");
    assert.equal(proxy.open, 1);
    await within(next(channel, "IDLE"), 5000, "IDLE after the call");
    await within(
      proxy.when((p) => p.open === 0),
      5000,
      "the connection closes",
    );
    assert.equal(backend.calls, 1);
  });
});
