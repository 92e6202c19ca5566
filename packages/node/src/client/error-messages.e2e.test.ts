// What a failed call says when no backend can be reached: the target, each address tried, and why
// each failed (two refused ports on two loopback hosts), for pick_first and round_robin, and for a
// name that does not resolve.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createPushResolver, Echo, expectRpcError, freePort, within } from "@grpc-ts/testing";
import { type Channel, Code, createChannel, createClient } from "../index.js";

const backoff = { initialMs: 100, maxMs: 500 } as const;

describe("error messages", { timeout: 30_000 }, () => {
  const channels: Channel[] = [];
  after(() => {
    for (const c of channels) c.close();
  });

  async function refusedTarget(): Promise<{ target: string; a: string; b: string }> {
    const a = `127.0.0.1:${await freePort("127.0.0.1")}`;
    const b = `127.0.0.2:${await freePort("127.0.0.2")}`;
    return { target: `ipv4:${a},${b}`, a, b };
  }

  it("pick_first: the target, then every address with its ECONNREFUSED", async () => {
    const { target, a, b } = await refusedTarget();
    const channel = createChannel(target, { backoff });
    channels.push(channel);
    const e = await within(
      expectRpcError(createClient(Echo, channel).unary({}), Code.UNAVAILABLE),
      5000,
      "refused",
    );
    assert.equal(
      e.rawMessage,
      `${target}: failed to connect to all 2 addresses: ${a}: connect ECONNREFUSED ${a}; ${b}: connect ECONNREFUSED ${b}`,
    );
  });

  it("round_robin: the target, then every endpoint with its ECONNREFUSED", async () => {
    const { target, a, b } = await refusedTarget();
    const channel = createChannel(target, {
      backoff,
      serviceConfig: { loadBalancingConfig: [{ round_robin: {} }] },
    });
    channels.push(channel);
    const e = await within(
      expectRpcError(createClient(Echo, channel).unary({}), Code.UNAVAILABLE),
      5000,
      "refused",
    );
    assert.equal(
      e.rawMessage,
      `${target}: no endpoint is ready (all 2 failed): failed to connect to ${a}: connect ECONNREFUSED ${a}; failed to connect to ${b}: connect ECONNREFUSED ${b}`,
    );
  });

  it("a waitForReady call that runs out of time says why the channel is not ready", async () => {
    const { target, a, b } = await refusedTarget();
    const channel = createChannel(target, { backoff });
    channels.push(channel);
    const e = await within(
      expectRpcError(
        createClient(Echo, channel).unary({}, { waitForReady: true, timeoutMs: 500 }),
        Code.DEADLINE_EXCEEDED,
      ),
      5000,
      "deadline",
    );
    // The core's deadline message (its figure is the time measured, 499 or 500 ms); the reasons
    // the channel was not ready are in waitForReady()'s error.
    assert.match(e.rawMessage, /^deadline exceeded after \d+ ms$/);
    const ready = await within(
      expectRpcError(channel.waitForReady({ timeoutMs: 300 }), Code.DEADLINE_EXCEEDED),
      5000,
      "waitForReady()",
    );
    assert.ok(ready.rawMessage.includes(a) && ready.rawMessage.includes(b), ready.rawMessage);
    assert.ok(ready.rawMessage.includes("ECONNREFUSED"), ready.rawMessage);
  });

  it("a resolver with no addresses: the target and the reason", async () => {
    const resolver = createPushResolver("test");
    const channel = createChannel("test:broken", { resolvers: [resolver.factory], backoff });
    channels.push(channel);
    const client = createClient(Echo, channel);
    // The call waits for the resolver (the channel is CONNECTING), which then finds nothing.
    const call = expectRpcError(client.unary({}), Code.UNAVAILABLE);
    assert.equal(channel.getState(), "CONNECTING");
    resolver.push({ endpoints: [] });
    const e = await within(call, 5000, "no endpoints");
    assert.equal(e.rawMessage, "test:broken: the name resolver returned no addresses");
  });
});
