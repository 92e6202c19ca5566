/**
 * RFC 9113 §3 to §5 against our engine over a real socket: the preface, frame format and size,
 * header compression errors, stream states and identifiers, concurrency, flow control and error
 * handling. Frames come from Python's hyperframe/hpack (h2-probe.py), not from our writers.
 */

import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { ErrorCode } from "@grpc-ts/http2";
import {
  aborted,
  createEchoService,
  Echo,
  generateTestCerts,
  PYTHON_H2,
  type ServerHandle,
  skipWithout,
  startServer,
  TEST_SERVER_NAME,
  type TestCerts,
} from "@grpc-ts/testing";
import {
  accepted,
  all,
  answered,
  assertAnswered,
  bytes,
  completedCall,
  connectionError,
  continuation,
  data,
  F,
  framesOf,
  GRPC_CLIENT_STREAM,
  grpcFields,
  grpcMessage,
  headerBlock,
  headers,
  hello,
  isPingAck,
  ping,
  preface,
  priority,
  probeCases,
  raw,
  rst,
  S,
  type Step,
  settings,
  slowCall,
  streamError,
  streamOrConnectionError,
  sync,
  T,
  unaryCall,
  waitFor,
  waitForData,
  windowUpdate,
  zeros,
} from "./probe.js";

const engine = "grpc-ts" as const;
const PREFACE_HEX = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1").toString("hex");
const EMPTY_SETTINGS_HEX = "000000040000000000";
/** A gRPC message of exactly 16384 octets: 5 + (1 + 2 + 16376) for the payload field. */
const MESSAGE_OF_16384 = grpcMessage({ payload: new Uint8Array(16376) });
assert.equal(MESSAGE_OF_16384.length, 2 * 16384);

describe("RFC 9113 §3-§5 on the grpc-ts engine (h2-probe.py)", { skip: skipWithout(...PYTHON_H2) }, () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer({ server: { engine } });
  });
  after(() => server.close());
  const port = () => server.port;

  describe("§3.4 connection preface", () => {
    probeCases(port, [
      {
        name: "the server's first frame is SETTINGS, and it acknowledges ours",
        steps: [hello([[S.MAX_CONCURRENT_STREAMS, 10]])],
        expect: all(accepted(), (r) => {
          assert.equal(r.frames[0]!.type, "SETTINGS");
          assert.equal(framesOf(r, "SETTINGS_ACK").length, 1);
        }),
      },
      {
        name: "the preface and SETTINGS one octet at a time",
        steps: [
          bytes(PREFACE_HEX + EMPTY_SETTINGS_HEX, true),
          waitFor("SETTINGS_ACK", 0),
          ...completedCall(1),
        ],
        expect: answered(1),
      },
      {
        // Not HTTP/2's preface, so (on a port that serves HTTP/1.1 too) not HTTP/2: the server answers
        // as HTTP/1.1 would, or with GOAWAY PROTOCOL_ERROR, and closes; it never goes on in HTTP/2.
        name: "an invalid preface (right length, wrong octets): the connection ends",
        steps: [preface(Buffer.from("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", "latin1").toString("hex"))],
        expect: (r) => {
          assert.ok(r.closed, "the connection stays open");
          if (r.goaway !== null) assert.equal(r.goaway.code, ErrorCode.PROTOCOL_ERROR);
          else assert.match(r.http1Status ?? "", /^HTTP\/1\.1 4\d\d/);
          assert.equal(framesOf(r, "SETTINGS_ACK").length, 0);
        },
      },
      {
        name: "the preface then a PING instead of SETTINGS: PROTOCOL_ERROR",
        steps: [preface(), ping()],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "the preface then HEADERS instead of SETTINGS: PROTOCOL_ERROR",
        steps: [preface(), headers(1, grpcFields(), { endStream: true })],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "the preface then a SETTINGS ACK instead of SETTINGS: PROTOCOL_ERROR",
        steps: [preface(), raw(T.SETTINGS, F.ACK, 0)],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "the preface then WINDOW_UPDATE instead of SETTINGS: PROTOCOL_ERROR",
        steps: [preface(), windowUpdate(0, 1000)],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
    ]);
  });

  describe("§3.2 and §9.2 HTTP/2 over TLS", () => {
    let certs: TestCerts;
    let tlsPort = 0;
    before(async () => {
      certs = await generateTestCerts();
      tlsPort = await server.server.listen("127.0.0.1:0", {
        tls: { key: certs.server.key, cert: certs.server.cert },
      });
    });
    after(() => certs.remove());
    const tls = (alpn: string[]) => ({ ca: certs.ca, serverName: TEST_SERVER_NAME, alpn });
    // the cases read `certs` only when they run, after `before`
    probeCases(
      () => tlsPort,
      [
        {
          name: "ALPN h2 selects HTTP/2, over TLS 1.2 or later without TLS compression; a call works",
          get tls() {
            return tls(["h2", "http/1.1"]);
          },
          steps: completedCallWithHello(1),
          expect: all(answered(1), (r) => {
            assert.equal(r.tls?.alpn, "h2");
            assert.ok(r.tls?.version === "TLSv1.2" || r.tls?.version === "TLSv1.3", r.tls?.version);
            assert.equal(r.tls?.compression, null);
          }),
        },
        {
          name: "a client that offers only http/1.1 is not spoken HTTP/2 to",
          get tls() {
            return tls(["http/1.1"]);
          },
          steps: [hello()],
          finalSync: false,
          expect: (r) => {
            assert.equal(r.tls?.alpn, "http/1.1");
            assert.deepEqual(framesOf(r, "SETTINGS"), []);
          },
        },
      ],
    );
  });

  describe("§4.1 frame format", () => {
    probeCases(port, [
      {
        name: "an unknown frame type on stream 0 is ignored",
        steps: [hello(), raw(0x20, 0, 0, "00112233")],
        expect: accepted(),
      },
      {
        name: "an unknown frame type on a stream is ignored, and the stream works",
        steps: [hello(), raw(0xbe, 0xff, 1, "deadbeef"), ...completedCall(1)],
        expect: answered(1),
      },
      {
        name: "an unknown frame type between two requests' frames is ignored",
        steps: [
          hello(),
          headers(1, grpcFields()),
          raw(0x42, 0, 1, "00"),
          data(1, grpcMessage({ message: "x" }), { endStream: true }),
          waitFor("HEADERS", 1, true),
        ],
        expect: answered(1),
      },
      {
        name: "unknown flags on PING are ignored: the ACK has the same data and only ACK set",
        steps: [hello(), raw(T.PING, 0xfe, 0, "a1a2a3a4a5a6a7a8"), sync()],
        expect: all(accepted(), (r) => {
          const acks = framesOf(r, "PING").filter((f) => f.hex === "a1a2a3a4a5a6a7a8");
          assert.equal(acks.length, 1);
          assert.deepEqual(acks[0]!.flags, ["ACK"]);
        }),
      },
      {
        name: "unknown flags on HEADERS and DATA are ignored",
        steps: [
          hello(),
          headers(1, grpcFields(), { flags: 0xc2 }),
          raw(T.DATA, F.END_STREAM | 0xf6, 1, grpcMessage({ message: "flags" })),
          waitFor("HEADERS", 1, true),
        ],
        expect: answered(1),
      },
      {
        name: "the reserved bit of the stream identifier is ignored (PING on stream 0 with R set)",
        steps: [hello(), raw(T.PING, 0, 0, "0000000000000001", { reserved: true })],
        expect: accepted(),
      },
      {
        name: "the reserved bit of the stream identifier is ignored (a request on stream 1 with R set)",
        steps: [
          hello(),
          headers(1, grpcFields()),
          raw(T.DATA, F.END_STREAM, 1, grpcMessage({ message: "r" }), { reserved: true }),
          waitFor("HEADERS", 1, true),
        ],
        expect: answered(1),
      },
    ]);
  });

  describe("§4.2 frame size", () => {
    probeCases(port, [
      {
        name: "DATA of exactly SETTINGS_MAX_FRAME_SIZE (16384) is accepted",
        steps: [
          hello(),
          headers(1, grpcFields()),
          data(1, MESSAGE_OF_16384),
          data(1, "", { endStream: true }),
          waitFor("HEADERS", 1, true),
        ],
        expect: answered(1),
      },
      {
        name: "DATA over SETTINGS_MAX_FRAME_SIZE: FRAME_SIZE_ERROR",
        steps: [hello(), headers(1, grpcFields()), zeros(1, 16385, { frameSize: 16385 })],
        expect: streamOrConnectionError(1, ErrorCode.FRAME_SIZE_ERROR),
      },
      {
        name: "HEADERS over SETTINGS_MAX_FRAME_SIZE: a connection error FRAME_SIZE_ERROR",
        steps: [hello(), raw(T.HEADERS, F.END_HEADERS, 1, "00".repeat(16385))],
        expect: connectionError(ErrorCode.FRAME_SIZE_ERROR),
      },
      {
        name: "SETTINGS over SETTINGS_MAX_FRAME_SIZE: FRAME_SIZE_ERROR",
        steps: [hello(), raw(T.SETTINGS, 0, 0, "000400001000".repeat(2731))],
        expect: connectionError(ErrorCode.FRAME_SIZE_ERROR),
      },
      {
        name: "an unknown frame type over SETTINGS_MAX_FRAME_SIZE: FRAME_SIZE_ERROR",
        steps: [hello(), raw(0x30, 0, 0, "00".repeat(16385))],
        expect: connectionError(ErrorCode.FRAME_SIZE_ERROR),
      },
      {
        name: "a larger SETTINGS_MAX_FRAME_SIZE from the client is allowed, and the server's frames respect ours",
        steps: [
          hello([[S.MAX_FRAME_SIZE, 1 << 20]]),
          ...unaryCall(1, { message: "large", payload: new Uint8Array(40000) }),
          waitFor("HEADERS", 1, true),
        ],
        expect: answered(1),
      },
      {
        name: "responses larger than 16384 octets are split into frames of at most 16384",
        steps: [
          hello(),
          ...unaryCall(1, { message: "split", payload: new Uint8Array(40000) }),
          waitFor("HEADERS", 1, true),
        ],
        expect: all(answered(1), (r) => {
          const sizes = framesOf(r, "DATA", 1).map((f) => f.length);
          assert.ok(sizes.length >= 3 && Math.max(...sizes) <= 16384, `DATA frames of ${sizes.join(", ")}`);
        }),
      },
    ]);
  });

  describe("§4.3 field section compression and decompression", () => {
    probeCases(port, [
      {
        name: "an undecodable header block: COMPRESSION_ERROR",
        steps: [hello(), headerBlock(1, "ffffffffff", { endStream: true })],
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "an undecodable block in trailers: COMPRESSION_ERROR",
        steps: [
          hello(),
          headers(1, grpcFields(GRPC_CLIENT_STREAM)),
          data(1, grpcMessage()),
          headerBlock(1, "7f", { endStream: true }),
        ],
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "an undecodable block split over HEADERS and CONTINUATION: COMPRESSION_ERROR",
        steps: [hello(), headerBlock(1, "82", { endHeaders: false }), continuation(1, "ff")],
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "the dynamic table carries over between requests (fields indexed by the first, referenced by the second)",
        steps: [
          hello(),
          headers(1, grpcFields(undefined, [["x-carried", "value-one"]])),
          data(1, grpcMessage(), { endStream: true }),
          headers(3, grpcFields(undefined, [["x-carried", "value-one"]])),
          data(3, grpcMessage(), { endStream: true }),
          waitFor("HEADERS", 1, true),
          waitFor("HEADERS", 3, true),
        ],
        expect: all(answered(1), answered(3)),
      },
      {
        name: "a refused stream's header block still updates the dynamic table",
        steps: [
          hello(),
          // malformed (uppercase name): reset, but its fields were added to the table
          headers(
            1,
            grpcFields(undefined, [
              ["x-table", "kept"],
              ["X-Upper", "1"],
            ]),
            { endStream: true },
          ),
          headers(3, grpcFields(undefined, [["x-table", "kept"]])),
          data(3, grpcMessage(), { endStream: true }),
          waitFor("HEADERS", 3, true),
        ],
        expect: all(streamError(1, ErrorCode.PROTOCOL_ERROR), (r) => assertAnswered(r, 3)),
      },
    ]);
  });

  describe("§5.1 stream states", () => {
    probeCases(port, [
      {
        name: "idle: DATA is a connection error PROTOCOL_ERROR",
        steps: [hello(), data(1, "00000000", { endStream: true })],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "idle: RST_STREAM is a connection error PROTOCOL_ERROR",
        steps: [hello(), rst(1, ErrorCode.CANCEL)],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "idle: WINDOW_UPDATE is a connection error PROTOCOL_ERROR",
        steps: [hello(), windowUpdate(1, 100)],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "idle: CONTINUATION is a connection error PROTOCOL_ERROR",
        steps: [hello(), continuation(1, grpcFields())],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "idle: PRIORITY is allowed, and the stream can be opened afterwards",
        steps: [hello(), priority(1), priority(3, 1), ...completedCall(1)],
        expect: answered(1),
      },
      {
        name: "half-closed (remote): DATA is a stream error STREAM_CLOSED",
        steps: [hello(), ...slowCall(1), zeros(1, 10)],
        expect: streamError(1, ErrorCode.STREAM_CLOSED),
      },
      {
        name: "half-closed (remote): HEADERS is a stream error STREAM_CLOSED",
        steps: [hello(), ...slowCall(1), headers(1, [["x-late", "1"]], { endStream: true })],
        expect: streamError(1, ErrorCode.STREAM_CLOSED),
      },
      {
        name: "half-closed (remote): WINDOW_UPDATE and PRIORITY are allowed, the call completes",
        steps: [
          hello(),
          ...unaryCall(1, { message: "hc", delayMs: 200 }),
          windowUpdate(1, 1000),
          priority(1, 0, 200),
          waitFor("HEADERS", 1, true),
        ],
        expect: answered(1),
      },
      {
        name: "half-closed (remote): RST_STREAM closes the stream, and nothing more is sent on it",
        steps: [
          hello(),
          ...unaryCall(1, { message: "reset", delayMs: 100 }),
          rst(1, ErrorCode.CANCEL),
          // answers after the first would have: by then the first was not answered
          ...unaryCall(3, { message: "later", delayMs: 400 }),
          waitFor("HEADERS", 3, true),
        ],
        expect: all(answered(3), (r) => assert.deepEqual(framesOf(r, "HEADERS", 1), [])),
      },
      {
        name: "closed after RST_STREAM from the client: DATA is a stream error STREAM_CLOSED",
        steps: [
          hello(),
          headers(1, grpcFields(GRPC_CLIENT_STREAM)),
          rst(1, ErrorCode.CANCEL),
          sync(),
          zeros(1, 10),
        ],
        expect: streamOrConnectionError(1, ErrorCode.STREAM_CLOSED),
      },
      {
        name: "closed after RST_STREAM from the client: PRIORITY is allowed",
        steps: [hello(), headers(1, grpcFields(GRPC_CLIENT_STREAM)), rst(1, ErrorCode.CANCEL), priority(1)],
        expect: accepted(),
      },
      {
        name: "closed after both ends: DATA is a STREAM_CLOSED error",
        steps: [hello(), ...completedCall(1), zeros(1, 10)],
        expect: streamOrConnectionError(1, ErrorCode.STREAM_CLOSED),
      },
      {
        name: "closed after both ends: HEADERS is a connection error",
        steps: [hello(), ...completedCall(1), headers(1, grpcFields(), { endStream: true })],
        expect: connectionError(ErrorCode.STREAM_CLOSED, ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "closed after both ends: WINDOW_UPDATE, RST_STREAM and PRIORITY are allowed",
        steps: [hello(), ...completedCall(1), windowUpdate(1, 10), priority(1), rst(1, ErrorCode.CANCEL)],
        expect: answered(1),
      },
      {
        name: "closed by the server's RST_STREAM: frames already in flight are ignored",
        steps: [
          hello(),
          // malformed: the server resets it at once; our DATA and WINDOW_UPDATE cross that reset
          headers(1, [
            [":method", "POST"],
            [":path", "/x"],
          ]),
          zeros(1, 100),
          windowUpdate(1, 100),
        ],
        expect: all(streamError(1, ErrorCode.PROTOCOL_ERROR), (r) => assert.equal(r.resets.length, 1)),
      },
    ]);
  });

  describe("§5.1.1 stream identifiers", () => {
    probeCases(port, [
      {
        name: "a client stream with an even identifier: PROTOCOL_ERROR",
        steps: [hello(), headers(2, grpcFields(), { endStream: true })],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "a new stream below the last one opened: PROTOCOL_ERROR",
        steps: [hello(), ...slowCall(5), headers(3, grpcFields(), { endStream: true })],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "a stream skipped over is closed: opening it later is PROTOCOL_ERROR",
        steps: [hello(), ...completedCall(7), headers(3, grpcFields(), { endStream: true })],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "identifiers may skip: 1, then 7, then 9",
        steps: [hello(), ...completedCall(1), ...completedCall(7), ...completedCall(9)],
        expect: all(answered(1), answered(7), answered(9)),
      },
      {
        name: "a stream identifier reused after it closed: a connection error",
        steps: [hello(), ...completedCall(1), ...unaryCall(1)],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR, ErrorCode.STREAM_CLOSED),
      },
      {
        name: "the largest stream identifier 2^31-1 works",
        steps: [hello(), ...completedCall(0x7fffffff)],
        expect: answered(0x7fffffff),
      },
    ]);
  });

  describe("§5.1.2 and §6.5.2 no stream limit configured", () => {
    probeCases(port, [
      {
        name: "SETTINGS_MAX_CONCURRENT_STREAMS is not advertised (unlimited is its initial value), and streams are not refused",
        steps: [
          hello(),
          ...Array.from({ length: 150 }, (_, i) => headers(1 + 2 * i, grpcFields(GRPC_CLIENT_STREAM))),
          sync(),
        ],
        expect: all(accepted(), (r) => {
          const ids = framesOf(r, "SETTINGS")[0]!.settings!.map(([id]) => id);
          assert.ok(!ids.includes(S.MAX_CONCURRENT_STREAMS), `advertised: ${JSON.stringify(ids)}`);
        }),
      },
    ]);
  });

  describe("§5.1.2 stream concurrency", () => {
    let limited: ServerHandle;
    before(async () => {
      limited = await startServer({ server: { engine, maxConcurrentStreams: 2 } });
    });
    after(() => limited.close());
    probeCases(
      () => limited.port,
      [
        {
          name: "SETTINGS_MAX_CONCURRENT_STREAMS is advertised",
          steps: [hello()],
          expect: all(accepted(), (r) => {
            const s = framesOf(r, "SETTINGS")[0]!.settings!;
            assert.deepEqual(
              s.find(([id]) => id === S.MAX_CONCURRENT_STREAMS),
              [S.MAX_CONCURRENT_STREAMS, 2],
            );
          }),
        },
        {
          name: "a stream over the limit: REFUSED_STREAM or PROTOCOL_ERROR, the others go on",
          steps: [
            hello(),
            ...unaryCall(1, { message: "a", delayMs: 300 }),
            ...unaryCall(3, { message: "b", delayMs: 300 }),
            ...unaryCall(5, { message: "c" }),
            waitFor("HEADERS", 1, true),
            waitFor("HEADERS", 3, true),
          ],
          expect: all(streamError(5, ErrorCode.REFUSED_STREAM, ErrorCode.PROTOCOL_ERROR), (r) => {
            assertAnswered(r, 1);
            assertAnswered(r, 3);
            assert.deepEqual(framesOf(r, "HEADERS", 5), []);
          }),
        },
        {
          name: "once a stream ends, a new one is accepted",
          steps: [
            hello(),
            ...unaryCall(1, { message: "a", delayMs: 300 }),
            ...completedCall(3),
            ...completedCall(5),
            waitFor("HEADERS", 1, true),
          ],
          expect: all(answered(1), answered(3), answered(5)),
        },
      ],
    );
  });

  describe("§5.2 and §6.9 flow control", () => {
    probeCases(port, [
      {
        name: "WINDOW_UPDATE of 0 on a stream: a stream error PROTOCOL_ERROR",
        steps: [hello(), ...slowCall(1), windowUpdate(1, 0)],
        expect: streamOrConnectionError(1, ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "WINDOW_UPDATE of 0 on the connection: a connection error PROTOCOL_ERROR",
        steps: [hello(), windowUpdate(0, 0)],
        expect: connectionError(ErrorCode.PROTOCOL_ERROR),
      },
      {
        name: "the connection window over 2^31-1: FLOW_CONTROL_ERROR",
        steps: [hello(), windowUpdate(0, 0x7fffffff)],
        expect: connectionError(ErrorCode.FLOW_CONTROL_ERROR),
      },
      {
        name: "the connection window up to exactly 2^31-1 is fine",
        steps: [hello(), windowUpdate(0, 0x7fffffff - 65535)],
        expect: accepted(),
      },
      {
        name: "a stream window over 2^31-1: a stream error FLOW_CONTROL_ERROR",
        steps: [hello(), ...slowCall(1), windowUpdate(1, 0x7fffffff)],
        expect: streamOrConnectionError(1, ErrorCode.FLOW_CONTROL_ERROR),
      },
      {
        name: "SETTINGS_INITIAL_WINDOW_SIZE that takes an open stream's window over 2^31-1: FLOW_CONTROL_ERROR",
        steps: [
          hello(),
          ...slowCall(1),
          windowUpdate(1, 0x7fffffff - 65535),
          sync(),
          settings([[S.INITIAL_WINDOW_SIZE, 65536]]),
        ],
        expect: connectionError(ErrorCode.FLOW_CONTROL_ERROR),
      },
      {
        name: "SETTINGS_INITIAL_WINDOW_SIZE does not change the connection window: 65535 until WINDOW_UPDATE on stream 0",
        steps: [
          hello([[S.INITIAL_WINDOW_SIZE, 1 << 20]]),
          ...unaryCall(1, { message: "big", payload: new Uint8Array(100000) }),
          waitForData(1, 65535 - 9),
          sync(),
          windowUpdate(0, 1 << 20),
          waitFor("HEADERS", 1, true),
        ],
        expect: all(answered(1), (r) => {
          // the probe checks each DATA frame against the windows; here: the first window was used up
          const ping = r.frames.findIndex(isPingAck);
          const before = r.frames.slice(0, ping).filter((f) => f.type === "DATA");
          assert.equal(
            before.reduce((n, f) => n + f.length, 0),
            65535,
          );
        }),
      },
      {
        name: "SETTINGS_INITIAL_WINDOW_SIZE 0: the server sends no DATA until WINDOW_UPDATE",
        steps: [
          hello([[S.INITIAL_WINDOW_SIZE, 0]]),
          ...unaryCall(1, { message: "held", payload: new Uint8Array(1000) }),
          waitFor("HEADERS", 1),
          sync(),
          windowUpdate(1, 100000),
          waitFor("HEADERS", 1, true),
        ],
        expect: all(answered(1), (r) => {
          // The probe checks every DATA frame against the windows it granted.
          const firstData = r.frames.findIndex((f) => f.type === "DATA");
          const grantSync = r.frames.findIndex(isPingAck);
          assert.ok(firstData > grantSync, "DATA before the window opened");
        }),
      },
      {
        name: "a smaller SETTINGS_INITIAL_WINDOW_SIZE mid-stream makes the window negative, and it is respected",
        steps: [
          hello([[S.INITIAL_WINDOW_SIZE, 20000]]),
          ...unaryCall(1, { message: "negative", payload: new Uint8Array(60000) }),
          waitForData(1, 20000),
          settings([[S.INITIAL_WINDOW_SIZE, 10000]]),
          sync(),
          windowUpdate(1, 15000),
          sync(),
          windowUpdate(1, 100000),
          waitFor("HEADERS", 1, true),
        ],
        expect: all(answered(1), (r) => {
          // 20000, then 5000 once the window is back to +5000 (checked by the probe), then the rest.
          const pings = r.frames.flatMap((f, i) => (isPingAck(f) ? [i] : []));
          const between = r.frames.slice(pings[0], pings[1]).filter((f) => f.type === "DATA");
          assert.equal(
            between.reduce((n, f) => n + f.length, 0),
            5000,
          );
        }),
      },
    ]);
  });

  describe("§5.2 and §6.9 flow control: DATA beyond the windows we advertised", () => {
    // A client-streaming handler that never reads: after 16 queued messages the call stops
    // reading its stream, so what the client sends later is held, never acknowledged, and the
    // windows the server advertised (65535 per stream, 4 MiB for the connection) are all there is.
    // Fixed windows: adaptive ones (the default) would return the 16 messages' octets with the
    // first BDP probe, and the exact edges tested here would move by them.
    let stalled: ServerHandle;
    before(async () => {
      stalled = await startServer({
        server: { engine, flowControlWindow: 65535 },
        setup: (server) =>
          server.add(Echo, {
            ...createEchoService(),
            async clientStream(_requests, ctx) {
              await aborted(ctx.signal);
              return {};
            },
          }),
      });
    });
    after(() => stalled.close());
    /** Opens a stalled stream and sends it `total` octets of DATA: 17 empty messages, then zeros. */
    const fill = (stream: number, total: number): Step[] => [
      headers(stream, grpcFields(GRPC_CLIENT_STREAM)),
      data(stream, "00".repeat(85)),
      zeros(stream, total - 85),
    ];
    const streamsOfConnection = (): Step[] => {
      // 64 streams of 64528 and one of 64512: 4194304 octets, the connection's window exactly.
      const steps: Step[] = [];
      for (let i = 0; i < 64; i++) steps.push(...fill(1 + 2 * i, 64528));
      steps.push(...fill(129, 64512));
      return steps;
    };
    probeCases(
      () => stalled.port,
      [
        {
          name: "a stream's window filled exactly (65535 octets) is fine",
          steps: [hello(), ...fill(1, 65535)],
          expect: all(accepted(), (r) => assert.deepEqual(framesOf(r, "WINDOW_UPDATE", 1), [])),
        },
        {
          name: "one octet beyond a stream's window: FLOW_CONTROL_ERROR",
          steps: [hello(), ...fill(1, 65535), sync(), zeros(1, 1)],
          expect: all(streamOrConnectionError(1, ErrorCode.FLOW_CONTROL_ERROR), (r) =>
            assert.deepEqual(framesOf(r, "WINDOW_UPDATE", 1), []),
          ),
        },
        {
          name: "padding counts: a padded frame beyond a stream's window is FLOW_CONTROL_ERROR",
          steps: [hello(), ...fill(1, 65535 - 100), sync(), zeros(1, 0, { padLength: 100 })],
          expect: streamOrConnectionError(1, ErrorCode.FLOW_CONTROL_ERROR),
        },
        {
          name: "the connection's window filled exactly (4 MiB over 65 streams) is fine",
          steps: [hello(), ...streamsOfConnection()],
          keepData: false,
          expect: all(accepted(), (r) => {
            const raised = framesOf(r, "WINDOW_UPDATE", 0);
            assert.equal(65535 + raised.reduce((n, f) => n + f.increment!, 0), 4 << 20);
          }),
        },
        {
          name: "one octet beyond the connection's window: a connection error FLOW_CONTROL_ERROR",
          steps: [hello(), ...streamsOfConnection(), sync(), zeros(1, 1)],
          keepData: false,
          expect: connectionError(ErrorCode.FLOW_CONTROL_ERROR),
        },
      ],
    );
  });

  describe("§5.4 error handling", () => {
    probeCases(port, [
      {
        name: "after a stream error the connection goes on: a new stream works",
        steps: [hello(), headers(1, [[":method", "POST"]], { endStream: true }), ...completedCall(3)],
        expect: all(streamError(1, ErrorCode.PROTOCOL_ERROR), (r) => assertAnswered(r, 3)),
      },
      {
        name: "GOAWAY for a connection error names the last stream processed",
        steps: [hello(), ...completedCall(1), ...completedCall(3), windowUpdate(0, 0)],
        expect: all(connectionError(ErrorCode.PROTOCOL_ERROR), (r) =>
          assert.equal(r.goaway!.lastStreamId, 3),
        ),
      },
      {
        name: "an unknown error code in RST_STREAM is not special",
        steps: [hello(), ...slowCall(1), rst(1, 0xabcdef), ...completedCall(3)],
        expect: answered(3),
      },
      {
        name: "an unknown error code in GOAWAY from the client is not special: streams in flight complete",
        steps: [hello(), ...unaryCall(1, { message: "x", delayMs: 50 }), ...goawayFromClient(0xabcdef)],
        expect: answered(1),
      },
    ]);
  });
});

function goawayFromClient(code: number) {
  return [raw(T.GOAWAY, 0, 0, `00000000${code.toString(16).padStart(8, "0")}`), waitFor("HEADERS", 1, true)];
}

function completedCallWithHello(stream: number): Step[] {
  return [hello(), ...completedCall(stream)];
}
