// A resolver and a load-balancing policy of the application's own, over real sockets: the channel
// takes the resolver for its scheme ("test") and the policy named in the service config, proven
// by which backend answers.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { type Backend, createPushResolver, Echo, startBackend, within } from "@grpc-ts/testing";
import {
  type Channel,
  createChannel,
  createClient,
  type LoadBalancerFactory,
  type Picker,
  type Subchannel,
} from "../index.js";

const QUEUE: Picker = { pick: () => ({ kind: "queue" }) };

/** Connects to the second address only and sends every call there. */
function alwaysSecond(log: string[]): LoadBalancerFactory {
  return {
    name: "always_second",
    parseConfig(json) {
      log.push(`config ${JSON.stringify(json)}`);
      return json;
    },
    create(helper) {
      let subchannels: Subchannel[] = [];
      const unwatch: (() => void)[] = [];
      const report = () => {
        const second = subchannels[1];
        if (second === undefined) return;
        const state = second.state;
        if (state.kind === "READY") {
          const pick = { kind: "pick", subchannel: second } as const;
          helper.updateState("READY", { pick: () => pick });
        } else if (state.kind === "TRANSIENT_FAILURE") {
          const fail = { kind: "fail", error: state.error } as const;
          helper.updateState("TRANSIENT_FAILURE", { pick: () => fail });
        } else {
          helper.updateState("CONNECTING", QUEUE);
          if (state.kind === "IDLE") second.connect();
        }
      };
      const drop = () => {
        for (const u of unwatch.splice(0)) u();
        for (const s of subchannels) s.unref();
        subchannels = [];
      };
      return {
        update(endpoints) {
          log.push(`update ${endpoints.length}`);
          drop();
          subchannels = endpoints.map((e) => helper.createSubchannel(e.addresses[0]!));
          for (const s of subchannels) unwatch.push(s.watch(report));
          report();
        },
        resolverError(error) {
          const fail = { kind: "fail", error } as const;
          helper.updateState("TRANSIENT_FAILURE", { pick: () => fail });
        },
        exitIdle() {
          subchannels[1]?.connect();
        },
        close() {
          log.push("close");
          drop();
        },
      };
    },
  };
}

describe("a custom resolver and a custom policy", { timeout: 30_000 }, () => {
  const backends: Backend[] = [];
  const channels: Channel[] = [];
  after(() => {
    for (const c of channels) c.close();
    for (const b of backends) b.kill();
  });

  it("the test: scheme's endpoints, and the always_second policy named in the service config", async () => {
    const bs = await Promise.all(["127.0.0.1", "127.0.0.2", "127.0.0.3"].map((h) => startBackend(h)));
    backends.push(...bs);
    const resolver = createPushResolver("test", {
      endpoints: bs.map((b) => ({ addresses: [{ host: b.host, port: b.port }] })),
    });
    const log: string[] = [];
    const channel = createChannel("test:my-service", {
      resolvers: [resolver.factory],
      loadBalancers: [alwaysSecond(log)],
      serviceConfig: { loadBalancingConfig: [{ always_second: { why: "test" } }] },
    });
    channels.push(channel);
    assert.equal(resolver.created, 1, "the channel made its resolver from the custom factory");
    const client = createClient(Echo, channel);
    for (let i = 0; i < 20; i++) {
      const res = await within(client.unary({}), 5000, `call ${i}`);
      assert.equal(res.message, bs[1]!.address);
    }
    assert.deepEqual(
      bs.map((b) => b.calls),
      [0, 20, 0],
    );
    assert.deepEqual(log, ['config {"why":"test"}', "update 3"]);

    // New endpoints from the resolver: the policy gets them, and the new second one answers.
    resolver.push({
      endpoints: [bs[2]!, bs[0]!].map((b) => ({ addresses: [{ host: b.host, port: b.port }] })),
    });
    const res = await within(client.unary({}, { waitForReady: true }), 5000, "call after the update");
    assert.equal(res.message, bs[0]!.address);
    assert.deepEqual(log.slice(2), ["update 2"]);
    channel.close();
    assert.deepEqual(log.slice(3), ["close"]);
  });

  it("an unknown policy name with no known one in the list: createChannel throws, naming it", () => {
    assert.throws(
      () => createChannel("127.0.0.1:1", { serviceConfig: { loadBalancingConfig: [{ nope: {} }] } }),
      /nope/,
    );
  });
});
