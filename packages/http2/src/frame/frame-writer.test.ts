import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ByteWriter } from "../byte-writer.js";
import { ErrorCode } from "../errors.js";
import { FrameRecorder } from "../test-support/frame-recorder.js";
import { hex, toHex } from "../test-support/hex.js";
import { FrameParser } from "./frame-parser.js";
import { CONNECTION_PREFACE } from "./frame-types.js";
import {
  beginHeaders,
  endHeaders,
  writeContinuation,
  writeData,
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

function out(build: (w: ByteWriter) => void): string {
  const w = new ByteWriter(16);
  build(w);
  return toHex(w.view());
}

describe("frame writer: the octets of each frame type (RFC 9113 §4.1, §6)", () => {
  test("DATA, with END_STREAM, and PADDED with zero padding", () => {
    assert.equal(
      out((w) => writeData(w, 1, hex("abcd"), false)),
      "000002" + "00" + "00" + "00000001" + "abcd",
    );
    assert.equal(
      out((w) => writeData(w, 3, hex(""), true)),
      "000000" + "00" + "01" + "00000003",
    );
    assert.equal(
      out((w) => writeData(w, 5, hex("ab"), true, 2)),
      "000004" + "00" + "09" + "00000005" + "02ab0000",
    );
  });

  test("HEADERS with padding and priority fields, CONTINUATION", () => {
    assert.equal(
      out((w) => writeHeadersFrame(w, 1, hex("82"), { endStream: true })),
      "000001" + "01" + "05" + "00000001" + "82",
    );
    assert.equal(
      out((w) =>
        writeHeadersFrame(w, 1, hex("82"), {
          endHeaders: false,
          padLength: 1,
          priority: { dependency: 3, exclusive: true, weight: 15 },
        }),
      ),
      "000008" + "01" + "28" + "00000001" + "01" + "80000003" + "0f" + "82" + "00",
    );
    assert.equal(
      out((w) => writeContinuation(w, 1, hex("84"), true)),
      "000001" + "09" + "04" + "00000001" + "84",
    );
  });

  test("PRIORITY, RST_STREAM, SETTINGS (+ACK), PUSH_PROMISE, PING (+ACK), GOAWAY, WINDOW_UPDATE", () => {
    assert.equal(
      out((w) => writePriority(w, 5, 1, false, 255)),
      "000005" + "02" + "00" + "00000005" + "00000001ff",
    );
    assert.equal(
      out((w) => writeRstStream(w, 7, ErrorCode.CANCEL)),
      "000004" + "03" + "00" + "00000007" + "00000008",
    );
    assert.equal(
      out((w) => writeSettings(w, [3, 100, 4, 1 << 20])),
      "00000c" + "04" + "00" + "00000000" + "0003" + "00000064" + "0004" + "00100000",
    );
    assert.equal(
      out((w) => writeSettingsAck(w)),
      "000000" + "04" + "01" + "00000000",
    );
    assert.equal(
      out((w) => writePushPromise(w, 1, 2, hex("82"), true)),
      "000005" + "05" + "04" + "00000001" + "00000002" + "82",
    );
    assert.equal(
      out((w) => writePing(w, hex("0102030405060708"), true)),
      "000008" + "06" + "01" + "00000000" + "0102030405060708",
    );
    assert.equal(
      out((w) => writeGoAway(w, 9, ErrorCode.ENHANCE_YOUR_CALM, hex("6869"))),
      "00000a" + "07" + "00" + "00000000" + "00000009" + "0000000b" + "6869",
    );
    assert.equal(
      out((w) => writeGoAway(w, 0, 0)),
      "000008" + "07" + "00" + "00000000" + "0000000000000000",
    );
    assert.equal(
      out((w) => writeWindowUpdate(w, 0, 0x7fffffff)),
      "000004" + "08" + "00" + "00000000" + "7fffffff",
    );
  });

  test("the connection preface", () => {
    assert.equal(toHex(CONNECTION_PREFACE), "505249202a20485454502f322e300d0a0d0a534d0d0a0d0a");
  });

  test("arguments that would make an invalid frame are refused", () => {
    const w = new ByteWriter();
    assert.throws(() => writeWindowUpdate(w, 1, 0), RangeError);
    assert.throws(() => writeWindowUpdate(w, 1, 0x80000000), RangeError);
    assert.throws(() => writeData(w, 0, hex("00"), false), RangeError);
    assert.throws(() => writeData(w, 1, hex("00"), false, 256), RangeError);
    assert.throws(() => writeData(w, 0x80000000, hex("00"), false), RangeError);
    assert.throws(() => writeRstStream(w, 0, 0), RangeError);
    assert.throws(() => writePing(w, new Uint8Array(7), false), RangeError);
    assert.throws(() => writeSettings(w, [1]), RangeError);
    assert.throws(() => endHeaders(w, beginHeaders(w), 1, false, 16383), RangeError);
    assert.equal(w.pos, 9, "only the begun HEADERS header was written");
  });
});

describe("frame writer: header blocks over SETTINGS_MAX_FRAME_SIZE", () => {
  function block(n: number): Uint8Array {
    return new Uint8Array(n).map((_, i) => (i * 7 + 1) & 0xff);
  }

  function split(
    n: number,
    max: number,
    endStream: boolean,
  ): { frames: [number, number, number][]; rec: FrameRecorder } {
    const w = new ByteWriter(16);
    w.bytes(hex("ffff")); // something before, left alone
    const start = beginHeaders(w);
    w.bytes(block(n));
    endHeaders(w, start, 3, endStream, max);
    const bytes = w.view().slice(2);
    // walk the frame headers
    const frames: [number, number, number][] = [];
    for (let p = 0; p < bytes.length; ) {
      const len = (bytes[p]! << 16) | (bytes[p + 1]! << 8) | bytes[p + 2]!;
      frames.push([bytes[p + 3]!, bytes[p + 4]!, len]);
      p += 9 + len;
    }
    const rec = new FrameRecorder();
    new FrameParser(rec, { role: "server", maxFrameSize: max, maxHeaderBlockSize: 1 << 20 }).receive(bytes);
    return { frames, rec };
  }

  test("a block of exactly the maximum is one HEADERS frame", () => {
    const { frames, rec } = split(16384, 16384, true);
    assert.deepEqual(frames, [[1, 5, 16384]]);
    assert.deepEqual(rec.events, [
      { kind: "headers", streamId: 3, block: toHex(block(16384)), endStream: true },
    ]);
  });

  test("one octet more adds a CONTINUATION; END_STREAM on HEADERS, END_HEADERS on the last", () => {
    const { frames, rec } = split(16385, 16384, true);
    assert.deepEqual(frames, [
      [1, 1, 16384],
      [9, 4, 1],
    ]);
    assert.deepEqual(rec.events, [
      { kind: "headers", streamId: 3, block: toHex(block(16385)), endStream: true },
    ]);
  });

  test("large blocks become HEADERS and several CONTINUATION frames, in order", () => {
    for (const [n, max] of [
      [100000, 16384],
      [3 * 20000, 20000],
      [3 * 20000 + 1, 20000],
    ] as const) {
      const { frames, rec } = split(n, max, false);
      const count = Math.ceil(n / max);
      assert.equal(frames.length, count);
      assert.deepEqual(frames[0], [1, 0, max]);
      for (let i = 1; i < count - 1; i++) assert.deepEqual(frames[i], [9, 0, max]);
      assert.deepEqual(frames[count - 1], [9, 4, n - (count - 1) * max]);
      assert.deepEqual(rec.events, [
        { kind: "headers", streamId: 3, block: toHex(block(n)), endStream: false },
      ]);
    }
  });
});
