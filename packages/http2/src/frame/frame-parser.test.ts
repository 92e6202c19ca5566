import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ByteWriter } from "../byte-writer.js";
import { ErrorCode, Http2Error } from "../errors.js";
import { FrameRecorder } from "../test-support/frame-recorder.js";
import { concat, hex, toHex } from "../test-support/hex.js";
import { Random } from "../test-support/random.js";
import { FrameParser, type FrameParserOptions } from "./frame-parser.js";
import { FrameFlag, FrameType } from "./frame-types.js";
import {
  beginHeaders,
  endHeaders,
  writeContinuation,
  writeData,
  writeFrameHeader,
  writeGoAway,
  writeHeadersFrame,
  writePing,
  writePriority,
  writePushPromise,
  writeRstStream,
  writeSettings,
  writeSettingsAck,
  writeWindowUpdate,
} from "./frame-writer.js";

type Build = (w: ByteWriter) => void;

function bytes(...builds: Build[]): Uint8Array {
  const w = new ByteWriter(64);
  for (const b of builds) b(w);
  return w.view().slice();
}

/** A raw frame: header fields and payload as given, nothing checked. */
function raw(type: number, flags: number, streamId: number, payload: Uint8Array | string = ""): Build {
  const p = typeof payload === "string" ? hex(payload) : payload;
  return (w) => {
    w.u24(p.length);
    w.u8(type);
    w.u8(flags);
    w.u32(streamId >>> 0);
    w.bytes(p);
  };
}

function parse(
  input: Uint8Array,
  options: Partial<FrameParserOptions> = {},
  chunks: number[] = [],
): FrameRecorder {
  const rec = new FrameRecorder();
  const parser = new FrameParser(rec, { role: "server", ...options });
  let at = 0;
  for (const cut of [...chunks, input.length]) {
    parser.receive(input.subarray(at, cut));
    at = cut;
  }
  return rec;
}

function connectionError(
  input: Uint8Array,
  code: number,
  options: Partial<FrameParserOptions> = {},
): FrameRecorder {
  const rec = new FrameRecorder();
  const parser = new FrameParser(rec, { role: "server", ...options });
  let caught: unknown;
  try {
    parser.receive(input);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Http2Error, `expected a connection error, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.streamId, 0);
  // The parser stays failed.
  assert.throws(
    () => parser.receive(new Uint8Array(1)),
    (e: unknown) => e === caught,
  );
  return rec;
}

const sampleBlock = hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff");

/** A byte stream with every frame type, flags set and unset, padding, CONTINUATION, unknowns. */
function sampleStream(): Uint8Array {
  return bytes(
    (w) => writeSettings(w, [1, 4096, 2, 0, 3, 100, 4, 65535, 5, 16384, 6, 8192, 0x99, 7]),
    (w) => writeSettingsAck(w),
    (w) => writeWindowUpdate(w, 0, 1000000),
    (w) =>
      writeHeadersFrame(w, 1, sampleBlock, {
        padLength: 3,
        priority: { dependency: 0, exclusive: true, weight: 200 },
      }),
    (w) => writeHeadersFrame(w, 3, sampleBlock.subarray(0, 5), { endHeaders: false, endStream: true }),
    (w) => writeContinuation(w, 3, new Uint8Array(0), false),
    (w) => writeContinuation(w, 3, sampleBlock.subarray(5), true),
    (w) => writeData(w, 1, hex("0001020304050607"), false, 4),
    (w) => writeData(w, 1, hex("08090a"), false),
    (w) => writeData(w, 1, new Uint8Array(0), true),
    (w) => writeData(w, 3, hex("ff"), true, 0),
    (w) => writePriority(w, 5, 1, false, 16),
    raw(0xfa, 0xff, 7, "0102030405"), // unknown type, all flags
    raw(0xfb, 0, 0, ""),
    (w) => writeRstStream(w, 3, ErrorCode.CANCEL),
    (w) => writePing(w, hex("0102030405060708"), false),
    (w) => writePing(w, hex("1112131415161718"), true),
    raw(FrameType.WINDOW_UPDATE, 0xff, 0x80000001, "80000005"), // reserved bits set, unknown flags
    raw(FrameType.DATA, 0xf6, 0x80000005, "aa"), // unknown flags on DATA, reserved bit
    (w) => writeGoAway(w, 7, ErrorCode.NO_ERROR, hex("6279 65")),
  );
}

const sampleEvents = [
  { kind: "settings", params: [1, 4096, 2, 0, 3, 100, 4, 65535, 5, 16384, 6, 8192, 0x99, 7] },
  { kind: "settings-ack" },
  { kind: "window-update", streamId: 0, increment: 1000000 },
  { kind: "headers", streamId: 1, block: toHex(sampleBlock), endStream: false },
  { kind: "headers", streamId: 3, block: toHex(sampleBlock), endStream: true },
  { kind: "data", streamId: 1, data: "000102030405060708090a", endStream: true, flow: 8 + 5 + 3 },
  { kind: "data", streamId: 3, data: "ff", endStream: true, flow: 2 },
  { kind: "ignored", type: FrameType.PRIORITY, streamId: 5, length: 5 },
  { kind: "ignored", type: 0xfa, streamId: 7, length: 5 },
  { kind: "ignored", type: 0xfb, streamId: 0, length: 0 },
  { kind: "rst", streamId: 3, code: ErrorCode.CANCEL },
  { kind: "ping", payload: "0102030405060708", ack: false },
  { kind: "ping", payload: "1112131415161718", ack: true },
  { kind: "window-update", streamId: 1, increment: 5 },
  { kind: "data", streamId: 5, data: "aa", endStream: false, flow: 1 },
  { kind: "goaway", lastStreamId: 7, code: 0, debug: "627965" },
];

describe("frame parser: every frame type, over any chunk boundaries", () => {
  test("the sample stream in one chunk", () => {
    const input = sampleStream();
    const rec = parse(input);
    assert.deepEqual(rec.events, sampleEvents);
  });

  test("the sample stream cut at every position, and in single octets", () => {
    const input = sampleStream();
    for (let cut = 0; cut <= input.length; cut++) {
      assert.deepEqual(parse(input, {}, [cut]).events, sampleEvents, `cut at ${cut}`);
    }
    const singles = Array.from({ length: input.length }, (_, i) => i);
    assert.deepEqual(parse(input, {}, singles).events, sampleEvents);
  });

  test("the sample stream cut at every pair of positions", () => {
    const input = sampleStream();
    for (let a = 1; a < input.length; a += 1) {
      for (let b = a + 1; b < input.length; b += 3) {
        assert.deepEqual(parse(input, {}, [a, b]).events, sampleEvents, `cuts at ${a}, ${b}`);
      }
    }
  });

  test("DATA arrives as views of the input chunks, never copies", () => {
    const input = sampleStream();
    for (const cuts of [[], [100, 101, 150], [200]]) {
      const rec = new FrameRecorder();
      const parser = new FrameParser(rec, { role: "server" });
      const chunks: Uint8Array[] = [];
      let at = 0;
      for (const cut of [...cuts, input.length]) {
        chunks.push(input.slice(at, cut)); // separate buffers
        at = cut;
      }
      for (const c of chunks) parser.receive(c);
      for (const view of rec.dataViews) {
        if (view.length > 0) assert.ok(chunks.some((c) => c.buffer === view.buffer));
      }
    }
  });

  test("a large DATA frame arrives piece by piece as the chunks do", () => {
    const payload = new Uint8Array(16384).map((_, i) => i & 0xff);
    const input = bytes((w) => writeData(w, 1, payload, true, 10));
    const rec = new FrameRecorder();
    const parser = new FrameParser(rec, { role: "server", maxFrameSize: 20000 });
    for (let at = 0; at < input.length; at += 1000) parser.receive(input.subarray(at, at + 1000));
    assert.ok(rec.dataViews.length >= 16);
    const all = concat(...rec.dataViews);
    assert.deepEqual(all, payload);
    assert.deepEqual(rec.events, [
      { kind: "data", streamId: 1, data: toHex(payload), endStream: true, flow: 16384 + 11 },
    ]);
  });

  test("padding only, or the Pad Length alone, at a chunk end is counted with the next piece", () => {
    const input = bytes((w) => writeData(w, 1, hex("abcd"), true, 5));
    // header | pad length | data | padding split
    for (const cuts of [[10], [10, 12], [12, 14], [9, 10, 11, 12, 13, 14]]) {
      const rec = parse(input, {}, cuts);
      assert.deepEqual(rec.events, [{ kind: "data", streamId: 1, data: "abcd", endStream: true, flow: 8 }]);
    }
    const onlyPadding = bytes((w) => writeData(w, 1, new Uint8Array(0), true, 7));
    for (let cut = 0; cut <= onlyPadding.length; cut++) {
      assert.deepEqual(parse(onlyPadding, {}, [cut]).events, [
        { kind: "data", streamId: 1, data: "", endStream: true, flow: 8 },
      ]);
    }
  });

  test("a header block split by endHeaders into HEADERS + CONTINUATION is reassembled", () => {
    const block = new Uint8Array(40000).map((_, i) => (i * 31) & 0xff);
    const w = new ByteWriter();
    const start = beginHeaders(w);
    w.bytes(block);
    endHeaders(w, start, 9, true, 16384);
    assert.equal(w.pos, 40000 + 27);
    const input = w.view().slice();
    for (const cuts of [[], [5, 16000, 16393, 16402, 30000]]) {
      const rec = parse(input, {}, cuts);
      assert.deepEqual(rec.events, [{ kind: "headers", streamId: 9, block: toHex(block), endStream: true }]);
    }
  });

  test("random chunking of random frame sequences gives the same events as one chunk (fixed seed)", () => {
    const rnd = new Random(9113);
    for (let round = 0; round < 200; round++) {
      const builds: Build[] = [];
      for (let i = 0; i < 10; i++) {
        const id = 1 + 2 * rnd.int(4);
        switch (rnd.int(5)) {
          case 0:
            builds.push((w) =>
              writeData(
                w,
                id,
                rnd.bytes(rnd.int(300)),
                rnd.int(2) === 0,
                rnd.int(3) === 0 ? rnd.int(256) : undefined,
              ),
            );
            break;
          case 1: {
            const frag = rnd.bytes(rnd.int(100));
            builds.push((w) => writeHeadersFrame(w, id, frag, { endHeaders: false }));
            builds.push((w) => writeContinuation(w, id, rnd.bytes(rnd.int(50)), true));
            break;
          }
          case 2:
            builds.push((w) => writePing(w, rnd.bytes(8), rnd.int(2) === 0));
            break;
          case 3:
            builds.push(raw(0x20 + rnd.int(200), rnd.int(256), rnd.int(100), rnd.bytes(rnd.int(40))));
            break;
          default:
            builds.push((w) => writeWindowUpdate(w, rnd.int(3) === 0 ? 0 : id, 1 + rnd.int(1000)));
        }
      }
      const input = bytes(...builds);
      const whole = parse(input).events;
      const cuts: number[] = [];
      for (let at = rnd.int(20); at < input.length; at += 1 + rnd.int(60)) cuts.push(at);
      assert.deepEqual(parse(input, {}, cuts).events, whole);
    }
  });
});

describe("frame parser: what RFC 9113 says a receiver MUST refuse", () => {
  describe("§4.2 frame size", () => {
    test("a frame over SETTINGS_MAX_FRAME_SIZE is a FRAME_SIZE_ERROR, whatever its type", () => {
      const big = new Uint8Array(16385);
      connectionError(bytes(raw(FrameType.DATA, 0, 1, big)), ErrorCode.FRAME_SIZE_ERROR);
      connectionError(bytes(raw(FrameType.HEADERS, 4, 1, big)), ErrorCode.FRAME_SIZE_ERROR);
      connectionError(bytes(raw(0xee, 0, 1, big)), ErrorCode.FRAME_SIZE_ERROR);
      // checked from the header alone, before the payload arrives
      connectionError(bytes(raw(FrameType.DATA, 0, 1, big)).subarray(0, 9), ErrorCode.FRAME_SIZE_ERROR);
      assert.equal(parse(bytes(raw(FrameType.DATA, 0, 1, new Uint8Array(16384)))).events.length, 1);
    });

    test("a larger advertised SETTINGS_MAX_FRAME_SIZE admits larger frames", () => {
      const frame = bytes(raw(FrameType.DATA, 1, 1, new Uint8Array(100000)));
      assert.equal(parse(frame, { maxFrameSize: 100000 }).events.length, 1);
      connectionError(frame, ErrorCode.FRAME_SIZE_ERROR, { maxFrameSize: 99999 });
    });
  });

  describe("§6.1 DATA", () => {
    test("on stream 0: PROTOCOL_ERROR", () => {
      connectionError(bytes(raw(FrameType.DATA, 0, 0, "00")), ErrorCode.PROTOCOL_ERROR);
    });
    test("PADDED without room for the Pad Length: FRAME_SIZE_ERROR", () => {
      connectionError(bytes(raw(FrameType.DATA, FrameFlag.PADDED, 1)), ErrorCode.FRAME_SIZE_ERROR);
    });
    test("padding as long as the payload or longer: PROTOCOL_ERROR", () => {
      connectionError(bytes(raw(FrameType.DATA, FrameFlag.PADDED, 1, "01")), ErrorCode.PROTOCOL_ERROR);
      connectionError(bytes(raw(FrameType.DATA, FrameFlag.PADDED, 1, "03 0000")), ErrorCode.PROTOCOL_ERROR);
      assert.deepEqual(parse(bytes(raw(FrameType.DATA, FrameFlag.PADDED, 1, "02 0000"))).events, [
        { kind: "data", streamId: 1, data: "", endStream: false, flow: 3 },
      ]);
    });
  });

  describe("§6.2 HEADERS", () => {
    test("on stream 0: PROTOCOL_ERROR", () => {
      connectionError(bytes(raw(FrameType.HEADERS, 4, 0, "82")), ErrorCode.PROTOCOL_ERROR);
    });
    test("too short for its Pad Length or priority fields: FRAME_SIZE_ERROR", () => {
      connectionError(bytes(raw(FrameType.HEADERS, 4 | FrameFlag.PADDED, 1)), ErrorCode.FRAME_SIZE_ERROR);
      connectionError(
        bytes(raw(FrameType.HEADERS, 4 | FrameFlag.PRIORITY, 1, "00000000")),
        ErrorCode.FRAME_SIZE_ERROR,
      );
      connectionError(
        bytes(raw(FrameType.HEADERS, 4 | FrameFlag.PRIORITY | FrameFlag.PADDED, 1, "00 00000000")),
        ErrorCode.FRAME_SIZE_ERROR,
      );
      // exactly room for both, and an empty fragment: fine
      assert.deepEqual(
        parse(bytes(raw(FrameType.HEADERS, 4 | FrameFlag.PRIORITY | FrameFlag.PADDED, 1, "00 00000000 10")))
          .events,
        [{ kind: "headers", streamId: 1, block: "", endStream: false }],
      );
    });
    test("padding longer than what remains for the fragment: PROTOCOL_ERROR", () => {
      connectionError(
        bytes(raw(FrameType.HEADERS, 4 | FrameFlag.PADDED, 1, "02 82")),
        ErrorCode.PROTOCOL_ERROR,
      );
      connectionError(
        bytes(raw(FrameType.HEADERS, 4 | FrameFlag.PADDED | FrameFlag.PRIORITY, 1, "01 00000000 10")),
        ErrorCode.PROTOCOL_ERROR,
      );
      assert.deepEqual(parse(bytes(raw(FrameType.HEADERS, 4 | FrameFlag.PADDED, 1, "01 00"))).events, [
        { kind: "headers", streamId: 1, block: "", endStream: false },
      ]);
    });
    test("a stream that depends on itself: a stream error, and the block still goes to HPACK", () => {
      const rec = parse(bytes(raw(FrameType.HEADERS, 5 | FrameFlag.PRIORITY, 3, "80000003 10 82")));
      assert.deepEqual(rec.events, [
        { kind: "stream-error", streamId: 3, code: ErrorCode.PROTOCOL_ERROR },
        { kind: "headers", streamId: 3, block: "82", endStream: true },
      ]);
    });
  });

  describe("§6.3 PRIORITY", () => {
    test("on stream 0: PROTOCOL_ERROR", () => {
      connectionError(bytes(raw(FrameType.PRIORITY, 0, 0, "00000001 10")), ErrorCode.PROTOCOL_ERROR);
    });
    test("not 5 octets: a stream error FRAME_SIZE_ERROR, and parsing goes on", () => {
      const rec = parse(
        bytes(raw(FrameType.PRIORITY, 0, 5, "00000001"), (w) => writePing(w, new Uint8Array(8), false)),
      );
      assert.deepEqual(rec.events.slice(0, 2), [
        { kind: "stream-error", streamId: 5, code: ErrorCode.FRAME_SIZE_ERROR },
        { kind: "ignored", type: FrameType.PRIORITY, streamId: 5, length: 4 },
      ]);
      assert.equal(rec.events[2]!.kind, "ping");
    });
    test("a stream that depends on itself: a stream error PROTOCOL_ERROR", () => {
      const rec = parse(bytes((w) => writePriority(w, 5, 5, false, 1)));
      assert.deepEqual(rec.events[0], { kind: "stream-error", streamId: 5, code: ErrorCode.PROTOCOL_ERROR });
    });
  });

  describe("§6.4 RST_STREAM", () => {
    test("on stream 0: PROTOCOL_ERROR", () => {
      connectionError(bytes(raw(FrameType.RST_STREAM, 0, 0, "00000008")), ErrorCode.PROTOCOL_ERROR);
    });
    test("not 4 octets: FRAME_SIZE_ERROR", () => {
      connectionError(bytes(raw(FrameType.RST_STREAM, 0, 1, "000008")), ErrorCode.FRAME_SIZE_ERROR);
      connectionError(bytes(raw(FrameType.RST_STREAM, 0, 1, "0000000800")), ErrorCode.FRAME_SIZE_ERROR);
    });
    test("unknown error codes are passed on as numbers", () => {
      assert.deepEqual(parse(bytes(raw(FrameType.RST_STREAM, 0, 1, "ffffffff"))).events, [
        { kind: "rst", streamId: 1, code: 0xffffffff },
      ]);
    });
  });

  describe("§6.5 SETTINGS", () => {
    test("on a stream: PROTOCOL_ERROR", () => {
      connectionError(bytes(raw(FrameType.SETTINGS, 0, 1, "")), ErrorCode.PROTOCOL_ERROR);
      connectionError(bytes(raw(FrameType.SETTINGS, FrameFlag.ACK, 1, "")), ErrorCode.PROTOCOL_ERROR);
    });
    test("ACK with a payload: FRAME_SIZE_ERROR", () => {
      connectionError(
        bytes(raw(FrameType.SETTINGS, FrameFlag.ACK, 0, "000100001000")),
        ErrorCode.FRAME_SIZE_ERROR,
      );
    });
    test("a length that is not a multiple of 6: FRAME_SIZE_ERROR", () => {
      connectionError(bytes(raw(FrameType.SETTINGS, 0, 0, "0001000010")), ErrorCode.FRAME_SIZE_ERROR);
      connectionError(bytes(raw(FrameType.SETTINGS, 0, 0, "000100001000 00")), ErrorCode.FRAME_SIZE_ERROR);
    });
    test("SETTINGS_ENABLE_PUSH other than 0 or 1: PROTOCOL_ERROR; 1 sent to a client: PROTOCOL_ERROR", () => {
      connectionError(
        bytes((w) => writeSettings(w, [2, 2])),
        ErrorCode.PROTOCOL_ERROR,
      );
      connectionError(
        bytes((w) => writeSettings(w, [2, 1])),
        ErrorCode.PROTOCOL_ERROR,
        { role: "client" },
      );
      assert.deepEqual(parse(bytes((w) => writeSettings(w, [2, 1]))).events, [
        { kind: "settings", params: [2, 1] },
      ]);
      assert.deepEqual(
        parse(
          bytes((w) => writeSettings(w, [2, 0])),
          { role: "client" },
        ).events,
        [{ kind: "settings", params: [2, 0] }],
      );
    });
    test("SETTINGS_INITIAL_WINDOW_SIZE above 2^31 - 1: FLOW_CONTROL_ERROR", () => {
      connectionError(
        bytes((w) => writeSettings(w, [4, 0x80000000])),
        ErrorCode.FLOW_CONTROL_ERROR,
      );
      assert.equal(parse(bytes((w) => writeSettings(w, [4, 0x7fffffff]))).events.length, 1);
    });
    test("SETTINGS_MAX_FRAME_SIZE outside 2^14 .. 2^24 - 1: PROTOCOL_ERROR", () => {
      connectionError(
        bytes((w) => writeSettings(w, [5, 16383])),
        ErrorCode.PROTOCOL_ERROR,
      );
      connectionError(
        bytes((w) => writeSettings(w, [5, 16777216])),
        ErrorCode.PROTOCOL_ERROR,
      );
      connectionError(
        bytes((w) => writeSettings(w, [5, 0])),
        ErrorCode.PROTOCOL_ERROR,
      );
      assert.deepEqual(parse(bytes((w) => writeSettings(w, [5, 16384, 5, 16777215]))).events, [
        { kind: "settings", params: [5, 16384, 5, 16777215] },
      ]);
    });
    test("unknown identifiers and any values of the others are accepted, in order", () => {
      const params = [0, 1, 1, 0xffffffff, 3, 0, 6, 0, 0xffff, 0xffffffff, 8, 1];
      assert.deepEqual(parse(bytes((w) => writeSettings(w, params))).events, [{ kind: "settings", params }]);
    });
    test("an empty SETTINGS is fine", () => {
      assert.deepEqual(parse(bytes((w) => writeSettings(w, []))).events, [{ kind: "settings", params: [] }]);
    });
  });

  describe("§6.6 PUSH_PROMISE", () => {
    test("from a client, or to a client that never enables push: PROTOCOL_ERROR", () => {
      const frame = bytes((w) => writePushPromise(w, 1, 2, hex("82"), true));
      connectionError(frame, ErrorCode.PROTOCOL_ERROR, { role: "server" });
      connectionError(frame, ErrorCode.PROTOCOL_ERROR, { role: "client" });
    });
  });

  describe("§6.7 PING", () => {
    test("on a stream: PROTOCOL_ERROR", () => {
      connectionError(bytes(raw(FrameType.PING, 0, 1, "0000000000000000")), ErrorCode.PROTOCOL_ERROR);
    });
    test("not 8 octets: FRAME_SIZE_ERROR", () => {
      connectionError(bytes(raw(FrameType.PING, 0, 0, "00000000000000")), ErrorCode.FRAME_SIZE_ERROR);
      connectionError(bytes(raw(FrameType.PING, 1, 0, "000000000000000000")), ErrorCode.FRAME_SIZE_ERROR);
    });
  });

  describe("§6.8 GOAWAY", () => {
    test("on a stream: PROTOCOL_ERROR", () => {
      connectionError(bytes(raw(FrameType.GOAWAY, 0, 1, "0000000000000000")), ErrorCode.PROTOCOL_ERROR);
    });
    test("shorter than 8 octets: FRAME_SIZE_ERROR", () => {
      connectionError(bytes(raw(FrameType.GOAWAY, 0, 0, "00000000000000")), ErrorCode.FRAME_SIZE_ERROR);
    });
    test("the reserved bit of the last stream id is ignored", () => {
      assert.deepEqual(parse(bytes(raw(FrameType.GOAWAY, 0, 0, "80000009 0000000b"))).events, [
        { kind: "goaway", lastStreamId: 9, code: ErrorCode.ENHANCE_YOUR_CALM, debug: "" },
      ]);
    });
  });

  describe("§6.9 WINDOW_UPDATE", () => {
    test("not 4 octets: FRAME_SIZE_ERROR", () => {
      connectionError(bytes(raw(FrameType.WINDOW_UPDATE, 0, 0, "000001")), ErrorCode.FRAME_SIZE_ERROR);
      connectionError(bytes(raw(FrameType.WINDOW_UPDATE, 0, 1, "0000000100")), ErrorCode.FRAME_SIZE_ERROR);
    });
    test("an increment of 0: a stream error on a stream, a connection error on the connection", () => {
      const rec = parse(
        bytes(raw(FrameType.WINDOW_UPDATE, 0, 1, "00000000"), raw(FrameType.WINDOW_UPDATE, 0, 1, "80000000")),
      );
      assert.deepEqual(rec.events, [
        { kind: "stream-error", streamId: 1, code: ErrorCode.PROTOCOL_ERROR },
        { kind: "stream-error", streamId: 1, code: ErrorCode.PROTOCOL_ERROR },
      ]);
      connectionError(bytes(raw(FrameType.WINDOW_UPDATE, 0, 0, "00000000")), ErrorCode.PROTOCOL_ERROR);
    });
  });

  describe("§6.10 CONTINUATION and §4.3 header blocks", () => {
    const open = raw(FrameType.HEADERS, 0, 1, "82");
    test("CONTINUATION without an open header block: PROTOCOL_ERROR", () => {
      connectionError(bytes(raw(FrameType.CONTINUATION, 4, 1, "82")), ErrorCode.PROTOCOL_ERROR);
      connectionError(
        bytes(raw(FrameType.HEADERS, 4, 1, "82"), raw(FrameType.CONTINUATION, 4, 1, "82")),
        ErrorCode.PROTOCOL_ERROR,
      );
      connectionError(bytes(raw(FrameType.CONTINUATION, 4, 0, "82")), ErrorCode.PROTOCOL_ERROR);
    });
    test("any other frame, or a CONTINUATION of another stream, inside a block: PROTOCOL_ERROR", () => {
      connectionError(bytes(open, raw(FrameType.CONTINUATION, 4, 3, "82")), ErrorCode.PROTOCOL_ERROR);
      connectionError(bytes(open, raw(FrameType.DATA, 0, 1, "00")), ErrorCode.PROTOCOL_ERROR);
      connectionError(
        bytes(open, (w) => writePing(w, new Uint8Array(8), false)),
        ErrorCode.PROTOCOL_ERROR,
      );
      connectionError(bytes(open, raw(FrameType.HEADERS, 4, 3, "82")), ErrorCode.PROTOCOL_ERROR);
      connectionError(bytes(open, raw(0xfe, 0, 1, "")), ErrorCode.PROTOCOL_ERROR); // even unknown types
      connectionError(bytes(open, raw(FrameType.PRIORITY, 0, 1, "0000000010")), ErrorCode.PROTOCOL_ERROR);
    });
    test("the block is delivered once, at END_HEADERS, with END_STREAM from the HEADERS", () => {
      const rec = parse(
        bytes(
          raw(FrameType.HEADERS, 1, 1, "82"),
          raw(FrameType.CONTINUATION, 1, 1, "86"),
          raw(FrameType.CONTINUATION, 4, 1, "84"),
        ),
      );
      assert.deepEqual(rec.events, [{ kind: "headers", streamId: 1, block: "828684", endStream: true }]);
    });
    test("a block over maxHeaderBlockSize: ENHANCE_YOUR_CALM, counted across CONTINUATION", () => {
      connectionError(bytes(raw(FrameType.HEADERS, 4, 1, new Uint8Array(101))), ErrorCode.ENHANCE_YOUR_CALM, {
        maxHeaderBlockSize: 100,
      });
      connectionError(
        bytes(
          raw(FrameType.HEADERS, 0, 1, new Uint8Array(60)),
          raw(FrameType.CONTINUATION, 4, 1, new Uint8Array(41)),
        ),
        ErrorCode.ENHANCE_YOUR_CALM,
        { maxHeaderBlockSize: 100 },
      );
    });
    test("a CONTINUATION flood (empty frames, never END_HEADERS): ENHANCE_YOUR_CALM", () => {
      const builds: Build[] = [open];
      for (let i = 0; i < 200; i++) builds.push(raw(FrameType.CONTINUATION, 0, 1, ""));
      const rec = connectionError(bytes(...builds), ErrorCode.ENHANCE_YOUR_CALM, {
        maxContinuationFrames: 100,
      });
      assert.equal(rec.events.length, 0);
    });
  });

  test("random input: events, or an Http2Error connection error, never anything else (fixed seed)", () => {
    const rnd = new Random(0xf4a3e);
    const valid = sampleStream();
    let failed = 0;
    for (let i = 0; i < 3000; i++) {
      let input: Uint8Array;
      if (i % 2 === 0) {
        input = rnd.bytes(rnd.int(200));
      } else {
        input = valid.slice();
        for (let k = 0; k < 1 + rnd.int(3); k++) input[rnd.int(input.length)] = rnd.int(256);
      }
      const rec = new FrameRecorder();
      const parser = new FrameParser(rec, { role: rnd.int(2) === 0 ? "client" : "server" });
      try {
        for (let at = 0; at < input.length; at += 1 + rnd.int(50))
          parser.receive(input.subarray(at, at + 1 + rnd.int(50)));
      } catch (e) {
        assert.ok(e instanceof Http2Error && e.streamId === 0, String(e));
        failed++;
      }
    }
    assert.ok(failed > 100);
  });

  test("atFrameBoundary and inHeaderBlock follow the input", () => {
    const rec = new FrameRecorder();
    const parser = new FrameParser(rec, { role: "server" });
    assert.equal(parser.atFrameBoundary, true);
    parser.receive(bytes(raw(FrameType.HEADERS, 0, 1, "82")));
    assert.equal(parser.inHeaderBlock, true);
    assert.equal(parser.atFrameBoundary, false);
    const cont = bytes(raw(FrameType.CONTINUATION, 4, 1, "84"));
    parser.receive(cont.subarray(0, 4));
    assert.equal(parser.atFrameBoundary, false);
    parser.receive(cont.subarray(4));
    assert.equal(parser.atFrameBoundary, true);
    assert.equal(parser.inHeaderBlock, false);
  });
});

test("frame header helper writes what the parser reads", () => {
  const w = new ByteWriter();
  writeFrameHeader(w, 0x123456, 0xab, 0xcd, 0x7fffffff);
  assert.equal(toHex(w.view()), "123456abcd7fffffff");
});
