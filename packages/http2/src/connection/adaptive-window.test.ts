/**
 * Adaptive receive windows (`adaptiveWindow`, BDP probing) on the connection, driven frame by
 * frame with the hand-driven test peers: when a probe PING goes out, what its ACK grows, that the
 * grown windows are the ones enforced, what must never grow them, and the flood budget a peer
 * probing us draws from.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ByteWriter } from "../byte-writer.js";
import { ErrorCode, type Http2Error } from "../errors.js";
import { writeData, writePing, writeSettingsAck } from "../frame/frame-writer.js";
import { SettingId } from "../frame/settings.js";
import { hex } from "../test-support/hex.js";
import { RecordingClientApp } from "../test-support/recording-client-app.js";
import { GET, goaway, rst, type Setup, setup } from "../test-support/server-setup.js";
import { TestClient } from "../test-support/test-client.js";
import type { PeerFrame } from "../test-support/test-peer.js";
import { TestServer } from "../test-support/test-server.js";
import { ClientConnection, type ClientConnectionOptions } from "./client-connection.js";
import { ServerConnection, type ServerConnectionListener } from "./server-connection.js";

/** The payload of the connection's BDP probe PINGs ("bdp-gts" 01). */
const PROBE = "6264702d67747301";
const PROBE_BYTES = hex(PROBE);
const INITIAL_WINDOW = 65535;

const isProbe = (f: PeerFrame) => f.type === "ping" && !f.ack && f.payload === PROBE;
const probes = (frames: PeerFrame[]) => frames.filter(isProbe).length;

/** The SETTINGS frames among `frames` (not ACKs), as their parameter lists. */
function settingsOf(frames: PeerFrame[]): number[][] {
  return frames.flatMap((f) => (f.type === "settings" ? [f.params] : []));
}

function windowUpdates(frames: PeerFrame[], streamId: number): number[] {
  return frames.flatMap((f) => (f.type === "window-update" && f.streamId === streamId ? [f.increment] : []));
}

/** DATA frames of `size` octets (the last one shorter) carrying `total` octets on a stream. */
function dataFrames(streamId: number, total: number, size = 16384): Uint8Array {
  const w = new ByteWriter();
  for (let left = total; left > 0; left -= size) {
    writeData(w, streamId, new Uint8Array(Math.min(size, left)).fill(0x61), false);
  }
  return w.view().slice();
}

const probeAck = (s: Setup) => s.client.build((w) => writePing(w, PROBE_BYTES, true));
const settingsAck = (s: Setup) => s.client.build((w) => writeSettingsAck(w));

/** The server application consumes every DATA octet as it arrives (a reader that keeps up). */
function consumeAll(s: Setup): void {
  s.app.react = (e) => {
    if (e[0] === "data") s.conn.consume(e[1], e[2].length / 2);
  };
}

/** An adaptive server connection on a clock the test moves, with stream 1 open (request body to come). */
function adaptive(options: Parameters<typeof setup>[0] = {}) {
  const clock = { now: 0 };
  const s = setup({ adaptiveWindow: true, clock: () => clock.now, ...options });
  s.send(s.client.headers(1, GET, false));
  return { s, clock };
}

/**
 * What the client may still send on a stream, kept as a sender does: the initial window, less
 * what it sent, plus the WINDOW_UPDATEs and SETTINGS_INITIAL_WINDOW_SIZE changes it received.
 */
class SendWindow {
  initial = INITIAL_WINDOW;
  private readonly sent = new Map<number, number>();
  private readonly granted = new Map<number, number>();

  send(s: Setup, streamId: number, n: number, extra: Uint8Array[] = []): PeerFrame[] {
    this.sent.set(streamId, (this.sent.get(streamId) ?? 0) + n);
    return this.read(s.send(dataFrames(streamId, n), ...extra));
  }
  read(frames: PeerFrame[]): PeerFrame[] {
    for (const f of frames) {
      if (f.type === "window-update" && f.streamId !== 0)
        this.granted.set(f.streamId, (this.granted.get(f.streamId) ?? 0) + f.increment);
      if (f.type === "settings") {
        for (let i = 0; i < f.params.length; i += 2)
          if (f.params[i] === SettingId.INITIAL_WINDOW_SIZE) this.initial = f.params[i + 1]!;
      }
    }
    return frames;
  }
  /** What the stream may still send (`initial`: as if that were its initial window). */
  left(streamId: number, initial = this.initial): number {
    return initial - (this.sent.get(streamId) ?? 0) + (this.granted.get(streamId) ?? 0);
  }
}

describe("the probe", () => {
  test("a stream filling more than half its window: one probe PING, after the batch's WINDOW_UPDATEs", () => {
    const { s } = adaptive();
    consumeAll(s);
    // 16384 + 16384 leaves 32767 of 65535: more than half used.
    const frames = s.send(dataFrames(1, 3 * 16384));
    assert.equal(probes(frames), 1);
    assert.ok(isProbe(frames[frames.length - 1]!), "the probe ends the batch");
    const before = frames.slice(0, -1);
    assert.ok(before.length > 0 && before.every((f) => f.type === "window-update"), JSON.stringify(frames));
    const returned = windowUpdates(before, 1).reduce((a, b) => a + b, 0);
    assert.ok(returned >= 32768 && returned <= 3 * 16384, `stream 1 got ${returned} back`);
    // Only one out at a time: more limited DATA (another batch) sends no second one.
    assert.equal(probes(s.send(dataFrames(1, 2 * 16384))), 0);
  });

  test("one probe per batch however many DATA frames in it are limited", () => {
    const { s } = adaptive();
    // Nothing consumed: every frame past the 32nd finds the window more than half used.
    const frames = s.send(dataFrames(1, 4000, 1000), dataFrames(1, 60000, 1000));
    assert.deepEqual(frames, [{ type: "ping", payload: PROBE, ack: false }]);
  });

  test("the connection window more than half used also calls for a probe", () => {
    // Large stream windows, a small connection window: only the connection is limited.
    const { s } = adaptive({ initialWindowSize: 1 << 20, connectionWindowSize: 100000 });
    const frames = s.send(dataFrames(1, 60000));
    assert.deepEqual(frames, [{ type: "ping", payload: PROBE, ack: false }]);
  });

  test("small unary calls never send one", () => {
    const { s } = adaptive();
    consumeAll(s);
    const frames: PeerFrame[] = [];
    for (let i = 0; i < 500; i++) {
      const id = 3 + 2 * i;
      frames.push(
        ...s.send(
          s.client.headers(id, GET, false),
          s.client.build((w) => writeData(w, id, new Uint8Array(100), true)),
        ),
      );
      s.conn.respond(id, [":status", "200"], false);
      s.conn.write(id, new Uint8Array(100));
      s.conn.end(id, ["grpc-status", "0"]);
      frames.push(...s.flush());
    }
    assert.equal(s.app.events.filter((e) => e[0] === "end").length, 500);
    assert.equal(
      frames.filter((f) => f.type === "ping").length,
      0,
      "no PING in 500 unary calls of 100 octets",
    );
  });

  test("adaptiveWindow false (the default): never a probe, however much arrives", () => {
    const s = setup();
    consumeAll(s);
    s.send(s.client.headers(1, GET, false));
    const frames: PeerFrame[] = [];
    const window = new SendWindow();
    for (let i = 0; i < 200; i++) frames.push(...window.send(s, 1, window.left(1)));
    assert.equal(frames.filter((f) => f.type === "ping").length, 0);
    assert.equal(settingsOf(frames).length, 0);
    // And an ACK with the probe's payload means nothing to it.
    assert.deepEqual(s.send(probeAck(s)), []);
    assert.equal(s.conn.isClosed, false);
  });

  test("no second probe sooner than bdpProbeIntervalMs after the previous one", () => {
    const { s, clock } = adaptive({ bdpProbeIntervalMs: 10 });
    assert.equal(probes(s.send(dataFrames(1, 40000))), 1);
    clock.now = 2;
    assert.deepEqual(s.send(probeAck(s)), []); // nothing consumed: no growth
    s.send(s.client.headers(3, GET, false));
    clock.now = 9;
    assert.equal(probes(s.send(dataFrames(3, 40000))), 0);
    s.send(s.client.headers(5, GET, false));
    clock.now = 10;
    assert.equal(probes(s.send(dataFrames(5, 40000))), 1);
  });

  test("a PING from the peer with the same payload is answered, and is not taken for our probe's ACK", () => {
    const { s } = adaptive();
    consumeAll(s);
    assert.equal(probes(s.send(dataFrames(1, 3 * 16384))), 1);
    // The peer's own probe (another grpc-ts endpoint uses the same 8 octets): answered.
    const answer = s.send(
      dataFrames(1, 45000),
      s.client.build((w) => writePing(w, PROBE_BYTES, false)),
    );
    assert.deepEqual(
      answer.filter((f) => f.type === "ping"),
      [{ type: "ping", payload: PROBE, ack: true }],
    );
    assert.equal(settingsOf(answer).length, 0);
    // Our probe is still out: its ACK now grows the windows (45000 consumed).
    assert.deepEqual(settingsOf(s.send(probeAck(s))), [[SettingId.INITIAL_WINDOW_SIZE, 90000]]);
  });
});

describe("the probe's ACK", () => {
  test("two thirds of the window consumed: SETTINGS_INITIAL_WINDOW_SIZE at twice the count", () => {
    const { s } = adaptive();
    consumeAll(s);
    const window = new SendWindow();
    assert.equal(probes(window.send(s, 1, 3 * 16384)), 1);
    // 45000 octets consumed between the probe and its ACK (at least 2/3 of 65535 = 43690).
    const frames = window.send(s, 1, 45000, [probeAck(s)]);
    assert.deepEqual(settingsOf(frames), [[SettingId.INITIAL_WINDOW_SIZE, 90000]]);
    // 90000 is below the connection's 4 MiB: no WINDOW_UPDATE on stream 0.
    assert.deepEqual(windowUpdates(frames, 0), []);
    assert.equal(frames[frames.length - 1]!.type, "settings", "the SETTINGS follows the batch's updates");
    assert.equal(s.conn.settingsAckPending, true);
    assert.deepEqual(s.send(settingsAck(s)), []);
    assert.equal(s.conn.settingsAckPending, false);
  });

  test("after the SETTINGS ACK, open and new streams take the larger window, and not one octet more", () => {
    const { s } = adaptive();
    consumeAll(s);
    const window = new SendWindow();
    window.send(s, 1, 3 * 16384);
    window.send(s, 1, 45000, [probeAck(s)]);
    assert.equal(window.initial, 90000);
    s.send(settingsAck(s));
    // From here nothing is consumed: only the windows granted so far hold.
    s.app.react = undefined;
    const open = window.left(1);
    assert.ok(open > INITIAL_WINDOW - 45000, `stream 1 may send ${open}`);
    let frames = window.send(s, 1, open);
    assert.equal(rst(frames, 1), undefined, "stream 1 filled to its grown window");
    // A new stream starts at the new initial window.
    s.send(s.client.headers(3, GET, false));
    frames = window.send(s, 3, 90000);
    assert.equal(rst(frames, 3), undefined, "stream 3 sent 90000");
    assert.equal(s.conn.isClosed, false);
    // One octet past either window is a FLOW_CONTROL_ERROR: the server did not count more than it granted.
    assert.equal(rst(window.send(s, 1, 1), 1), ErrorCode.FLOW_CONTROL_ERROR);
    assert.equal(rst(window.send(s, 3, 1), 3), ErrorCode.FLOW_CONTROL_ERROR);
  });

  test("an estimate above the connection's target (4 MiB) also raises the connection window", () => {
    // 3 MiB stream windows, the default 4 MiB connection window; frames of 16000 octets, so the
    // stream's window is crossed past its half rather than left at exactly half.
    const { s } = adaptive({ initialWindowSize: 3 << 20 });
    consumeAll(s);
    const first = s.send(dataFrames(1, 99 * 16000, 16000));
    assert.equal(probes(first), 1);
    assert.ok(isProbe(first[first.length - 1]!));
    // 2,240,000 octets (over 2/3 of 3 MiB) consumed before the ACK: estimate 4,480,000.
    const frames = s.send(dataFrames(1, 140 * 16000, 16000), probeAck(s));
    assert.deepEqual(settingsOf(frames), [[SettingId.INITIAL_WINDOW_SIZE, 4_480_000]]);
    assert.ok(
      windowUpdates(frames, 0).includes(4_480_000 - (4 << 20)),
      JSON.stringify(windowUpdates(frames, 0)),
    );
    assert.equal(s.conn.isClosed, false);
  });

  test("a small connection window is raised to the estimate too", () => {
    const { s } = adaptive({ connectionWindowSize: INITIAL_WINDOW });
    consumeAll(s);
    const window = new SendWindow();
    window.send(s, 1, 3 * 16384);
    const frames = window.send(s, 1, 45000, [probeAck(s)]);
    assert.deepEqual(settingsOf(frames), [[SettingId.INITIAL_WINDOW_SIZE, 90000]]);
    const tail = frames.slice(frames.findLastIndex((f) => f.type === "ping" || f.type === "data") + 1);
    // The connection's raise comes with the SETTINGS (after the batch's own updates).
    assert.deepEqual(tail.filter((f) => f.type === "window-update" || f.type === "settings").slice(-2), [
      { type: "window-update", streamId: 0, increment: 90000 - INITIAL_WINDOW },
      { type: "settings", params: [SettingId.INITIAL_WINDOW_SIZE, 90000] },
    ]);
  });

  test("data received but not consumed grows nothing", () => {
    const { s, clock } = adaptive({ connectionWindowSize: INITIAL_WINDOW * 8 });
    // Nothing is consumed (a handler that does not read): the stream fills up, then others do.
    assert.equal(probes(s.send(dataFrames(1, INITIAL_WINDOW))), 1);
    for (const id of [3, 5, 7]) s.send(s.client.headers(id, GET, false), dataFrames(id, INITIAL_WINDOW));
    assert.deepEqual(s.send(probeAck(s)), [], "no SETTINGS, no WINDOW_UPDATE");
    // The application reads it all only now, after the ACK: the windows are returned, not raised.
    for (const id of [1, 3, 5, 7]) s.conn.consume(id, INITIAL_WINDOW);
    const returned = s.flush();
    assert.equal(settingsOf(returned).length, 0);
    assert.ok(windowUpdates(returned, 0).reduce((a, b) => a + b, 0) <= 4 * INITIAL_WINDOW);
    // Nor does what was read before the next probe count for it: probe, then an immediate ACK.
    clock.now += 100;
    assert.equal(probes(s.send(dataFrames(1, 40000))), 1);
    assert.deepEqual(s.send(probeAck(s)), []);
    assert.equal(s.conn.isClosed, false);
  });

  test("a probe ACK we did not ask for, a stale or repeated ACK, and another payload change nothing", () => {
    const { s } = adaptive();
    consumeAll(s);
    const window = new SendWindow();
    // An ACK with the probe's payload before any probe was sent.
    assert.deepEqual(s.send(probeAck(s)), []);
    // Now a probe goes out (the window is more than half used).
    assert.equal(probes(window.send(s, 1, 3 * 16384)), 1);
    // While it is out: an ACK of a payload we never sent.
    window.send(s, 1, 45000);
    assert.deepEqual(s.send(s.client.build((w) => writePing(w, new Uint8Array(8).fill(7), true))), []);
    // The real ACK grows the windows once...
    assert.deepEqual(settingsOf(s.send(probeAck(s))), [[SettingId.INITIAL_WINDOW_SIZE, 90000]]);
    s.send(settingsAck(s));
    // ...and the same ACK again (stale) does nothing, however much was consumed since.
    window.send(s, 1, window.left(1));
    assert.deepEqual(s.send(probeAck(s)), []);
    assert.equal(s.conn.isClosed, false);
  });

  test("capped at maxWindowSize, and no more probes once there", () => {
    const { s, clock } = adaptive({ maxWindowSize: 100000 });
    consumeAll(s);
    const window = new SendWindow();
    window.send(s, 1, 3 * 16384);
    const frames = window.send(s, 1, 60000, [probeAck(s)]);
    assert.deepEqual(settingsOf(frames), [[SettingId.INITIAL_WINDOW_SIZE, 100000]]);
    s.send(settingsAck(s));
    const later: PeerFrame[] = [];
    for (let i = 0; i < 50; i++) {
      clock.now += 100;
      later.push(...window.send(s, 1, window.left(1)));
    }
    assert.equal(probes(later), 0);
  });

  test("a second estimate waits for the first SETTINGS' ACK (one outstanding at a time)", () => {
    const { s, clock } = adaptive();
    consumeAll(s);
    const window = new SendWindow();
    window.send(s, 1, 3 * 16384);
    assert.deepEqual(settingsOf(window.send(s, 1, 45000, [probeAck(s)])), [
      [SettingId.INITIAL_WINDOW_SIZE, 90000],
    ]);
    // The SETTINGS is not acknowledged yet; the stream is still held to 65535, more than half used.
    clock.now += 100;
    s.send(s.client.headers(3, GET, false));
    assert.equal(probes(window.send(s, 3, 40000)), 1);
    // 62000 consumed (over 2/3 of 90000), within the windows of 65535 the server still enforces:
    // estimate 124000, but no second SETTINGS while one is out.
    const on3 = Math.min(window.left(3, INITIAL_WINDOW), 40000);
    assert.ok(window.left(1, INITIAL_WINDOW) >= 62000 - on3);
    window.send(s, 3, on3);
    const early = window.send(s, 1, 62000 - on3, [probeAck(s)]);
    assert.deepEqual(settingsOf(early), []);
    assert.equal(early.filter((f) => f.type === "rst").length, 0);
    // The ACK of the first lets the second go.
    const frames = s.send(settingsAck(s));
    assert.deepEqual(settingsOf(frames), [[SettingId.INITIAL_WINDOW_SIZE, 124000]]);
    // No third: the count of the next probe starts afresh.
    assert.deepEqual(s.send(settingsAck(s)), []);
  });
});

/**
 * A client held back by the server's windows over a long round trip, in lock-step: each round it
 * acknowledges the server's SETTINGS (if its last batch had one), sends all the credit it has (in
 * frames of `frameSize`), then acknowledges the server's probe, as our client engine orders them
 * (the DATA a batch's WINDOW_UPDATEs allow comes before the PING's ACK). The server's reader keeps
 * up. Returns the stream windows the server's SETTINGS set, in order.
 */
function lockstep(frameSize: number, rounds: number): number[] {
  const clock = { now: 0 };
  const s = setup({ adaptiveWindow: true, clock: () => clock.now });
  s.app.react = (e) => {
    if (e[0] === "data") s.conn.consume(e[1], e[2].length / 2);
    s.app.events.length = 0;
  };
  s.send(s.client.headers(1, GET, false));
  let initial = INITIAL_WINDOW;
  let sent = 0;
  let granted = 0;
  let connCredit = 4 << 20;
  let ackProbe = false;
  let ackSettings = false;
  const windows: number[] = [];
  for (let round = 0; round < rounds; round++) {
    clock.now += 20; // the round trip
    s.client.frames.length = 0;
    const w = new ByteWriter();
    if (ackSettings) writeSettingsAck(w);
    let n = Math.min(initial - sent + granted, connCredit);
    sent += n;
    connCredit -= n;
    for (; n > 0; n -= frameSize) writeData(w, 1, new Uint8Array(Math.min(n, frameSize)), false);
    if (ackProbe) writePing(w, PROBE_BYTES, true);
    ackSettings = false;
    ackProbe = false;
    for (const f of s.send(w.view().slice())) {
      if (f.type === "window-update" && f.streamId === 1) granted += f.increment;
      if (f.type === "window-update" && f.streamId === 0) connCredit += f.increment;
      if (isProbe(f)) ackProbe = true;
      if (f.type === "settings") {
        initial = f.params[1]!;
        windows.push(initial);
        ackSettings = true;
      }
      assert.ok(f.type !== "rst" && f.type !== "goaway", JSON.stringify(f));
    }
  }
  return windows;
}

describe("a client held back by the windows over a long round trip", () => {
  // A sender held back by the window (lock-step: all its credit, then a round trip for more).
  // Octets are returned once half a window is consumed (`shouldUpdateWindow`), so without more such
  // a sender would get about half a window per round trip and the probe's count would never reach
  // the 2/3 of the estimate that `BdpEstimator.onAck` asks for; the probe returns every consumed
  // octet first (`sendProbe`), so the count is what the sender sends with full windows of credit.
  for (const frameSize of [16384, 4096, 1000]) {
    test(`frames of ${frameSize} octets: the windows grow`, () => {
      const windows = lockstep(frameSize, 24);
      assert.ok(windows.length > 0, "no SETTINGS_INITIAL_WINDOW_SIZE in 24 round trips");
      assert.ok(windows[windows.length - 1]! >= 4 * INITIAL_WINDOW, JSON.stringify(windows));
    });
  }
});

describe("the flood budget when the peer probes us", () => {
  const ping = (s: Setup) => s.client.build((w) => writePing(w, new Uint8Array(8).fill(1), false));

  /** A stream the server answers with headers only so far (the client's side ended). */
  function responding(budget: number): Setup {
    const s = setup({ floodBudget: budget });
    s.send(s.client.headers(1, GET, true));
    s.conn.respond(1, [":status", "200"], false);
    s.flush();
    return s;
  }

  test("a PING per DATA frame we send: each frame gives a token back, the connection lives on", () => {
    const s = responding(10);
    let acks = 0;
    for (let i = 0; i < 2000 && !s.conn.isClosed; i++) {
      s.conn.write(1, Uint8Array.of(i & 0xff));
      const sent = s.flush();
      assert.equal(sent.filter((f) => f.type === "data").length, 1);
      acks += s.send(ping(s)).filter((f) => f.type === "ping" && f.ack).length;
    }
    assert.equal(s.conn.isClosed, false);
    assert.equal(acks, 2000);
  });

  test("the same PINGs while we send nothing: ended with ENHANCE_YOUR_CALM", () => {
    const s = responding(10);
    const frames: PeerFrame[] = [];
    let sent = 0;
    for (; sent < 2000 && !s.conn.isClosed; sent++) frames.push(...s.send(ping(s)));
    assert.equal(sent, 11);
    assert.equal(goaway(frames)?.code, ErrorCode.ENHANCE_YOUR_CALM);
  });

  test("two PINGs per DATA frame we send still run the budget out", () => {
    const s = responding(10);
    const frames: PeerFrame[] = [];
    let rounds = 0;
    for (; rounds < 2000 && !s.conn.isClosed; rounds++) {
      s.conn.write(1, Uint8Array.of(rounds & 0xff));
      s.flush();
      frames.push(...s.send(ping(s), ping(s)));
    }
    assert.ok(rounds <= 11, `${rounds} rounds`);
    assert.equal(goaway(frames)?.code, ErrorCode.ENHANCE_YOUR_CALM);
  });

  // A write that only extends the DATA frame already in the output (coalescing) gives no token.
  test("several writes coalesced into one DATA frame give one token, not one per write", () => {
    const s = responding(10);
    let rounds = 0;
    for (; rounds < 2000 && !s.conn.isClosed; rounds++) {
      // Two writes in one batch: one DATA frame on the wire.
      s.conn.write(1, Uint8Array.of(1));
      s.conn.write(1, Uint8Array.of(2));
      assert.equal(s.flush().filter((f) => f.type === "data").length, 1);
      s.send(ping(s), ping(s));
    }
    assert.ok(rounds <= 11, `${rounds} rounds: coalesced writes refilled the budget as separate frames`);
  });
});

describe("on the client connection too", () => {
  test("a large response: probe, then SETTINGS_INITIAL_WINDOW_SIZE from the client", () => {
    const app = new RecordingClientApp();
    const options: ClientConnectionOptions = { adaptiveWindow: true };
    const conn = new ClientConnection<string>(app, options);
    const server = new TestServer();
    const send = (...chunks: Uint8Array[]) => {
      for (const c of chunks) conn.receive(c);
      return server.read(conn.takeOutput());
    };
    server.read(conn.takeOutput());
    send(
      server.settings(),
      server.build((w) => writeSettingsAck(w)),
    );
    const a = conn.request(
      [":method", "POST", ":scheme", "http", ":path", "/p.S/M", ":authority", "x"],
      "a",
      true,
    );
    app.react = (e) => {
      if (e[0] === "data") conn.consume(a, e[2].length / 2);
    };
    const data = (n: number) => {
      const w = new ByteWriter();
      for (let left = n; left > 0; left -= 16384)
        writeData(w, 1, new Uint8Array(Math.min(16384, left)), false);
      return w.view().slice();
    };
    send(server.headers(1, [":status", "200"], false));
    const first = send(data(3 * 16384));
    assert.equal(probes(first), 1);
    assert.ok(isProbe(first[first.length - 1]!));
    const frames = send(
      data(45000),
      server.build((w) => writePing(w, PROBE_BYTES, true)),
    );
    assert.deepEqual(settingsOf(frames), [[SettingId.INITIAL_WINDOW_SIZE, 90000]]);
    // The ACK did not reach the application as a keepalive answer.
    assert.equal(app.events.filter((e) => e[0] === "ping-ack").length, 0);
  });
});

describe("client and server both adaptive, in memory", () => {
  test("an 8 MiB upload grows the server's windows and arrives whole, with no flow-control error", () => {
    const total = 8 << 20;
    const received = new Uint8Array(total);
    let at = 0;
    let closeCode = -1;
    let server!: ServerConnection<number>;
    const listener: ServerConnectionListener<number> = {
      onStreamOpen: (id) => id,
      onStreamData(id, data) {
        received.set(data, at);
        at += data.length;
        server.consume(id, data.length);
      },
      onStreamTrailers() {},
      onStreamEnd(id) {
        server.respond(id, [":status", "200"], true);
      },
      onStreamDrain() {},
      onStreamClose(_id, code) {
        closeCode = code;
      },
      onGoAway() {},
      onConnectionClose(_e: Http2Error | undefined) {},
    };
    server = new ServerConnection<number>(listener, { adaptiveWindow: true });
    const app = new RecordingClientApp();
    const client = new ClientConnection<string>(app, { adaptiveWindow: true });
    const watch = new TestClient(); // parses what the server sends, for the record
    const serverFrames: PeerFrame[] = [];
    const pump = () => {
      for (let round = 0; round < 100_000; round++) {
        const c = client.takeOutput();
        const s = server.takeOutput();
        if (c === undefined && s === undefined) return;
        if (c !== undefined) server.receive(c);
        if (s !== undefined) {
          serverFrames.push(...watch.read(s));
          client.receive(s);
        }
      }
      throw new Error("the connections did not go quiet");
    };
    pump();
    const body = new Uint8Array(total);
    for (let i = 0; i < total; i++) body[i] = (i * 7) & 0xff;
    const a = client.request(
      [":method", "POST", ":scheme", "http", ":path", "/p.S/M", ":authority", "x"],
      "a",
    );
    // Written in 64 KiB pieces, more once the stream has drained, as an application would.
    let offset = 0;
    const writeMore = () => {
      while (offset < total) {
        const piece = body.subarray(offset, offset + 65536);
        offset += piece.length;
        if (!client.write(a, piece, offset >= total)) return;
      }
    };
    app.react = (e) => {
      if (e[0] === "drain") writeMore();
    };
    writeMore();
    pump();
    assert.equal(closeCode, 0);
    assert.equal(at, total);
    assert.ok(Buffer.from(received).equals(Buffer.from(body)), "the body arrived intact");
    assert.ok(serverFrames.some(isProbe), "the server probed");
    const grown = settingsOf(serverFrames).filter((p) => p[0] === SettingId.INITIAL_WINDOW_SIZE);
    assert.ok(grown.length > 0 && grown[0]![1]! > INITIAL_WINDOW, JSON.stringify(grown));
    assert.equal(serverFrames.filter((f) => f.type === "rst" || f.type === "goaway").length, 0);
    assert.equal(app.events.filter((e) => e[0] === "close" && e[2] !== 0).length, 0);
  });
});
