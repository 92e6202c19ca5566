import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, RpcError } from "@grpc-ts/core";
import type { Endpoint } from "../resolver/resolver.js";
import { FakeClock } from "../test-support/fake-clock.js";
import { FakeHelper, ip } from "../test-support/fake-helper.js";
import type { PickResult } from "./balancer.js";
import { createRoundRobinFactory, parseRoundRobinConfig } from "./round-robin.js";

const each = (...hosts: string[]): Endpoint[] => hosts.map((h) => ({ addresses: [ip(h)] }));

function setup(random: () => number = () => 0) {
  const clock = new FakeClock();
  const helper = new FakeHelper();
  const lb = createRoundRobinFactory({ clock, random }).create(helper);
  const b = (host: string) => helper.backend(`${host}:1`);
  const picks = (n: number) => Array.from({ length: n }, () => helper.picked());
  return { clock, helper, lb, b, picks };
}

function errorOf(r: PickResult): RpcError | undefined {
  return r.kind === "fail" ? r.error : undefined;
}

describe("round_robin", () => {
  it("has no settings; its config must be an object", () => {
    assert.deepEqual(parseRoundRobinConfig({}), {});
    assert.deepEqual(parseRoundRobinConfig({ unknown: 1 }), {});
    assert.throws(() => parseRoundRobinConfig(3), TypeError);
    assert.equal(createRoundRobinFactory().name, "round_robin");
  });

  it("makes one pick_first child per endpoint, each connecting at once", () => {
    const { helper, lb, b } = setup();
    lb.update([{ addresses: [ip("10.0.0.1"), ip("::1")] }, ...each("10.0.0.2", "10.0.0.3")], {});
    assert.equal(helper.state, "CONNECTING");
    assert.equal(helper.updates.length, 1, "one report for the whole update");
    assert.deepEqual([b("10.0.0.1").connects, b("10.0.0.2").connects, b("10.0.0.3").connects], [1, 1, 1]);
    assert.equal(helper.backends.has("[::1]:1"), true, "the endpoint's second address belongs to its child");
    assert.equal(helper.pick().kind, "queue");
  });

  it("rotates evenly over the READY children, allocation-free", () => {
    const { lb, b, picks } = setup();
    lb.update(each("10.0.0.1", "10.0.0.2", "10.0.0.3"), {});
    for (const h of ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) b(h).ready();
    const got = picks(300);
    for (const h of ["10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"])
      assert.equal(got.filter((n) => n === h).length, 100);
    assert.deepEqual(got.slice(0, 4), ["10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1", "10.0.0.1:1"]);
  });

  it("returns the same result objects round after round", () => {
    const { helper, lb, b } = setup();
    lb.update(each("10.0.0.1", "10.0.0.2"), {});
    b("10.0.0.1").ready();
    b("10.0.0.2").ready();
    const first = [helper.pick(), helper.pick()];
    const second = [helper.pick(), helper.pick()];
    assert.equal(first[0], second[0]);
    assert.equal(first[1], second[1]);
    assert.notEqual(first[0], first[1]);
  });

  it("starts each new picker at a random READY child", () => {
    const { helper, lb, b } = setup(() => 0.5);
    lb.update(each("10.0.0.1", "10.0.0.2", "10.0.0.3"), {});
    for (const h of ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) b(h).ready();
    assert.equal(helper.picked(), "10.0.0.2:1", "floor(0.5 * 3) = 1");
  });

  it("aggregates READY over CONNECTING over TRANSIENT_FAILURE", () => {
    const { helper, lb, b, picks } = setup();
    lb.update(each("10.0.0.1", "10.0.0.2", "10.0.0.3"), {});
    b("10.0.0.1").fail();
    assert.equal(helper.state, "CONNECTING", "TF + CONNECTING + CONNECTING");
    b("10.0.0.2").ready();
    assert.equal(helper.state, "READY", "TF + READY + CONNECTING");
    assert.deepEqual(picks(3), ["10.0.0.2:1", "10.0.0.2:1", "10.0.0.2:1"], "only READY children are picked");
    b("10.0.0.2").idle();
    assert.equal(helper.state, "CONNECTING", "TF + CONNECTING (reconnecting) + CONNECTING");
    b("10.0.0.2").fail();
    b("10.0.0.3").fail();
    assert.equal(helper.state, "TRANSIENT_FAILURE", "all failed");
    assert.equal(errorOf(helper.pick())?.code, Code.UNAVAILABLE);
  });

  it("fails picks with an error that lists every endpoint's", () => {
    const { helper, lb, b } = setup();
    lb.update([{ addresses: [ip("10.0.0.1"), ip("::1")] }, ...each("10.0.0.2")], {});
    b("10.0.0.1").fail("connect ECONNREFUSED");
    helper.backend("[::1]:1").fail("connect ENETUNREACH");
    b("10.0.0.2").fail("connection attempt timed out after 20000 ms");
    assert.equal(
      errorOf(helper.pick())?.rawMessage,
      "no endpoint is ready (all 2 failed): failed to connect to all 2 addresses: 10.0.0.1:1: connect ECONNREFUSED; " +
        "[::1]:1: connect ENETUNREACH; failed to connect to 10.0.0.2:1: connection attempt timed out after 20000 ms",
    );
  });

  it("counts a failed child as failed until it is READY again", () => {
    const { helper, lb, b } = setup();
    lb.update(each("10.0.0.1", "10.0.0.2"), {});
    b("10.0.0.1").ready();
    b("10.0.0.2").fail();
    // The READY child turns unhealthy (TF), then loses its connection: its pick_first child goes
    // IDLE, is told to reconnect, and reports CONNECTING; round_robin still counts it failed.
    b("10.0.0.1").set({ kind: "TRANSIENT_FAILURE", error: new RpcError(Code.UNAVAILABLE, "NOT_SERVING") });
    assert.equal(helper.state, "TRANSIENT_FAILURE");
    b("10.0.0.1").idle();
    assert.equal(b("10.0.0.1").state.kind, "CONNECTING");
    assert.equal(helper.state, "TRANSIENT_FAILURE", "not CONNECTING again");
    assert.match(errorOf(helper.pick())?.message ?? "", /NOT_SERVING/);
    b("10.0.0.1").ready();
    assert.equal(helper.state, "READY");
    assert.equal(helper.picked(), "10.0.0.1:1");
  });

  it("reconnects a child at once when it goes IDLE, and asks for re-resolution", () => {
    const { helper, lb, b } = setup();
    lb.update(each("10.0.0.1", "10.0.0.2"), {});
    b("10.0.0.1").ready();
    b("10.0.0.2").ready();
    const before = helper.updates.length;
    b("10.0.0.1").idle();
    assert.equal(b("10.0.0.1").connects, 2, "connecting again with no pick needed");
    assert.equal(helper.reresolutions, 1);
    assert.equal(helper.state, "READY");
    assert.equal(helper.updates.length, before + 1, "one new picker, over the child still READY");
    assert.equal(helper.picked(), "10.0.0.2:1");
    assert.equal(helper.picked(), "10.0.0.2:1");
  });

  it("asks for re-resolution when a child reports TRANSIENT_FAILURE", () => {
    const { helper, lb, b } = setup();
    lb.update(each("10.0.0.1", "10.0.0.2"), {});
    b("10.0.0.1").fail();
    assert.equal(helper.reresolutions, 1);
    b("10.0.0.2").ready();
    assert.equal(helper.reresolutions, 1);
  });

  it("keeps the children of endpoints that stay and closes the others", () => {
    const { helper, lb, b, picks } = setup();
    lb.update(each("10.0.0.1", "10.0.0.2"), {});
    b("10.0.0.1").ready();
    b("10.0.0.2").ready();
    lb.update([{ addresses: [ip("10.0.0.2"), ip("10.0.1.2")] }, ...each("10.0.0.3")], {});
    assert.equal(b("10.0.0.1").refs, 0, "the removed endpoint's child is closed");
    assert.equal(
      helper.created.filter((n) => n === "10.0.0.2:1").length,
      1,
      "the kept child keeps its subchannel",
    );
    assert.equal(b("10.0.0.3").connects, 1);
    assert.equal(helper.state, "READY");
    assert.deepEqual(picks(2), ["10.0.0.2:1", "10.0.0.2:1"]);
    b("10.0.0.3").ready();
    assert.deepEqual(picks(2).sort(), ["10.0.0.2:1", "10.0.0.3:1"]);
    b("10.0.0.1").ready();
    assert.ok(!picks(4).includes("10.0.0.1:1"), "a closed child's states are ignored");
  });

  it("an update with no endpoints is TRANSIENT_FAILURE and asks for re-resolution", () => {
    const { helper, lb, b } = setup();
    lb.update(each("10.0.0.1"), {});
    lb.update([{ addresses: [] }], {});
    assert.equal(helper.state, "TRANSIENT_FAILURE");
    assert.match(errorOf(helper.pick())?.message ?? "", /resolver returned no addresses/);
    assert.equal(helper.reresolutions, 1);
    assert.equal(b("10.0.0.1").refs, 0);
  });

  it("fails with the resolver's error before it has endpoints, and ignores it after", () => {
    const { helper, lb, b } = setup();
    const dns = new RpcError(Code.UNAVAILABLE, "ENOTFOUND");
    lb.resolverError(dns);
    assert.equal(errorOf(helper.pick()), dns);
    lb.update(each("10.0.0.1"), {});
    b("10.0.0.1").ready();
    lb.resolverError(dns);
    assert.equal(helper.state, "READY");
  });

  it("close() closes every child", () => {
    const { helper, lb, b } = setup();
    lb.update(each("10.0.0.1", "10.0.0.2"), {});
    b("10.0.0.1").ready();
    const reports = helper.updates.length;
    lb.close();
    assert.ok([...helper.backends.values()].every((x) => x.refs === 0));
    b("10.0.0.2").ready();
    assert.equal(helper.updates.length, reports);
  });
});
