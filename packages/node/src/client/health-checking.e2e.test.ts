// Client-side health checking (gRFC A17) over real sockets: backends with the standard health
// service (@grpc-ts/services) report the "echo" service SERVING or NOT_SERVING; round_robin with a
// healthCheckConfig skips a NOT_SERVING backend and takes it back once SERVING; a backend without
// the health service (UNIMPLEMENTED) is used; pick_first does no health checking.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { addHealth, type HealthReporter } from "@grpc-ts/services";
import { type Backend, Echo, startBackend, within } from "@grpc-ts/testing";
import { type Channel, type Client, createChannel, createClient } from "../index.js";

const SERVICE = "echo";
const backoff = { initialMs: 100, maxMs: 500 } as const;
const counts = (backends: readonly Backend[]) => backends.map((b) => b.calls);
const reset = (backends: readonly Backend[]) => {
  for (const b of backends) b.calls = 0;
};

interface HealthBackend {
  readonly backend: Backend;
  /** The health reporter of the server now running. */
  health: HealthReporter | undefined;
}

async function startWithHealth(host: string): Promise<HealthBackend> {
  const hb: { backend: Backend | undefined; health: HealthReporter | undefined } = {
    backend: undefined,
    health: undefined,
  };
  hb.backend = await startBackend(host, {
    setup: (server) => {
      hb.health = addHealth(server, { statuses: { [SERVICE]: "SERVING" } });
    },
  });
  return hb as HealthBackend;
}

/**
 * Sends calls until `done` holds after one (at most `max` calls): the bounded wait for a health
 * report to reach the policy, seen through where the calls go.
 */
async function callUntil(client: Client<typeof Echo>, done: () => boolean, max: number, what: string) {
  for (let i = 0; i < max; i++) {
    await within(client.unary({}), 5000, `${what}: call ${i}`);
    if (done()) return;
  }
  assert.fail(`${what}: not after ${max} calls`);
}

describe("health checking (A17)", { timeout: 60_000 }, () => {
  const backends: Backend[] = [];
  const channels: Channel[] = [];
  after(() => {
    for (const c of channels) c.close();
    for (const b of backends) b.kill();
  });

  it("round_robin: a NOT_SERVING backend gets no calls until SERVING again; one without the health service is used", async () => {
    const a = await startWithHealth("127.0.0.1");
    const b = await startWithHealth("127.0.0.2");
    // No health service: Watch is UNIMPLEMENTED, and the backend counts as healthy.
    const c = await startBackend("127.0.0.3");
    const bs = [a.backend, b.backend, c];
    backends.push(...bs);
    const channel = createChannel(`ipv4:${bs.map((x) => x.address).join(",")}`, {
      serviceConfig: {
        loadBalancingConfig: [{ round_robin: {} }],
        healthCheckConfig: { serviceName: SERVICE },
      },
      backoff,
    });
    channels.push(channel);
    const client = createClient(Echo, channel);
    await within(channel.waitForReady({ timeoutMs: 5000 }), 6000, "ready");
    await callUntil(client, () => bs.every((x) => x.calls > 0), 200, "every backend in the rotation");
    reset(bs);
    for (let i = 0; i < 90; i++) await within(client.unary({}), 5000, `call ${i}`);
    assert.deepEqual(counts(bs), [30, 30, 30]);

    a.health!.setStatus(SERVICE, "NOT_SERVING");
    // Once the report arrived, A is out: 30 calls in a row without it.
    let streak = 0;
    await callUntil(
      client,
      () => {
        streak = a.backend.calls === 0 ? streak + 1 : 0;
        reset([a.backend]);
        return streak === 30;
      },
      300,
      "A out of the rotation",
    );
    reset(bs);
    for (let i = 0; i < 60; i++) await within(client.unary({}), 5000, `call ${i} with A not serving`);
    assert.deepEqual(counts(bs), [0, 30, 30]);

    a.health!.setStatus(SERVICE, "SERVING");
    await callUntil(client, () => a.backend.calls > 0, 300, "A back in the rotation");
    await callUntil(client, () => bs.every((x) => x.calls > 0), 300, "all three in the rotation");
    reset(bs);
    for (let i = 0; i < 90; i++) await within(client.unary({}), 5000, `call ${i} with A serving again`);
    assert.deepEqual(counts(bs), [30, 30, 30]);
  });

  it("round_robin: every backend NOT_SERVING fails calls with UNAVAILABLE naming the health status", async () => {
    const a = await startWithHealth("127.0.0.1");
    backends.push(a.backend);
    a.health!.setStatus(SERVICE, "NOT_SERVING");
    const channel = createChannel(`ipv4:${a.backend.address}`, {
      serviceConfig: {
        loadBalancingConfig: [{ round_robin: {} }],
        healthCheckConfig: { serviceName: SERVICE },
      },
      backoff,
    });
    channels.push(channel);
    const client = createClient(Echo, channel);
    const e = await within(
      client.unary({}).then(
        () => undefined,
        (err: unknown) => err,
      ),
      5000,
      "call to a not-serving backend",
    );
    assert.ok(e instanceof Error, "the call failed");
    assert.match(e.message, /NOT_SERVING/);
    assert.equal(a.backend.calls, 0);
  });

  it("pick_first: no health checking, a NOT_SERVING backend still gets every call", async () => {
    const a = await startWithHealth("127.0.0.1");
    const b = await startWithHealth("127.0.0.2");
    const bs = [a.backend, b.backend];
    backends.push(...bs);
    a.health!.setStatus(SERVICE, "NOT_SERVING");
    const channel = createChannel(`ipv4:${bs.map((x) => x.address).join(",")}`, {
      serviceConfig: {
        loadBalancingConfig: [{ pick_first: {} }],
        healthCheckConfig: { serviceName: SERVICE },
      },
      backoff,
    });
    channels.push(channel);
    const client = createClient(Echo, channel);
    for (let i = 0; i < 30; i++) {
      const res = await within(client.unary({}), 5000, `call ${i}`);
      assert.equal(res.message, a.backend.address);
    }
    assert.deepEqual(counts(bs), [30, 0]);
  });
});
