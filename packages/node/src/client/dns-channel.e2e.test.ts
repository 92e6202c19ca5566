// The channel on a dns: target resolved by a real DNS server (Debian's dnsmasq on 127.0.0.1): the
// name first points to backend A (127.0.0.2); the hosts file then says B (127.0.0.3) and A stops:
// pick_first asks for re-resolution when its connection drops, and the calls go to B. A name with
// both addresses under round_robin spreads the calls over both. Skipped where dnsmasq is missing
// (saying what to install), except in CI, where that fails.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import {
  type Backend,
  DNSMASQ,
  type Dnsmasq,
  Echo,
  skipWithout,
  startBackends,
  startDnsmasq,
  within,
} from "@grpc-ts/testing";
import { type Channel, createChannel, createClient } from "../index.js";

const HOSTS = "127.0.0.2 svc.test\n127.0.0.2 rr.test\n127.0.0.3 rr.test\n";

describe("dns channel against dnsmasq", { skip: skipWithout(DNSMASQ), timeout: 60_000 }, () => {
  let dns: Dnsmasq | undefined;
  let a: Backend;
  let b: Backend;
  const channels: Channel[] = [];

  before(async () => {
    assert.ok(existsSync(DNSMASQ.path), `${DNSMASQ.path} is missing (${DNSMASQ.install})`);
    dns = await startDnsmasq({ hosts: HOSTS, probe: "svc.test" });
    [a, b] = (await startBackends(["127.0.0.2", "127.0.0.3"])) as [Backend, Backend];
  });

  after(async () => {
    for (const c of channels) c.close();
    a?.kill();
    b?.kill();
    await dns?.stop();
  });

  it("pick_first: the name moves from A to B and A stops; re-resolution sends the calls to B", async () => {
    const channel = createChannel(`dns://127.0.0.1:${dns!.port}/svc.test:${a.port}`, {
      dnsMinResolutionIntervalMs: 0,
      backoff: { initialMs: 100, maxMs: 500 },
    });
    channels.push(channel);
    const client = createClient(Echo, channel);
    for (let i = 0; i < 10; i++) {
      const res = await within(client.unary({}), 5000, `call ${i}`);
      assert.equal(res.message, a.address);
    }
    assert.equal(a.calls, 10);
    assert.equal(b.calls, 0);

    await dns!.reload(HOSTS.replace("127.0.0.2 svc.test", "127.0.0.3 svc.test"));
    // A killed server sends no GOAWAY: a call placed on its connection before the client read
    // its end could have reached it, and fails. The channel leaves READY once it read the end.
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
    // Until dnsmasq has read the file, the name may still give A (refused): the calls wait for
    // ready through that, and the policy asks again after each failure.
    const res = await within(client.unary({}, { waitForReady: true }), 20_000, "the call after the move");
    assert.equal(res.message, b.address);
    for (let i = 0; i < 10; i++) {
      const r = await within(client.unary({}), 5000, `call ${i} on B`);
      assert.equal(r.message, b.address);
    }
    assert.equal(a.calls, 10);
    assert.equal(b.calls, 11);
    a = await restart(a);
  });

  it("round_robin over a name with both addresses: the calls alternate", async () => {
    const channel = createChannel(`dns://127.0.0.1:${dns!.port}/rr.test:${a.port}`, {
      dnsMinResolutionIntervalMs: 0,
      serviceConfig: { loadBalancingConfig: [{ round_robin: {} }] },
    });
    channels.push(channel);
    const client = createClient(Echo, channel);
    a.calls = 0;
    b.calls = 0;
    for (let i = 0; i < 100 && !(a.calls > 0 && b.calls > 0); i++)
      await within(client.unary({}, { waitForReady: true }), 5000, "warm-up");
    assert.ok(a.calls > 0 && b.calls > 0, `warm-up: ${a.calls} ${b.calls}`);
    a.calls = 0;
    b.calls = 0;
    for (let i = 0; i < 40; i++) await within(client.unary({}), 5000, `call ${i}`);
    assert.deepEqual([a.calls, b.calls], [20, 20]);
  });
});

/** Starts the killed backend again on its address, for the next test. */
async function restart(backend: Backend): Promise<Backend> {
  await backend.start();
  return backend;
}
