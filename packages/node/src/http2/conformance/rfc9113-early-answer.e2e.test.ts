/**
 * RFC 9113 on streams a gRPC server answers before the client has finished them (a trailers-only
 * error for an unknown method or a wrong content-type), against our engine over a real socket:
 * what the client sends after such an answer is still checked as in any other state (§5.1, §6.3,
 * §6.9, §8.1). Each case runs three ways: to a method unknown to the server and with a content-type
 * that is not gRPC's (both answered at once, while the request is still open), and to a
 * client-streaming method that waits for the request (no answer yet). Frames come from Python's
 * hyperframe/hpack (h2-probe.py).
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { ErrorCode } from "@grpc-ts/http2";
import { PYTHON_H2, type ServerHandle, skipWithout, startServer } from "@grpc-ts/testing";
import {
  accepted,
  all,
  answered,
  type Case,
  data,
  type Expect,
  type Fields,
  framesOf,
  GRPC_CLIENT_STREAM,
  grpcFields,
  grpcMessage,
  headers,
  hello,
  isPingAck,
  priority,
  probeCases,
  raw,
  responses,
  rst,
  S,
  type Step,
  streamError,
  sync,
  T,
  unaryCall,
  waitFor,
  waitForData,
  windowUpdate,
  zeros,
} from "./probe.js";

const engine = "grpc-ts" as const;
const MESSAGE = grpcMessage({ message: "early" });
const MESSAGE_LENGTH = MESSAGE.length / 2;

/** How the stream under test was opened, and what the server did before the frame under test. */
interface Opening {
  /** For case names. */
  readonly label: string;
  /** The request's HEADERS (not ending the stream), and what follows until the server is ready. */
  readonly steps: (extra?: Fields) => Step[];
  /** What the server said before the frame under test: checked besides each case's own outcome. */
  readonly before: Expect;
}

/** The server's early answer on stream 1: a whole response (trailers-only) while the request is open. */
function answeredEarly(status: string): Expect {
  return (r) => {
    const blocks = framesOf(r, "HEADERS", 1);
    assert.ok(blocks.length > 0 && blocks[0]!.flags.includes("END_STREAM"), "no early answer on stream 1");
    const fields = new Map(blocks[0]!.headers ?? []);
    if (status.startsWith(":")) assert.equal(fields.get(":status"), status.slice(1));
    else assert.equal(fields.get("grpc-status"), status);
  };
}

const OPENINGS: readonly Opening[] = [
  {
    label: "answered at once (unknown method)",
    steps: (extra = []) => [
      hello(),
      headers(1, grpcFields("/grpcts.test.Echo/Missing", extra)),
      waitFor("HEADERS", 1, true),
    ],
    before: answeredEarly("12"), // UNIMPLEMENTED
  },
  {
    label: "answered at once (content-type not gRPC)",
    steps: (extra = []) => [
      hello(),
      headers(
        1,
        grpcFields(GRPC_CLIENT_STREAM, extra).map(([n, v]): [string, string] =>
          n === "content-type" ? [n, "text/plain"] : [n, v],
        ),
      ),
      waitFor("HEADERS", 1, true),
    ],
    before: answeredEarly(":415"),
  },
  {
    label: "waiting for the request",
    // a message, and the PING round trip: the handler has it, and waits for more
    steps: (extra = []) => [
      hello(),
      headers(1, grpcFields(GRPC_CLIENT_STREAM, extra)),
      data(1, MESSAGE),
      sync(),
    ],
    before: (r) => assert.deepEqual(framesOf(r, "HEADERS", 1), [], "the waiting method answered"),
  },
];

/**
 * A stream error on stream 1 with `code`, the only RST_STREAM on it: not after one of our own
 * (an early answer comes without RST_STREAM NO_ERROR, which would have the server ignore the rest).
 */
function onlyReset(code: number): Expect {
  return all(streamError(1, code), (r) =>
    assert.deepEqual(
      r.resets.filter(([id]) => id === 1),
      [[1, code]],
    ),
  );
}

/** One case per opening: `name` (with the opening's label), the frames after the opening, the outcome. */
function eachOpening(
  name: string,
  after: Step[],
  expect: Expect,
  extra: Fields = [],
  openings: readonly Opening[] = OPENINGS,
): Case[] {
  return openings.map((o) => ({
    name: `${name}, ${o.label}`,
    steps: [...o.steps(extra), ...after],
    expect: all(o.before, expect),
  }));
}

describe("RFC 9113 on streams answered before the request ended, grpc-ts engine (h2-probe.py)", {
  skip: skipWithout(...PYTHON_H2),
}, () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer({ server: { engine } });
  });
  after(() => server.close());
  const port = () => server.port;

  describe("§5.1 half-closed (local): the client may finish its request", () => {
    probeCases(port, [
      ...eachOpening(
        "DATA to the end of the request is accepted, and its octets are returned to the windows",
        [zeros(1, 40000), zeros(1, 10, { endStream: true })],
        all(accepted(), (r) =>
          assert.ok(framesOf(r, "WINDOW_UPDATE", 1).length > 0, "no WINDOW_UPDATE on stream 1"),
        ),
        [],
        OPENINGS.slice(0, 2),
      ),
      ...eachOpening(
        "trailers that end the request are accepted",
        [zeros(1, 10), headers(1, [["x-trailer", "1"]], { endStream: true })],
        accepted(),
        [],
        OPENINGS.slice(0, 2),
      ),
    ]);
  });

  describe("§6.3 PRIORITY of the wrong length is a stream error FRAME_SIZE_ERROR", () => {
    probeCases(port, [
      ...eachOpening(
        "PRIORITY of 4 octets",
        [raw(T.PRIORITY, 0, 1, "00000000")],
        onlyReset(ErrorCode.FRAME_SIZE_ERROR),
      ),
      ...eachOpening(
        "PRIORITY of 6 octets",
        [raw(T.PRIORITY, 0, 1, "000000000f00")],
        onlyReset(ErrorCode.FRAME_SIZE_ERROR),
      ),
    ]);
  });

  describe("§6.9 WINDOW_UPDATE", () => {
    probeCases(port, [
      ...eachOpening(
        "WINDOW_UPDATE of 0 on the stream: a stream error PROTOCOL_ERROR",
        [windowUpdate(1, 0)],
        onlyReset(ErrorCode.PROTOCOL_ERROR),
      ),
      ...eachOpening(
        "§6.9.1 one WINDOW_UPDATE that takes the stream window over 2^31-1: RST_STREAM FLOW_CONTROL_ERROR",
        [windowUpdate(1, 0x7fffffff)],
        onlyReset(ErrorCode.FLOW_CONTROL_ERROR),
      ),
      ...eachOpening(
        "§6.9.1 the stream window up to exactly 2^31-1, then one more: RST_STREAM FLOW_CONTROL_ERROR",
        [windowUpdate(1, 0x7fffffff - 65535), sync(), windowUpdate(1, 1)],
        all(onlyReset(ErrorCode.FLOW_CONTROL_ERROR), (r) => {
          // the first raised the window to 2^31-1 exactly, which is fine: the reset follows the second
          const sync = r.frames.findIndex(isPingAck);
          const reset = r.frames.findIndex((f) => f.type === "RST_STREAM");
          assert.ok(sync >= 0 && reset > sync, "the stream was reset before its window went over 2^31-1");
        }),
      ),
    ]);
  });

  describe("§8.1 and §8.3 malformed requests", () => {
    probeCases(port, [
      ...eachOpening(
        "a second HEADERS without END_STREAM: PROTOCOL_ERROR",
        [headers(1, [["x-second", "1"]])],
        onlyReset(ErrorCode.PROTOCOL_ERROR),
      ),
      ...eachOpening(
        "a pseudo-header field in trailers: PROTOCOL_ERROR",
        [headers(1, [[":path", "/grpcts.test.Echo/Unary"]], { endStream: true })],
        onlyReset(ErrorCode.PROTOCOL_ERROR),
      ),
      ...eachOpening(
        "content-length larger than the DATA received by END_STREAM: PROTOCOL_ERROR",
        [zeros(1, 10, { endStream: true })],
        onlyReset(ErrorCode.PROTOCOL_ERROR),
        [["content-length", String(MESSAGE_LENGTH + 100)]],
      ),
      ...eachOpening(
        "content-length larger than the DATA received before trailers: PROTOCOL_ERROR",
        [zeros(1, 10), headers(1, [["x-trailer", "1"]], { endStream: true })],
        onlyReset(ErrorCode.PROTOCOL_ERROR),
        [["content-length", String(MESSAGE_LENGTH + 100)]],
      ),
      ...eachOpening(
        "DATA beyond content-length: PROTOCOL_ERROR",
        [zeros(1, 200)],
        onlyReset(ErrorCode.PROTOCOL_ERROR),
        [["content-length", String(MESSAGE_LENGTH + 100)]],
      ),
    ]);
  });

  describe("§5.1 closed after the client's RST_STREAM", () => {
    probeCases(port, [
      ...eachOpening(
        "DATA: a stream error STREAM_CLOSED",
        [rst(1, ErrorCode.CANCEL), sync(), zeros(1, 10)],
        onlyReset(ErrorCode.STREAM_CLOSED),
      ),
      ...eachOpening(
        "HEADERS: a stream error STREAM_CLOSED",
        [rst(1, ErrorCode.CANCEL), sync(), headers(1, [["x-late", "1"]], { endStream: true })],
        onlyReset(ErrorCode.STREAM_CLOSED),
      ),
      ...eachOpening("PRIORITY is allowed", [rst(1, ErrorCode.CANCEL), sync(), priority(1)], accepted()),
    ]);
  });

  describe("§5.1 half-closed (remote), the response still going: WINDOW_UPDATE and PRIORITY are accepted", () => {
    probeCases(port, [
      {
        // answered at once, but the response's DATA waits for the stream window we opened only 100 octets of
        name: "a response held by the stream window goes on after WINDOW_UPDATE and PRIORITY",
        steps: [
          hello([[S.INITIAL_WINDOW_SIZE, 100]]),
          ...unaryCall(1, { message: "held", payload: new Uint8Array(1000) }),
          waitForData(1, 100),
          sync(),
          windowUpdate(1, 5000),
          priority(1, 0, 200),
          waitFor("HEADERS", 1, true),
        ],
        expect: all(answered(1), (r) => {
          const sync = r.frames.findIndex(isPingAck);
          const later = r.frames.slice(sync).filter((f) => f.type === "DATA" && f.stream === 1);
          assert.ok(later.length > 0, "no DATA after the WINDOW_UPDATE");
          assert.equal(responses(r, 1)[0]?.payload.length, 1000);
        }),
      },
      {
        name: "a handler that answers later: its response follows WINDOW_UPDATE and PRIORITY",
        steps: [
          hello(),
          ...unaryCall(1, { message: "later", delayMs: 300 }),
          sync(),
          windowUpdate(1, 5000),
          priority(1, 0, 200),
          waitFor("HEADERS", 1, true),
        ],
        expect: all(answered(1), (r) => assert.equal(responses(r, 1)[0]?.message, "later")),
      },
    ]);
  });
});
