import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, RpcError } from "@grpc-ts/core";
import type { ConnectAddress } from "../../http2/client-socket.js";
import type { Endpoint } from "../resolver/resolver.js";
import { FakeClock } from "../test-support/fake-clock.js";
import { FakeHelper, ip } from "../test-support/fake-helper.js";
import type { PickResult } from "./balancer.js";
import {
  createPickFirstFactory,
  interleaveFamilies,
  orderAddresses,
  parsePickFirstConfig,
} from "./pick-first.js";

const names = (list: readonly ConnectAddress[]) =>
  list.map((a) => ("path" in a ? `unix:${a.path}` : a.host.includes(":") ? `[${a.host}]` : a.host));

/** One endpoint per address, as DNS gives them. */
const each = (...hosts: string[]): Endpoint[] => hosts.map((h) => ({ addresses: [ip(h)] }));

function setup(options: { random?: () => number } = {}) {
  const clock = new FakeClock();
  const helper = new FakeHelper();
  const factory = createPickFirstFactory({ clock, ...options });
  const lb = factory.create(helper);
  return { clock, helper, lb, factory };
}

function errorOf(r: PickResult): RpcError | undefined {
  return r.kind === "fail" ? r.error : undefined;
}

/** A seeded random (a small LCG), the same sequence each run. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

describe("pick_first config", () => {
  it("accepts { shuffleAddressList?: boolean } and ignores other fields", () => {
    assert.deepEqual(parsePickFirstConfig({}), { shuffleAddressList: false });
    assert.deepEqual(parsePickFirstConfig(undefined), { shuffleAddressList: false });
    assert.deepEqual(parsePickFirstConfig({ shuffleAddressList: true, other: 1 }), {
      shuffleAddressList: true,
    });
    assert.throws(() => parsePickFirstConfig({ shuffleAddressList: "yes" }), {
      name: "TypeError",
      message: /shuffleAddressList/,
    });
    assert.throws(() => parsePickFirstConfig([]), TypeError);
    assert.throws(() => parsePickFirstConfig(null), TypeError);
    assert.equal(createPickFirstFactory().name, "pick_first");
  });
});

describe("pick_first address order", () => {
  it("interleaves the families, the first address's family first", () => {
    const v6first = [ip("::1"), ip("::2"), ip("::3"), ip("10.0.0.1"), ip("10.0.0.2")];
    assert.deepEqual(names(interleaveFamilies(v6first)), ["[::1]", "10.0.0.1", "[::2]", "10.0.0.2", "[::3]"]);
    const v4first = [ip("10.0.0.1"), ip("10.0.0.2"), ip("::1")];
    assert.deepEqual(names(interleaveFamilies(v4first)), ["10.0.0.1", "[::1]", "10.0.0.2"]);
    const one = [ip("10.0.0.1"), ip("10.0.0.2")];
    assert.deepEqual(names(interleaveFamilies(one)), ["10.0.0.1", "10.0.0.2"]);
  });

  it("flattens the endpoints in order, then interleaves", () => {
    const endpoints: Endpoint[] = [{ addresses: [ip("::1"), ip("::2")] }, { addresses: [ip("10.0.0.1")] }];
    assert.deepEqual(names(orderAddresses(endpoints, false, Math.random)), ["[::1]", "10.0.0.1", "[::2]"]);
  });

  it("shuffles endpoints (not addresses within one) when asked, by the given random", () => {
    const endpoints: Endpoint[] = [
      { addresses: [ip("10.0.0.1"), ip("10.0.1.1")] },
      { addresses: [ip("10.0.0.2"), ip("10.0.1.2")] },
      { addresses: [ip("10.0.0.3"), ip("10.0.1.3")] },
      { addresses: [ip("10.0.0.4"), ip("10.0.1.4")] },
    ];
    const a = names(orderAddresses(endpoints, true, seeded(7)));
    assert.deepEqual(a, names(orderAddresses(endpoints, true, seeded(7))), "same seed, same order");
    assert.notDeepEqual(a, names(orderAddresses(endpoints, false, seeded(7))));
    // Each endpoint's two addresses stay together and in order.
    for (let i = 0; i < a.length; i += 2) assert.equal(a[i]!.replace("10.0.0.", "10.0.1."), a[i + 1]);
    assert.deepEqual([...a].sort(), names(endpoints.flatMap((e) => e.addresses)).sort());
    // random() = 0 moves each endpoint to the front in turn: a known permutation.
    assert.deepEqual(
      names(orderAddresses(endpoints, true, () => 0)).filter((_, i) => i % 2 === 0),
      ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.1"],
    );
  });

  it("connects in the interleaved order", () => {
    const { helper, lb, clock } = setup();
    lb.update(each("::1", "::2", "10.0.0.1"), {});
    clock.advance(250);
    clock.advance(250);
    const started = [...helper.backends.values()].filter((b) => b.connects > 0).map((b) => b.name);
    assert.deepEqual(helper.created, ["[::1]:1", "10.0.0.1:1", "[::2]:1"]);
    assert.equal(started.length, 3);
  });

  it("shuffles with shuffleAddressList", () => {
    const { helper, lb } = setup({ random: () => 0 });
    lb.update(each("10.0.0.1", "10.0.0.2", "10.0.0.3"), { shuffleAddressList: true });
    assert.deepEqual(helper.created, ["10.0.0.2:1", "10.0.0.3:1", "10.0.0.1:1"]);
  });
});

describe("pick_first", () => {
  it("connects to the first address and, once READY, picks it (the same result object each time)", () => {
    const { helper, lb, clock } = setup();
    lb.update(each("10.0.0.1", "10.0.0.2"), {});
    assert.deepEqual(helper.states, ["CONNECTING"]);
    assert.equal(helper.pick().kind, "queue");
    const a = helper.backend("10.0.0.1:1");
    const b = helper.backend("10.0.0.2:1");
    assert.equal(a.connects, 1);
    assert.equal(b.connects, 0);
    a.ready();
    assert.deepEqual(helper.states, ["CONNECTING", "READY"]);
    assert.equal(helper.picked(), "10.0.0.1:1");
    assert.equal(helper.pick(), helper.pick(), "picks allocate nothing");
    assert.equal(b.refs, 0, "the other subchannel is unref'd");
    assert.equal(b.watchers, 0);
    assert.equal(clock.pending, 0, "the Happy Eyeballs timer is cancelled");
    clock.advance(1000);
    assert.equal(b.connects, 0);
  });

  it("falls back to the next address at once when the first fails", () => {
    const { helper, lb } = setup();
    lb.update(each("10.0.0.1", "10.0.0.2"), {});
    helper.backend("10.0.0.1:1").fail();
    assert.equal(helper.backend("10.0.0.2:1").connects, 1, "no wait for the 250 ms timer");
    assert.deepEqual(helper.states, ["CONNECTING"]);
    helper.backend("10.0.0.2:1").ready();
    assert.equal(helper.picked(), "10.0.0.2:1");
    assert.equal(helper.backend("10.0.0.1:1").refs, 0);
  });

  it("starts the next attempt every 250 ms without cancelling earlier ones; the first READY wins", () => {
    const { helper, lb, clock } = setup();
    lb.update(each("10.0.0.1", "10.0.0.2", "10.0.0.3"), {});
    const [a, b, c] = ["10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"].map((n) => helper.backend(n));
    assert.deepEqual([a!.connects, b!.connects, c!.connects], [1, 0, 0]);
    clock.advance(249);
    assert.equal(b!.connects, 0);
    clock.advance(1);
    assert.deepEqual([a!.connects, b!.connects, c!.connects], [1, 1, 0]);
    assert.equal(a!.state.kind, "CONNECTING", "the first attempt runs on");
    assert.equal(a!.refs, 1);
    clock.advance(250);
    assert.deepEqual([a!.connects, b!.connects, c!.connects], [1, 1, 1]);
    assert.equal(clock.pending, 0, "no timer after the last address");
    b!.ready();
    assert.equal(helper.picked(), "10.0.0.2:1");
    assert.deepEqual([a!.refs, b!.refs, c!.refs], [0, 1, 0], "the others are unref'd");
    a!.ready();
    assert.equal(helper.picked(), "10.0.0.2:1", "a later READY changes nothing");
  });

  it("skips an address in backoff and picks one that is READY already (shared with another policy)", () => {
    const { helper, lb } = setup();
    helper.backend(ip("10.0.0.1")).fail("in backoff");
    lb.update(each("10.0.0.1", "10.0.0.2"), {});
    assert.equal(helper.backend("10.0.0.1:1").connects, 0);
    assert.equal(helper.backend("10.0.0.2:1").connects, 1);

    const other = setup();
    other.helper.backend(ip("10.0.0.2")).ready();
    other.lb.update(each("10.0.0.1", "10.0.0.2"), {});
    assert.equal(other.helper.picked(), "10.0.0.2:1");
    assert.equal(other.helper.backend("10.0.0.1:1").connects, 0);
  });

  it("is TRANSIENT_FAILURE once every address failed, naming each address and why, and asks for re-resolution", () => {
    const { helper, lb } = setup();
    lb.update(each("10.0.0.1", "::1"), {});
    helper.backend("10.0.0.1:1").fail("connect ECONNREFUSED");
    assert.equal(helper.reresolutions, 0);
    helper.backend("[::1]:1").fail("connection attempt timed out after 20000 ms");
    assert.deepEqual(helper.states, ["CONNECTING", "TRANSIENT_FAILURE"]);
    assert.equal(helper.reresolutions, 1);
    const error = errorOf(helper.pick());
    assert.equal(error?.code, Code.UNAVAILABLE);
    assert.equal(
      error?.rawMessage,
      "failed to connect to all 2 addresses: 10.0.0.1:1: connect ECONNREFUSED; [::1]:1: connection attempt timed out after 20000 ms",
    );
  });

  it("stays TRANSIENT_FAILURE (sticky) while it reconnects each subchannel out of backoff, until one is READY", () => {
    const { helper, lb } = setup();
    lb.update(each("10.0.0.1", "10.0.0.2"), {});
    const a = helper.backend("10.0.0.1:1");
    const b = helper.backend("10.0.0.2:1");
    a.fail();
    b.fail();
    assert.equal(helper.state, "TRANSIENT_FAILURE");
    a.idle();
    assert.equal(a.connects, 2, "out of backoff: connected at once");
    assert.equal(a.state.kind, "CONNECTING");
    assert.ok(
      helper.states.slice(1).every((s) => s === "TRANSIENT_FAILURE"),
      "a CONNECTING subchannel does not change it",
    );
    a.fail("again");
    assert.equal(helper.state, "TRANSIENT_FAILURE");
    assert.match(errorOf(helper.pick())?.message ?? "", /10\.0\.0\.1:1: again/, "the error is the latest");
    assert.equal(helper.reresolutions, 1);
    b.idle();
    b.fail();
    assert.equal(helper.reresolutions, 2, "again after as many failures as addresses");
    b.idle();
    b.ready();
    assert.equal(helper.state, "READY");
    assert.equal(helper.picked(), "10.0.0.2:1");
    assert.ok(!helper.states.includes("CONNECTING", 1));
  });

  it("connects at once the subchannels that left backoff during the first pass when the pass ends", () => {
    const { helper, lb } = setup();
    lb.update(each("10.0.0.1", "10.0.0.2"), {});
    const a = helper.backend("10.0.0.1:1");
    a.fail();
    a.idle();
    assert.equal(a.connects, 1, "not again during the first pass");
    helper.backend("10.0.0.2:1").fail();
    assert.equal(helper.state, "TRANSIENT_FAILURE");
    assert.equal(a.connects, 2);
  });

  it("goes IDLE when the READY connection is lost, asks for re-resolution, and reconnects on a pick", async () => {
    const { helper, lb } = setup();
    lb.update(each("10.0.0.1", "10.0.0.2"), {});
    const a = helper.backend("10.0.0.1:1");
    a.ready();
    a.idle();
    assert.equal(helper.state, "IDLE");
    assert.equal(helper.reresolutions, 1);
    assert.equal(a.refs, 0);
    assert.equal(a.connects, 1, "no reconnection by itself");
    assert.equal(helper.pick().kind, "queue");
    assert.equal(helper.pick().kind, "queue");
    await Promise.resolve();
    assert.equal(helper.state, "CONNECTING");
    assert.equal(a.connects, 2, "the first pick made it connect, once");
    assert.equal(a.refs, 1);
    a.ready();
    assert.equal(helper.picked(), "10.0.0.1:1");
  });

  it("reconnects from IDLE on exitIdle, with the addresses of the latest update", () => {
    const { helper, lb } = setup();
    lb.update(each("10.0.0.1"), {});
    helper.backend("10.0.0.1:1").ready();
    helper.backend("10.0.0.1:1").idle();
    lb.update(each("10.0.0.2"), {});
    assert.equal(helper.state, "IDLE", "an update does not leave IDLE");
    lb.exitIdle();
    assert.equal(helper.state, "CONNECTING");
    assert.equal(helper.backend("10.0.0.2:1").connects, 1);
    lb.exitIdle();
    assert.equal(helper.backend("10.0.0.2:1").connects, 1);
  });

  it("reports the READY subchannel's health: unhealthy is TRANSIENT_FAILURE with its error", () => {
    const { helper, lb } = setup();
    lb.update(each("10.0.0.1"), {});
    const a = helper.backend("10.0.0.1:1");
    a.ready();
    const unhealthy = new RpcError(Code.UNAVAILABLE, "10.0.0.1:1: NOT_SERVING");
    a.set({ kind: "TRANSIENT_FAILURE", error: unhealthy });
    assert.equal(helper.state, "TRANSIENT_FAILURE");
    assert.equal(errorOf(helper.pick()), unhealthy);
    a.ready();
    assert.equal(helper.picked(), "10.0.0.1:1");
    assert.equal(helper.reresolutions, 0);
  });

  it("keeps its READY subchannel across an update that still lists it, and moves on when it is gone", () => {
    const { helper, lb } = setup();
    lb.update(each("10.0.0.1", "10.0.0.2"), {});
    helper.backend("10.0.0.1:1").ready();
    lb.update(each("10.0.0.3", "10.0.0.1"), {});
    assert.deepEqual(helper.states, ["CONNECTING", "READY"]);
    assert.deepEqual(helper.created, ["10.0.0.1:1", "10.0.0.2:1"]);
    lb.update(each("10.0.0.4"), {});
    assert.equal(helper.state, "CONNECTING");
    assert.equal(helper.backend("10.0.0.1:1").refs, 0);
    assert.equal(helper.backend("10.0.0.4:1").connects, 1);
  });

  it("starts a new pass on an update while connecting, dropping the old subchannels after making the new", () => {
    const { helper, lb, clock } = setup();
    lb.update(each("10.0.0.1", "10.0.0.2"), {});
    lb.update(each("10.0.0.1", "10.0.0.3"), {});
    const a = helper.backend("10.0.0.1:1");
    assert.equal(a.refs, 1);
    assert.equal(a.connects, 1, "the shared attempt goes on");
    assert.equal(helper.backend("10.0.0.2:1").refs, 0);
    clock.advance(250);
    assert.equal(helper.backend("10.0.0.3:1").connects, 1);
    assert.equal(helper.backend("10.0.0.2:1").connects, 0, "the old list's timer was cancelled");
  });

  it("an update with no addresses is TRANSIENT_FAILURE saying so, and asks for re-resolution", () => {
    const { helper, lb } = setup();
    lb.update(each("10.0.0.1"), {});
    lb.update([], {});
    assert.equal(helper.state, "TRANSIENT_FAILURE");
    assert.match(errorOf(helper.pick())?.message ?? "", /resolver returned no addresses/);
    assert.equal(helper.reresolutions, 1);
    assert.equal(helper.backend("10.0.0.1:1").refs, 0);
    lb.update([{ addresses: [] }], {});
    assert.equal(helper.reresolutions, 2);
  });

  it("fails with the resolver's error before it has addresses, and ignores it after", () => {
    const { helper, lb } = setup();
    const dns = new RpcError(Code.UNAVAILABLE, "DNS resolution failed for x.example: ENOTFOUND");
    lb.resolverError(dns);
    assert.equal(helper.state, "TRANSIENT_FAILURE");
    assert.equal(errorOf(helper.pick()), dns);
    lb.update(each("10.0.0.1"), {});
    helper.backend("10.0.0.1:1").ready();
    lb.resolverError(dns);
    assert.equal(helper.state, "READY");
  });

  it("stays TRANSIENT_FAILURE across an update while its connections fail, until READY", () => {
    const { helper, lb } = setup();
    lb.update(each("10.0.0.1"), {});
    helper.backend("10.0.0.1:1").fail();
    lb.update(each("10.0.0.2"), {});
    assert.deepEqual(helper.states, ["CONNECTING", "TRANSIENT_FAILURE"]);
    helper.backend("10.0.0.2:1").fail("refused too");
    assert.equal(helper.state, "TRANSIENT_FAILURE");
    assert.equal(errorOf(helper.pick())?.rawMessage, "failed to connect to 10.0.0.2:1: refused too");
    helper.backend("10.0.0.2:1").idle();
    helper.backend("10.0.0.2:1").ready();
    assert.equal(helper.state, "READY");
  });

  it("is CONNECTING when addresses come after a resolver error or an empty list (only connection failures are sticky)", () => {
    const { helper, lb } = setup();
    lb.resolverError(new RpcError(Code.UNAVAILABLE, "ENOTFOUND"));
    lb.update(each("10.0.0.1"), {});
    assert.deepEqual(helper.states, ["TRANSIENT_FAILURE", "CONNECTING"]);
    lb.update([], {});
    lb.update(each("10.0.0.1"), {});
    assert.deepEqual(helper.states.slice(2), ["TRANSIENT_FAILURE", "CONNECTING"]);
  });

  it("close() unrefs every subchannel and stops its timer", () => {
    const { helper, lb, clock } = setup();
    lb.update(each("10.0.0.1", "10.0.0.2"), {});
    lb.close();
    assert.equal(clock.pending, 0);
    assert.ok([...helper.backends.values()].every((b) => b.refs === 0 && b.watchers === 0));
    lb.update(each("10.0.0.3"), {});
    assert.equal(helper.backends.has("10.0.0.3:1"), false);
  });
});
