/**
 * Our client connection talking to our server connection, entirely in memory: each side's output
 * is handed to the other until neither has anything left to say.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCode, type Http2Error } from "../errors.js";
import { toHex } from "../test-support/hex.js";
import { RecordingClientApp } from "../test-support/recording-client-app.js";
import {
  ClientConnection,
  type ClientConnectionOptions,
  type ClientStreamHandle,
} from "./client-connection.js";
import {
  ServerConnection,
  type ServerConnectionListener,
  type ServerConnectionOptions,
} from "./server-connection.js";

const REQUEST = [":method", "POST", ":scheme", "http", ":path", "/pkg.Svc/Echo", ":authority", "localhost"];
const OK = [":status", "200", "content-type", "application/grpc"];
const STATUS_OK = ["grpc-status", "0"];

/** A server application that echoes each request body once the request ends. */
class EchoServer implements ServerConnectionListener<number> {
  conn!: ServerConnection<number>;
  bodies = new Map<number, Uint8Array[]>();
  open = 0;
  maxOpen = 0;
  closes: [number, number][] = [];
  /** Consume request data as it arrives (else the test consumes it with `consumeAll`). */
  autoConsume = true;
  unconsumed = new Map<number, number>();
  goAways: [number, number][] = [];
  /** Answer each request when it ends (else the test answers). */
  answer = true;

  onStreamOpen(streamId: number): number {
    this.bodies.set(streamId, []);
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    return streamId;
  }
  onStreamData(id: number, data: Uint8Array): void {
    this.bodies.get(id)!.push(data.slice());
    if (this.autoConsume) this.conn.consume(id, data.length);
    else this.unconsumed.set(id, (this.unconsumed.get(id) ?? 0) + data.length);
  }
  onStreamTrailers(): void {}
  onStreamEnd(id: number): void {
    if (!this.answer) return;
    this.conn.respond(id, OK, false);
    for (const chunk of this.bodies.get(id)!) this.conn.write(id, chunk);
    this.conn.end(id, STATUS_OK);
  }
  onStreamDrain(): void {}
  onStreamClose(id: number, code: number): void {
    this.open--;
    this.closes.push([id, code]);
  }
  onGoAway(lastStreamId: number, code: number): void {
    this.goAways.push([lastStreamId, code]);
  }
  onConnectionClose(_error: Http2Error | undefined): void {}
}

interface Pair {
  client: ClientConnection<string>;
  app: RecordingClientApp;
  server: ServerConnection<number>;
  echo: EchoServer;
  /** Moves output both ways until both are quiet; `step` runs between rounds (a slow reader). */
  pump(step?: () => void): void;
}

function pair(
  clientOptions: ClientConnectionOptions = {},
  serverOptions: ServerConnectionOptions = {},
): Pair {
  const app = new RecordingClientApp();
  const client = new ClientConnection<string>(app, clientOptions);
  const echo = new EchoServer();
  const server = new ServerConnection<number>(echo, serverOptions);
  echo.conn = server;
  const pump = (step?: () => void) => {
    for (let round = 0; round < 100_000; round++) {
      step?.();
      const c = client.takeOutput();
      const s = server.takeOutput();
      if (c === undefined && s === undefined) return;
      if (c !== undefined) server.receive(c);
      if (s !== undefined) client.receive(s);
    }
    throw new Error("the connections did not go quiet");
  };
  pump();
  assert.deepEqual(app.take(), [["ready"]]);
  assert.equal(client.settingsAckPending, false);
  assert.equal(server.settingsAckPending, false);
  return { client, app, server, echo, pump };
}

function message(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** The body each stream received, joined, from the recorded events. */
function bodies(app: RecordingClientApp): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of app.events) if (e[0] === "data") out.set(e[1], (out.get(e[1]) ?? "") + e[2]);
  return out;
}

function closes(app: RecordingClientApp): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of app.events) if (e[0] === "close") out.set(e[1], e[2]);
  return out;
}

describe("client ⇄ server in memory", () => {
  test("100 concurrent unary calls all complete, each with its own answer", () => {
    const { client, app, pump } = pair();
    for (let i = 0; i < 100; i++) client.write(client.request(REQUEST, `c${i}`), message(20, i), true);
    pump();
    const got = bodies(app);
    const closed = closes(app);
    for (let i = 0; i < 100; i++) {
      assert.equal(got.get(`c${i}`), toHex(message(20, i)));
      assert.equal(closed.get(`c${i}`), 0);
    }
    assert.equal(client.streamCount, 0);
  });

  test("a server with SETTINGS_MAX_CONCURRENT_STREAMS 1 serves 20 calls one at a time, none refused", () => {
    const { client, app, echo, pump } = pair({}, { maxConcurrentStreams: 1 });
    for (let i = 0; i < 20; i++) client.write(client.request(REQUEST, `c${i}`), message(10, i), true);
    assert.equal(client.pendingStreamCount, 19);
    pump();
    assert.equal(echo.maxOpen, 1);
    assert.equal(echo.closes.length, 20);
    assert.ok(echo.closes.every(([, code]) => code === 0));
    const closed = closes(app);
    for (let i = 0; i < 20; i++) assert.equal(closed.get(`c${i}`), 0);
    // opened in the order requested
    const order = app.events.filter((e) => e[0] === "headers").map((e) => e[1]);
    assert.deepEqual(
      order,
      Array.from({ length: 20 }, (_, i) => `c${i}`),
    );
  });

  test("1 MiB each way through readers that consume slowly: every octet arrives, windows never overrun", () => {
    const window = 65535;
    const { client, app, server, echo, pump } = pair(
      { initialWindowSize: window },
      { initialWindowSize: window },
    );
    echo.autoConsume = false;
    const body = message(1 << 20, 7);
    const h = client.request(REQUEST, "big");
    // written in 64 KiB pieces, waiting for drain as a real writer would
    let offset = 0;
    const writeMore = () => {
      while (offset < body.length) {
        const piece = body.subarray(offset, offset + 65536);
        offset += piece.length;
        const last = offset === body.length;
        if (!client.write(h, piece, last) && !last) return;
      }
    };
    app.react = (e) => {
      if (e[0] === "drain") writeMore();
    };
    writeMore();
    let clientUnconsumed = 0;
    let maxServerUnconsumed = 0;
    let maxClientUnconsumed = 0;
    app.react = (e) => {
      if (e[0] === "drain") writeMore();
      if (e[0] === "data") clientUnconsumed += e[2].length / 2;
    };
    pump(() => {
      // the server's reader: 10 000 octets per round
      const left = echo.unconsumed.get(1) ?? 0;
      maxServerUnconsumed = Math.max(maxServerUnconsumed, left);
      const n = Math.min(left, 10_000);
      if (n > 0) {
        server.consume(1, n);
        echo.unconsumed.set(1, left - n);
      }
      // the client's reader: 7 000 octets per round
      maxClientUnconsumed = Math.max(maxClientUnconsumed, clientUnconsumed);
      const m = Math.min(clientUnconsumed, 7_000);
      if (m > 0) {
        client.consume(h, m);
        clientUnconsumed -= m;
      }
    });
    assert.ok(maxServerUnconsumed <= window, `the server held ${maxServerUnconsumed} unread octets`);
    assert.ok(maxClientUnconsumed <= window, `the client held ${maxClientUnconsumed} unread octets`);
    assert.equal(bodies(app).get("big"), toHex(body));
    assert.deepEqual(app.events.at(-1), ["close", "big", 0]);
  });

  test("the server's graceful shutdown: running calls finish; one sent across its final GOAWAY is refused", () => {
    const { client, app, server, echo, pump } = pair();
    const a = client.request(REQUEST, "a");
    pump();
    server.shutdown();
    const b = client.request(REQUEST, "b"); // sent before the client hears of the shutdown
    assert.equal(b.id, 3);
    const fromClient = client.takeOutput()!;
    server.finishShutdown(); // the caller's timer: the last stream it saw is 1
    client.receive(server.takeOutput()!);
    server.receive(fromClient); // stream 3 arrives after the final GOAWAY: ignored
    assert.deepEqual(
      app.take().filter((e) => e[0] !== "goaway"),
      [["close", "b", ErrorCode.REFUSED_STREAM]],
    );
    assert.equal(client.acceptsStreams, false);
    client.write(a, message(5, 1), true);
    pump();
    assert.deepEqual(app.take().slice(-2), [
      ["close", "a", 0],
      ["connection-close", undefined],
    ]);
    assert.equal(server.isClosed, true);
    assert.deepEqual(echo.closes, [[1, 0]]);
  });

  test("the client's graceful close: the server sees GOAWAY, running calls finish, then the client closes", () => {
    const { client, app, echo, pump } = pair();
    const a = client.request(REQUEST, "a");
    pump();
    client.close();
    pump();
    assert.deepEqual(echo.goAways, [[0, 0]]);
    assert.equal(client.isClosed, false);
    client.write(a, message(3, 3), true);
    pump();
    assert.deepEqual(app.events.slice(-2), [
      ["close", "a", 0],
      ["connection-close", undefined],
    ]);
  });

  test("a client reset reaches the server as CANCEL", () => {
    const { client, app, echo, pump } = pair();
    const a = client.request(REQUEST, "a");
    client.write(a, message(3, 3));
    pump();
    client.reset(a, ErrorCode.CANCEL);
    pump();
    assert.deepEqual(echo.closes, [[1, ErrorCode.CANCEL]]);
    assert.deepEqual(app.take().at(-1), ["close", "a", ErrorCode.CANCEL]);
  });

  test("the server answers before the request ends: the client's reset (NO_ERROR, as gRPC clients do) closes both sides", () => {
    const { client, app, server, echo, pump } = pair();
    const a: ClientStreamHandle = client.request(REQUEST, "a");
    client.write(a, message(3, 3));
    pump();
    server.respond(1, [":status", "200", "grpc-status", "3"], true);
    pump();
    assert.deepEqual(app.take().slice(-2), [
      ["headers", "a", [":status", "200", "grpc-status", "3"], true],
      ["end", "a"],
    ]);
    // the server's stream is half-closed (local): the client may still send, until it stops
    assert.equal(client.write(a, message(3, 3)), true);
    assert.equal(server.streamCount, 1);
    client.reset(a, ErrorCode.NO_ERROR);
    pump();
    assert.deepEqual(app.take(), [["close", "a", 0]]);
    assert.equal(server.streamCount, 0);
    assert.deepEqual(echo.closes, [[1, 0]]);
  });

  test("large header sections (HEADERS + CONTINUATION) both ways, and PING", () => {
    const { client, app, server, echo, pump } = pair(
      { maxHeaderListSize: 100_000 },
      { maxHeaderListSize: 100_000 },
    );
    echo.answer = false;
    const big = "x".repeat(40_000);
    client.request([...REQUEST, "x-big", big], "a", true);
    pump();
    server.respond(1, [":status", "200", "x-back", big], true);
    client.ping(Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9));
    pump();
    const events = app.take();
    assert.ok(events[0]![0] === "headers" && events[0]![2][3] === big && events[0]![3]);
    assert.ok(events.some((e) => e[0] === "ping-ack" && e[1] === "0909090909090909"));
  });

  test("request metadata over the server's advertised limit is never sent; the connection goes on", () => {
    const { client, app, echo, pump } = pair({}, { maxHeaderListSize: 1000 });
    client.request([...REQUEST, "x-big", "v".repeat(2000)], "a", true);
    client.write(client.request(REQUEST, "b"), message(4, 4), true);
    pump();
    assert.deepEqual(
      app.take().filter((e) => e[0] === "close"),
      [
        ["close", "a", ErrorCode.ENHANCE_YOUR_CALM],
        ["close", "b", 0],
      ],
    );
    assert.deepEqual(echo.closes, [[1, 0]]);
  });
});
