/**
 * The protections against peers that flood a connection, each mounted as an attack against the
 * server connection, and each paired with the legitimate traffic it must never cut off.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ByteWriter } from "../byte-writer.js";
import { ErrorCode } from "../errors.js";
import { FrameType, MAX_STREAM_ID } from "../frame/frame-types.js";
import {
  writeContinuation,
  writeData,
  writeFrameHeader,
  writeHeadersFrame,
  writePing,
  writePriority,
  writeRstStream,
  writeSettings,
  writeWindowUpdate,
} from "../frame/frame-writer.js";
import { encodeInteger } from "../hpack/integer.js";
import { GET, goaway, rst, setup } from "../test-support/server-setup.js";
import type { ServerFrame } from "../test-support/test-client.js";

const PING = new Uint8Array(8);

/** Sends `frame` up to `max` times, stopping once the connection closes; returns all answers. */
function flood(
  s: ReturnType<typeof setup>,
  frame: Uint8Array,
  max: number,
): { sent: number; frames: ServerFrame[] } {
  const frames: ServerFrame[] = [];
  let sent = 0;
  while (sent < max && !s.conn.isClosed) {
    frames.push(...s.send(frame));
    sent++;
  }
  return { sent, frames };
}

describe("floods of frames that move nothing forward: GOAWAY ENHANCE_YOUR_CALM", () => {
  test("PING flood (CVE-2019-9512): every PING answered until the budget is spent", () => {
    const s = setup({ floodBudget: 100 });
    const { sent, frames } = flood(
      s,
      s.client.build((w) => writePing(w, PING, false)),
      1000,
    );
    assert.equal(sent, 101);
    assert.equal(frames.filter((f) => f.type === "ping" && f.ack).length, 100);
    assert.equal(goaway(frames)?.code, ErrorCode.ENHANCE_YOUR_CALM);
  });

  test("SETTINGS flood (CVE-2019-9515)", () => {
    const s = setup({ floodBudget: 100 });
    const { sent, frames } = flood(
      s,
      s.client.build((w) => writeSettings(w, [4, 65535])),
      1000,
    );
    assert.equal(sent, 101);
    assert.equal(frames.filter((f) => f.type === "settings-ack").length, 100);
    assert.equal(goaway(frames)?.code, ErrorCode.ENHANCE_YOUR_CALM);
  });

  test("empty DATA frames without END_STREAM (CVE-2019-9518)", () => {
    const s = setup({ floodBudget: 100 });
    s.send(s.client.headers(1, GET, false));
    const { sent, frames } = flood(
      s,
      s.client.build((w) => writeData(w, 1, new Uint8Array(0), false)),
      1000,
    );
    assert.equal(sent, 101);
    assert.equal(goaway(frames)?.code, ErrorCode.ENHANCE_YOUR_CALM);
  });

  test("PRIORITY frames, and frames of unknown types", () => {
    const s = setup({ floodBudget: 50 });
    const priority = flood(
      s,
      s.client.build((w) => writePriority(w, 3, 0, false, 16)),
      1000,
    );
    assert.equal(priority.sent, 51);
    assert.equal(goaway(priority.frames)?.code, ErrorCode.ENHANCE_YOUR_CALM);
    const t = setup({ floodBudget: 50 });
    const unknown = flood(
      t,
      t.client.build((w) => writeFrameHeader(w, 0, 0xfa, 0, 0)),
      1000,
    );
    assert.equal(unknown.sent, 51);
    assert.equal(goaway(unknown.frames)?.code, ErrorCode.ENHANCE_YOUR_CALM);
  });

  test("streams past MAX_CONCURRENT_STREAMS, each refused with RST_STREAM (CVE-2019-9514)", () => {
    const s = setup({ floodBudget: 100, maxConcurrentStreams: 1 });
    s.send(s.client.headers(1, GET, false));
    let frames: ServerFrame[] = [];
    let id = 3;
    for (; id < 1000 && !s.conn.isClosed; id += 2) frames = s.send(s.client.headers(id, GET, false));
    assert.equal((id - 3) / 2, 101);
    assert.equal(goaway(frames)?.code, ErrorCode.ENHANCE_YOUR_CALM);
  });

  test("malformed requests, each answered with RST_STREAM PROTOCOL_ERROR", () => {
    const s = setup({ floodBudget: 100 });
    let frames: ServerFrame[] = [];
    let id = 1;
    for (; id < 1000 && !s.conn.isClosed; id += 2) {
      frames = s.send(s.client.headers(id, [...GET, "Upper-Case", "x"], true));
      if (id === 1) assert.equal(rst(frames, 1), ErrorCode.PROTOCOL_ERROR);
    }
    assert.equal((id - 1) / 2, 101);
    assert.equal(goaway(frames)?.code, ErrorCode.ENHANCE_YOUR_CALM);
    assert.equal(s.app.events.filter((e) => e[0] === "open").length, 0);
  });

  test("frames on a stream the peer reset are answered once, then ignored (no amplification)", () => {
    const s = setup({ floodBudget: 100 });
    s.send(s.client.headers(1, GET, false));
    s.send(s.client.build((w) => writeRstStream(w, 1, ErrorCode.CANCEL)));
    const { sent, frames } = flood(
      s,
      s.client.build((w) => writeWindowUpdate(w, 1, 1)),
      1000,
    );
    assert.equal(sent, 1000);
    assert.equal(frames.filter((f) => f.type === "rst").length, 1);
    assert.equal(s.conn.isClosed, false);
  });
});

describe("legitimate traffic is never cut off", () => {
  test("keepalive PINGs between calls that complete", () => {
    const s = setup({ floodBudget: 10 });
    for (let i = 0; i < 2000; i++) {
      const id = 1 + 2 * i;
      s.send(s.client.build((w) => writePing(w, PING, false)));
      s.send(s.client.headers(id, GET, true));
      s.conn.respond(id, [":status", "200"], true);
    }
    assert.equal(s.conn.isClosed, false);
  });

  test("PINGs on one long stream that carries data", () => {
    const s = setup({ floodBudget: 10 });
    s.send(s.client.headers(1, GET, false));
    for (let i = 0; i < 2000; i++) {
      s.send(s.client.build((w) => writePing(w, PING, false)));
      s.send(s.client.build((w) => writeData(w, 1, Uint8Array.of(i & 0xff), false)));
      s.conn.consume(1, 1);
    }
    assert.equal(s.conn.isClosed, false);
  });

  test("time gives the budget back (with a clock): a slow, steady PING rate is allowed", () => {
    let now = 0;
    const s = setup({ floodBudget: 10, floodRefillPerSecond: 100, clock: () => now });
    // An idle connection pinged every 20 ms (50/s, under the refill rate) for a long while.
    for (let i = 0; i < 5000; i++) {
      now += 20;
      s.send(s.client.build((w) => writePing(w, PING, false)));
    }
    assert.equal(s.conn.isClosed, false);
    // The same PINGs with no time passing: the budget (10) runs out.
    const { sent, frames } = flood(
      s,
      s.client.build((w) => writePing(w, PING, false)),
      1000,
    );
    // The refill is counted when the budget runs out, so what time gave back is spent first.
    assert.ok(sent <= 21, `sent ${sent}`);
    assert.equal(goaway(frames)?.code, ErrorCode.ENHANCE_YOUR_CALM);
  });
});

describe("header floods", () => {
  test("CONTINUATION flood: empty fragments without END_HEADERS end the connection", () => {
    const s = setup();
    const frames: ServerFrame[] = [];
    frames.push(...s.send(s.client.build((w) => writeFrameHeader(w, 0, FrameType.HEADERS, 0, 1))));
    for (let i = 0; i < 10000 && !s.conn.isClosed; i++) {
      frames.push(...s.send(s.client.build((w) => writeFrameHeader(w, 0, FrameType.CONTINUATION, 0, 1))));
    }
    assert.equal(goaway(frames)?.code, ErrorCode.ENHANCE_YOUR_CALM);
    assert.equal(s.app.events.filter((e) => e[0] === "open").length, 0);
  });

  test("CONTINUATION flood: a header block growing past its bound ends the connection", () => {
    const s = setup();
    const fragment = new Uint8Array(16384).fill(0x40);
    const frames: ServerFrame[] = [];
    frames.push(
      ...s.send(
        s.client.build((w) => writeHeadersFrame(w, 1, fragment, { endStream: true, endHeaders: false })),
      ),
    );
    for (let i = 0; i < 1000 && !s.conn.isClosed; i++) {
      frames.push(...s.send(s.client.build((w) => writeContinuation(w, 1, fragment, false))));
    }
    assert.equal(goaway(frames)?.code, ErrorCode.ENHANCE_YOUR_CALM);
  });

  test("HPACK bomb: one large table entry referenced thousands of times is refused (431), cheaply", () => {
    const s = setup({ maxHeaderListSize: 16384 });
    // Blocks made by hand, so that the dynamic table holds exactly one entry (index 62).
    const literal = (w: ByteWriter, name: string, value: string, indexed: boolean) => {
      w.u8(indexed ? 0x40 : 0x00);
      for (const text of [name, value]) {
        encodeInteger(w, text.length, 7, 0);
        for (let i = 0; i < text.length; i++) w.u8(text.charCodeAt(i));
      }
    };
    const request = (id: number, extra: (w: ByteWriter) => void) => {
      const block = new ByteWriter();
      for (let i = 0; i < GET.length; i += 2) literal(block, GET[i]!, GET[i + 1]!, false);
      extra(block);
      return s.client.build((w) => writeHeadersFrame(w, id, block.view(), { endStream: true }));
    };
    // Request 1 puts a 4000-octet field into the table.
    assert.deepEqual(s.send(request(1, (w) => literal(w, "bomb", "x".repeat(4000), true))), []);
    assert.equal(s.app.events.filter((e) => e[0] === "open").length, 1);
    // Request 3 references it 16,000 times: 16 KB of input that would decode to 64 MB.
    const frames = s.send(
      request(3, (w) => {
        for (let i = 0; i < 16000; i++) w.u8(0x80 | 62);
      }),
    );
    const answer = frames.find((f) => f.type === "headers" && f.streamId === 3);
    assert.ok(answer?.type === "headers");
    assert.deepEqual(answer.headers.slice(0, 2), [":status", "431"]);
    assert.equal(s.app.events.filter((e) => e[0] === "open").length, 1);
    assert.equal(s.conn.isClosed, false);
  });
});

describe("stream identifiers", () => {
  test("the last stream id a client may use (2^31 - 1) is served; a smaller one after it is a protocol error", () => {
    const s = setup();
    s.send(s.client.headers(MAX_STREAM_ID, GET, true));
    assert.equal(s.app.events.filter((e) => e[0] === "open").length, 1);
    s.conn.respond(MAX_STREAM_ID, [":status", "200"], true);
    const answer = s.flush().find((f) => f.type === "headers");
    assert.equal(answer?.type === "headers" ? answer.streamId : 0, MAX_STREAM_ID);
    const frames = s.send(s.client.headers(7, GET, true));
    assert.equal(goaway(frames)?.code, ErrorCode.PROTOCOL_ERROR);
    assert.equal(goaway(frames)?.lastStreamId, MAX_STREAM_ID);
  });
});
