/**
 * Keepalive enforcement (A8 "Server Enforcement"): the strike count on its own, on a fake clock,
 * then mounted in the server connection, where a PING after our HEADERS or DATA is free, our own
 * PINGs' ACKs are not the client's PINGs, and the third strike ends the connection with GOAWAY
 * ENHANCE_YOUR_CALM `too_many_pings`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCode } from "../errors.js";
import { writeData, writePing } from "../frame/frame-writer.js";
import { GET, goaway, setup } from "../test-support/server-setup.js";
import type { ServerFrame } from "../test-support/test-client.js";
import { IDLE_PING_INTERVAL_MS, MAX_PING_STRIKES, PingStrikes, TOO_MANY_PINGS } from "./ping-strikes.js";

const MIN = 300_000;

describe("ping strikes", () => {
  test("the first PING is allowed; two early ones are strikes; the third ends it", () => {
    const p = new PingStrikes({ minIntervalMs: MIN, permitWithoutCalls: false });
    assert.ok(p.received(0, 1, 0));
    assert.ok(p.received(1_000, 1, 0));
    assert.equal(p.count, 1);
    assert.ok(p.received(2_000, 1, 0));
    assert.equal(p.count, MAX_PING_STRIKES);
    assert.equal(p.received(3_000, 1, 0), false);
  });

  test("PINGs at the interval are never strikes", () => {
    const p = new PingStrikes({ minIntervalMs: MIN, permitWithoutCalls: false });
    for (let i = 0; i < 100; i++) assert.ok(p.received(i * MIN, 1, 0), `ping ${i}`);
    assert.equal(p.count, 0);
  });

  test("each PING moves the reference (grpc-go, C-core): pinging at 0.8 × the interval is caught", () => {
    const p = new PingStrikes({ minIntervalMs: MIN, permitWithoutCalls: false });
    const results = Array.from({ length: 4 }, (_, i) => p.received(i * MIN * 0.8, 1, 0));
    assert.deepEqual(results, [true, true, true, false]);
  });

  test("no streams: two hours, unless permitWithoutCalls", () => {
    const strict = new PingStrikes({ minIntervalMs: MIN, permitWithoutCalls: false });
    assert.ok(strict.received(0, 0, 0));
    assert.ok(strict.received(MIN, 0, 0));
    assert.equal(strict.count, 1, "a PING at the stream interval is early on an idle connection");
    assert.ok(strict.received(MIN + IDLE_PING_INTERVAL_MS, 0, 0));
    assert.equal(strict.count, 1);
    const permissive = new PingStrikes({ minIntervalMs: MIN, permitWithoutCalls: true });
    for (let i = 0; i < 10; i++) assert.ok(permissive.received(i * MIN, 0, 0));
    assert.equal(permissive.count, 0);
  });

  test("HEADERS or DATA sent since the previous PING: allowed, and the strikes start afresh", () => {
    const p = new PingStrikes({ minIntervalMs: MIN, permitWithoutCalls: false });
    let sent = 0;
    let t = 0;
    const at = () => {
      t += 10;
      return t;
    };
    for (let i = 0; i < 50; i++) {
      sent += 5; // we sent something between each of them
      assert.ok(p.received(at(), 1, sent), `ping ${i}`);
    }
    assert.ok(p.received(at(), 1, sent));
    assert.ok(p.received(at(), 1, sent));
    assert.equal(p.count, 2);
    sent++;
    assert.ok(p.received(at(), 1, sent));
    assert.equal(p.count, 0);
    assert.ok(p.received(at(), 1, sent));
    assert.ok(p.received(at(), 1, sent));
    assert.equal(p.received(at(), 1, sent), false);
  });
});

describe("ping strikes in the server connection", () => {
  function start(permitWithoutCalls = false) {
    let now = 1_000;
    const s = setup({ clock: () => now, pingPolicy: { minIntervalMs: 1_000, permitWithoutCalls } });
    const ping = (n: number) =>
      s.send(s.client.build((w) => writePing(w, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, n), false)));
    return {
      s,
      ping,
      advance: (ms: number) => {
        now += ms;
      },
    };
  }
  const acks = (frames: ServerFrame[]) => frames.filter((f) => f.type === "ping" && f.ack).length;

  test("the third early PING: GOAWAY ENHANCE_YOUR_CALM too_many_pings, unanswered, and the connection closes", () => {
    const { s, ping, advance } = start();
    s.send(s.client.headers(1, GET, false)); // a call is open
    const frames: ServerFrame[] = [];
    for (let i = 0; i < 3; i++) {
      frames.push(...ping(i));
      advance(10);
    }
    assert.equal(acks(frames), 3, "the first and the two strikes are answered");
    assert.equal(s.conn.isClosed, false);
    const last = ping(9);
    assert.equal(acks(last), 0);
    const g = last.find((f) => f.type === "goaway");
    assert.deepEqual(g, {
      type: "goaway",
      lastStreamId: 1,
      code: ErrorCode.ENHANCE_YOUR_CALM,
      debug: TOO_MANY_PINGS,
    });
    assert.ok(s.conn.isClosed);
    assert.deepEqual(s.app.events.at(-1), ["connection-close", `ENHANCE_YOUR_CALM: ${TOO_MANY_PINGS}`]);
  });

  test("PINGs at the interval with a call open: never a GOAWAY", () => {
    const { s, ping, advance } = start();
    s.send(s.client.headers(1, GET, false));
    for (let i = 0; i < 20; i++) {
      assert.equal(acks(ping(i)), 1);
      advance(1_000);
    }
    assert.equal(s.conn.isClosed, false);
  });

  test("a peer's BDP PINGs right after our DATA are answered and never counted", () => {
    const { s, ping } = start();
    s.send(s.client.headers(1, GET, true));
    s.conn.respond(1, [":status", "200"], false);
    s.flush();
    for (let i = 0; i < 50; i++) {
      s.conn.write(1, new Uint8Array(100));
      s.flush();
      assert.equal(acks(ping(i)), 1, `ping ${i}`); // no time passes at all
    }
    assert.equal(s.conn.isClosed, false);
    // Once we stop sending, they count again.
    ping(100);
    ping(101);
    assert.equal(goaway(ping(102))?.code, ErrorCode.ENHANCE_YOUR_CALM);
  });

  test("response HEADERS and trailers reset the strikes too", () => {
    const { s, ping } = start();
    for (let id = 1; id < 40; id += 2) {
      s.send(s.client.headers(id, GET, true));
      ping(id);
      s.conn.respond(id, [":status", "200"], false);
      s.flush();
      ping(id);
      s.conn.end(id, ["grpc-status", "0"]);
      s.flush();
    }
    assert.equal(s.conn.isClosed, false);
  });

  test("no call open: a second PING within two hours is a strike; permitWithoutCalls holds them to the interval", () => {
    const idle = start();
    idle.ping(1);
    idle.advance(60_000);
    idle.ping(2);
    idle.advance(60_000);
    idle.ping(3);
    idle.advance(60_000);
    assert.equal(goaway(idle.ping(4))?.code, ErrorCode.ENHANCE_YOUR_CALM);
    const permitted = start(true);
    for (let i = 0; i < 10; i++) {
      assert.equal(acks(permitted.ping(i)), 1);
      permitted.advance(1_000);
    }
    assert.equal(permitted.s.conn.isClosed, false);
  });

  test("our own PINGs and the client's ACKs of them are not the client's PINGs", () => {
    const { s } = start();
    for (let i = 0; i < 20; i++) {
      s.conn.ping(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, i));
      s.flush();
      s.send(s.client.build((w) => writePing(w, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, i), true)));
    }
    assert.equal(s.conn.isClosed, false);
    assert.equal(s.app.events.filter((e) => e[0] === "ping-ack").length, 20);
  });

  test("without a policy, only the flood budget limits PINGs", () => {
    const s = setup({ clock: () => 0 });
    s.send(s.client.headers(1, GET, false));
    for (let i = 0; i < 100; i++) s.send(s.client.build((w) => writePing(w, new Uint8Array(8), false)));
    assert.equal(s.conn.isClosed, false);
    // (DATA keeps the budget full: a sender that streams may ping as it likes.)
    s.send(s.client.build((w) => writeData(w, 1, new Uint8Array(10), false)));
  });

  test("a policy without a clock is refused", () => {
    assert.throws(() => setup({ pingPolicy: { minIntervalMs: 1, permitWithoutCalls: false } }), /clock/);
  });
});
