// The channel against fakes: a resolver the test drives, connections the test opens or fails, and
// a fake clock. No network: what is tested is how the channel ties resolver, policy, subchannels
// and calls together (state, queueing, fail-fast and wait-for-ready, idle, close).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, createClient, defineService, RpcError } from "@grpc-ts/core";
import type { ClientStream, ClientStreamListener, HeaderFields } from "@grpc-ts/core/protocol";
import { expectRpcError } from "@grpc-ts/testing";
import type { ClientConnection, ConnectionListener } from "../http2/seam.js";
import type { ConnectivityState } from "./balancer/balancer.js";
import { type ChannelOptions, createChannelWith } from "./channel.js";
import type { ConnectAddress, Resolver, ResolverFactory, ResolverListener } from "./resolver/resolver.js";
import { FakeClock } from "./test-support/fake-clock.js";

const text = {
  serialize: (s: string) => new TextEncoder().encode(s),
  deserialize: (b: Uint8Array) => new TextDecoder().decode(b),
};
const Greeter = defineService("test.Greeter", { hello: { kind: "unary", request: text, response: text } });

/** A resolver whose results the test pushes. */
class FakeResolver implements Resolver {
  listener: ResolverListener | undefined;
  closed = false;
  resolveNowCalls = 0;
  start(listener: ResolverListener): void {
    this.listener = listener;
  }
  resolveNow(): void {
    this.resolveNowCalls++;
  }
  close(): void {
    this.closed = true;
  }
  push(...ports: number[]): void {
    this.listener!.onResult({
      endpoints: ports.map((port) => ({ addresses: [{ host: "10.0.0.1", port }] })),
    });
  }
}

function fakeResolvers(): { factory: ResolverFactory; made: FakeResolver[] } {
  const made: FakeResolver[] = [];
  return {
    made,
    factory: {
      scheme: "fake",
      create() {
        const r = new FakeResolver();
        made.push(r);
        return r;
      },
      defaultAuthority: (t) => t.endpoint,
    },
  };
}

/** A connection the test opens, fails or answers on. */
class FakeConnection implements ClientConnection {
  readonly requests: { fields: HeaderFields; listener: ClientStreamListener; ended: Uint8Array[] }[] = [];
  closed = false;
  constructor(
    readonly address: ConnectAddress,
    readonly listener: ConnectionListener,
  ) {}
  get activeStreams(): number {
    return this.requests.length;
  }
  get acceptsStreams(): boolean {
    return !this.closed;
  }
  request(fields: HeaderFields, listener: ClientStreamListener): ClientStream {
    const r = { fields, listener, ended: [] as Uint8Array[] };
    this.requests.push(r);
    return {
      write: () => true,
      end: (chunk) => {
        if (chunk !== undefined) r.ended.push(chunk);
      },
      cancel: () => {},
      pause: () => {},
      resume: () => {},
    };
  }
  close(): void {
    this.closed = true;
    this.listener.onClose(undefined);
  }
  destroy(): void {
    this.close();
  }
  /** Answers request `i` with one text message and OK. */
  answer(i: number, message: string): void {
    const l = this.requests[i]!.listener;
    l.onHeaders([":status", "200", "content-type", "application/grpc"]);
    const body = new TextEncoder().encode(message);
    const frame = new Uint8Array(5 + body.length);
    new DataView(frame.buffer).setUint32(1, body.length);
    frame.set(body, 5);
    l.onData(frame);
    l.onTrailers(["grpc-status", "0"]);
    l.onClose(undefined, false);
  }
}

function setup(options: ChannelOptions = {}) {
  const clock = new FakeClock(1_000_000);
  const { factory, made } = fakeResolvers();
  const connections: FakeConnection[] = [];
  const channel = createChannelWith(
    "fake:///svc",
    { resolvers: [factory], backoff: { initialMs: 1000, maxMs: 1000, jitter: 0 }, ...options },
    {
      clock,
      random: () => 0,
      connector: (address, listener) => {
        const c = new FakeConnection(address, listener);
        connections.push(c);
        return c;
      },
    },
  );
  const states: ConnectivityState[] = [];
  channel.onStateChange((s) => states.push(s));
  return { channel, clock, made, connections, states, client: createClient(Greeter, channel) };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("channel, against a fake resolver and fake connections", () => {
  it("is IDLE until the first call, which resolves, connects, and goes out on the connection", async () => {
    const { channel, made, connections, states, client } = setup();
    assert.equal(channel.getState(), "IDLE");
    assert.equal(made.length, 1, "the resolver is made at once (to check the target) but not started");
    assert.equal(made[0]!.listener, undefined);
    const reply = client.hello("x");
    assert.equal(channel.getState(), "CONNECTING");
    made[0]!.push(1);
    assert.equal(connections.length, 1);
    assert.deepEqual(connections[0]!.address, { host: "10.0.0.1", port: 1 });
    assert.equal(connections[0]!.requests.length, 0, "the call waits for the connection");
    connections[0]!.listener.onConnect();
    await tick();
    assert.equal(channel.getState(), "READY");
    assert.equal(connections[0]!.requests.length, 1, "the queued call went out once READY");
    const fields = connections[0]!.requests[0]!.fields;
    assert.equal(fields[fields.indexOf(":path") + 1], "/test.Greeter/Hello");
    assert.equal(fields[fields.indexOf(":authority") + 1], "svc");
    connections[0]!.answer(0, "hi");
    assert.equal(await reply, "hi");
    assert.deepEqual(states, ["CONNECTING", "READY"]);
    channel.close();
  });

  it("fails fast in TRANSIENT_FAILURE, naming the address, while a waitForReady call waits for READY", async () => {
    const { channel, made, connections, client, clock } = setup();
    const waiting = client.hello("w", { waitForReady: true });
    made[0]!.push(7);
    connections[0]!.listener.onClose(new Error("connection refused"));
    await tick();
    assert.equal(channel.getState(), "TRANSIENT_FAILURE");
    const e = await expectRpcError(client.hello("fast"), Code.UNAVAILABLE);
    assert.match(e.rawMessage, /^fake:\/\/\/svc: /);
    assert.match(e.rawMessage, /10\.0\.0\.1:7/);
    assert.match(e.rawMessage, /connection refused/);
    // After the backoff the subchannel tries again; the waiting call goes out when it connects.
    clock.advance(1000);
    await tick();
    assert.equal(connections.length, 2);
    connections[1]!.listener.onConnect();
    await tick();
    assert.equal(channel.getState(), "READY");
    connections[1]!.answer(0, "late");
    assert.equal(await waiting, "late");
    channel.close();
  });

  it("a resolver error fails calls with UNAVAILABLE naming the target, and resolves again after a backoff", async () => {
    const { channel, made, client, clock } = setup();
    const call = client.hello("x");
    made[0]!.listener!.onError(new RpcError(Code.UNAVAILABLE, "no such name"));
    const e = await expectRpcError(call, Code.UNAVAILABLE);
    assert.match(e.rawMessage, /fake:\/\/\/svc/);
    assert.match(e.rawMessage, /no such name/);
    assert.equal(made[0]!.resolveNowCalls, 0);
    clock.advance(1000);
    assert.equal(made[0]!.resolveNowCalls, 1);
    channel.close();
  });

  it("goes IDLE after idleTimeoutMs without calls (resolver and connections closed), and a call wakes it", async () => {
    const { channel, made, connections, client, clock, states } = setup({ idleTimeoutMs: 5000 });
    const first = client.hello("a");
    made[0]!.push(1);
    connections[0]!.listener.onConnect();
    await tick();
    connections[0]!.answer(0, "one");
    assert.equal(await first, "one");
    clock.advance(4999);
    assert.equal(channel.getState(), "READY");
    clock.advance(1);
    assert.equal(channel.getState(), "IDLE");
    assert.equal(made[0]!.closed, true);
    assert.equal(connections[0]!.closed, true);
    const second = client.hello("b");
    assert.equal(made.length, 2, "a new resolver");
    made[1]!.push(1);
    connections[1]!.listener.onConnect();
    await tick();
    connections[1]!.answer(0, "two");
    assert.equal(await second, "two");
    assert.deepEqual(states, ["CONNECTING", "READY", "IDLE", "CONNECTING", "READY"]);
    channel.close();
  });

  it("round_robin from the default service config rotates over the READY endpoints", async () => {
    const { channel, made, connections, client } = setup({
      serviceConfig: { loadBalancingConfig: [{ round_robin: {} }] },
    });
    channel.getState(true);
    made[0]!.push(1, 2, 3);
    assert.equal(connections.length, 3, "round_robin connects every endpoint at once");
    for (const c of connections) c.listener.onConnect();
    await tick();
    const replies = Array.from({ length: 6 }, (_, i) => client.hello(String(i)));
    await tick();
    assert.deepEqual(
      connections.map((c) => c.requests.length),
      [2, 2, 2],
    );
    for (const c of connections) {
      c.answer(0, "r");
      c.answer(1, "r");
    }
    await Promise.all(replies);
    channel.close();
  });

  it("close() fails waiting calls with UNAVAILABLE and later calls at once; the state is SHUTDOWN", async () => {
    const { channel, made, client } = setup();
    const waiting = client.hello("w", { waitForReady: true });
    channel.close();
    await expectRpcError(waiting, Code.UNAVAILABLE, "closed");
    await expectRpcError(client.hello("x"), Code.UNAVAILABLE, "closed");
    assert.equal(channel.getState(), "SHUTDOWN");
    assert.equal(made[0]!.closed, true);
  });

  it("rejects a bad default service config at once, naming the field", () => {
    assert.throws(
      () => setup({ serviceConfig: { methodConfig: [{ name: [{ service: "a" }], timeout: "soon" }] } }),
      /methodConfig\[0\]\.timeout/,
    );
  });
});
