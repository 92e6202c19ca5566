/**
 * The keepalive pinger (A8) and the server's connection lifetime (A9: idle, jittered age, grace)
 * on fake timers: when PINGs go out, what counts as an answer, dormancy without streams, and
 * when GOAWAY and the forced close come.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { writePing } from "../frame/frame-writer.js";
import { FakeTimers } from "../test-support/fake-timers.js";
import { GET, setup } from "../test-support/server-setup.js";
import { ConnectionLifetime, jitteredAge, MAX_AGE, MAX_IDLE } from "./connection-lifetime.js";
import { Keepalive, type KeepaliveOptions } from "./keepalive.js";

function pinger(options: Partial<KeepaliveOptions> = {}) {
  const timers = new FakeTimers(1000);
  const host = {
    bytesRead: 0,
    activeStreams: 1,
    pings: [] as number[],
    timedOutAt: undefined as number | undefined,
    sendPing() {
      this.pings.push(timers.now());
    },
    timedOut() {
      this.timedOutAt = timers.now();
    },
  };
  const keepalive = new Keepalive(host, timers, {
    timeMs: 10_000,
    timeoutMs: 2_000,
    permitWithoutCalls: false,
    ...options,
  });
  /** The peer answers the last PING after `rttMs`. */
  const answer = (rttMs: number) => {
    timers.advance(rttMs);
    host.bytesRead += 17;
    keepalive.acked();
  };
  return { timers, host, keepalive, answer };
}

describe("keepalive pings", () => {
  test("a PING after timeMs of silence, the next timeMs after its ACK (never measured from the PING sent)", () => {
    const { timers, host, keepalive, answer } = pinger();
    keepalive.start();
    timers.advance(9_999);
    assert.deepEqual(host.pings, []);
    timers.advance(1);
    assert.deepEqual(host.pings, [11_000]);
    answer(500);
    timers.advance(9_999);
    assert.deepEqual(host.pings, [11_000], "the next is timeMs after the ACK");
    timers.advance(1);
    assert.deepEqual(host.pings, [11_000, 21_500]);
    assert.equal(host.timedOutAt, undefined);
  });

  test("no answer within timeoutMs: timed out, once, and nothing more", () => {
    const { timers, host, keepalive } = pinger();
    keepalive.start();
    timers.advance(10_000);
    assert.ok(keepalive.pinging);
    timers.advance(1_999);
    assert.equal(host.timedOutAt, undefined);
    timers.advance(1);
    assert.equal(host.timedOutAt, 13_000);
    timers.advance(100_000);
    assert.deepEqual(host.pings, [11_000]);
    assert.equal(timers.pending, 0);
  });

  test("octets read in the meantime count as an answer, and a connection busy reading sends none", () => {
    const { timers, host, keepalive } = pinger();
    keepalive.start();
    for (let i = 0; i < 10; i++) {
      timers.advance(5_000);
      host.bytesRead += 100;
    }
    assert.deepEqual(host.pings, [], "reads keep it quiet");
    // The last read was at 51 s: the check at 61 s finds it, the one at 71 s finds silence (a
    // PING comes between timeMs and twice that after the last octet read).
    timers.advance(10_000);
    assert.deepEqual(host.pings, []);
    timers.advance(10_000);
    assert.deepEqual(host.pings, [71_000]);
    // No ACK, but a DATA frame arrives within the timeout: alive.
    timers.advance(1_000);
    host.bytesRead += 100;
    timers.advance(1_000);
    assert.equal(host.timedOutAt, undefined);
    timers.advance(9_999);
    assert.equal(host.pings.length, 1);
    timers.advance(1);
    assert.equal(host.pings.length, 2);
  });

  test("without permitWithoutCalls: dormant with no streams; a stream after timeMs of silence pings at once", () => {
    const { timers, host, keepalive, answer } = pinger();
    host.activeStreams = 0;
    keepalive.start();
    timers.advance(60_000);
    assert.deepEqual(host.pings, []);
    assert.equal(timers.pending, 0, "no timer while dormant");
    host.activeStreams = 1;
    keepalive.streamOpened();
    assert.deepEqual(host.pings, [61_000], "timeMs had passed: at once");
    answer(100);
    // A stream soon after the last activity waits for the rest of timeMs.
    host.activeStreams = 0;
    timers.advance(10_000); // finds no stream: dormant again
    assert.equal(timers.pending, 0);
    assert.equal(host.pings.length, 1);
    host.activeStreams = 1;
    keepalive.streamOpened();
    assert.equal(host.pings.length, 2, "10 s since the ACK: at once");
    // A stream opened while the keepalive runs changes nothing.
    answer(100);
    keepalive.streamOpened();
    assert.equal(host.pings.length, 2);
    timers.advance(10_000);
    assert.equal(host.pings.length, 3);
  });

  test("a stream opened after dormancy with reads meanwhile waits timeMs from now", () => {
    const { timers, host, keepalive } = pinger();
    host.activeStreams = 0;
    keepalive.start();
    timers.advance(10_000);
    host.bytesRead += 9; // e.g. a SETTINGS frame
    timers.advance(50_000);
    host.activeStreams = 1;
    keepalive.streamOpened();
    assert.deepEqual(host.pings, []);
    timers.advance(10_000);
    assert.equal(host.pings.length, 1);
  });

  test("permitWithoutCalls: pings with no streams too", () => {
    const { timers, host, keepalive, answer } = pinger({ permitWithoutCalls: true });
    host.activeStreams = 0;
    keepalive.start();
    timers.advance(10_000);
    answer(10);
    timers.advance(10_000);
    assert.equal(host.pings.length, 2);
  });

  test("stop: no timer left, acks and streams ignored", () => {
    const { timers, host, keepalive } = pinger();
    keepalive.start();
    timers.advance(10_000);
    keepalive.stop();
    assert.equal(timers.pending, 0);
    keepalive.acked();
    keepalive.streamOpened();
    timers.advance(100_000);
    assert.equal(host.timedOutAt, undefined);
    assert.equal(host.pings.length, 1);
  });

  test("rejects times that are not positive", () => {
    const timers = new FakeTimers();
    const host = { bytesRead: 0, activeStreams: 0, sendPing() {}, timedOut() {} };
    assert.throws(
      () => new Keepalive(host, timers, { timeMs: 0, timeoutMs: 1, permitWithoutCalls: false }),
      RangeError,
    );
    assert.throws(
      () => new Keepalive(host, timers, { timeMs: 1, timeoutMs: Number.NaN, permitWithoutCalls: false }),
      RangeError,
    );
  });
});

function lifetime(options: ConstructorParameters<typeof ConnectionLifetime>[2], random = () => 0.5) {
  const timers = new FakeTimers(0);
  const host = {
    activeStreams: 0,
    goAways: [] as [number, string][],
    closedAt: undefined as number | undefined,
    goAway(debug: string) {
      this.goAways.push([timers.now(), debug]);
    },
    forceClose() {
      this.closedAt = timers.now();
    },
  };
  const life = new ConnectionLifetime(host, timers, options, random);
  return { timers, host, life };
}

describe("connection lifetime (A9)", () => {
  test("the age is jittered uniformly within ±10%", () => {
    assert.equal(
      jitteredAge(10_000, () => 0),
      9_000,
    );
    assert.equal(
      jitteredAge(10_000, () => 0.5),
      10_000,
    );
    assert.equal(
      jitteredAge(10_000, () => 0.999999),
      11_000,
    );
    // Each connection draws its own: with a real random source they spread over the range.
    const ages = Array.from({ length: 2000 }, () => jitteredAge(10_000, Math.random));
    assert.ok(Math.min(...ages) >= 9_000 && Math.max(...ages) <= 11_000);
    assert.ok(Math.min(...ages) < 9_200 && Math.max(...ages) > 10_800, "spread over the range");
    assert.ok(new Set(ages).size > 500, "not one value");
  });

  test("max age: GOAWAY max_age at the jittered age, then the close after the grace", () => {
    const { timers, host, life } = lifetime({ maxAgeMs: 10_000, maxAgeGraceMs: 3_000 }, () => 0.25);
    assert.equal(life.ageMs, 9_500);
    host.activeStreams = 2;
    life.start();
    timers.advance(9_499);
    assert.deepEqual(host.goAways, []);
    timers.advance(1);
    assert.deepEqual(host.goAways, [[9_500, MAX_AGE]]);
    timers.advance(2_999);
    assert.equal(host.closedAt, undefined);
    timers.advance(1);
    assert.equal(host.closedAt, 12_500);
    assert.equal(timers.pending, 0);
  });

  test("max age without a grace: no forced close; stop() cancels the timers", () => {
    const { timers, host, life } = lifetime({ maxAgeMs: 1_000 });
    life.start();
    timers.advance(1_000);
    assert.deepEqual(host.goAways, [[1_000, MAX_AGE]]);
    timers.advance(1e9);
    assert.equal(host.closedAt, undefined);
    const other = lifetime({ maxAgeMs: 1_000, maxAgeGraceMs: 10 });
    other.life.start();
    other.life.stop();
    other.timers.advance(10_000);
    assert.deepEqual(other.host.goAways, []);
  });

  test("max idle: GOAWAY max_idle once the connection had no stream for that long", () => {
    const { timers, host, life } = lifetime({ maxIdleMs: 5_000 });
    life.start();
    timers.advance(2_000);
    host.activeStreams = 1; // a call starts at 2 s and ends at 6 s
    timers.advance(4_000);
    host.activeStreams = 0;
    life.streamClosed();
    timers.advance(4_999);
    assert.deepEqual(host.goAways, [], "idle since 6 s, not since the start");
    timers.advance(1);
    assert.deepEqual(host.goAways, [[11_000, MAX_IDLE]]);
    timers.advance(100_000);
    assert.equal(host.goAways.length, 1, "once");
  });

  test("max idle: never while a stream is open", () => {
    const { timers, host, life } = lifetime({ maxIdleMs: 1_000 });
    host.activeStreams = 1;
    life.start();
    timers.advance(60_000);
    assert.deepEqual(host.goAways, []);
    host.activeStreams = 0;
    life.streamClosed();
    timers.advance(1_000);
    assert.deepEqual(host.goAways, [[61_000, MAX_IDLE]]);
  });

  test("the age's GOAWAY after an idle one starts the grace, without a second GOAWAY", () => {
    const { timers, host, life } = lifetime({ maxIdleMs: 1_000, maxAgeMs: 5_000, maxAgeGraceMs: 100 });
    life.start();
    timers.advance(5_100);
    assert.deepEqual(host.goAways, [[1_000, MAX_IDLE]]);
    assert.equal(host.closedAt, 5_100);
  });

  test("rejects values that are not positive", () => {
    assert.throws(() => lifetime({ maxIdleMs: 0 }), /maxConnectionIdleMs/);
    assert.throws(() => lifetime({ maxAgeMs: -1 }), /maxConnectionAgeMs/);
    assert.throws(() => lifetime({ maxAgeGraceMs: Number.NaN }), /maxConnectionAgeGraceMs/);
  });
});

describe("the server connection's side of keepalive and GOAWAY", () => {
  test("shutdown(debugData): both GOAWAY frames carry it (max_age, max_idle)", () => {
    const { conn, client, send, flush } = setup();
    send(client.headers(1, GET, true));
    conn.shutdown(MAX_AGE);
    const first = flush();
    assert.deepEqual(first[0], { type: "goaway", lastStreamId: 0x7fffffff, code: 0, debug: MAX_AGE });
    const ping = first[1]!;
    assert.equal(ping.type, "ping");
    send(client.headers(3, GET, true)); // in flight when the first GOAWAY left: served
    const ack = send(
      client.build((w) => writePing(w, Buffer.from(ping.type === "ping" ? ping.payload : "", "hex"), true)),
    );
    assert.deepEqual(ack, [{ type: "goaway", lastStreamId: 3, code: 0, debug: MAX_AGE }]);
  });

  test("the ACK of a PING of ours (a keepalive) is reported; the shutdown PING's is not", () => {
    const { conn, app, client, send, flush } = setup();
    conn.ping(Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 1));
    assert.deepEqual(flush(), [{ type: "ping", payload: "0101010101010101", ack: false }]);
    send(client.build((w) => writePing(w, Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 1), true)));
    assert.deepEqual(app.events.at(-1), ["ping-ack", "0101010101010101"]);
    conn.shutdown();
    const shutdownPing = flush()[1]!;
    const before = app.events.length;
    send(
      client.build((w) =>
        writePing(w, Buffer.from(shutdownPing.type === "ping" ? shutdownPing.payload : "", "hex"), true),
      ),
    );
    assert.equal(app.events.filter((e, i) => i >= before && e[0] === "ping-ack").length, 0);
  });
});
