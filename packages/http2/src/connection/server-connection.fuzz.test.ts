/**
 * The server connection under fuzzing (test-support/fuzz.ts: inputs mutated from valid exchanges,
 * a scripted application, every output frame checked), bounded in count and time; and, found that
 * way, the cases that once broke an invariant, as plain tests. `FUZZ_SEED` picks another run; the
 * long run is `npm run fuzz:http2`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCode } from "../errors.js";
import { FrameType } from "../frame/frame-types.js";
import { writeFrameHeader, writeSettingsAck } from "../frame/frame-writer.js";
import { fuzz } from "../test-support/fuzz.js";
import { RecordingApp } from "../test-support/recording-app.js";
import { type ServerFrame, TestClient } from "../test-support/test-client.js";
import { ServerConnection } from "./server-connection.js";

const SEED = process.env.FUZZ_SEED === undefined ? 0x5eed0002 : Number(process.env.FUZZ_SEED) >>> 0;
const REQUEST = [":method", "POST", ":scheme", "http", ":path", "/pkg.Svc/M", ":authority", "localhost"];

describe("server connection fuzzing", () => {
  test(`mutated and random client input: every invariant holds (seed 0x${SEED.toString(16)})`, () => {
    const r = fuzz({
      target: "connection",
      seed: SEED,
      maxInputs: 3000,
      maxMs: 6000,
      now: () => performance.now(),
    });
    const f = r.failures[0];
    assert.equal(
      f,
      undefined,
      f &&
        `input seed 0x${f.inputSeed.toString(16)}: ${f.message}\n` +
          `replay: npm run fuzz:http2 -- --target=connection --replay=0x${f.inputSeed.toString(16)}`,
    );
    assert.ok(r.inputs >= 100, `only ${r.inputs} inputs in the time`);
    // the mutations reach both outcomes: connections that fail, and ones that go on
    assert.ok(
      r.connectionErrors > r.inputs / 10 && r.connectionErrors < r.inputs,
      `${r.connectionErrors} of ${r.inputs}`,
    );
  });
});

/** A connection past the SETTINGS exchange, whose output the client reads. */
function open() {
  const app = new RecordingApp();
  const conn = new ServerConnection<number>(app);
  const client = new TestClient();
  const send = (...chunks: Uint8Array[]): ServerFrame[] => {
    for (const c of chunks) conn.receive(c);
    return client.read(conn.takeOutput());
  };
  send(client.preface());
  send(client.build((w) => writeSettingsAck(w)));
  return { app, conn, client, send };
}

/** A frame of any type, flags and payload (also malformed ones). */
function frame(client: TestClient, type: number, streamId: number, payload: number[]): Uint8Array {
  return client.build((w) => {
    writeFrameHeader(w, payload.length, type, 0, streamId);
    w.bytes(Uint8Array.from(payload));
  });
}

describe("found by fuzzing", () => {
  test("GOAWAY's last stream id never grows: streams ignored after the final GOAWAY do not count (§6.8)", () => {
    const { conn, client, send } = open();
    send(client.headers(1, REQUEST, false));
    conn.finishShutdown();
    const first = client.read(conn.takeOutput()).find((f) => f.type === "goaway");
    assert.deepEqual(first && first.type === "goaway" && first.lastStreamId, 1);
    send(client.headers(3, REQUEST, true)); // after the final GOAWAY: ignored
    const frames = send(frame(client, FrameType.RST_STREAM, 9, [0, 0, 0, 8])); // idle: connection error
    const last = frames.find((f) => f.type === "goaway");
    assert.ok(last?.type === "goaway" && last.code === ErrorCode.PROTOCOL_ERROR);
    assert.equal(last.lastStreamId, 1);
  });

  test("an error in a frame on a stream we reset is ignored, not answered with a second RST_STREAM", () => {
    const { conn, client, send } = open();
    send(client.headers(1, REQUEST, false));
    conn.reset(1, ErrorCode.CANCEL);
    assert.deepEqual(client.read(conn.takeOutput()), [{ type: "rst", streamId: 1, code: ErrorCode.CANCEL }]);
    assert.deepEqual(send(frame(client, FrameType.PRIORITY, 1, [0, 0, 0, 0])), []); // 4 octets
    assert.deepEqual(send(frame(client, FrameType.WINDOW_UPDATE, 1, [0, 0, 0, 0])), []); // increment 0
  });

  test("an error in a frame on a stream that ended both ways is ignored: no frame but PRIORITY on a closed stream (§5.1)", () => {
    const { app, conn, client, send } = open();
    app.react = (e) => {
      if (e[0] === "end") conn.respond(1, [":status", "200"], true);
    };
    const answer = send(client.headers(1, REQUEST, true));
    assert.deepEqual(
      answer.map((f) => f.type),
      ["headers"],
    );
    assert.deepEqual(send(frame(client, FrameType.PRIORITY, 1, [0, 0, 0, 0])), []);
    assert.deepEqual(send(frame(client, FrameType.WINDOW_UPDATE, 1, [0, 0, 0, 0])), []);
    assert.equal(conn.isClosed, false);
  });

  test("a stream error on an even (idle) stream ends the connection: RST_STREAM may not go to an idle stream (§6.4)", () => {
    const { conn, client, send } = open();
    const frames = send(frame(client, FrameType.PRIORITY, 2, [0, 0, 0, 0]));
    assert.deepEqual(
      frames.map((f) => (f.type === "goaway" ? f.code : f.type)),
      [ErrorCode.FRAME_SIZE_ERROR],
    );
    assert.equal(conn.isClosed, true);
  });

  test("frames after a graceful close in the same chunk are not read: no stream opens after onConnectionClose", () => {
    const { app, conn, client, send } = open();
    send(client.headers(1, REQUEST, false));
    conn.respond(1, [":status", "200"], false);
    conn.finishShutdown();
    client.read(conn.takeOutput());
    app.react = (e) => {
      if (e[0] === "end") conn.end(1, []);
    };
    // one chunk: the end of stream 1 (the last stream: the connection closes), then a new request
    const chunk = new Uint8Array([
      ...client.build((w) => {
        writeFrameHeader(w, 0, FrameType.DATA, 1, 1);
      }),
      ...client.headers(3, REQUEST, true),
      ...frame(client, FrameType.PING, 0, [1, 2, 3, 4, 5, 6, 7, 8]),
    ]);
    const frames = send(chunk);
    const kinds = app.events.map((e) => e[0]);
    assert.deepEqual(kinds.slice(kinds.indexOf("connection-close")), ["connection-close"]);
    assert.ok(!app.events.some((e) => e[0] === "open" && e[1] === 3));
    assert.ok(!frames.some((f) => f.type === "ping"), "a PING read after the close was answered");
    assert.equal(conn.isClosed, true);
  });
});
