import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, RpcError } from "@grpc-ts/core";
import type { ConnectAddress } from "../../http2/client-socket.js";
import type { ClientConnection, ConnectionListener } from "../../http2/seam.js";
import type { SubchannelState } from "../balancer/balancer.js";
import { FakeClock } from "../test-support/fake-clock.js";
import { addressName, createSubchannel, type SubchannelOptions } from "./subchannel.js";

interface FakeConnection extends ClientConnection {
  closed: boolean;
  destroyed: boolean;
}

interface Attempt {
  readonly address: ConnectAddress;
  readonly listener: ConnectionListener;
  readonly connection: FakeConnection;
}

function fakeConnection(): FakeConnection {
  return {
    closed: false,
    destroyed: false,
    activeStreams: 0,
    acceptsStreams: true,
    request() {
      throw new Error("not in these tests");
    },
    close() {
      this.closed = true;
    },
    destroy() {
      this.destroyed = true;
    },
  };
}

/** A state's error (a function, so that earlier assertions on `state.kind` do not narrow it). */
function errorOf(state: SubchannelState): RpcError | undefined {
  return state.kind === "TRANSIENT_FAILURE" ? state.error : undefined;
}

function setup(overrides: Partial<SubchannelOptions> = {}) {
  const clock = new FakeClock(1000);
  const attempts: Attempt[] = [];
  const subchannel = createSubchannel({
    address: { host: "10.0.0.1", port: 50051 },
    clock,
    // random 0.5: no jitter, so the delays are 100, 160, 256, ...
    random: () => 0.5,
    backoff: { initialMs: 100, multiplier: 1.6, maxMs: 1000, minConnectTimeoutMs: 20_000 },
    connector: (address, listener) => {
      const connection = fakeConnection();
      attempts.push({ address, listener, connection });
      return connection;
    },
    ...overrides,
  });
  const seen: SubchannelState[] = [];
  subchannel.watch((s) => seen.push(s));
  const kinds = () => seen.map((s) => s.kind);
  const last = () => attempts[attempts.length - 1]!;
  return { clock, attempts, subchannel, seen, kinds, last };
}

describe("subchannel", () => {
  it("names addresses as gRPC does", () => {
    assert.equal(addressName({ host: "1.2.3.4", port: 5 }), "1.2.3.4:5");
    assert.equal(addressName({ host: "::1", port: 5 }), "[::1]:5");
    assert.equal(addressName({ path: "/tmp/s.sock" }), "unix:/tmp/s.sock");
  });

  it("is IDLE until connect(), then CONNECTING with its attempt, then READY with its connection", () => {
    const { subchannel, attempts, kinds, last } = setup();
    assert.equal(subchannel.state.kind, "IDLE");
    assert.equal(subchannel.name, "10.0.0.1:50051");
    assert.equal(attempts.length, 0);
    subchannel.connect();
    assert.equal(attempts.length, 1);
    assert.deepEqual(attempts[0]!.address, { host: "10.0.0.1", port: 50051 });
    const c = subchannel.connectivity;
    assert.equal(c.kind, "CONNECTING");
    assert.equal(c.kind === "CONNECTING" && c.attempt.connection, last().connection);
    assert.equal(subchannel.connection, undefined);
    last().listener.onConnect();
    assert.equal(subchannel.state.kind, "READY");
    assert.equal(subchannel.connection, last().connection);
    const r = subchannel.connectivity;
    assert.equal(r.kind === "READY" && r.connection, last().connection);
    assert.deepEqual(kinds(), ["CONNECTING", "READY"]);
  });

  it("ignores connect() unless IDLE", () => {
    const { subchannel, attempts, last } = setup();
    subchannel.connect();
    subchannel.connect();
    assert.equal(attempts.length, 1);
    last().listener.onConnect();
    subchannel.connect();
    assert.equal(attempts.length, 1);
    last().listener.onClose(undefined);
    subchannel.connect();
    last().listener.onClose(new Error("refused"));
    assert.equal(subchannel.state.kind, "TRANSIENT_FAILURE");
    subchannel.connect();
    assert.equal(attempts.length, 2);
  });

  it("after a failure stays TRANSIENT_FAILURE until the backoff delay from the attempt's start, then IDLE, and does not reconnect by itself", () => {
    const { subchannel, clock, attempts, kinds, last } = setup();
    subchannel.connect();
    clock.advance(30);
    last().listener.onClose(new Error("connect ECONNREFUSED"));
    const s = subchannel.state;
    assert.equal(s.kind, "TRANSIENT_FAILURE");
    assert.ok(s.kind === "TRANSIENT_FAILURE" && s.error instanceof RpcError);
    assert.equal(s.kind === "TRANSIENT_FAILURE" && s.error.code, Code.UNAVAILABLE);
    assert.equal(
      s.kind === "TRANSIENT_FAILURE" && s.error.rawMessage,
      "10.0.0.1:50051: connect ECONNREFUSED",
    );
    const c = subchannel.connectivity;
    assert.equal(c.kind === "TRANSIENT_FAILURE" && c.until, 1100);
    clock.advance(69);
    assert.equal(subchannel.state.kind, "TRANSIENT_FAILURE");
    clock.advance(1);
    assert.equal(subchannel.state.kind, "IDLE");
    clock.advance(10_000);
    assert.equal(attempts.length, 1);
    assert.deepEqual(kinds(), ["CONNECTING", "TRANSIENT_FAILURE", "IDLE"]);
  });

  it("grows the backoff with each failure and resets it after READY", () => {
    const { subchannel, clock, last } = setup();
    const backoffOf = () => {
      const start = clock.now();
      subchannel.connect();
      last().listener.onClose(new Error("refused"));
      const c = subchannel.connectivity;
      assert.equal(c.kind, "TRANSIENT_FAILURE");
      const until = c.kind === "TRANSIENT_FAILURE" ? c.until : 0;
      clock.advance(until - start);
      assert.equal(subchannel.state.kind, "IDLE");
      return until - start;
    };
    assert.deepEqual([backoffOf(), backoffOf(), backoffOf()], [100, 160, 256]);
    subchannel.connect();
    last().listener.onConnect();
    last().listener.onClose(undefined);
    assert.equal(subchannel.state.kind, "IDLE");
    assert.equal(backoffOf(), 100);
  });

  it("goes IDLE at once when the attempt fails after its backoff delay has passed", () => {
    const { subchannel, clock, kinds, last } = setup();
    subchannel.connect();
    clock.advance(500);
    last().listener.onClose(new Error("refused"));
    assert.equal(subchannel.state.kind, "TRANSIENT_FAILURE");
    clock.advance(0);
    assert.equal(subchannel.state.kind, "IDLE");
    assert.deepEqual(kinds(), ["CONNECTING", "TRANSIENT_FAILURE", "IDLE"]);
  });

  it("times an attempt out after max(backoff, minConnectTimeout) and destroys its connection", () => {
    const { subchannel, clock, last, seen, kinds } = setup({
      backoff: { initialMs: 100, minConnectTimeoutMs: 1000 },
    });
    subchannel.connect();
    clock.advance(999);
    assert.equal(subchannel.state.kind, "CONNECTING");
    clock.advance(1);
    const failure = seen.find((x) => x.kind === "TRANSIENT_FAILURE");
    assert.match(
      failure?.kind === "TRANSIENT_FAILURE" ? failure.error.message : "",
      /timed out after 1000 ms/,
    );
    assert.equal(last().connection.destroyed, true);
    // The backoff delay (100 ms) was long over, so it is IDLE at once (a 0 ms timer, fired by advance).
    assert.equal(subchannel.state.kind, "IDLE");
    // The connection's late events change nothing.
    last().listener.onConnect();
    last().listener.onClose(new Error("late"));
    assert.deepEqual(kinds(), ["CONNECTING", "TRANSIENT_FAILURE", "IDLE"]);

    const long = setup({ backoff: { initialMs: 5000, minConnectTimeoutMs: 1000 } });
    long.subchannel.connect();
    long.clock.advance(4999);
    assert.equal(long.subchannel.state.kind, "CONNECTING");
    long.clock.advance(1);
    assert.deepEqual(long.kinds(), ["CONNECTING", "TRANSIENT_FAILURE", "IDLE"]);
  });

  it("goes IDLE when the READY connection closes or receives GOAWAY, ignoring the old connection afterwards", () => {
    const { subchannel, attempts, kinds, last } = setup();
    subchannel.connect();
    last().listener.onConnect();
    last().listener.onClose(new Error("reset"));
    assert.equal(subchannel.state.kind, "IDLE");
    assert.equal(subchannel.connection, undefined);

    subchannel.connect();
    last().listener.onConnect();
    const second = last();
    second.listener.onGoAway(0);
    assert.equal(subchannel.state.kind, "IDLE");
    assert.equal(second.connection.closed, true, "a connection past GOAWAY is closed gracefully");

    subchannel.connect();
    last().listener.onConnect();
    second.listener.onClose(undefined);
    assert.equal(subchannel.state.kind, "READY", "the old connection's close is not the new one's");
    assert.equal(attempts.length, 3);
    assert.deepEqual(kinds(), [
      "CONNECTING",
      "READY",
      "IDLE",
      "CONNECTING",
      "READY",
      "IDLE",
      "CONNECTING",
      "READY",
    ]);
  });

  it("retire() makes it IDLE only for its current connection", () => {
    const { subchannel, last } = setup();
    subchannel.connect();
    last().listener.onConnect();
    subchannel.retire({ ...last().connection });
    assert.equal(subchannel.state.kind, "READY");
    subchannel.retire(last().connection);
    assert.equal(subchannel.state.kind, "IDLE");
    assert.equal(last().connection.closed, true);
  });

  it("fails the attempt when the connector throws or closes before returning", () => {
    const thrown = setup({
      connector: () => {
        throw new Error("no such socket");
      },
    });
    thrown.subchannel.connect();
    const s = thrown.subchannel.state;
    assert.equal(s.kind === "TRANSIENT_FAILURE" && s.error.rawMessage, "10.0.0.1:50051: no such socket");

    const made: FakeConnection[] = [];
    const early = setup({
      connector: (_address, listener) => {
        listener.onClose(new Error("EACCES"));
        const c = fakeConnection();
        made.push(c);
        return c;
      },
    });
    early.subchannel.connect();
    assert.equal(early.subchannel.state.kind, "TRANSIENT_FAILURE");
    assert.equal(made[0]!.destroyed, true);
  });

  it("shows READY as TRANSIENT_FAILURE while unhealthy, keeping the connection", () => {
    const { subchannel, kinds, last, seen } = setup();
    subchannel.setHealth(false);
    assert.equal(subchannel.state.kind, "IDLE", "health matters only when READY");
    assert.deepEqual(kinds(), []);
    subchannel.setHealth(true);
    subchannel.connect();
    last().listener.onConnect();
    const unhealthy = new RpcError(Code.UNAVAILABLE, "NOT_SERVING");
    subchannel.setHealth(false, unhealthy);
    assert.equal(errorOf(subchannel.state), unhealthy);
    assert.equal(subchannel.connection, last().connection);
    assert.equal(subchannel.healthy, false);
    subchannel.setHealth(false, unhealthy);
    subchannel.setHealth(true);
    assert.equal(subchannel.state.kind, "READY");
    subchannel.setHealth(false);
    assert.match(errorOf(subchannel.state)?.message ?? "", /10\.0\.0\.1:50051: .*unhealthy/);
    last().listener.onClose(undefined);
    assert.deepEqual(kinds(), [
      "CONNECTING",
      "READY",
      "TRANSIENT_FAILURE",
      "READY",
      "TRANSIENT_FAILURE",
      "IDLE",
    ]);
    assert.equal(seen.length, 6);
  });

  it("health pending: CONNECTING to policies while READY until a report; connectivity watchers see READY", () => {
    const { subchannel, kinds, last } = setup();
    const connectivity: string[] = [];
    subchannel.watchConnectivity((c) => connectivity.push(c.kind));
    subchannel.setHealthPending();
    subchannel.connect();
    last().listener.onConnect();
    // A policy never sees READY before the health is known (gRFC A17).
    assert.deepEqual(kinds(), ["CONNECTING"]);
    assert.deepEqual(connectivity, ["CONNECTING", "READY"]);
    assert.equal(subchannel.connection, last().connection);
    subchannel.setHealth(false, new RpcError(Code.UNAVAILABLE, "NOT_SERVING"));
    subchannel.setHealth(true);
    assert.deepEqual(kinds(), ["CONNECTING", "TRANSIENT_FAILURE", "READY"]);
    // Pending again while READY (a checker that starts over): CONNECTING.
    subchannel.setHealthPending();
    last().listener.onClose(undefined);
    assert.deepEqual(kinds(), ["CONNECTING", "TRANSIENT_FAILURE", "READY", "CONNECTING", "IDLE"]);
    assert.deepEqual(connectivity, ["CONNECTING", "READY", "IDLE"]);
  });

  it("delivers every state to every watcher in order, even when a watcher changes the state", () => {
    const { subchannel, last, kinds } = setup();
    const other: string[] = [];
    subchannel.watch((s) => {
      if (s.kind === "IDLE") subchannel.connect();
    });
    subchannel.watch((s) => other.push(s.kind));
    subchannel.connect();
    last().listener.onConnect();
    last().listener.onClose(undefined);
    assert.equal(subchannel.state.kind, "CONNECTING");
    assert.deepEqual(other, ["CONNECTING", "READY", "IDLE", "CONNECTING"]);
    assert.deepEqual(kinds(), other);
  });

  it("stops a watcher when asked", () => {
    const { subchannel } = setup();
    const got: string[] = [];
    const stop = subchannel.watch((s) => got.push(s.kind));
    subchannel.connect();
    stop();
    subchannel.close();
    assert.deepEqual(got, ["CONNECTING"]);
  });

  it("close() destroys the attempt, closes a READY connection gracefully, cancels backoff and tells nobody", () => {
    const connecting = setup();
    connecting.subchannel.connect();
    connecting.subchannel.close();
    assert.equal(connecting.last().connection.destroyed, true);
    assert.equal(connecting.subchannel.connectivity.kind, "SHUTDOWN");
    connecting.last().listener.onConnect();
    assert.equal(connecting.subchannel.connectivity.kind, "SHUTDOWN");
    connecting.subchannel.connect();
    assert.equal(connecting.attempts.length, 1);
    assert.deepEqual(connecting.kinds(), ["CONNECTING"]);

    const ready = setup();
    ready.subchannel.connect();
    ready.last().listener.onConnect();
    ready.subchannel.close();
    assert.equal(ready.last().connection.closed, true);
    assert.equal(ready.last().connection.destroyed, false);

    const failed = setup();
    failed.subchannel.connect();
    failed.last().listener.onClose(new Error("refused"));
    assert.equal(failed.clock.pending, 1);
    failed.subchannel.close();
    assert.equal(failed.clock.pending, 0);
  });

  it("GOAWAY ENHANCE_YOUR_CALM too_many_pings is reported (once per GOAWAY); other GOAWAYs are not", () => {
    const reported: string[] = [];
    const { subchannel, last } = setup({ onTooManyPings: (s) => reported.push(s.name) });
    subchannel.connect();
    last().listener.onConnect();
    last().listener.onGoAway(0xb, "too_many_pings");
    assert.deepEqual(reported, ["10.0.0.1:50051"]);
    assert.equal(subchannel.state.kind, "IDLE", "and the connection is retired");
    subchannel.connect();
    last().listener.onConnect();
    last().listener.onGoAway(0xb, "something else");
    last().listener.onGoAway(0, "too_many_pings");
    last().listener.onGoAway(0xb);
    assert.equal(reported.length, 1);
  });
});
