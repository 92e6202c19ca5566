/**
 * The policies over the real pool and subchannels (a fake connector and clock, no network): the
 * layers together, with the subchannels' own backoff timing and synchronous notifications.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Metadata } from "@grpc-ts/core";
import type { ConnectAddress } from "../../http2/client-socket.js";
import type { ClientConnection, ConnectionListener } from "../../http2/seam.js";
import type { Endpoint } from "../resolver/resolver.js";
import { createSubchannelPool } from "../subchannel/pool.js";
import { addressName } from "../subchannel/subchannel.js";
import { FakeClock } from "../test-support/fake-clock.js";
import { ip } from "../test-support/fake-helper.js";
import type { ConnectivityState, Helper, Picker } from "./balancer.js";
import { createPickFirstFactory } from "./pick-first.js";
import { createRoundRobinFactory } from "./round-robin.js";

interface Dial {
  readonly name: string;
  readonly listener: ConnectionListener;
  readonly connection: ClientConnection;
}

function setup() {
  const clock = new FakeClock();
  const dials: Dial[] = [];
  const pool = createSubchannelPool({
    clock,
    random: () => 0.5,
    backoff: { initialMs: 1000, minConnectTimeoutMs: 20_000 },
    connector: (address: ConnectAddress, listener: ConnectionListener) => {
      const connection: ClientConnection = {
        activeStreams: 0,
        acceptsStreams: true,
        request() {
          throw new Error("unused");
        },
        close() {},
        destroy() {},
      };
      dials.push({ name: addressName(address), listener, connection });
      return connection;
    },
  });
  const states: ConnectivityState[] = [];
  let picker: Picker | undefined;
  let reresolutions = 0;
  const helper: Helper = {
    createSubchannel: (address) => pool.acquire(address),
    updateState: (state, p) => {
      states.push(state);
      picker = p;
    },
    requestReresolution: () => {
      reresolutions++;
    },
  };
  const dialsTo = (name: string) => dials.filter((d) => d.name === name);
  const pick = () => picker!.pick({ path: "/a.B/C", metadata: new Metadata() });
  return { clock, pool, helper, states, dials, dialsTo, pick, reresolutions: () => reresolutions };
}

const each = (...hosts: string[]): Endpoint[] => hosts.map((h) => ({ addresses: [ip(h)] }));

describe("policies over the subchannel pool", () => {
  it("pick_first: sticky failure, reconnection as each subchannel leaves its backoff, then READY on its connection", () => {
    const t = setup();
    const lb = createPickFirstFactory({ clock: t.clock }).create(t.helper);
    lb.update(each("10.0.0.1", "10.0.0.2"), {});
    t.dialsTo("10.0.0.1:1")[0]!.listener.onClose(new Error("ECONNREFUSED"));
    t.dialsTo("10.0.0.2:1")[0]!.listener.onClose(new Error("ECONNREFUSED"));
    assert.deepEqual(t.states, ["CONNECTING", "TRANSIENT_FAILURE"]);
    assert.equal(t.reresolutions(), 1);
    t.clock.advance(999);
    assert.equal(t.dials.length, 2, "in backoff");
    t.clock.advance(1);
    assert.equal(t.dials.length, 4, "both out of backoff, both dialled again by pick_first");
    assert.ok(t.states.slice(1).every((s) => s === "TRANSIENT_FAILURE"));
    const second = t.dialsTo("10.0.0.2:1")[1]!;
    second.listener.onConnect();
    assert.equal(t.states[t.states.length - 1], "READY");
    const r = t.pick();
    assert.equal(r.kind === "pick" && t.pool.connectionOf(r.subchannel), second.connection);
    assert.equal(t.pool.size, 1, "the other subchannel was released");
  });

  it("pick_first: the lost connection makes it IDLE; exitIdle dials again", () => {
    const t = setup();
    const lb = createPickFirstFactory({ clock: t.clock }).create(t.helper);
    lb.update(each("10.0.0.1"), {});
    t.dials[0]!.listener.onConnect();
    t.dials[0]!.listener.onGoAway(0);
    assert.deepEqual(t.states, ["CONNECTING", "READY", "IDLE"]);
    assert.equal(t.pool.size, 0);
    lb.exitIdle();
    assert.equal(t.dials.length, 2);
    assert.equal(t.states[t.states.length - 1], "CONNECTING");
  });

  it("round_robin: children share the pool; a lost connection is dialled again at once", () => {
    const t = setup();
    const lb = createRoundRobinFactory({ clock: t.clock, random: () => 0 }).create(t.helper);
    lb.update(each("10.0.0.1", "10.0.0.2"), {});
    for (const d of t.dials) d.listener.onConnect();
    assert.equal(t.states[t.states.length - 1], "READY");
    const names = [t.pick(), t.pick()].map((r) => (r.kind === "pick" ? r.subchannel.name : r.kind));
    assert.deepEqual(names, ["10.0.0.1:1", "10.0.0.2:1"]);
    t.dials[0]!.listener.onClose(new Error("reset"));
    assert.equal(t.dialsTo("10.0.0.1:1").length, 2);
    assert.equal(t.states[t.states.length - 1], "READY");
    lb.close();
    assert.equal(t.pool.size, 0);
  });
});
