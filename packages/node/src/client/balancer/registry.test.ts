import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "../test-support/fake-clock.js";
import { FakeHelper, ip } from "../test-support/fake-helper.js";
import type { LoadBalancerFactory } from "./balancer.js";
import { createBalancerRegistry } from "./registry.js";

const custom = (name: string): LoadBalancerFactory => ({
  name,
  parseConfig: (json) => json,
  create: () => ({ update() {}, resolverError() {}, exitIdle() {}, close() {} }),
});

describe("balancer registry", () => {
  it("has pick_first and round_robin", () => {
    const registry = createBalancerRegistry();
    assert.deepEqual([...registry.keys()], ["pick_first", "round_robin"]);
    assert.equal(registry.get("pick_first")?.name, "pick_first");
    assert.equal(registry.get("round_robin")?.name, "round_robin");
    assert.equal(registry.get("grpclb"), undefined);
  });

  it("adds custom policies and lets them replace a built-in", () => {
    const mine = custom("my_policy");
    const pf = custom("pick_first");
    const registry = createBalancerRegistry([mine, pf]);
    assert.equal(registry.get("my_policy"), mine);
    assert.equal(registry.get("pick_first"), pf);
    assert.equal(registry.get("round_robin")?.name, "round_robin");
    assert.throws(() => createBalancerRegistry([custom("")]), TypeError);
  });

  it("keeps no state between registries, and gives the built-ins its clock", () => {
    const a = createBalancerRegistry([custom("only_here")]);
    const b = createBalancerRegistry();
    assert.equal(a.has("only_here"), true);
    assert.equal(b.has("only_here"), false);
    assert.notEqual(a.get("pick_first"), b.get("pick_first"));

    const clock = new FakeClock();
    const helper = new FakeHelper();
    const lb = createBalancerRegistry([], { clock, connectionAttemptDelayMs: 300 })
      .get("pick_first")!
      .create(helper);
    lb.update([{ addresses: [ip("10.0.0.1")] }, { addresses: [ip("10.0.0.2")] }], {});
    clock.advance(299);
    assert.equal(helper.backend("10.0.0.2:1").connects, 0);
    clock.advance(1);
    assert.equal(helper.backend("10.0.0.2:1").connects, 1);
  });
});
