/**
 * The server connection driven with hand-built frames, organised by RFC 9113 section. The
 * client side is `TestClient` (our frame writers and HPACK), the application `RecordingApp`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCode } from "../errors.js";
import { FrameFlag, FrameType } from "../frame/frame-types.js";
import {
  writeContinuation,
  writeData,
  writeFrameHeader,
  writeGoAway,
  writeHeadersFrame,
  writePing,
  writePriority,
  writeRstStream,
  writeSettings,
  writeSettingsAck,
  writeWindowUpdate,
} from "../frame/frame-writer.js";
import { hex, toHex } from "../test-support/hex.js";
import { RecordingApp } from "../test-support/recording-app.js";
import { GET, goaway, rst, setup } from "../test-support/server-setup.js";
import { type ServerFrame, TestClient } from "../test-support/test-client.js";
import { ServerConnection } from "./server-connection.js";

describe("§3.4 connection preface", () => {
  test("the server's preface is a SETTINGS frame, sent before any input, then the connection window", () => {
    const app = new RecordingApp();
    const conn = new ServerConnection<number>(app, { maxConcurrentStreams: 10, initialWindowSize: 100000 });
    const frames = new TestClient().read(conn.takeOutput());
    assert.deepEqual(frames, [
      { type: "settings", params: [3, 10, 4, 100000, 6, 16384] },
      { type: "window-update", streamId: 0, increment: (4 << 20) - 65535 },
    ]);
    assert.equal(conn.settingsAckPending, true);
  });

  test("maxConcurrentStreams Infinity: no SETTINGS_MAX_CONCURRENT_STREAMS (unlimited is the initial value, §6.5.2)", () => {
    const app = new RecordingApp();
    const conn = new ServerConnection<number>(app, { maxConcurrentStreams: Number.POSITIVE_INFINITY });
    const client = new TestClient();
    assert.deepEqual(client.read(conn.takeOutput())[0], { type: "settings", params: [6, 16384] });
    conn.receive(client.preface());
    for (let id = 1; id < 400; id += 2) conn.receive(client.headers(id, GET, false));
    assert.equal(conn.streamCount, 200);
    assert.equal(rst(client.read(conn.takeOutput()), 399), undefined);
  });

  test("the client preface may arrive one octet at a time", () => {
    const app = new RecordingApp();
    const conn = new ServerConnection<number>(app);
    const client = new TestClient();
    client.read(conn.takeOutput());
    const bytes = client.preface();
    for (let i = 0; i < bytes.length; i++) conn.receive(bytes.subarray(i, i + 1));
    assert.deepEqual(client.read(conn.takeOutput()), [{ type: "settings-ack" }]);
  });

  test("an invalid preface is a PROTOCOL_ERROR", () => {
    const app = new RecordingApp();
    const conn = new ServerConnection<number>(app);
    const client = new TestClient();
    client.read(conn.takeOutput());
    conn.receive(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
    assert.equal(goaway(client.read(conn.takeOutput()))?.code, ErrorCode.PROTOCOL_ERROR);
    assert.equal(conn.isClosed, true);
    assert.equal(app.closedWith?.code, ErrorCode.PROTOCOL_ERROR);
  });

  test("a first frame other than SETTINGS is a PROTOCOL_ERROR", () => {
    const app = new RecordingApp();
    const conn = new ServerConnection<number>(app);
    const client = new TestClient();
    client.read(conn.takeOutput());
    const bytes = client.preface().subarray(0, 24);
    conn.receive(bytes);
    conn.receive(client.build((w) => writePing(w, new Uint8Array(8), false)));
    assert.equal(goaway(client.read(conn.takeOutput()))?.code, ErrorCode.PROTOCOL_ERROR);
  });
});

describe("§6.5 SETTINGS", () => {
  test("the client's SETTINGS are acknowledged; ours wait for its ACK, with a timeout the caller runs", () => {
    const app = new RecordingApp();
    const conn = new ServerConnection<number>(app);
    const client = new TestClient();
    client.read(conn.takeOutput());
    conn.receive(client.preface([4, 1000]));
    assert.deepEqual(client.read(conn.takeOutput()), [{ type: "settings-ack" }]);
    assert.equal(conn.settingsAckPending, true);
    conn.settingsTimedOut();
    assert.equal(goaway(client.read(conn.takeOutput()))?.code, ErrorCode.SETTINGS_TIMEOUT);
    assert.equal(conn.isClosed, true);
  });

  test("after the ACK the timeout does nothing; an unexpected ACK is ignored", () => {
    const { conn, send } = setup();
    assert.equal(conn.settingsAckPending, false);
    conn.settingsTimedOut();
    assert.equal(conn.isClosed, false);
    assert.deepEqual(send(new TestClient().build((w) => writeSettingsAck(w))), []);
  });

  test("SETTINGS_HEADER_TABLE_SIZE 0 from the client: our next header block begins with a size update", () => {
    const { conn, client, send, flush } = setup({}, [1, 0]);
    client.decoder.setMaxTableSize(0); // the client expects the update
    send(client.headers(1, GET, true));
    conn.respond(1, [":status", "200", "x-a", "b"], true);
    const frames = flush();
    assert.deepEqual(frames[0], {
      type: "headers",
      streamId: 1,
      headers: [":status", "200", "x-a", "b"],
      endStream: true,
    });
  });

  test("SETTINGS_MAX_FRAME_SIZE from the client sizes our DATA and header frames", () => {
    const { conn, client, send, flush } = setup({}, [5, 20000, 4, 1 << 20]);
    send(client.build((w) => writeWindowUpdate(w, 0, 1 << 20)));
    send(client.headers(1, GET, true));
    const big = new Uint8Array(50000);
    conn.respond(1, [":status", "200", "x-big", "v".repeat(30000)], false);
    conn.write(1, big);
    const frames = flush();
    assert.equal(frames[0]!.type, "headers");
    const sizes = frames.filter((f) => f.type === "data").map((f) => (f.type === "data" ? f.length : 0));
    assert.deepEqual(sizes, [20000, 20000, 10000]);
  });

  test("SETTINGS_INITIAL_WINDOW_SIZE changes move open streams' windows, even below zero", () => {
    const { conn, client, send, flush } = setup({}, [4, 100]);
    send(client.headers(1, GET, true));
    conn.respond(1, [":status", "200"], false);
    conn.write(1, new Uint8Array(150));
    assert.deepEqual(
      flush().map((f) => (f.type === "data" ? f.length : f.type)),
      ["headers", 100],
    );
    const lengths = (frames: ServerFrame[]) => frames.map((f) => (f.type === "data" ? f.length : f.type));
    assert.deepEqual(lengths(send(client.build((w) => writeSettings(w, [4, 50])))), ["settings-ack"]); // 0 → -50
    assert.deepEqual(lengths(send(client.build((w) => writeWindowUpdate(w, 1, 60)))), [10]); // → 10
    assert.deepEqual(lengths(send(client.build((w) => writeSettings(w, [4, 200])))), ["settings-ack", 40]); // → 150
  });

  test("an INITIAL_WINDOW_SIZE that overflows a stream window is a FLOW_CONTROL_ERROR", () => {
    const { client, send } = setup();
    send(client.headers(1, GET, false));
    send(client.build((w) => writeWindowUpdate(w, 1, 0x7fffffff - 65535)));
    const frames = send(client.build((w) => writeSettings(w, [4, 65536])));
    assert.equal(goaway(frames)?.code, ErrorCode.FLOW_CONTROL_ERROR);
  });
});

describe("§5.1 stream states, §8.1 request and response", () => {
  test("a unary exchange: request headers and body, response headers, body and trailers", () => {
    const { conn, app, client, send, flush } = setup();
    send(
      client.headers(1, GET, false),
      client.build((w) => writeData(w, 1, hex("0000000003616263"), true)),
    );
    assert.deepEqual(app.events, [
      ["open", 1, GET, false],
      ["data", 1, "0000000003616263"],
      ["end", 1],
    ]);
    conn.consume(1, 8);
    conn.respond(1, [":status", "200", "content-type", "application/grpc"], false);
    assert.equal(conn.write(1, hex("0000000001ff")), true);
    conn.end(1, ["grpc-status", "0"]);
    assert.deepEqual(flush(), [
      {
        type: "headers",
        streamId: 1,
        headers: [":status", "200", "content-type", "application/grpc"],
        endStream: false,
      },
      { type: "data", streamId: 1, data: "0000000001ff", endStream: false, length: 6 },
      { type: "headers", streamId: 1, headers: ["grpc-status", "0"], endStream: true },
    ]);
    assert.deepEqual(app.events[app.events.length - 1], ["close", 1, 0]);
    assert.equal(conn.streamCount, 0);
  });

  test("a trailers-only response, and an end without trailers (empty DATA with END_STREAM)", () => {
    const { conn, client, send, flush } = setup();
    send(client.headers(1, GET, true), client.headers(3, GET, true));
    conn.respond(1, [":status", "200", "grpc-status", "12"], true);
    conn.respond(3, [":status", "200"], false);
    conn.end(3);
    assert.deepEqual(flush(), [
      { type: "headers", streamId: 1, headers: [":status", "200", "grpc-status", "12"], endStream: true },
      { type: "headers", streamId: 3, headers: [":status", "200"], endStream: false },
      { type: "data", streamId: 3, data: "", endStream: true, length: 0 },
    ]);
  });

  test("request trailers come before the end", () => {
    const { app, client, send } = setup();
    send(client.headers(1, GET, false), client.headers(1, ["x-trailer", "t"], true));
    assert.deepEqual(app.events.slice(1), [
      ["trailers", 1, ["x-trailer", "t"]],
      ["end", 1],
    ]);
  });

  test("a second HEADERS without END_STREAM is malformed: RST_STREAM PROTOCOL_ERROR", () => {
    const { app, client, send } = setup();
    const frames = send(client.headers(1, GET, false), client.headers(1, ["x-trailer", "t"], false));
    assert.equal(rst(frames, 1), ErrorCode.PROTOCOL_ERROR);
    assert.deepEqual(app.events[app.events.length - 1], ["close", 1, ErrorCode.PROTOCOL_ERROR]);
  });

  test("responding before the request ends: the application is done, the stream half-closed (local) until the client ends it", () => {
    const { conn, app, client, send, flush } = setup();
    send(client.headers(1, GET, false));
    conn.respond(1, [":status", "200"], false);
    conn.end(1, ["grpc-status", "0"]);
    const frames = flush();
    assert.deepEqual(
      frames.map((f) => f.type),
      ["headers", "headers"],
    );
    assert.equal(rst(frames, 1), undefined, "no RST_STREAM NO_ERROR: what the client sends is still checked");
    assert.deepEqual(app.events[app.events.length - 1], ["close", 1, 0]);
    assert.equal(conn.streamCount, 1);
    // what the client still sends reaches no one, and its octets go back to the windows at once
    const events = app.events.length;
    const more = send(
      client.build((w) => {
        for (let i = 0; i < 3; i++) writeData(w, 1, new Uint8Array(15000), false);
      }),
    );
    assert.deepEqual(
      more.map((f) => (f.type === "window-update" ? f.streamId : f.type)),
      [1],
    );
    assert.equal(app.events.length, events);
    // its end closes the stream, with nothing more told
    assert.deepEqual(send(client.build((w) => writeData(w, 1, new Uint8Array(10), true))), []);
    assert.equal(app.events.length, events);
    assert.equal(conn.streamCount, 0);
  });

  test("a stream answered before the request ended: errors in what the client still sends are stream errors (§5.1, §6.9, §8.1)", () => {
    const cases: [string, (c: TestClient) => Uint8Array, number][] = [
      [
        "WINDOW_UPDATE of 0",
        (c) =>
          c.build((w) => {
            writeFrameHeader(w, 4, FrameType.WINDOW_UPDATE, 0, 1);
            w.bytes(new Uint8Array(4));
          }),
        ErrorCode.PROTOCOL_ERROR,
      ],
      [
        "a window over 2^31-1",
        (c) => c.build((w) => writeWindowUpdate(w, 1, 0x7fffffff)),
        ErrorCode.FLOW_CONTROL_ERROR,
      ],
      [
        "PRIORITY of 4 octets",
        (c) =>
          c.build((w) => {
            writeFrameHeader(w, 4, FrameType.PRIORITY, 0, 1);
            w.bytes(new Uint8Array(4));
          }),
        ErrorCode.FRAME_SIZE_ERROR,
      ],
      [
        "a second HEADERS without END_STREAM",
        (c) => c.headers(1, ["x-more", "1"], false),
        ErrorCode.PROTOCOL_ERROR,
      ],
      ["a pseudo-header in trailers", (c) => c.headers(1, [":path", "/x"], true), ErrorCode.PROTOCOL_ERROR],
      [
        "DATA beyond the stream window",
        (c) => c.build((w) => writeData(w, 1, new Uint8Array(16384), false)),
        -1,
      ],
    ];
    for (const [what, frame, code] of cases) {
      const { conn, app, client, send, flush } = setup();
      send(client.headers(1, GET, false));
      conn.respond(1, [":status", "200", "grpc-status", "12"], true);
      flush();
      if (code === -1) {
        // 65535 octets fill the window (the client has had no WINDOW_UPDATE for them yet)...
        const fill = client.build((w) => {
          for (let i = 0; i < 3; i++) writeData(w, 1, new Uint8Array(16384), false);
          writeData(w, 1, new Uint8Array(16383), false);
        });
        // ... but they were discarded and returned at once, so the next frame fits
        assert.ok(send(fill).some((f) => f.type === "window-update" && f.streamId === 1));
        assert.equal(rst(send(frame(client)), 1), undefined, what);
        continue;
      }
      const events = app.events.length;
      assert.equal(rst(send(frame(client)), 1), code, what);
      assert.equal(app.events.length, events, `${what}: the application was told again`);
      assert.equal(conn.streamCount, 0);
    }
  });

  test("a stream answered before the request ended: content-length still has to match (§8.1.1)", () => {
    const { conn, client, send, flush } = setup();
    send(client.headers(1, [...GET, "content-length", "100"], false));
    conn.respond(1, [":status", "200", "grpc-status", "12"], true);
    flush();
    assert.equal(
      rst(send(client.build((w) => writeData(w, 1, new Uint8Array(10), true))), 1),
      ErrorCode.PROTOCOL_ERROR,
    );
  });

  test("a stream answered before the request ended, then reset by the client: DATA on it is STREAM_CLOSED (§5.1)", () => {
    const { conn, app, client, send, flush } = setup();
    send(client.headers(1, GET, false));
    conn.respond(1, [":status", "200", "grpc-status", "12"], true);
    flush();
    const events = app.events.length;
    assert.deepEqual(send(client.build((w) => writeRstStream(w, 1, ErrorCode.CANCEL))), []);
    assert.equal(app.events.length, events);
    assert.equal(
      rst(send(client.build((w) => writeData(w, 1, new Uint8Array(10), false))), 1),
      ErrorCode.STREAM_CLOSED,
    );
  });

  test("answering from inside onStreamOpen: the close is told once onStreamOpen has returned", () => {
    for (const endStream of [false, true]) {
      const { conn, app, client, send } = setup();
      app.react = (e) => {
        if (e[0] === "open") conn.respond(e[1], [":status", "200", "grpc-status", "12"], true);
      };
      const frames = send(client.headers(1, GET, endStream));
      assert.deepEqual(app.events, [
        ["open", 1, GET, endStream],
        ["close", 1, 0],
      ]);
      assert.deepEqual(
        frames.map((f) => f.type),
        ["headers"],
      );
      // not ended by the client: the stream waits for its end, which tells the application nothing
      assert.equal(conn.streamCount, endStream ? 0 : 1);
      if (!endStream) send(client.build((w) => writeData(w, 1, new Uint8Array(5), true)));
      assert.equal(app.events.length, 2);
      assert.equal(conn.streamCount, 0);
    }
  });

  test("resetting from inside onStreamOpen", () => {
    const { conn, app, client, send } = setup();
    app.react = (e) => {
      if (e[0] === "open") conn.reset(e[1], ErrorCode.REFUSED_STREAM);
    };
    assert.equal(rst(send(client.headers(1, GET, false)), 1), ErrorCode.REFUSED_STREAM);
    assert.deepEqual(app.events[1], ["close", 1, ErrorCode.REFUSED_STREAM]);
  });

  describe("idle streams (§5.1)", () => {
    for (const [name, frame] of [
      ["DATA", (w: Parameters<typeof writeData>[0]) => writeData(w, 1, hex("00"), false)],
      ["RST_STREAM", (w: Parameters<typeof writeData>[0]) => writeRstStream(w, 1, ErrorCode.CANCEL)],
      ["WINDOW_UPDATE", (w: Parameters<typeof writeData>[0]) => writeWindowUpdate(w, 1, 1)],
    ] as const) {
      test(`${name} on an idle stream: PROTOCOL_ERROR`, () => {
        const { client, send } = setup();
        assert.equal(goaway(send(client.build(frame)))?.code, ErrorCode.PROTOCOL_ERROR);
      });
    }

    test("PRIORITY on an idle stream is fine, and opens nothing", () => {
      const { app, client, send } = setup();
      assert.deepEqual(send(client.build((w) => writePriority(w, 5, 0, false, 16))), []);
      send(client.headers(1, GET, true)); // 1 < 5 is still usable: PRIORITY did not open 5
      assert.equal(app.events[0]![0], "open");
    });
  });

  describe("§5.1.1 stream identifiers", () => {
    test("an even stream id from the client: PROTOCOL_ERROR", () => {
      const { client, send } = setup();
      assert.equal(goaway(send(client.headers(2, GET, true)))?.code, ErrorCode.PROTOCOL_ERROR);
    });

    test("a stream id below one already used: PROTOCOL_ERROR", () => {
      const { client, send } = setup();
      send(client.headers(5, GET, true));
      assert.equal(goaway(send(client.headers(3, GET, true)))?.code, ErrorCode.PROTOCOL_ERROR);
    });
  });

  describe("half-closed (remote) and closed streams", () => {
    test("DATA or HEADERS after the client's END_STREAM: RST_STREAM STREAM_CLOSED", () => {
      const a = setup();
      a.send(a.client.headers(1, GET, true));
      assert.equal(
        rst(a.send(a.client.build((w) => writeData(w, 1, hex("00"), false))), 1),
        ErrorCode.STREAM_CLOSED,
      );
      const b = setup();
      b.send(b.client.headers(1, GET, true));
      assert.equal(rst(b.send(b.client.headers(1, ["x", "y"], true)), 1), ErrorCode.STREAM_CLOSED);
    });

    test("WINDOW_UPDATE and RST_STREAM are fine while half-closed (remote)", () => {
      const { app, client, send } = setup();
      send(client.headers(1, GET, true));
      assert.deepEqual(send(client.build((w) => writeWindowUpdate(w, 1, 10))), []);
      assert.deepEqual(send(client.build((w) => writeRstStream(w, 1, ErrorCode.CANCEL))), []);
      assert.deepEqual(app.events[app.events.length - 1], ["close", 1, ErrorCode.CANCEL]);
    });

    test("DATA or HEADERS on a stream that ended normally: STREAM_CLOSED connection error", () => {
      for (const late of [
        (c: TestClient) => c.build((w) => writeData(w, 1, hex("00"), true)),
        (c: TestClient) => c.headers(1, GET, true),
      ]) {
        const { conn, client, send, flush } = setup();
        send(client.headers(1, GET, true));
        conn.respond(1, [":status", "200"], true);
        flush();
        assert.equal(goaway(send(late(client)))?.code, ErrorCode.STREAM_CLOSED);
      }
    });

    test("WINDOW_UPDATE and RST_STREAM on a stream that ended normally are ignored", () => {
      const { conn, client, send, flush } = setup();
      send(client.headers(1, GET, true));
      conn.respond(1, [":status", "200"], true);
      flush();
      assert.deepEqual(send(client.build((w) => writeWindowUpdate(w, 1, 1))), []);
      assert.deepEqual(send(client.build((w) => writeRstStream(w, 1, 0))), []);
      assert.equal(conn.isClosed, false);
    });

    test("frames after the client's RST_STREAM: STREAM_CLOSED stream error (once), PRIORITY fine", () => {
      const { client, send } = setup();
      send(
        client.headers(1, GET, false),
        client.build((w) => writeRstStream(w, 1, ErrorCode.CANCEL)),
      );
      assert.deepEqual(send(client.build((w) => writePriority(w, 1, 0, false, 1))), []);
      assert.equal(
        rst(send(client.build((w) => writeData(w, 1, hex("00"), false))), 1),
        ErrorCode.STREAM_CLOSED,
      );
      assert.deepEqual(send(client.build((w) => writeData(w, 1, hex("00"), false))), []);
    });

    test("frames in flight on a stream we reset are ignored; HEADERS still go through HPACK", () => {
      const { conn, app, client, send, flush } = setup();
      send(client.headers(1, GET, false));
      conn.reset(1, ErrorCode.CANCEL);
      assert.deepEqual(flush(), [{ type: "rst", streamId: 1, code: ErrorCode.CANCEL }]);
      assert.deepEqual(app.events[app.events.length - 1], ["close", 1, ErrorCode.CANCEL]);
      const trailers = client.headers(1, ["x-new-literal", "v"], true); // inserted in the client's table
      assert.deepEqual(
        send(
          client.build((w) => writeData(w, 1, hex("00"), false)),
          trailers,
        ),
        [],
      );
      // the next request refers to that entry: our decoder saw it
      send(client.headers(3, [...GET, "x-new-literal", "v"], true));
      assert.deepEqual(app.events[app.events.length - 2], ["open", 3, [...GET, "x-new-literal", "v"], true]);
    });
  });

  test("a stream depending on itself is reset, and its header block still decoded", () => {
    const { app, client, send } = setup();
    const block = client.block([...GET, "x-only-here", "1"]);
    const frames = send(
      client.build((w) =>
        writeHeadersFrame(w, 1, block, {
          endStream: true,
          priority: { dependency: 1, exclusive: false, weight: 1 },
        }),
      ),
    );
    assert.equal(rst(frames, 1), ErrorCode.PROTOCOL_ERROR);
    assert.deepEqual(app.events, []);
    send(client.headers(3, [...GET, "x-only-here", "1"], true));
    assert.deepEqual(app.events[0], ["open", 3, [...GET, "x-only-here", "1"], true]);
  });

  test("HEADERS + CONTINUATION make one request", () => {
    const { app, client, send } = setup();
    const block = client.block(GET);
    send(
      client.build(
        (w) => writeHeadersFrame(w, 1, block.subarray(0, 3), { endHeaders: false, endStream: true }),
        (w) => writeContinuation(w, 1, block.subarray(3, 6), false),
        (w) => writeContinuation(w, 1, block.subarray(6), true),
      ),
    );
    assert.deepEqual(app.events, [
      ["open", 1, GET, true],
      ["end", 1],
    ]);
  });
});

describe("§8.2, §8.3 header validation through the connection", () => {
  const malformed: [string, string[]][] = [
    ["uppercase name", [...GET, "X-Upper", "1"]],
    ["connection-specific field", [...GET, "connection", "keep-alive"]],
    ["te other than trailers", [...GET, "te", "gzip"]],
    ["missing :path", [":method", "GET", ":scheme", "http"]],
    ["pseudo-header after a regular field", [":method", "GET", "x", "1", ":scheme", "http", ":path", "/"]],
    ["response pseudo-header in a request", [...GET, ":status", "200"]],
    ["duplicate :method", [...GET, ":method", "GET"]],
  ];
  for (const [what, fields] of malformed) {
    test(`${what}: RST_STREAM PROTOCOL_ERROR, never shown to the application`, () => {
      const { app, client, send } = setup();
      assert.equal(rst(send(client.headers(1, fields, true)), 1), ErrorCode.PROTOCOL_ERROR);
      assert.deepEqual(app.events, []);
    });
  }

  test("te: trailers is fine", () => {
    const { app, client, send } = setup();
    send(client.headers(1, [...GET, "te", "trailers"], true));
    assert.equal(app.events[0]![0], "open");
  });

  test("content-length must match the DATA received", () => {
    const a = setup();
    a.send(a.client.headers(1, [...GET, "content-length", "3"], false));
    assert.equal(
      rst(a.send(a.client.build((w) => writeData(w, 1, hex("0102"), true))), 1),
      ErrorCode.PROTOCOL_ERROR,
    );
    const b = setup();
    b.send(b.client.headers(1, [...GET, "content-length", "1"], false));
    assert.equal(
      rst(b.send(b.client.build((w) => writeData(w, 1, hex("0102"), false))), 1),
      ErrorCode.PROTOCOL_ERROR,
    );
    const c = setup();
    c.send(
      c.client.headers(1, [...GET, "content-length", "2"], false),
      c.client.build((w) => writeData(w, 1, hex("0102"), true)),
    );
    assert.deepEqual(c.app.events.slice(1), [
      ["data", 1, "0102"],
      ["end", 1],
    ]);
    const d = setup();
    assert.equal(
      rst(d.send(d.client.headers(1, [...GET, "content-length", "2"], true)), 1),
      ErrorCode.PROTOCOL_ERROR,
    );
  });

  test("a client repeating its header block: checked once, its content-length still applied", () => {
    const { app, client, send } = setup();
    const fields = [...GET, "content-length", "2"];
    for (let id = 1; id <= 7; id += 2) {
      send(
        client.headers(id, fields, false),
        client.build((w) => writeData(w, id, hex("0102"), true)),
      );
    }
    assert.equal(app.events.filter((e) => e[0] === "end").length, 4);
    const short = send(
      client.headers(9, fields, false),
      client.build((w) => writeData(w, 9, hex("01"), true)),
    );
    assert.equal(rst(short, 9), ErrorCode.PROTOCOL_ERROR);
    assert.equal(rst(send(client.headers(11, fields, true)), 11), ErrorCode.PROTOCOL_ERROR);
    send(
      client.headers(13, fields, false),
      client.build((w) => writeData(w, 13, hex("0102"), true)),
    );
    assert.deepEqual(app.events.slice(-3), [
      ["open", 13, fields, false],
      ["data", 13, "0102"],
      ["end", 13],
    ]);
  });

  test("a malformed header block repeated is refused every time", () => {
    const { app, client, send } = setup();
    for (let id = 1; id <= 9; id += 2) {
      assert.equal(rst(send(client.headers(id, [...GET, "te", "gzip"], true)), id), ErrorCode.PROTOCOL_ERROR);
    }
    assert.deepEqual(app.events, []);
  });

  test("a header list over SETTINGS_MAX_HEADER_LIST_SIZE is answered 431", () => {
    const { app, client, send } = setup({ maxHeaderListSize: 1000 });
    const frames = send(client.headers(1, [...GET, "x-big", "v".repeat(1000)], false));
    assert.deepEqual(frames, [
      { type: "headers", streamId: 1, headers: [":status", "431"], endStream: true },
      { type: "rst", streamId: 1, code: ErrorCode.NO_ERROR },
    ]);
    assert.deepEqual(app.events, []);
    // the connection goes on, HPACK in step
    send(client.headers(3, GET, true));
    assert.deepEqual(app.events[0], ["open", 3, GET, true]);
  });
});

describe("SETTINGS_MAX_HEADER_LIST_SIZE both ways", () => {
  test("one long value is a 431 like any list over the limit, not a connection error", () => {
    const { conn, app, client, send } = setup({ maxHeaderListSize: 1000 });
    const frames = send(client.headers(1, [...GET, "x-big", "v".repeat(5000)], true));
    assert.deepEqual(frames, [
      { type: "headers", streamId: 1, headers: [":status", "431"], endStream: true },
    ]);
    assert.equal(conn.isClosed, false);
    assert.deepEqual(app.events, []);
  });

  test("the response to a list over the limit can be configured (a gRPC status, say)", () => {
    const grpc = [":status", "200", "content-type", "application/grpc", "grpc-status", "8"];
    const { client, send } = setup({ maxHeaderListSize: 1000, headerListTooLargeResponse: grpc });
    const frames = send(client.headers(1, [...GET, "x-big", "v".repeat(2000)], true));
    assert.deepEqual(frames, [{ type: "headers", streamId: 1, headers: grpc, endStream: true }]);
  });

  test("headers or trailers over the client's limit are not sent: the stream is reset (INTERNAL_ERROR)", () => {
    const { conn, app, client, send, flush } = setup({}, [6, 200]);
    send(client.headers(1, GET, true), client.headers(3, GET, true));
    conn.respond(1, [":status", "200", "x-big", "v".repeat(200)], false);
    assert.deepEqual(flush(), [{ type: "rst", streamId: 1, code: ErrorCode.INTERNAL_ERROR }]);
    assert.deepEqual(app.events[app.events.length - 1], ["close", 1, ErrorCode.INTERNAL_ERROR]);
    conn.respond(3, [":status", "200"], false);
    conn.end(3, ["grpc-status", "0", "x-big", "v".repeat(200)]);
    const frames = flush();
    assert.equal(frames[0]!.type, "headers");
    assert.deepEqual(frames[1], { type: "rst", streamId: 3, code: ErrorCode.INTERNAL_ERROR });
  });
});

test("our own sending limit (maxSendHeaderListSize) applies when the client sets none", () => {
  const { conn, client, send, flush } = setup({ maxSendHeaderListSize: 1000 });
  send(client.headers(1, GET, true));
  conn.respond(1, [":status", "200", "x-big", "v".repeat(1000)], false);
  assert.deepEqual(flush(), [{ type: "rst", streamId: 1, code: ErrorCode.INTERNAL_ERROR }]);
});

describe("§5.1.2 MAX_CONCURRENT_STREAMS", () => {
  test("streams past the limit are refused (REFUSED_STREAM, retryable); a slot frees on close", () => {
    const { conn, app, client, send, flush } = setup({ maxConcurrentStreams: 2 });
    const frames = send(
      client.headers(1, GET, false),
      client.headers(3, GET, false),
      client.headers(5, GET, false),
    );
    assert.equal(rst(frames, 5), ErrorCode.REFUSED_STREAM);
    assert.equal(conn.streamCount, 2);
    conn.reset(1, ErrorCode.CANCEL);
    flush();
    send(client.headers(7, GET, true));
    assert.deepEqual(
      app.events.filter((e) => e[0] === "open").map((e) => e[1]),
      [1, 3, 7],
    );
  });
});

describe("§5.2, §6.9 flow control", () => {
  test("sending stops at the stream window and resumes with WINDOW_UPDATE", () => {
    const { conn, client, send, flush } = setup({}, [4, 10]);
    send(client.headers(1, GET, true));
    conn.respond(1, [":status", "200"], false);
    conn.write(1, new Uint8Array(25).fill(1));
    conn.end(1, ["grpc-status", "0"]);
    assert.deepEqual(
      flush().map((f) => (f.type === "data" ? f.length : f.type)),
      ["headers", 10],
    );
    assert.deepEqual(
      send(client.build((w) => writeWindowUpdate(w, 1, 5))).map((f) =>
        f.type === "data" ? f.length : f.type,
      ),
      [5],
    );
    const rest = send(client.build((w) => writeWindowUpdate(w, 1, 100)));
    assert.deepEqual(
      rest.map((f) => (f.type === "data" ? f.length : f.type)),
      [10, "headers"],
    );
  });

  test("the connection window is shared round-robin between blocked streams", () => {
    const { conn, client, send, flush } = setup({}, [4, 1 << 20, 5, 16384]);
    for (const id of [1, 3, 5]) send(client.headers(id, GET, true));
    for (const id of [1, 3, 5]) {
      conn.respond(id, [":status", "200"], false);
      conn.write(id, new Uint8Array(40000));
    }
    // 65535 of connection window: 16384 to 1, then 3, then 5, then 16383 to 1
    const first = flush().filter((f) => f.type === "data");
    assert.deepEqual(
      first.map((f) => (f.type === "data" ? [f.streamId, f.length] : [])),
      [
        [1, 16384],
        [1, 16384],
        [1, 7232],
        [3, 16384],
        [3, 9151],
      ],
    );
    // the window opens by 3 frames' worth: 3 finishes, then 5 has the rest
    const next = send(client.build((w) => writeWindowUpdate(w, 0, 3 * 16384)));
    assert.deepEqual(
      next.map((f) => (f.type === "data" ? [f.streamId, f.length] : [])),
      [
        [3, 14465],
        [5, 16384],
        [5, 16384],
        [5, 1919],
      ],
    );
  });

  test("round-robin: a stream not reached when the window ran out goes first next time", () => {
    const { conn, client, send, flush } = setup({}, [4, 1 << 20]);
    for (const id of [1, 3, 5]) send(client.headers(id, GET, true));
    conn.respond(1, [":status", "200"], false);
    conn.write(1, new Uint8Array(65535)); // takes the whole connection window
    for (const id of [3, 5]) {
      conn.respond(id, [":status", "200"], false);
      conn.write(id, new Uint8Array(1000));
    }
    flush();
    const order: number[] = [];
    for (let i = 0; i < 6; i++) {
      for (const f of send(client.build((w) => writeWindowUpdate(w, 0, 100)))) {
        if (f.type === "data") order.push(f.streamId);
      }
    }
    assert.deepEqual(order, [3, 5, 3, 5, 3, 5]);
  });

  test("write returns false past the high-water mark, and drain follows when the queue shrinks", () => {
    const { conn, app, client, send } = setup({ streamHighWaterMark: 1000 }, [4, 100]);
    send(client.headers(1, GET, true));
    conn.respond(1, [":status", "200"], false);
    assert.equal(conn.write(1, new Uint8Array(600)), true); // 100 sent, 500 queued
    assert.equal(conn.write(1, new Uint8Array(600)), false); // 1100 queued
    send(client.build((w) => writeWindowUpdate(w, 1, 200)));
    assert.equal(
      app.events.some((e) => e[0] === "drain"),
      true,
    );
  });

  test("the application can write from inside the drain callback", () => {
    const { conn, app, client, send } = setup({ streamHighWaterMark: 100 }, [4, 50]);
    send(client.headers(1, GET, true));
    conn.respond(1, [":status", "200"], false);
    conn.write(1, new Uint8Array(200));
    let writes = 0;
    app.react = (e) => {
      if (e[0] === "drain" && writes < 3) {
        writes++;
        conn.write(1, new Uint8Array(200));
      }
    };
    for (let i = 0; i < 10; i++) send(client.build((w) => writeWindowUpdate(w, 1, 200)));
    assert.equal(writes, 3);
  });

  test("DATA beyond the stream window: RST_STREAM FLOW_CONTROL_ERROR", () => {
    const { client, send } = setup({ initialWindowSize: 65535 });
    send(client.headers(1, GET, false));
    const frames = send(
      client.build((w) => writeData(w, 1, new Uint8Array(16384), false)),
      client.build(
        (w) => writeData(w, 1, new Uint8Array(16384), false),
        (w) => writeData(w, 1, new Uint8Array(16384), false),
        (w) => writeData(w, 1, new Uint8Array(16384), false),
      ),
    );
    assert.equal(rst(frames, 1), ErrorCode.FLOW_CONTROL_ERROR);
  });

  test("DATA beyond the connection window: FLOW_CONTROL_ERROR on the connection", () => {
    const { client, send } = setup({ connectionWindowSize: 65535, initialWindowSize: 1 << 20 });
    const chunks = [client.headers(1, GET, false)];
    for (let i = 0; i < 5; i++)
      chunks.push(client.build((w) => writeData(w, 1, new Uint8Array(16000), false)));
    assert.equal(goaway(send(...chunks))?.code, ErrorCode.FLOW_CONTROL_ERROR);
  });

  test("the peer's windows were those of the protocol until it acknowledged ours", () => {
    // before our SETTINGS are acknowledged the client may only assume 65535 per stream
    const app = new RecordingApp();
    const conn = new ServerConnection<number>(app, { initialWindowSize: 1 << 20 });
    const client = new TestClient();
    client.read(conn.takeOutput());
    conn.receive(client.preface());
    conn.receive(client.headers(1, GET, false));
    for (let i = 0; i < 4; i++)
      conn.receive(client.build((w) => writeData(w, 1, new Uint8Array(16384), false)));
    assert.equal(rst(client.read(conn.takeOutput()), 1), ErrorCode.FLOW_CONTROL_ERROR);
    // after the ACK, a stream has the whole window
    const { client: c2, send } = setup({ initialWindowSize: 1 << 20 });
    send(c2.headers(1, GET, false));
    const frames: ServerFrame[] = [];
    for (let i = 0; i < 10; i++)
      frames.push(...send(c2.build((w) => writeData(w, 1, new Uint8Array(16384), false))));
    assert.equal(rst(frames, 1), undefined);
  });

  test("consumed data is returned with WINDOW_UPDATE once half a window is used, not per frame", () => {
    const { conn, client, send, flush } = setup({ initialWindowSize: 65536, connectionWindowSize: 1 << 20 });
    send(client.headers(1, GET, false));
    send(client.build((w) => writeData(w, 1, new Uint8Array(16384), false)));
    conn.consume(1, 16384);
    assert.deepEqual(flush(), []);
    send(client.build((w) => writeData(w, 1, new Uint8Array(16384), false)));
    conn.consume(1, 16384);
    assert.deepEqual(flush(), [{ type: "window-update", streamId: 1, increment: 32768 }]);
    // unconsumed data holds the client back: no update
    send(client.build((w) => writeData(w, 1, new Uint8Array(16384), false)));
    assert.deepEqual(flush(), []);
  });

  test("padding is returned to the windows without the application", () => {
    const { conn, client, send, flush } = setup({ initialWindowSize: 1000, connectionWindowSize: 65535 });
    send(client.headers(1, GET, false));
    assert.deepEqual(send(client.build((w) => writeData(w, 1, hex("aa"), false, 255))), []);
    assert.deepEqual(send(client.build((w) => writeData(w, 1, hex("aa"), false, 255))), [
      { type: "window-update", streamId: 1, increment: 512 },
    ]);
    conn.consume(1, 2);
    assert.deepEqual(flush(), []);
  });

  test("WINDOW_UPDATE past 2^31 - 1: a stream error on a stream, a connection error on the connection", () => {
    const a = setup();
    a.send(a.client.headers(1, GET, false));
    assert.equal(
      rst(a.send(a.client.build((w) => writeWindowUpdate(w, 1, 0x7fffffff))), 1),
      ErrorCode.FLOW_CONTROL_ERROR,
    );
    const b = setup();
    assert.equal(
      goaway(b.send(b.client.build((w) => writeWindowUpdate(w, 0, 0x7fffffff))))?.code,
      ErrorCode.FLOW_CONTROL_ERROR,
    );
  });

  test("a zero increment: a stream error on a stream (parser), a connection error on the connection", () => {
    const a = setup();
    a.send(a.client.headers(1, GET, false));
    const zero = a.client.build((w) => {
      writeFrameHeader(w, 4, FrameType.WINDOW_UPDATE, 0, 1);
      w.u32(0);
    });
    assert.equal(rst(a.send(zero), 1), ErrorCode.PROTOCOL_ERROR);
  });
});

describe("§6.7 PING, §6.8 GOAWAY", () => {
  test("a PING is answered with its payload; an ACK is not answered", () => {
    const { client, send } = setup();
    assert.deepEqual(send(client.build((w) => writePing(w, hex("0102030405060708"), false))), [
      { type: "ping", payload: "0102030405060708", ack: true },
    ]);
    assert.deepEqual(send(client.build((w) => writePing(w, hex("0102030405060708"), true))), []);
  });

  test("graceful shutdown: GOAWAY 2^31-1 and PING, then on its ACK GOAWAY with the last stream; drains, then closes", () => {
    const { conn, app, client, send, flush } = setup();
    send(client.headers(1, GET, true));
    conn.shutdown();
    const first = flush();
    assert.deepEqual(first[0], { type: "goaway", lastStreamId: 0x7fffffff, code: 0, debug: "" });
    assert.equal(first[1]!.type, "ping");
    assert.equal(conn.isGoingAway, true);
    // a request already in flight is still served
    send(client.headers(3, GET, true));
    const ping = first[1]!;
    const ack = send(client.build((w) => writePing(w, hex(ping.type === "ping" ? ping.payload : ""), true)));
    assert.deepEqual(ack, [{ type: "goaway", lastStreamId: 3, code: 0, debug: "" }]);
    // streams after the last one are ignored
    send(client.headers(5, GET, true));
    assert.deepEqual(
      app.events.filter((e) => e[0] === "open").map((e) => e[1]),
      [1, 3],
    );
    conn.respond(1, [":status", "200"], true);
    assert.equal(conn.isClosed, false);
    conn.respond(3, [":status", "200"], true);
    assert.equal(conn.isClosed, true);
    assert.deepEqual(app.events[app.events.length - 1], ["connection-close", undefined]);
  });

  test("finishShutdown sends the final GOAWAY without waiting for the PING; no streams: closed at once", () => {
    const { conn, app, flush } = setup();
    conn.shutdown();
    flush();
    conn.finishShutdown();
    assert.deepEqual(flush(), [{ type: "goaway", lastStreamId: 0, code: 0, debug: "" }]);
    assert.equal(conn.isClosed, true);
    assert.equal(app.closedWith, undefined);
  });

  test("the client's GOAWAY is reported, and its streams go on", () => {
    const { conn, app, client, send } = setup();
    send(
      client.headers(1, GET, true),
      client.build((w) => writeGoAway(w, 0, ErrorCode.NO_ERROR)),
    );
    assert.deepEqual(app.events[app.events.length - 1], ["goaway", 0, 0]);
    conn.respond(1, [":status", "200"], true);
    assert.deepEqual(app.events[app.events.length - 1], ["close", 1, 0]);
  });

  test("terminate: GOAWAY with the code, every stream closed with it", () => {
    const { conn, app, client, send, flush } = setup();
    send(client.headers(1, GET, false), client.headers(3, GET, false));
    conn.terminate(ErrorCode.ENHANCE_YOUR_CALM, "too much");
    assert.deepEqual(flush(), [
      {
        type: "goaway",
        lastStreamId: 3,
        code: ErrorCode.ENHANCE_YOUR_CALM,
        debug: "ENHANCE_YOUR_CALM: too much",
      },
    ]);
    assert.deepEqual(
      app.events.filter((e) => e[0] === "close"),
      [
        ["close", 1, ErrorCode.ENHANCE_YOUR_CALM],
        ["close", 3, ErrorCode.ENHANCE_YOUR_CALM],
      ],
    );
    assert.equal(conn.isClosed, true);
    // nothing more is read or written
    conn.receive(client.headers(5, GET, true));
    conn.respond(1, [":status", "200"], true);
    assert.equal(conn.takeOutput(), undefined);
  });

  test("the transport closing ends every stream with CANCEL", () => {
    const { conn, app, client, send } = setup();
    send(client.headers(1, GET, false));
    conn.transportClosed();
    assert.deepEqual(app.events.slice(-2), [
      ["close", 1, ErrorCode.CANCEL],
      ["connection-close", undefined],
    ]);
  });
});

describe("protections", () => {
  test("rapid reset (CVE-2023-44487): streams opened and reset unanswered spend a budget, then GOAWAY ENHANCE_YOUR_CALM", () => {
    const { conn, app, client, send } = setup({ resetBudget: 100, maxConcurrentStreams: 1000 });
    let frames: ServerFrame[] = [];
    for (let i = 0; i < 101 && !conn.isClosed; i++) {
      const id = 1 + 2 * i;
      frames = send(
        client.headers(id, GET, false),
        client.build((w) => writeRstStream(w, id, ErrorCode.CANCEL)),
      );
    }
    assert.deepEqual(goaway(frames), { code: ErrorCode.ENHANCE_YOUR_CALM, lastStreamId: 201 });
    assert.equal(app.events.filter((e) => e[0] === "open").length, 101);
  });

  test("a client that cancels now and then, between calls that complete, is never cut off", () => {
    const { conn, client, send } = setup({ resetBudget: 10 });
    for (let i = 0; i < 200; i++) {
      const id = 1 + 2 * i;
      if (i % 2 === 0) {
        send(
          client.headers(id, GET, false),
          client.build((w) => writeRstStream(w, id, ErrorCode.CANCEL)),
        );
      } else {
        send(client.headers(id, GET, true));
        conn.respond(id, [":status", "200"], true);
      }
    }
    assert.equal(conn.isClosed, false);
  });

  test("a reset after the response started does not count", () => {
    const { conn, client, send, flush } = setup({ resetBudget: 5 });
    for (let i = 0; i < 20; i++) {
      const id = 1 + 2 * i;
      send(client.headers(id, GET, false));
      conn.respond(id, [":status", "200"], false);
      flush();
      send(client.build((w) => writeRstStream(w, id, ErrorCode.CANCEL)));
    }
    assert.equal(conn.isClosed, false);
  });
});

describe("connection errors from below", () => {
  test("a bad header block: GOAWAY COMPRESSION_ERROR", () => {
    const { client, send } = setup();
    const frames = send(
      client.build((w) => writeHeadersFrame(w, 1, hex("ff ffffffff0f"), { endStream: true })),
    );
    assert.equal(goaway(frames)?.code, ErrorCode.COMPRESSION_ERROR);
  });

  test("a frame error: GOAWAY with the parser's code and the last stream id", () => {
    const { client, send } = setup();
    send(client.headers(1, GET, false));
    const frames = send(
      client.build(
        (w) => writeFrameHeader(w, 4, FrameType.PING, 0, 0),
        (w) => w.u32(0),
      ),
    );
    assert.deepEqual(goaway(frames), { code: ErrorCode.FRAME_SIZE_ERROR, lastStreamId: 1 });
  });

  test("PUSH_PROMISE from a client: PROTOCOL_ERROR", () => {
    const { client, send } = setup();
    const frames = send(
      client.build(
        (w) => writeFrameHeader(w, 5, FrameType.PUSH_PROMISE, FrameFlag.END_HEADERS, 1),
        (w) => w.u32(2),
        (w) => w.u8(0x82),
      ),
    );
    assert.equal(goaway(frames)?.code, ErrorCode.PROTOCOL_ERROR);
  });
});

describe("batching", () => {
  test("many requests in one chunk, answered from the callbacks, come out as one buffer", () => {
    const { conn, app, client } = setup();
    app.react = (e) => {
      if (e[0] === "end") {
        conn.respond(e[1], [":status", "200", "content-type", "application/grpc"], false);
        conn.write(e[1], hex("0000000000"));
        conn.end(e[1], ["grpc-status", "0"]);
      }
    };
    const parts: Uint8Array[] = [];
    for (let id = 1; id <= 99; id += 2) {
      parts.push(
        client.headers(id, GET, false),
        client.build((w) => writeData(w, id, hex("0000000000"), true)),
      );
    }
    const total = parts.reduce((n, p) => n + p.length, 0);
    const input = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      input.set(p, at);
      at += p.length;
    }
    conn.receive(input);
    const out = conn.takeOutput();
    assert.ok(out !== undefined);
    assert.equal(conn.takeOutput(), undefined);
    const frames = client.read(out);
    assert.equal(frames.filter((f) => f.type === "headers" && f.endStream).length, 50);
    assert.equal(conn.streamCount, 0);
    assert.equal(toHex(out).length > 0, true);
  });
});
