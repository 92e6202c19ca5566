import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClientConnection, ConnectionListener } from "../../http2/seam.js";
import type { Subchannel } from "../balancer/balancer.js";
import { FakeClock } from "../test-support/fake-clock.js";
import { createSubchannelPool } from "./pool.js";

function setup() {
  const listeners: ConnectionListener[] = [];
  const connections: { closed: boolean; destroyed: boolean; connection: ClientConnection }[] = [];
  const pool = createSubchannelPool({
    clock: new FakeClock(),
    connector: (_address, listener) => {
      listeners.push(listener);
      const record = {
        closed: false,
        destroyed: false,
        connection: undefined as unknown as ClientConnection,
      };
      record.connection = {
        activeStreams: 0,
        acceptsStreams: true,
        request() {
          throw new Error("unused");
        },
        close: () => {
          record.closed = true;
        },
        destroy: () => {
          record.destroyed = true;
        },
      };
      connections.push(record);
      return record.connection;
    },
  });
  return { pool, listeners, connections };
}

describe("subchannel pool", () => {
  it("shares one subchannel per address among handles", () => {
    const { pool, listeners } = setup();
    const a = pool.acquire({ host: "10.0.0.1", port: 1 });
    const b = pool.acquire({ host: "10.0.0.1", port: 1 });
    const c = pool.acquire({ host: "10.0.0.2", port: 1 });
    assert.notEqual(a, b);
    assert.equal(a.shared, b.shared);
    assert.notEqual(a.shared, c.shared);
    assert.equal(pool.size, 2);
    assert.equal(pool.get("10.0.0.1:1"), a.shared);
    a.connect();
    b.connect();
    assert.equal(listeners.length, 1, "one connection attempt for both handles");
    assert.equal(b.state.kind, "CONNECTING");
    listeners[0]!.onConnect();
    assert.equal(a.state.kind, "READY");
    assert.equal(b.name, "10.0.0.1:1");
    assert.deepEqual(b.address, { host: "10.0.0.1", port: 1 });
  });

  it("closes the subchannel when the last reference is dropped, not before", () => {
    const { pool, listeners, connections } = setup();
    const a = pool.acquire({ host: "::1", port: 1 });
    const b = pool.acquire({ host: "::1", port: 1 });
    a.connect();
    listeners[0]!.onConnect();
    a.unref();
    a.unref();
    assert.equal(pool.size, 1, "unref is idempotent: b still holds it");
    assert.equal(connections[0]!.closed, false);
    assert.equal(b.state.kind, "READY");
    b.unref();
    assert.equal(pool.size, 0);
    assert.equal(connections[0]!.closed, true);
    assert.equal(pool.get("[::1]:1"), undefined);
    const again = pool.acquire({ host: "::1", port: 1 });
    assert.notEqual(again.shared, a.shared, "a new subchannel after the old one closed");
    assert.equal(again.state.kind, "IDLE");
  });

  it("stops a handle's watchers and connects at unref, leaving other handles' watchers", () => {
    const { pool, listeners } = setup();
    const a = pool.acquire({ path: "/tmp/x.sock" });
    const b = pool.acquire({ path: "/tmp/x.sock" });
    const seenA: string[] = [];
    const seenB: string[] = [];
    a.watch((s) => seenA.push(s.kind));
    b.watch((s) => seenB.push(s.kind));
    a.connect();
    a.unref();
    a.connect();
    a.watch(() => seenA.push("after unref"))();
    listeners[0]!.onConnect();
    assert.deepEqual(seenA, ["CONNECTING"]);
    assert.deepEqual(seenB, ["CONNECTING", "READY"]);
    assert.equal(a.connection, undefined, "a released handle gives no connection");
  });

  it("gives the channel the connection of a picked READY handle", () => {
    const { pool, listeners, connections } = setup();
    const a = pool.acquire({ host: "10.0.0.1", port: 1 });
    assert.equal(pool.connectionOf(a), undefined);
    a.connect();
    listeners[0]!.onConnect();
    assert.equal(pool.connectionOf(a), connections[0]!.connection);
    assert.equal(a.connection, connections[0]!.connection);
    const foreign: Subchannel = {
      address: a.address,
      name: a.name,
      state: a.state,
      connect() {},
      watch: () => () => {},
      unref() {},
    };
    assert.equal(pool.connectionOf(foreign), undefined);
  });

  it("close() closes every subchannel", () => {
    const { pool, listeners, connections } = setup();
    const a = pool.acquire({ host: "10.0.0.1", port: 1 });
    const b = pool.acquire({ host: "10.0.0.2", port: 1 });
    a.connect();
    b.connect();
    listeners[0]!.onConnect();
    pool.close();
    assert.equal(pool.size, 0);
    assert.equal(connections[0]!.closed, true);
    assert.equal(connections[1]!.destroyed, true);
    a.unref();
    assert.equal(pool.size, 0);
  });
});
