/**
 * RFC 9113 §6, frame by frame, against our engine over a real socket: what a receiver MUST do with
 * each frame type's fields, sizes, flags and stream identifiers. Frames come from Python's
 * hyperframe/hpack (h2-probe.py), malformed ones octet by octet.
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { ErrorCode } from "@grpc-ts/http2";
import {
  createEchoService,
  Echo,
  PYTHON_H2,
  type ServerHandle,
  skipWithout,
  startServer,
} from "@grpc-ts/testing";
import {
  accepted,
  all,
  answered,
  assertAnswered,
  completedCall,
  connectionError,
  continuation,
  data,
  F,
  framesOf,
  GRPC_UNARY,
  grpcFields,
  grpcMessage,
  headers,
  hello,
  ping,
  priority,
  probeCases,
  raw,
  rst,
  S,
  settings,
  settingsAck,
  slowCall,
  streamError,
  streamOrConnectionError,
  sync,
  T,
  unaryCall,
  waitFor,
  windowUpdate,
  zeros,
} from "./probe.js";

const engine = "grpc-ts" as const;

/** The payload of a SETTINGS frame with one parameter. */
function setting(id: number, value: number): string {
  return id.toString(16).padStart(4, "0") + value.toString(16).padStart(8, "0");
}

describe("RFC 9113 §6 frame definitions on the grpc-ts engine (h2-probe.py)", {
  skip: skipWithout(...PYTHON_H2),
}, () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer({ server: { engine } });
  });
  after(() => server.close());
  const port = () => server.port;

  describe("§6.1 DATA", () => {
    const message = grpcMessage({ message: "padded" });
    probeCases(port, [
      {
        name: "DATA on stream 0: PROTOCOL_ERROR",
        steps: [hello(), raw(T.DATA, 0, 0, "00")],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "padded DATA: the padding is dropped, the data delivered",
        steps: [
          hello(),
          headers(1, grpcFields()),
          data(1, message, { padLength: 40, endStream: true }),
          waitFor("HEADERS", 1, true),
        ],
        expect: answered(1),
      },
      {
        name: "DATA that is all padding (Pad Length = length - 1) is fine",
        steps: [
          hello(),
          headers(1, grpcFields()),
          raw(T.DATA, F.PADDED, 1, "09" + "00".repeat(9)),
          data(1, message, { endStream: true }),
          waitFor("HEADERS", 1, true),
        ],
        expect: answered(1),
      },
      {
        name: "Pad Length equal to the payload length: PROTOCOL_ERROR",
        steps: [hello(), headers(1, grpcFields()), raw(T.DATA, F.PADDED, 1, "05" + "00".repeat(4))],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "Pad Length beyond the payload: PROTOCOL_ERROR",
        steps: [hello(), headers(1, grpcFields()), raw(T.DATA, F.PADDED, 1, "ff0000")],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "PADDED DATA without room for the Pad Length: FRAME_SIZE_ERROR or PROTOCOL_ERROR",
        steps: [hello(), headers(1, grpcFields()), raw(T.DATA, F.PADDED, 1, "")],
        expect: connectionError(ErrorCode.FRAME_SIZE_ERROR, ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "empty DATA frames, then one with END_STREAM, are fine",
        steps: [
          hello(),
          headers(1, grpcFields()),
          data(1, ""),
          data(1, message),
          data(1, ""),
          data(1, "", { endStream: true }),
          waitFor("HEADERS", 1, true),
        ],
        expect: answered(1),
      },
    ]);
  });

  describe("§6.2 HEADERS", () => {
    probeCases(port, [
      {
        name: "HEADERS on stream 0: PROTOCOL_ERROR",
        steps: [hello(), raw(T.HEADERS, F.END_HEADERS | F.END_STREAM, 0, "828684")],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "padded HEADERS: the padding is dropped",
        steps: [hello(), headers(1, grpcFields(), { padLength: 30 }), ...completedRest(1)],
        expect: answered(1),
      },
      {
        name: "HEADERS with PRIORITY (and padding): the priority fields are skipped",
        steps: [
          hello(),
          headers(1, grpcFields(), {
            padLength: 3,
            priority: { dependsOn: 0, weight: 200, exclusive: true },
          }),
          ...completedRest(1),
        ],
        expect: answered(1),
      },
      {
        name: "HEADERS padding beyond the payload: PROTOCOL_ERROR",
        steps: [hello(), raw(T.HEADERS, F.END_HEADERS | F.PADDED, 1, "ff8284")],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "HEADERS padding beyond what the PRIORITY fields leave: PROTOCOL_ERROR",
        steps: [hello(), raw(T.HEADERS, F.END_HEADERS | F.PADDED | F.PRIORITY, 1, "02000000000f82")],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "HEADERS with PRIORITY too short for its fields: FRAME_SIZE_ERROR or PROTOCOL_ERROR",
        steps: [hello(), raw(T.HEADERS, F.END_HEADERS | F.PRIORITY, 1, "00000000")],
        expect: connectionError(ErrorCode.FRAME_SIZE_ERROR, ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "HEADERS whose stream depends on itself: a stream error PROTOCOL_ERROR",
        steps: [
          hello(),
          headers(1, grpcFields(), { priority: { dependsOn: 1, weight: 15 }, endStream: true }),
        ],
        expect: streamOrConnectionError(1, ErrorCode.PROTOCOL_ERROR),
      },
    ]);
  });

  describe("§6.3 PRIORITY", () => {
    probeCases(port, [
      {
        name: "PRIORITY on stream 0: PROTOCOL_ERROR",
        steps: [hello(), raw(T.PRIORITY, 0, 0, "000000010f")],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "PRIORITY of 4 octets: a stream error FRAME_SIZE_ERROR",
        steps: [hello(), raw(T.PRIORITY, 0, 1, "00000000")],
        expect: streamError(1, ErrorCode.FRAME_SIZE_ERROR),
      },
      {
        name: "PRIORITY of 6 octets on an open stream: a stream error FRAME_SIZE_ERROR",
        steps: [hello(), ...slowCall(1), raw(T.PRIORITY, 0, 1, "000000000f00")],
        expect: streamError(1, ErrorCode.FRAME_SIZE_ERROR),
      },
      {
        name: "PRIORITY on an idle, an open and a closed stream is fine",
        steps: [hello(), priority(5, 0, 1), ...completedCall(1), priority(1, 5, 255), priority(3, 1)],
        expect: answered(1),
      },
      {
        name: "PRIORITY whose stream depends on itself: a stream error PROTOCOL_ERROR",
        steps: [hello(), ...slowCall(1), priority(1, 1)],
        expect: streamError(1, ErrorCode.PROTOCOL_ERROR),
      },
    ]);
  });

  describe("§6.4 RST_STREAM", () => {
    probeCases(port, [
      {
        name: "RST_STREAM on stream 0: PROTOCOL_ERROR",
        steps: [hello(), raw(T.RST_STREAM, 0, 0, "00000008")],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "RST_STREAM of 3 octets: FRAME_SIZE_ERROR",
        steps: [hello(), ...slowCall(1), raw(T.RST_STREAM, 0, 1, "000008")],
        expect: connectionError(ErrorCode.FRAME_SIZE_ERROR),
      },
      {
        name: "RST_STREAM of 5 octets: FRAME_SIZE_ERROR",
        steps: [hello(), ...slowCall(1), raw(T.RST_STREAM, 0, 1, "0000000800")],
        expect: connectionError(ErrorCode.FRAME_SIZE_ERROR),
      },
      {
        name: "RST_STREAM on an idle stream: PROTOCOL_ERROR",
        steps: [hello(), rst(3, ErrorCode.CANCEL)],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "RST_STREAM on an open stream: closed, and the server does not reset it back",
        steps: [hello(), headers(1, grpcFields()), rst(1, ErrorCode.CANCEL), ...completedCall(3)],
        expect: answered(3),
      },
    ]);
  });

  describe("§6.5 SETTINGS", () => {
    probeCases(port, [
      {
        name: "SETTINGS ACK with a payload: FRAME_SIZE_ERROR",
        steps: [hello(), raw(T.SETTINGS, F.ACK, 0, setting(S.MAX_CONCURRENT_STREAMS, 1))],
        expect: connectionError(ErrorCode.FRAME_SIZE_ERROR),
      },
      {
        name: "SETTINGS of a length not a multiple of 6: FRAME_SIZE_ERROR",
        steps: [hello(), raw(T.SETTINGS, 0, 0, "0003000000")],
        expect: connectionError(ErrorCode.FRAME_SIZE_ERROR),
      },
      {
        name: "SETTINGS on a stream: PROTOCOL_ERROR",
        steps: [hello(), raw(T.SETTINGS, 0, 1, "")],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "SETTINGS_ENABLE_PUSH of 2: PROTOCOL_ERROR",
        steps: [hello(), settings([[S.ENABLE_PUSH, 2]])],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "SETTINGS_ENABLE_PUSH of 0 and of 1 from a client are fine",
        steps: [hello([[S.ENABLE_PUSH, 0]]), settings([[S.ENABLE_PUSH, 1]])],
        expect: all(accepted(), (r) => assert.equal(framesOf(r, "SETTINGS_ACK").length, 2)),
      },
      {
        name: "SETTINGS_INITIAL_WINDOW_SIZE of 2^31: FLOW_CONTROL_ERROR",
        steps: [hello(), settings([[S.INITIAL_WINDOW_SIZE, 0x80000000]])],
        expect: connectionError(ErrorCode.FLOW_CONTROL_ERROR),
      },
      {
        name: "SETTINGS_INITIAL_WINDOW_SIZE of 2^31-1 is fine",
        steps: [hello(), settings([[S.INITIAL_WINDOW_SIZE, 0x7fffffff]])],
        expect: accepted(),
      },
      {
        name: "SETTINGS_MAX_FRAME_SIZE of 16383: PROTOCOL_ERROR",
        steps: [hello(), settings([[S.MAX_FRAME_SIZE, 16383]])],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "SETTINGS_MAX_FRAME_SIZE of 2^24: PROTOCOL_ERROR",
        steps: [hello(), settings([[S.MAX_FRAME_SIZE, 1 << 24]])],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "SETTINGS_MAX_FRAME_SIZE of 16384 and 2^24-1 are fine",
        steps: [hello([[S.MAX_FRAME_SIZE, 16384]]), settings([[S.MAX_FRAME_SIZE, (1 << 24) - 1]])],
        expect: accepted(),
      },
      {
        name: "an unknown setting is ignored",
        steps: [
          hello([[0xff01, 12345]]),
          raw(T.SETTINGS, 0, 0, setting(0x7777, 0xffffffff)),
          ...completedCall(1),
        ],
        expect: answered(1),
      },
      {
        name: "every SETTINGS is acknowledged, in order, also an empty one",
        steps: [hello(), settings([]), settings([[S.MAX_HEADER_LIST_SIZE, 100000]]), settings([])],
        expect: all(accepted(), (r) => assert.equal(framesOf(r, "SETTINGS_ACK").length, 4)),
      },
      {
        name: "a SETTINGS ACK from the client for our SETTINGS, then another unsolicited, is not an error",
        steps: [hello(), sync(), settingsAck()],
        expect: accepted(),
      },
      {
        name: "SETTINGS_HEADER_TABLE_SIZE 0: the server's responses use no dynamic table",
        steps: [hello([[S.HEADER_TABLE_SIZE, 0]]), sync(), ...completedCall(1), ...completedCall(3)],
        expect: all(answered(1), answered(3), (r) => assert.equal(r.tableMaxSize, 0)),
      },
      {
        name: "a SETTINGS frame is applied in order: the last value of a parameter wins",
        steps: [
          hello([
            [S.INITIAL_WINDOW_SIZE, 0],
            [S.INITIAL_WINDOW_SIZE, 1000000],
          ]),
          ...unaryCall(1, { payload: new Uint8Array(30000) }),
          waitFor("HEADERS", 1, true),
        ],
        expect: answered(1),
      },
    ]);
  });

  describe("§6.6 PUSH_PROMISE", () => {
    probeCases(port, [
      {
        name: "PUSH_PROMISE from a client: PROTOCOL_ERROR",
        steps: [hello(), ...slowCall(1), raw(T.PUSH_PROMISE, F.END_HEADERS, 1, "0000000282")],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "no PUSH_PROMISE from the server when the client disables push",
        steps: [hello([[S.ENABLE_PUSH, 0]]), ...completedCall(1)],
        // the probe reports any PUSH_PROMISE as a violation
        expect: answered(1),
      },
    ]);
  });

  describe("§6.7 PING", () => {
    probeCases(port, [
      {
        name: "PING is answered with ACK and the same 8 octets",
        steps: [hello(), ping("fedcba9876543210"), sync()],
        expect: all(accepted(), (r) => {
          const answers = framesOf(r, "PING").filter((f) => f.hex === "fedcba9876543210");
          assert.equal(answers.length, 1);
          assert.deepEqual(answers[0]!.flags, ["ACK"]);
        }),
      },
      {
        name: "a PING ACK is not answered",
        steps: [hello(), ping("00000000000000aa", true)],
        expect: all(accepted(), (r) =>
          assert.deepEqual(
            framesOf(r, "PING").filter((f) => f.hex === "00000000000000aa"),
            [],
          ),
        ),
      },
      {
        name: "PING of 7 octets: FRAME_SIZE_ERROR",
        steps: [hello(), raw(T.PING, 0, 0, "00".repeat(7))],
        expect: connectionError(ErrorCode.FRAME_SIZE_ERROR),
      },
      {
        name: "PING of 9 octets: FRAME_SIZE_ERROR",
        steps: [hello(), raw(T.PING, 0, 0, "00".repeat(9))],
        expect: connectionError(ErrorCode.FRAME_SIZE_ERROR),
      },
      {
        name: "PING on a stream: PROTOCOL_ERROR",
        steps: [hello(), raw(T.PING, 0, 1, "00".repeat(8))],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
    ]);
  });

  describe("§6.8 GOAWAY", () => {
    probeCases(port, [
      {
        name: "GOAWAY on a stream: PROTOCOL_ERROR",
        steps: [hello(), raw(T.GOAWAY, 0, 1, "0000000000000000")],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "GOAWAY shorter than 8 octets: FRAME_SIZE_ERROR",
        steps: [hello(), raw(T.GOAWAY, 0, 0, "00000000")],
        expect: connectionError(ErrorCode.FRAME_SIZE_ERROR),
      },
      {
        name: "GOAWAY from the client: the calls in flight still complete",
        steps: [
          hello(),
          ...unaryCall(1, { message: "in flight", delayMs: 50 }),
          raw(T.GOAWAY, 0, 0, "0000000000000000" + Buffer.from("bye").toString("hex")),
          waitFor("HEADERS", 1, true),
        ],
        expect: answered(1),
      },
    ]);
  });

  describe("§6.8 GOAWAY: the server's graceful shutdown", () => {
    // A call with the message "shutdown" starts the server's graceful shutdown, and answers 200 ms later.
    let closing: ServerHandle;
    before(async () => {
      closing = await startServer({
        server: { engine },
        setup: (s) =>
          s.add(Echo, {
            ...createEchoService(),
            async unary(req) {
              if (req.message === "shutdown") {
                void closing.server.shutdown(5000);
                await new Promise((resolve) => setTimeout(resolve, 200));
              }
              return { message: req.message };
            },
          }),
      });
    });
    after(() => closing.close());
    probeCases(
      () => closing.port,
      [
        {
          name: "GOAWAY(2^31-1) and PING, then the final GOAWAY with the last stream processed; streams up to it complete, later ones are ignored",
          answerPings: false,
          finalSync: false,
          steps: [
            hello(),
            ...unaryCall(1, { message: "shutdown" }),
            waitFor("GOAWAY", 0),
            ...unaryCall(3, { message: "between the two GOAWAYs" }),
            { op: "ack_pings" },
            waitFor("HEADERS", 1, true),
            waitFor("HEADERS", 3, true),
            ...unaryCall(5, { message: "after the final GOAWAY" }),
          ],
          expect: (r) => {
            const goaways = framesOf(r, "GOAWAY");
            assert.deepEqual(
              goaways.map((f) => [f.lastStreamId, f.code]),
              [
                [0x7fffffff, ErrorCode.NO_ERROR],
                [3, ErrorCode.NO_ERROR],
              ],
            );
            assertAnswered(r, 1);
            const last = framesOf(r, "HEADERS", 3).at(-1);
            assert.ok(last?.flags.includes("END_STREAM"), "stream 3 was not answered");
            assert.deepEqual(framesOf(r, "HEADERS", 5), [], "a stream after the final GOAWAY was answered");
            assert.ok(r.closed, "the connection did not close once its streams were done");
            // a stream answered before its request ended may be told to stop: RST_STREAM NO_ERROR (§8.1)
            assert.ok(
              r.resets.every(([, code]) => code === ErrorCode.NO_ERROR),
              JSON.stringify(r.resets),
            );
          },
        },
      ],
    );
  });

  describe("§6.9 WINDOW_UPDATE", () => {
    probeCases(port, [
      {
        name: "WINDOW_UPDATE of 3 octets: FRAME_SIZE_ERROR",
        steps: [hello(), raw(T.WINDOW_UPDATE, 0, 0, "000001")],
        expect: connectionError(ErrorCode.FRAME_SIZE_ERROR),
      },
      {
        name: "WINDOW_UPDATE of 5 octets on a stream: FRAME_SIZE_ERROR",
        steps: [hello(), ...slowCall(1), raw(T.WINDOW_UPDATE, 0, 1, "0000000100")],
        expect: streamOrConnectionError(1, ErrorCode.FRAME_SIZE_ERROR),
      },
      {
        name: "the reserved bit of the increment is ignored",
        steps: [hello(), raw(T.WINDOW_UPDATE, 0, 0, "80000001")],
        expect: accepted(),
      },
      {
        name: "WINDOW_UPDATE lets a response held by the stream window go on",
        steps: [
          hello([[S.INITIAL_WINDOW_SIZE, 1000]]),
          ...unaryCall(1, { payload: new Uint8Array(5000) }),
          waitFor("HEADERS", 1),
          windowUpdate(1, 2000),
          windowUpdate(1, 2100),
          waitFor("HEADERS", 1, true),
        ],
        expect: answered(1),
      },
    ]);
  });

  describe("§6.10 CONTINUATION", () => {
    const fields = grpcFields(GRPC_UNARY, [["x-long", "v".repeat(300)]]);
    probeCases(port, [
      {
        name: "HEADERS + CONTINUATION + CONTINUATION: one header block",
        steps: [
          hello(),
          headers(1, fields.slice(0, 2), { endHeaders: false }),
          continuation(1, fields.slice(2, 4), false),
          continuation(1, fields.slice(4)),
          ...completedRest(1),
        ],
        expect: answered(1),
      },
      {
        name: "empty CONTINUATION frames are fine",
        steps: [
          hello(),
          headers(1, fields, { endHeaders: false }),
          continuation(1, "", false),
          continuation(1, ""),
          ...completedRest(1),
        ],
        expect: answered(1),
      },
      {
        name: "END_STREAM on the HEADERS applies after its CONTINUATION",
        steps: [
          hello(),
          headers(1, fields.slice(0, 3), { endHeaders: false, endStream: true }),
          continuation(1, fields.slice(3)),
          waitFor("HEADERS", 1, true),
        ],
        // no request message: the unary call fails with a gRPC status, but HTTP/2-wise all is well
        expect: all(accepted(), (r) => assert.ok(framesOf(r, "HEADERS", 1).length > 0)),
      },
      {
        name: "CONTINUATION after a HEADERS with END_HEADERS: PROTOCOL_ERROR",
        steps: [hello(), headers(1, fields), continuation(1, [["x-more", "1"]])],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "CONTINUATION on another stream than its HEADERS: PROTOCOL_ERROR",
        steps: [hello(), headers(1, fields, { endHeaders: false }), continuation(3, [["x-more", "1"]])],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "CONTINUATION on stream 0: PROTOCOL_ERROR",
        steps: [
          hello(),
          headers(1, fields, { endHeaders: false }),
          raw(T.CONTINUATION, F.END_HEADERS, 0, ""),
        ],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "DATA inside a header block: PROTOCOL_ERROR",
        steps: [hello(), headers(1, fields, { endHeaders: false }), zeros(1, 5)],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "PING inside a header block: PROTOCOL_ERROR",
        steps: [hello(), headers(1, fields, { endHeaders: false }), ping()],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "PRIORITY inside a header block: PROTOCOL_ERROR",
        steps: [hello(), headers(1, fields, { endHeaders: false }), priority(1)],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "an unknown frame type inside a header block: PROTOCOL_ERROR",
        steps: [hello(), headers(1, fields, { endHeaders: false }), raw(0x21, 0, 1, "")],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "a second HEADERS instead of CONTINUATION: PROTOCOL_ERROR",
        steps: [hello(), headers(1, fields, { endHeaders: false }), headers(3, fields)],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "a header block that never ends (CONTINUATION flood) is cut off",
        steps: [
          hello(),
          headers(1, fields, { endHeaders: false }),
          ...Array.from({ length: 300 }, () => raw(T.CONTINUATION, 0, 1, "00".repeat(200))),
        ],
        expect: connectionError(
          ErrorCode.ENHANCE_YOUR_CALM,
          ErrorCode.PROTOCOL_ERROR,
          ErrorCode.COMPRESSION_ERROR,
        ),
      },
    ]);
  });
});

/** The request message and END_STREAM after HEADERS that did not end the stream, then the answer. */
function completedRest(stream: number) {
  return [
    data(stream, grpcMessage({ message: "rest" }), { endStream: true }),
    waitFor("HEADERS", stream, true),
  ];
}
