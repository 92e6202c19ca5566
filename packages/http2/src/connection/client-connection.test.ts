/**
 * The client connection driven with hand-built frames. The server side is `TestServer` (our frame
 * writers and HPACK), the application `RecordingClientApp`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCode, Http2Error } from "../errors.js";
import { CONNECTION_PREFACE, FrameType, MAX_STREAM_ID } from "../frame/frame-types.js";
import {
  writeData,
  writeFrameHeader,
  writeGoAway,
  writePing,
  writeRstStream,
  writeSettingsAck,
  writeWindowUpdate,
} from "../frame/frame-writer.js";
import { SettingId } from "../frame/settings.js";
import { FieldFlag } from "../hpack/encoder.js";
import { toHex } from "../test-support/hex.js";
import { Random } from "../test-support/random.js";
import { RecordingClientApp } from "../test-support/recording-client-app.js";
import { type ClientFrame, TestServer } from "../test-support/test-server.js";
import {
  ClientConnection,
  type ClientConnectionOptions,
  type ClientStreamHandle,
} from "./client-connection.js";

const REQUEST = [":method", "POST", ":scheme", "http", ":path", "/pkg.Svc/Method", ":authority", "localhost"];
const OK = [":status", "200", "content-type", "application/grpc"];

interface Setup {
  conn: ClientConnection<string>;
  app: RecordingClientApp;
  server: TestServer;
  /** Sends server bytes to the client and returns the frames it answered with. */
  send(...chunks: Uint8Array[]): ClientFrame[];
  /** Frames the client has output since the last read (after application calls). */
  flush(): ClientFrame[];
}

function setup(options: ClientConnectionOptions = {}, serverSettings: number[] = []): Setup {
  const app = new RecordingClientApp();
  const conn = new ClientConnection<string>(app, options);
  const server = new TestServer();
  const flush = () => server.read(conn.takeOutput());
  const send = (...chunks: Uint8Array[]) => {
    for (const c of chunks) conn.receive(c);
    return flush();
  };
  flush();
  assert.deepEqual(send(server.settings(serverSettings)), [{ type: "settings-ack" }]);
  send(server.build((w) => writeSettingsAck(w)));
  assert.deepEqual(app.take(), [["ready"]]);
  return { conn, app, server, send, flush };
}

function goaway(frames: ClientFrame[]): { code: number; lastStreamId: number } | undefined {
  const g = frames.find((f) => f.type === "goaway");
  return g?.type === "goaway" ? { code: g.code, lastStreamId: g.lastStreamId } : undefined;
}

function rst(frames: ClientFrame[], streamId: number): number | undefined {
  const r = frames.find((f) => f.type === "rst" && f.streamId === streamId);
  return r?.type === "rst" ? r.code : undefined;
}

function bytes(n: number, fill = 0x61): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

function dataFrame(t: TestServer, streamId: number, data: Uint8Array, endStream = false): Uint8Array {
  return t.build((w) => writeData(w, streamId, data, endStream));
}

describe("connection preface and SETTINGS", () => {
  test("the client sends the magic octets, SETTINGS with push disabled, then the connection window", () => {
    const conn = new ClientConnection<string>(new RecordingClientApp(), { initialWindowSize: 1 << 20 });
    const out = conn.takeOutput()!;
    assert.deepEqual(out.subarray(0, CONNECTION_PREFACE.length), CONNECTION_PREFACE);
    assert.deepEqual(new TestServer().read(out), [
      {
        type: "settings",
        params: [SettingId.ENABLE_PUSH, 0, SettingId.INITIAL_WINDOW_SIZE, 1 << 20, 6, 16384],
      },
      { type: "window-update", streamId: 0, increment: (4 << 20) - 65535 },
    ]);
    assert.equal(conn.settingsAckPending, true);
  });

  test("ready only once the server's SETTINGS arrive, and they are acknowledged", () => {
    const app = new RecordingClientApp();
    const conn = new ClientConnection<string>(app);
    const server = new TestServer();
    server.read(conn.takeOutput());
    assert.deepEqual(app.take(), []);
    conn.receive(server.settings([SettingId.MAX_CONCURRENT_STREAMS, 7]));
    assert.deepEqual(app.take(), [["ready"]]);
    assert.deepEqual(server.read(conn.takeOutput()), [{ type: "settings-ack" }]);
    assert.equal(conn.maxConcurrentStreams, 7);
    conn.receive(server.build((w) => writeSettingsAck(w)));
    assert.equal(conn.settingsAckPending, false);
  });

  test("a server whose first frame is not SETTINGS fails the connection (PROTOCOL_ERROR)", () => {
    const app = new RecordingClientApp();
    const conn = new ClientConnection<string>(app);
    const server = new TestServer();
    server.read(conn.takeOutput());
    conn.receive(server.build((w) => writePing(w, bytes(8), false)));
    assert.equal(goaway(server.read(conn.takeOutput()))?.code, ErrorCode.PROTOCOL_ERROR);
    assert.equal(app.closedWith?.code, ErrorCode.PROTOCOL_ERROR);
    assert.equal(conn.isClosed, true);
  });

  test("bytes that are not HTTP/2 (an HTTP/1.1 answer) fail the connection, and receive does not throw", () => {
    const app = new RecordingClientApp();
    const conn = new ClientConnection<string>(app);
    conn.takeOutput();
    conn.receive(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"));
    assert.equal(conn.isClosed, true);
    assert.ok(app.closedWith instanceof Http2Error);
  });

  test("SETTINGS not acknowledged in the caller's time: GOAWAY SETTINGS_TIMEOUT", () => {
    const app = new RecordingClientApp();
    const conn = new ClientConnection<string>(app);
    const server = new TestServer();
    server.read(conn.takeOutput());
    conn.receive(server.settings());
    server.read(conn.takeOutput());
    conn.settingsTimedOut();
    assert.equal(goaway(server.read(conn.takeOutput()))?.code, ErrorCode.SETTINGS_TIMEOUT);
    assert.equal(app.closedWith?.code, ErrorCode.SETTINGS_TIMEOUT);
  });

  test("after the acknowledgement the timer has no effect", () => {
    const { conn, flush } = setup();
    conn.settingsTimedOut();
    assert.deepEqual(flush(), []);
    assert.equal(conn.isClosed, false);
  });

  test("a server enabling push is a PROTOCOL_ERROR", () => {
    const app = new RecordingClientApp();
    const conn = new ClientConnection<string>(app);
    const server = new TestServer();
    server.read(conn.takeOutput());
    conn.receive(server.settings([SettingId.ENABLE_PUSH, 1]));
    assert.equal(goaway(server.read(conn.takeOutput()))?.code, ErrorCode.PROTOCOL_ERROR);
  });
});

describe("requests and responses", () => {
  test("a unary call: HEADERS, DATA with END_STREAM, then the response's headers, data and trailers", () => {
    const { conn, app, server, send, flush } = setup();
    const a = conn.request(REQUEST, "a");
    assert.equal(a.id, 1);
    assert.equal(conn.write(a, bytes(5), true), true);
    assert.deepEqual(flush(), [
      { type: "headers", streamId: 1, headers: REQUEST, endStream: false },
      { type: "data", streamId: 1, data: toHex(bytes(5)), endStream: true, length: 5 },
    ]);
    send(
      server.headers(1, OK, false),
      dataFrame(server, 1, bytes(3, 0x62)),
      server.headers(1, ["grpc-status", "0"], true),
    );
    assert.deepEqual(app.take(), [
      ["headers", "a", OK, false],
      ["data", "a", "626262"],
      ["trailers", "a", ["grpc-status", "0"]],
      ["end", "a"],
      ["close", "a", 0],
    ]);
    assert.equal(conn.streamCount, 0);
  });

  test("stream ids are odd and increase in the order streams open", () => {
    const { conn, flush } = setup();
    const ids = [conn.request(REQUEST, "a"), conn.request(REQUEST, "b"), conn.request(REQUEST, "c")].map(
      (s) => s.id,
    );
    assert.deepEqual(ids, [1, 3, 5]);
    assert.deepEqual(
      flush().map((f) => (f.type === "headers" ? f.streamId : -1)),
      [1, 3, 5],
    );
  });

  test("a request with endStream has no body: HEADERS with END_STREAM", () => {
    const { conn, flush } = setup();
    conn.request(REQUEST, "a", true);
    assert.deepEqual(flush(), [{ type: "headers", streamId: 1, headers: REQUEST, endStream: true }]);
  });

  test("end without data sends an empty DATA frame with END_STREAM; with trailers, a HEADERS frame", () => {
    const { conn, flush } = setup();
    const a = conn.request(REQUEST, "a");
    conn.end(a);
    const b = conn.request(REQUEST, "b");
    conn.write(b, bytes(2));
    conn.end(b, ["x-sum", "1"]);
    assert.deepEqual(flush().slice(1), [
      { type: "data", streamId: 1, data: "", endStream: true, length: 0 },
      { type: "headers", streamId: 3, headers: REQUEST, endStream: false },
      { type: "data", streamId: 3, data: "6161", endStream: false, length: 2 },
      { type: "headers", streamId: 3, headers: ["x-sum", "1"], endStream: true },
    ]);
  });

  test("a trailers-only response: one HEADERS with END_STREAM", () => {
    const { conn, app, server, send } = setup();
    const a = conn.request(REQUEST, "a");
    conn.write(a, bytes(1), true);
    send(server.headers(1, [":status", "200", "grpc-status", "12"], true));
    assert.deepEqual(app.take(), [
      ["headers", "a", [":status", "200", "grpc-status", "12"], true],
      ["end", "a"],
      ["close", "a", 0],
    ]);
  });

  test("informational (1xx) responses are skipped", () => {
    const { conn, app, server, send } = setup();
    conn.request(REQUEST, "a", true);
    send(server.headers(1, [":status", "100"], false), server.headers(1, OK, true));
    assert.deepEqual(app.take(), [
      ["headers", "a", OK, true],
      ["end", "a"],
      ["close", "a", 0],
    ]);
  });

  test("the server's answer ends first: the stream stays half-closed until we end, then closes", () => {
    const { conn, app, server, send, flush } = setup();
    const a = conn.request(REQUEST, "a");
    send(server.headers(1, [":status", "200", "grpc-status", "0"], true));
    assert.deepEqual(app.take(), [
      ["headers", "a", [":status", "200", "grpc-status", "0"], true],
      ["end", "a"],
    ]);
    assert.equal(conn.streamCount, 1);
    conn.write(a, bytes(1), true);
    assert.deepEqual(flush(), [{ type: "data", streamId: 1, data: "61", endStream: true, length: 1 }]);
    assert.deepEqual(app.take(), [["close", "a", 0]]);
  });

  test("sensitive fields are sent never-indexed: repeated, they stay literals", () => {
    const { conn, server, flush } = setup();
    const token = "Bearer 0123456789abcdefghijklmnopqrstuvwxyz";
    const fields = [...REQUEST, "x-token", token];
    const flags = [0, 0, 0, 0, FieldFlag.SENSITIVE];
    conn.request(fields, "a", true, flags);
    conn.request(fields, "b", true, flags);
    conn.request([...REQUEST, "x-plain", token], "c", true);
    conn.request([...REQUEST, "x-plain", token], "d", true);
    flush();
    const [, second, , fourth] = server.blocks.map((b) => b.length);
    assert.ok(second! > token.length / 2, `the sensitive field was indexed (block of ${second} octets)`);
    assert.ok(fourth! < 10, `the plain field was not indexed (block of ${fourth} octets)`);
    // 0001xxxx: a literal never indexed (RFC 7541 §6.2.3)
    assert.ok(server.blocks[1]!.some((b) => (b & 0xf0) === 0x10));
  });

  test("a request header list over the server's SETTINGS_MAX_HEADER_LIST_SIZE is never sent", () => {
    const { conn, app, flush } = setup({}, [SettingId.MAX_HEADER_LIST_SIZE, 200]);
    const a = conn.request([...REQUEST, "x-big", "v".repeat(300)], "a", true);
    assert.deepEqual(app.take(), [["close", "a", ErrorCode.ENHANCE_YOUR_CALM]]);
    assert.equal(a.id, 0);
    assert.deepEqual(flush(), []);
    assert.equal(conn.request(REQUEST, "b", true).id, 1);
  });

  test("request headers larger than a frame go out as HEADERS + CONTINUATION", () => {
    const { conn, server, flush } = setup();
    const big = [...REQUEST, "x-big", "v".repeat(20000)];
    conn.request(big, "a", true);
    const frames = flush();
    assert.deepEqual(frames, [{ type: "headers", streamId: 1, headers: big, endStream: true }]);
    assert.equal(server.blocks[0]!.length > 16384, true);
  });
});

describe("response validation (§8.1, §8.3.2): a malformed response is a stream error", () => {
  const cases: [string, string[], boolean][] = [
    ["no :status", ["content-type", "application/grpc"], false],
    ["a request pseudo-header", [":status", "200", ":path", "/"], false],
    ["two :status", [":status", "200", ":status", "200"], false],
    ["a :status that is not three digits", [":status", "20"], false],
    ["a pseudo-header after a regular field", ["x-a", "1", ":status", "200"], false],
    ["an uppercase name", [":status", "200", "X-Upper", "1"], false],
    ["a connection-specific field", [":status", "200", "connection", "keep-alive"], false],
    ["transfer-encoding", [":status", "200", "transfer-encoding", "chunked"], false],
    ["a 1xx response with END_STREAM", [":status", "103"], true],
    ["101 Switching Protocols", [":status", "101"], false],
    ["content-length with END_STREAM and no data", [":status", "200", "content-length", "3"], true],
  ];
  for (const [what, fields, endStream] of cases) {
    test(what, () => {
      const { conn, app, server, send } = setup();
      conn.request(REQUEST, "a", true);
      conn.takeOutput();
      const frames = send(server.headers(1, fields, endStream));
      assert.equal(rst(frames, 1), ErrorCode.PROTOCOL_ERROR);
      assert.deepEqual(app.take(), [["close", "a", ErrorCode.PROTOCOL_ERROR]]);
      assert.equal(conn.isClosed, false);
    });
  }

  test("trailers with a pseudo-header", () => {
    const { conn, app, server, send } = setup();
    conn.request(REQUEST, "a", true);
    send(server.headers(1, OK, false));
    const frames = send(server.headers(1, [":status", "200"], true));
    assert.equal(rst(frames, 1), ErrorCode.PROTOCOL_ERROR);
    assert.deepEqual(app.take(), [
      ["headers", "a", OK, false],
      ["close", "a", ErrorCode.PROTOCOL_ERROR],
    ]);
  });

  test("a second header section without END_STREAM", () => {
    const { conn, app, server, send } = setup();
    conn.request(REQUEST, "a", true);
    send(server.headers(1, OK, false));
    assert.equal(rst(send(server.headers(1, ["x-a", "1"], false)), 1), ErrorCode.PROTOCOL_ERROR);
    assert.deepEqual(app.take().slice(1), [["close", "a", ErrorCode.PROTOCOL_ERROR]]);
  });

  test("DATA before the response's headers", () => {
    const { conn, app, server, send } = setup();
    conn.request(REQUEST, "a", true);
    assert.equal(rst(send(dataFrame(server, 1, bytes(4))), 1), ErrorCode.PROTOCOL_ERROR);
    assert.deepEqual(app.take(), [["close", "a", ErrorCode.PROTOCOL_ERROR]]);
  });

  test("DATA longer than the content-length", () => {
    const { conn, app, server, send } = setup();
    conn.request(REQUEST, "a", true);
    send(server.headers(1, [":status", "200", "content-length", "2"], false));
    assert.equal(rst(send(dataFrame(server, 1, bytes(3))), 1), ErrorCode.PROTOCOL_ERROR);
    assert.deepEqual(app.take().slice(1), [["close", "a", ErrorCode.PROTOCOL_ERROR]]);
  });

  test("a content-length is no promise of a body in the answer to HEAD, or a 204/304", () => {
    const { conn, app, server, send } = setup();
    conn.request([":method", "HEAD", ":scheme", "http", ":path", "/", ":authority", "x"], "a", true);
    send(server.headers(1, [":status", "200", "content-length", "10"], true));
    assert.deepEqual(app.take().at(-1), ["close", "a", 0]);
    conn.request(REQUEST, "b", true);
    send(server.headers(3, [":status", "304", "content-length", "10"], true));
    assert.deepEqual(app.take().at(-1), ["close", "b", 0]);
  });

  test("a response header list over our limit is refused (ENHANCE_YOUR_CALM) and HPACK goes on", () => {
    const { conn, app, server, send } = setup({ maxHeaderListSize: 1000 });
    conn.request(REQUEST, "a", true);
    conn.request(REQUEST, "b", true);
    conn.takeOutput();
    const frames = send(server.headers(1, [":status", "200", "x-big", "v".repeat(2000)], true));
    assert.equal(rst(frames, 1), ErrorCode.ENHANCE_YOUR_CALM);
    send(server.headers(3, OK, true));
    assert.deepEqual(app.take(), [
      ["close", "a", ErrorCode.ENHANCE_YOUR_CALM],
      ["headers", "b", OK, true],
      ["end", "b"],
      ["close", "b", 0],
    ]);
  });
});

describe("stream and connection errors from the server", () => {
  test("RST_STREAM from the server closes the stream with its code", () => {
    const { conn, app, server, send } = setup();
    conn.request(REQUEST, "a");
    send(server.build((w) => writeRstStream(w, 1, ErrorCode.CANCEL)));
    assert.deepEqual(app.take(), [["close", "a", ErrorCode.CANCEL]]);
    assert.equal(conn.streamCount, 0);
  });

  test("reset sends RST_STREAM; what the server had in flight is ignored", () => {
    const { conn, app, server, send, flush } = setup();
    const a = conn.request(REQUEST, "a");
    flush();
    conn.reset(a, ErrorCode.CANCEL);
    assert.deepEqual(flush(), [{ type: "rst", streamId: 1, code: ErrorCode.CANCEL }]);
    assert.deepEqual(app.take(), [["close", "a", ErrorCode.CANCEL]]);
    assert.deepEqual(send(server.headers(1, OK, false), dataFrame(server, 1, bytes(10))), []);
    assert.equal(conn.isClosed, false);
  });

  test("frames on a stream we never opened (idle) end the connection", () => {
    for (const frame of [
      (t: TestServer) => t.headers(1, OK, false),
      (t: TestServer) => t.headers(2, OK, false),
      (t: TestServer) => dataFrame(t, 3, bytes(1)),
      (t: TestServer) => t.build((w) => writeRstStream(w, 5, 0)),
      (t: TestServer) => t.build((w) => writeWindowUpdate(w, 7, 1)),
    ]) {
      const { app, server, send } = setup();
      assert.equal(goaway(send(frame(server)))?.code, ErrorCode.PROTOCOL_ERROR);
      assert.equal(app.closedWith?.code, ErrorCode.PROTOCOL_ERROR);
    }
  });

  test("a connection error closes every stream with its code; GOAWAY says last stream 0", () => {
    const { conn, app, server, send } = setup();
    conn.request(REQUEST, "a");
    conn.request(REQUEST, "b");
    conn.takeOutput();
    const frames = send(
      server.build(
        (w) => writeFrameHeader(w, 3, FrameType.PING, 0, 0),
        (w) => w.u24(0),
      ),
    );
    assert.deepEqual(goaway(frames), { code: ErrorCode.FRAME_SIZE_ERROR, lastStreamId: 0 });
    const events = app.take();
    assert.deepEqual(events.slice(0, 2), [
      ["close", "a", ErrorCode.FRAME_SIZE_ERROR],
      ["close", "b", ErrorCode.FRAME_SIZE_ERROR],
    ]);
    assert.equal(events[2]![0], "connection-close");
    // Nothing more is read, and nothing throws.
    conn.receive(bytes(100));
    assert.equal(conn.takeOutput(), undefined);
  });

  test("a frame larger than our SETTINGS_MAX_FRAME_SIZE is a FRAME_SIZE_ERROR", () => {
    const { conn, server, send } = setup();
    conn.request(REQUEST, "a", true);
    send(server.headers(1, OK, false));
    assert.equal(goaway(send(dataFrame(server, 1, bytes(16385))))?.code, ErrorCode.FRAME_SIZE_ERROR);
  });

  test("the transport's end closes open streams with CANCEL and refuses waiting ones", () => {
    const { conn, app } = setup({}, [SettingId.MAX_CONCURRENT_STREAMS, 1]);
    conn.request(REQUEST, "a");
    conn.request(REQUEST, "b");
    conn.transportClosed();
    assert.deepEqual(app.take(), [
      ["close", "a", ErrorCode.CANCEL],
      ["close", "b", ErrorCode.REFUSED_STREAM],
      ["connection-close", undefined],
    ]);
    assert.equal(conn.acceptsStreams, false);
  });

  test("receive never throws for random input after the handshake", () => {
    const random = new Random(7);
    for (let round = 0; round < 200; round++) {
      const { conn, app, server } = setup();
      conn.request(REQUEST, "a");
      conn.receive(server.headers(1, OK, false));
      for (let i = 0; i < 5 && !conn.isClosed; i++) {
        // a plausible frame header with random type, flags and length, then random payload
        const length = random.int(40);
        const head = server.build((w) =>
          writeFrameHeader(w, length, random.int(12), random.int(256), random.pick([0, 1, 2, 3])),
        );
        conn.receive(head);
        conn.receive(random.bytes(length));
      }
      conn.takeOutput();
      // Closed: by an error of the server's (ours to report), or gracefully after its GOAWAY.
      if (conn.isClosed)
        assert.ok(app.closedWith instanceof Http2Error || app.events.some((e) => e[0] === "goaway"));
    }
  });
});

describe("flow control", () => {
  test("sending stops at the server's stream window and goes on as it opens", () => {
    const { conn, server, send, flush } = setup({}, [SettingId.INITIAL_WINDOW_SIZE, 10]);
    const a = conn.request(REQUEST, "a");
    assert.equal(conn.write(a, bytes(25), true), true);
    assert.deepEqual(
      flush().map((f) => (f.type === "data" ? [f.length, f.endStream] : f.type)),
      ["headers", [10, false]],
    );
    assert.deepEqual(
      send(server.build((w) => writeWindowUpdate(w, 1, 10))).map((f) => f.type === "data" && f.length),
      [10],
    );
    const last = send(server.build((w) => writeWindowUpdate(w, 1, 100)));
    assert.deepEqual(last, [
      { type: "data", streamId: 1, data: toHex(bytes(5)), endStream: true, length: 5 },
    ]);
  });

  test("a SETTINGS_INITIAL_WINDOW_SIZE change moves open streams' windows (§6.9.2)", () => {
    const { conn, server, send, flush } = setup({}, [SettingId.INITIAL_WINDOW_SIZE, 0]);
    const a = conn.request(REQUEST, "a");
    conn.write(a, bytes(30));
    assert.equal(flush().length, 1); // HEADERS only
    const frames = send(server.settings([SettingId.INITIAL_WINDOW_SIZE, 20]));
    assert.deepEqual(
      frames.map((f) => (f.type === "data" ? f.length : f.type)),
      ["settings-ack", 20],
    );
  });

  test("the connection window is shared round-robin between streams, one frame each", () => {
    const { conn, server, send, flush } = setup({}, [SettingId.INITIAL_WINDOW_SIZE, 1 << 20]);
    const a = conn.request(REQUEST, "a");
    const b = conn.request(REQUEST, "b");
    conn.write(a, bytes(200000));
    conn.write(b, bytes(200000));
    const sent = flush().filter((f) => f.type === "data");
    assert.deepEqual(
      sent.map((f) => f.type === "data" && [f.streamId, f.length]),
      [
        [1, 16384],
        [1, 16384],
        [1, 16384],
        [1, 16383],
      ],
    );
    const more = send(server.build((w) => writeWindowUpdate(w, 0, 3 * 16384)));
    assert.deepEqual(
      more.map((f) => f.type === "data" && f.streamId),
      [1, 3, 1],
    );
    const next = send(server.build((w) => writeWindowUpdate(w, 0, 2 * 16384)));
    assert.deepEqual(
      next.map((f) => f.type === "data" && f.streamId),
      [3, 1],
    );
  });

  test("write returns false past the high-water mark; drain comes when the window opens", () => {
    const { conn, app, server, send } = setup({ streamHighWaterMark: 100 }, [
      SettingId.INITIAL_WINDOW_SIZE,
      0,
    ]);
    const a = conn.request(REQUEST, "a");
    assert.equal(conn.write(a, bytes(60)), true);
    assert.equal(conn.write(a, bytes(60)), false);
    send(server.build((w) => writeWindowUpdate(w, 1, 100)));
    assert.deepEqual(app.take(), [["drain", "a"]]);
  });

  test("received data is acknowledged only as the application consumes it", () => {
    // 131070: twice the one stream's window, so the connection window stays as configured.
    const { conn, app, server, send } = setup({ connectionWindowSize: 131070 });
    const a = conn.request(REQUEST, "a", true);
    send(server.headers(1, OK, false));
    const eleven = dataFrame(server, 1, bytes(11000));
    assert.deepEqual(send(eleven, eleven, eleven), []);
    assert.equal(app.take().length, 4);
    // Half of the stream's window used: it is returned; the connection's, not yet half used, waits.
    conn.consume(a, 33000);
    assert.deepEqual(server.read(conn.takeOutput()), [
      { type: "window-update", streamId: 1, increment: 33000 },
    ]);
    assert.deepEqual(send(eleven, eleven, eleven), []);
    app.take();
    conn.consume(a, 33000);
    assert.deepEqual(server.read(conn.takeOutput()), [
      { type: "window-update", streamId: 0, increment: 66000 },
      { type: "window-update", streamId: 1, increment: 33000 },
    ]);
  });

  test("the connection window keeps twice the open streams' windows, raised before each stream's HEADERS", () => {
    const window = 1 << 20;
    const { conn, app, server, send, flush } = setup({ initialWindowSize: window }); // 4 MiB connection
    const opened: ClientFrame[][] = [];
    for (const name of ["a", "b", "c", "d"]) {
      conn.request(REQUEST, name, true);
      opened.push(flush());
    }
    // 2 x 2 MiB fit the 4 MiB; the third and fourth stream each raise it by twice their window.
    assert.deepEqual(
      opened.map((frames) => frames.map((f) => (f.type === "window-update" ? `+${f.increment}` : f.type))),
      [["headers"], ["headers"], [`+${2 * window}`, "headers"], [`+${2 * window}`, "headers"]],
    );
    // The server uses every stream's whole window with no WINDOW_UPDATE from us, and may still send.
    for (const id of [1, 3, 5, 7]) send(server.headers(id, OK, false));
    const chunk = bytes(16384);
    for (let i = 0; i < window / chunk.length; i++) {
      for (const id of [1, 3, 5, 7]) assert.deepEqual(send(dataFrame(server, id, chunk)), []);
    }
    const events = app.take();
    assert.equal(events.filter((e) => e[0] === "data").length, 4 * (window / chunk.length));
    assert.equal(
      events.some((e) => e[0] === "close"),
      false,
    );
  });

  test("data beyond the stream window is a stream error; beyond the connection window, a connection error", () => {
    const s1 = setup({ initialWindowSize: 100 });
    s1.conn.request(REQUEST, "a", true);
    s1.send(s1.server.headers(1, OK, false));
    assert.equal(rst(s1.send(dataFrame(s1.server, 1, bytes(101))), 1), ErrorCode.FLOW_CONTROL_ERROR);
    // The connection window (twice the one stream's: 131070) is reached only with data the
    // application has not consumed on streams that ended: here two, of a full stream window each.
    const s2 = setup({ connectionWindowSize: 131070 });
    for (const id of [1, 3, 5]) {
      s2.conn.request(REQUEST, `s${id}`, true);
      s2.send(s2.server.headers(id, OK, false));
      if (id === 5) break;
      for (const n of [16384, 16384, 16384, 16383]) s2.send(dataFrame(s2.server, id, bytes(n)));
      s2.send(dataFrame(s2.server, id, bytes(0), true));
    }
    assert.equal(goaway(s2.send(dataFrame(s2.server, 5, bytes(1))))?.code, ErrorCode.FLOW_CONTROL_ERROR);
  });

  test("DATA is cut to the server's SETTINGS_MAX_FRAME_SIZE", () => {
    const { conn, flush } = setup({}, [
      SettingId.INITIAL_WINDOW_SIZE,
      1 << 20,
      SettingId.MAX_FRAME_SIZE,
      20000,
    ]);
    const a = conn.request(REQUEST, "a");
    conn.write(a, bytes(50000));
    assert.deepEqual(
      flush()
        .filter((f) => f.type === "data")
        .map((f) => f.type === "data" && f.length),
      [20000, 20000, 10000],
    );
  });
});

describe("SETTINGS_MAX_CONCURRENT_STREAMS", () => {
  test("streams past the limit wait and open in order as others close; never more than the limit", () => {
    const { conn, app, server, send, flush } = setup({}, [SettingId.MAX_CONCURRENT_STREAMS, 2]);
    const handles: ClientStreamHandle[] = [];
    for (const name of ["a", "b", "c", "d", "e"]) {
      const h = conn.request(REQUEST, name);
      conn.write(h, bytes(1), true);
      handles.push(h);
    }
    assert.deepEqual(
      handles.map((h) => h.id),
      [1, 3, 0, 0, 0],
    );
    assert.equal(conn.pendingStreamCount, 3);
    assert.deepEqual(
      flush()
        .filter((f) => f.type === "headers")
        .map((f) => f.type === "headers" && f.streamId),
      [1, 3],
    );
    // c is reset while it waits: it never gets an id
    conn.reset(handles[2]!, ErrorCode.CANCEL);
    assert.deepEqual(app.take(), [["close", "c", ErrorCode.CANCEL]]);
    let frames = send(server.headers(3, [":status", "200", "grpc-status", "0"], true));
    assert.deepEqual(
      frames.map((f) => [f.type, "streamId" in f ? f.streamId : 0]),
      [
        ["headers", 5],
        ["data", 5],
      ],
    );
    assert.equal(handles[3]!.id, 5);
    frames = send(server.headers(1, [":status", "200", "grpc-status", "0"], true));
    assert.equal(handles[4]!.id, 7);
    assert.equal(conn.streamCount, 2);
    assert.equal(conn.pendingStreamCount, 0);
  });

  test("a raised limit opens waiting streams", () => {
    const { conn, server, send } = setup({}, [SettingId.MAX_CONCURRENT_STREAMS, 0]);
    const a = conn.request(REQUEST, "a", true);
    assert.equal(a.id, 0);
    conn.takeOutput();
    const frames = send(server.settings([SettingId.MAX_CONCURRENT_STREAMS, 5]));
    assert.deepEqual(frames, [
      { type: "settings-ack" },
      { type: "headers", streamId: 1, headers: REQUEST, endStream: true },
    ]);
  });
});

describe("GOAWAY, close, PING and stream ids", () => {
  test("the server's GOAWAY: streams above its last id are refused, the rest finish, then the connection closes", () => {
    const { conn, app, server, send } = setup({}, [SettingId.MAX_CONCURRENT_STREAMS, 3]);
    for (const name of ["a", "b", "c", "d"]) conn.request(REQUEST, name, true);
    conn.takeOutput();
    send(server.build((w) => writeGoAway(w, 3, ErrorCode.NO_ERROR)));
    assert.deepEqual(app.take(), [
      ["goaway", 3, 0],
      ["close", "d", ErrorCode.REFUSED_STREAM],
      ["close", "c", ErrorCode.REFUSED_STREAM],
    ]);
    assert.equal(conn.acceptsStreams, false);
    conn.request(REQUEST, "e", true);
    assert.deepEqual(app.take(), [["close", "e", ErrorCode.REFUSED_STREAM]]);
    send(server.headers(1, OK, true), server.headers(3, OK, true));
    assert.deepEqual(app.take().slice(-2), [
      ["close", "b", 0],
      ["connection-close", undefined],
    ]);
    assert.equal(conn.isClosed, true);
  });

  test("a second GOAWAY can only lower the last stream id", () => {
    const { conn, app, server, send } = setup();
    conn.request(REQUEST, "a", true);
    conn.request(REQUEST, "b", true);
    send(server.build((w) => writeGoAway(w, MAX_STREAM_ID, 0)));
    assert.deepEqual(app.take(), [["goaway", MAX_STREAM_ID, 0]]);
    send(server.build((w) => writeGoAway(w, 1, 0)));
    assert.deepEqual(app.take(), [
      ["goaway", 1, 0],
      ["close", "b", ErrorCode.REFUSED_STREAM],
    ]);
    send(server.build((w) => writeGoAway(w, 3, 0)));
    assert.equal(conn.streamCount, 1);
  });

  test("close: GOAWAY, no new streams; running and waiting ones finish, then the connection closes", () => {
    const { conn, app, server, send, flush } = setup({}, [SettingId.MAX_CONCURRENT_STREAMS, 1]);
    conn.request(REQUEST, "a", true);
    conn.request(REQUEST, "b", true);
    flush();
    conn.close();
    assert.deepEqual(flush(), [{ type: "goaway", lastStreamId: 0, code: 0, debug: "" }]);
    assert.equal(conn.acceptsStreams, false);
    send(server.headers(1, OK, true));
    assert.deepEqual(app.take(), [
      ["headers", "a", OK, true],
      ["end", "a"],
      ["close", "a", 0],
    ]);
    send(server.headers(3, OK, true));
    assert.deepEqual(app.take().slice(-2), [
      ["close", "b", 0],
      ["connection-close", undefined],
    ]);
  });

  test("close with nothing running closes at once", () => {
    const { conn, app } = setup();
    conn.close();
    assert.deepEqual(app.take(), [["connection-close", undefined]]);
  });

  test("PING from the server is answered; ours are told when acknowledged", () => {
    const { conn, app, server, send, flush } = setup();
    const payload = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    assert.deepEqual(send(server.build((w) => writePing(w, payload, false))), [
      { type: "ping", payload: toHex(payload), ack: true },
    ]);
    conn.ping(payload);
    assert.deepEqual(flush(), [{ type: "ping", payload: toHex(payload), ack: false }]);
    send(server.build((w) => writePing(w, payload, true)));
    assert.deepEqual(app.take(), [["ping-ack", toHex(payload)]]);
  });

  test("when the stream ids run out the connection takes no new streams", () => {
    const { conn, app } = setup({ firstStreamId: MAX_STREAM_ID - 2 });
    assert.equal(conn.request(REQUEST, "a", true).id, MAX_STREAM_ID - 2);
    assert.equal(conn.acceptsStreams, true);
    assert.equal(conn.request(REQUEST, "b", true).id, MAX_STREAM_ID);
    assert.equal(conn.acceptsStreams, false);
    const c = conn.request(REQUEST, "c", true);
    assert.equal(c.id, 0);
    assert.deepEqual(app.take(), [["close", "c", ErrorCode.REFUSED_STREAM]]);
  });

  test("waiting streams count against the ids left", () => {
    const { conn } = setup({ firstStreamId: MAX_STREAM_ID - 4 }, [SettingId.MAX_CONCURRENT_STREAMS, 1]);
    conn.request(REQUEST, "a", true);
    assert.equal(conn.acceptsStreams, true);
    conn.request(REQUEST, "b", true);
    assert.equal(conn.acceptsStreams, true);
    conn.request(REQUEST, "c", true);
    assert.equal(conn.acceptsStreams, false);
  });

  test("options are checked", () => {
    assert.throws(() => new ClientConnection(new RecordingClientApp(), { firstStreamId: 2 }), RangeError);
    assert.throws(
      () => new ClientConnection(new RecordingClientApp(), { initialWindowSize: -1 }),
      RangeError,
    );
    const { conn, server, send } = setup();
    conn.request(REQUEST, "a", true);
    assert.equal(
      goaway(send(server.settings([SettingId.INITIAL_WINDOW_SIZE, 2 ** 31])))?.code,
      ErrorCode.FLOW_CONTROL_ERROR,
    );
  });
});
