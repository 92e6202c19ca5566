// Service config method configs end to end (service_config.md): a config timeout caps calls (the
// server sees it as grpc-timeout; the earlier of it and the call's deadline wins), waitForReady
// from the config, message size limits, matching by service and method, service, and the default
// name; and the resolver's service config replacing the default one, an invalid one keeping the
// last good one or failing calls when there was none, and disableResolverServiceConfig.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Health } from "@grpc-ts/services";
import {
  type Backend,
  collect,
  createPushResolver,
  Echo,
  expectRpcError,
  freePort,
  startBackend,
  within,
} from "@grpc-ts/testing";
import { type Channel, type ChannelOptions, Code, createChannel, createClient } from "../index.js";

const ECHO = Echo.typeName;
const backoff = { initialMs: 100, maxMs: 500 } as const;
const bytes = (n: number) => "x".repeat(n);

describe("service config", { timeout: 60_000 }, () => {
  const backends: Backend[] = [];
  const channels: Channel[] = [];
  after(() => {
    for (const c of channels) c.close();
    for (const b of backends) b.kill();
  });

  async function backend(host = "127.0.0.1", port?: number): Promise<Backend> {
    const b = await startBackend(host, port === undefined ? {} : { port });
    backends.push(b);
    return b;
  }

  function channelTo(target: string, options: ChannelOptions): Channel {
    const channel = createChannel(target, { backoff, ...options });
    channels.push(channel);
    return channel;
  }

  it("timeout: caps a call without a deadline; the earlier of the call's and the config's wins; the server sees it", async () => {
    assert.equal(ECHO, "grpcts.test.Echo");
    const b = await backend();
    const short = createClient(
      Echo,
      channelTo(b.address, {
        serviceConfig: { methodConfig: [{ name: [{ service: ECHO }], timeout: "0.3s" }] },
      }),
    );
    const long = createClient(
      Echo,
      channelTo(b.address, {
        serviceConfig: { methodConfig: [{ name: [{ service: ECHO }], timeout: "30s" }] },
      }),
    );
    const none = createClient(Echo, channelTo(b.address, {}));

    // No deadline of its own: the config's 0.3 s ends a handler that takes 30 s.
    let t0 = Date.now();
    await within(
      expectRpcError(short.unary({ delayMs: 30_000 }), Code.DEADLINE_EXCEEDED),
      10_000,
      "config timeout",
    );
    const fromConfig = b.deadlines.at(-1);
    assert.ok(fromConfig !== undefined, "the server saw a grpc-timeout");
    assert.ok(fromConfig - t0 < 10_000, `the 0.3 s timeout, not more (${fromConfig - t0} ms)`);

    // The call's 30 s against the config's 0.3 s: the config's.
    t0 = Date.now();
    await within(
      expectRpcError(short.unary({ delayMs: 30_000 }, { timeoutMs: 30_000 }), Code.DEADLINE_EXCEEDED),
      10_000,
      "config timeout earlier",
    );
    assert.ok(b.deadlines.at(-1)! - t0 < 10_000, "the config's timeout was sent");

    // The call's 0.3 s against the config's 30 s: the call's.
    t0 = Date.now();
    await within(
      expectRpcError(long.unary({ delayMs: 30_000 }, { timeoutMs: 300 }), Code.DEADLINE_EXCEEDED),
      10_000,
      "call deadline earlier",
    );
    assert.ok(b.deadlines.at(-1)! - t0 < 10_000, "the call's deadline was sent");

    // The config's 30 s alone: sent, and the call succeeds.
    t0 = Date.now();
    await within(long.unary({}), 5000, "config timeout, fast call");
    assert.ok(b.deadlines.at(-1)! - t0 > 20_000, "the config's 30 s was sent");

    // No config, no deadline: the server sees none.
    await within(none.unary({}), 5000, "no config");
    assert.equal(b.deadlines.at(-1), undefined);
    assert.equal(b.deadlines.length, 5);
  });

  it("waitForReady: true in the config: a call waits through TRANSIENT_FAILURE until its server starts", async () => {
    const port = await freePort();
    const channel = channelTo(`127.0.0.1:${port}`, {
      serviceConfig: { methodConfig: [{ name: [{ service: ECHO, method: "Unary" }], waitForReady: true }] },
    });
    const client = createClient(Echo, channel);
    const failed = new Promise<void>((resolve) => {
      const stop = channel.onStateChange((s) => {
        if (s === "TRANSIENT_FAILURE") {
          stop();
          resolve();
        }
      });
    });
    let settled = false;
    const waiting = client.unary({ message: "w" }, { timeoutMs: 30_000 });
    void waiting.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await within(failed, 5000, "TRANSIENT_FAILURE");
    // Another method (no config) and this one with waitForReady false fail fast meanwhile.
    await within(
      expectRpcError(collect(client.serverStream({ count: 1 })), Code.UNAVAILABLE, "ECONNREFUSED"),
      5000,
      "serverStream fails fast",
    );
    await within(
      expectRpcError(client.unary({}, { waitForReady: false }), Code.UNAVAILABLE, "ECONNREFUSED"),
      5000,
      "a call's own waitForReady: false wins",
    );
    assert.equal(settled, false, "the configured call still waits");
    const b = await backend("127.0.0.1", port);
    const res = await within(waiting, 10_000, "the waiting call");
    assert.equal(res.message, b.address);
    assert.equal(b.calls, 1);
  });

  it("message sizes by name: service and method, then service, then the default; requests and responses", async () => {
    const b = await backend();
    const channel = channelTo(b.address, {
      serviceConfig: {
        methodConfig: [
          { name: [{ service: ECHO, method: "Unary" }], maxRequestMessageBytes: 64 },
          { name: [{ service: ECHO }], maxRequestMessageBytes: 256, maxResponseMessageBytes: 128 },
          { name: [{}], maxRequestMessageBytes: 1024 },
        ],
      },
    });
    const echo = createClient(Echo, channel);
    const health = createClient(Health, channel);

    // Echo/Unary: 64 bytes.
    await within(echo.unary({ message: bytes(40) }), 5000, "unary within 64");
    await within(
      expectRpcError(echo.unary({ message: bytes(100) }), Code.RESOURCE_EXHAUSTED),
      5000,
      "unary over 64",
    );
    assert.equal(b.calls, 1, "the oversized request was not sent");
    // Echo/ServerStream: the service's 256 bytes, and responses of at most 128.
    await within(collect(echo.serverStream({ message: bytes(100), count: 1 })), 5000, "stream within 256");
    await within(
      expectRpcError(collect(echo.serverStream({ message: bytes(300), count: 1 })), Code.RESOURCE_EXHAUSTED),
      5000,
      "stream over 256",
    );
    await within(
      expectRpcError(
        collect(echo.serverStream({ payload: new Uint8Array(200), count: 1 })),
        Code.RESOURCE_EXHAUSTED,
      ),
      5000,
      "response over 128",
    );
    // Health/Check: the default's 1024 (the server has no Health service: UNIMPLEMENTED proves it was sent).
    await within(
      expectRpcError(health.check({ service: bytes(500) }), Code.UNIMPLEMENTED),
      5000,
      "other service within 1024",
    );
    await within(
      expectRpcError(health.check({ service: bytes(2000) }), Code.RESOURCE_EXHAUSTED),
      5000,
      "other service over 1024",
    );
  });

  it("the resolver's config replaces the default; an invalid one keeps the last good one; none: the default again", async () => {
    const [a, b] = [await backend("127.0.0.1"), await backend("127.0.0.2")];
    const endpoints = [a, b].map((x) => ({ addresses: [{ host: x.host, port: x.port }] }));
    const limit = (n: number) => ({ methodConfig: [{ name: [{}], maxRequestMessageBytes: n }] });
    const resolver = createPushResolver("test", {
      endpoints,
      serviceConfig: { ...limit(1024), loadBalancingConfig: [{ round_robin: {} }] },
    });
    const channel = channelTo("test:svc", { resolvers: [resolver.factory], serviceConfig: limit(16) });
    const client = createClient(Echo, channel);
    // The resolver's round_robin and 1024-byte limit, not the default's pick_first and 16.
    await within(client.unary({ message: bytes(100) }, { waitForReady: true }), 5000, "first call");
    for (let i = 0; i < 40 && !(a.calls > 0 && b.calls > 0); i++)
      await within(client.unary({ message: bytes(100) }), 5000, "until both answer");
    assert.ok(a.calls > 0 && b.calls > 0, `round_robin: ${a.calls} ${b.calls}`);

    resolver.push({ endpoints, serviceConfig: { methodConfig: [{ name: [{}], timeout: "soon" }] } });
    await within(client.unary({ message: bytes(100) }), 5000, "the last good config stays");
    await within(
      expectRpcError(client.unary({ message: bytes(2000) }), Code.RESOURCE_EXHAUSTED),
      5000,
      "its 1024-byte limit too",
    );

    resolver.push({ endpoints });
    await within(
      expectRpcError(client.unary({ message: bytes(100) }), Code.RESOURCE_EXHAUSTED),
      5000,
      "no config from the resolver: the default's 16 bytes",
    );
    await within(client.unary({ message: bytes(8) }), 5000, "within 16");
  });

  it("an invalid resolver config with no good one before: calls fail with UNAVAILABLE naming the error", async () => {
    const a = await backend();
    const resolver = createPushResolver("test", {
      endpoints: [{ addresses: [{ host: a.host, port: a.port }] }],
      serviceConfig: { methodConfig: [{ name: [{}], timeout: "soon" }] },
    });
    const channel = channelTo("test:bad", { resolvers: [resolver.factory] });
    const client = createClient(Echo, channel);
    const e = await within(expectRpcError(client.unary({}), Code.UNAVAILABLE), 5000, "invalid config");
    assert.match(e.rawMessage, /^the service config of test:bad is invalid: .*timeout/);
    assert.equal(a.calls, 0);
    // A good one then: calls go through.
    resolver.push({ endpoints: [{ addresses: [{ host: a.host, port: a.port }] }], serviceConfig: {} });
    await within(client.unary({}, { waitForReady: true }), 5000, "after a good config");
    assert.equal(a.calls, 1);
  });

  it("disableResolverServiceConfig: the resolver's config is ignored", async () => {
    const a = await backend();
    const resolver = createPushResolver("test", {
      endpoints: [{ addresses: [{ host: a.host, port: a.port }] }],
      serviceConfig: { methodConfig: [{ name: [{}], maxRequestMessageBytes: 1024 }] },
    });
    const channel = channelTo("test:svc", {
      resolvers: [resolver.factory],
      disableResolverServiceConfig: true,
      serviceConfig: { methodConfig: [{ name: [{}], maxRequestMessageBytes: 16 }] },
    });
    const client = createClient(Echo, channel);
    await within(
      expectRpcError(client.unary({ message: bytes(100) }), Code.RESOURCE_EXHAUSTED),
      5000,
      "the default's limit",
    );
    await within(client.unary({ message: bytes(8) }), 5000, "within it");
    assert.equal(a.calls, 1);
  });
});
