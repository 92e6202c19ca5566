/**
 * Slow readers against our engine, over real sockets: a client that never opens its flow-control
 * window, one that opens it slowly, and one that sends requests but never reads its socket. The
 * client is hand-driven (our frame writers and HPACK encoder), so it can misbehave.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, describe, test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { encodeEnvelope } from "@grpc-ts/core/protocol";
import { ByteWriter, ErrorCode } from "@grpc-ts/http2";
import {
  CONNECTION_PREFACE,
  type FrameHandler,
  FrameParser,
  SettingId,
  writeData,
  writeHeadersFrame,
  writeSettings,
  writeSettingsAck,
  writeWindowUpdate,
} from "@grpc-ts/http2/frame";
import { HpackEncoder } from "@grpc-ts/http2/hpack";

import {
  createEchoService,
  Echo,
  EchoRequestSchema,
  EchoResponseSchema,
  type ServerHandle,
  sleep,
  startServer,
  until,
} from "@grpc-ts/testing";

/** A raw HTTP/2 client: what it sends is up to the test; what it receives is recorded. */
class RawClient implements FrameHandler {
  readonly socket: Socket;
  private readonly encoder = new HpackEncoder();
  private readonly parser = new FrameParser(this, { role: "client", maxFrameSize: 1 << 24 });
  goAway: number | undefined;
  /** Streams the server ended (trailers or an END_STREAM DATA frame). */
  ended = 0;
  dataOctets = 0;
  closed = false;

  constructor(port: number, settings: number[]) {
    this.socket = connect({ host: "127.0.0.1", port });
    this.socket.on("data", (chunk: Buffer) => {
      try {
        this.parser.receive(chunk);
      } catch {
        this.socket.destroy();
      }
    });
    this.socket.on("error", () => {});
    this.socket.on("close", () => {
      this.closed = true;
    });
    this.send((w) => {
      w.bytes(CONNECTION_PREFACE);
      writeSettings(w, settings);
    });
  }

  send(build: (w: ByteWriter) => void): void {
    const w = new ByteWriter();
    build(w);
    this.socket.write(w.view().slice());
  }

  /** A gRPC call's HEADERS and its one request message, ending the client's side. */
  call(streamId: number, method: string, request: Uint8Array): void {
    this.send((w) => {
      const block = new ByteWriter();
      this.encoder.encode(block, [
        ":method",
        "POST",
        ":scheme",
        "http",
        ":path",
        `/grpcts.test.Echo/${method}`,
        ":authority",
        "localhost",
        "content-type",
        "application/grpc",
        "te",
        "trailers",
      ]);
      writeHeadersFrame(w, streamId, block.view(), { endStream: false });
      writeData(w, streamId, encodeEnvelope(0, request), true);
    });
  }

  onData(_streamId: number, data: Uint8Array, endStream: boolean): void {
    this.dataOctets += data.length;
    if (endStream) this.ended++;
  }
  onHeaders(_streamId: number, _block: Uint8Array, endStream: boolean): void {
    if (endStream) this.ended++;
  }
  onSettings(): void {
    this.send((w) => writeSettingsAck(w));
  }
  onGoAway(_lastStreamId: number, code: number): void {
    this.goAway = code;
  }
  rsts = new Map<number, number>();
  onRstStream(_id: number, code: number): void {
    this.rsts.set(code, (this.rsts.get(code) ?? 0) + 1);
  }
  onSettingsAck(): void {}
  onPing(): void {}
  onWindowUpdate(): void {}
  onStreamError(): void {}
  onIgnoredFrame(): void {}
}

/** A unary response: larger than the socket's buffers can hide for a few hundred calls. */
const BIG = new Uint8Array(64 * 1024);

const streamRequest = (count: number, size: number) =>
  toBinary(EchoRequestSchema, create(EchoRequestSchema, { count, payload: new Uint8Array(size) }));

describe("slow readers (grpc-ts engine)", () => {
  const servers: ServerHandle[] = [];
  const clients: RawClient[] = [];
  after(() => {
    for (const c of clients) c.socket.destroy();
    for (const s of servers) s.close();
  });

  async function serve(stallTimeoutMs: number, started?: () => void): Promise<ServerHandle> {
    const handle = await startServer({
      server: { engine: "grpc-ts", stallTimeoutMs },
      setup: (server) => {
        const echo = createEchoService();
        server.add(Echo, {
          ...echo,
          async unary() {
            started?.();
            return create(EchoResponseSchema, { payload: BIG });
          },
        });
      },
    });
    servers.push(handle);
    return handle;
  }

  test("a client that never opens its window is cut off: GOAWAY ENHANCE_YOUR_CALM", async () => {
    const { port } = await serve(300);
    const client = new RawClient(port, [SettingId.INITIAL_WINDOW_SIZE, 0]);
    clients.push(client);
    client.call(1, "ServerStream", streamRequest(100, 1000));
    await until(() => client.closed, 20_000, "the connection's end");
    assert.equal(client.goAway, ErrorCode.ENHANCE_YOUR_CALM);
    assert.equal(client.dataOctets, 0);
  });

  test("a client that opens its window a little at a time is never cut off", async () => {
    const { port } = await serve(1000);
    const client = new RawClient(port, [SettingId.INITIAL_WINDOW_SIZE, 0]);
    clients.push(client);
    client.call(1, "ServerStream", streamRequest(20, 1000));
    // About 20 KB to read, 500 octets every 20 ms (well inside the stall timeout each time).
    for (let i = 0; i < 2000 && client.ended === 0 && !client.closed; i++) {
      client.send((w) => {
        writeWindowUpdate(w, 1, 500);
        writeWindowUpdate(w, 0, 500);
      });
      await sleep(20);
    }
    assert.equal(client.goAway, undefined);
    assert.equal(client.ended, 1);
    assert.ok(client.dataOctets > 20 * 1000);
  });

  test("a server stream to a client with wide-open windows that does not read its socket: the handler waits for the socket", async () => {
    let produced = 0;
    const handle = await startServer({
      server: { engine: "grpc-ts" },
      setup: (server) => {
        server.add(Echo, {
          ...createEchoService(),
          async *serverStream(req) {
            for (let i = 0; i < req.count; i++) {
              produced++;
              yield { payload: req.payload, index: i };
            }
          },
        });
      },
    });
    servers.push(handle);
    const client = new RawClient(handle.port, [SettingId.INITIAL_WINDOW_SIZE, 0x7fffffff]);
    clients.push(client);
    client.send((w) => writeWindowUpdate(w, 0, 0x7fffffff - 65535));
    await until(() => client.socket.readyState === "open", 5000, "the connection");
    client.socket.pause();
    // 200 MB if the handler ran to its end: flow control never stops it, only the socket can.
    const count = 200_000;
    client.call(1, "ServerStream", streamRequest(count, 1000));
    let last = -1;
    for (let i = 0; i < 200 && produced !== last; i++) {
      last = produced;
      await sleep(300);
    }
    assert.ok(produced > 0 && produced < count / 4, `the handler produced ${produced} of ${count} messages`);
    client.socket.resume();
    await until(() => client.ended === 1 || client.closed, 60_000, "the stream's end");
    assert.equal(client.ended, 1);
    assert.equal(produced, count);
    assert.ok(client.dataOctets > count * 1000);
  });

  test("a client that sends requests and never reads its socket stops being read; once it reads, every call completes", async () => {
    let started = 0;
    const { port } = await serve(60_000, () => started++);
    const client = new RawClient(port, [SettingId.INITIAL_WINDOW_SIZE, 0x7fffffff]);
    clients.push(client);
    client.send((w) => writeWindowUpdate(w, 0, 0x7fffffff - 65535));
    await until(() => started === 0 && client.socket.readyState === "open", 5000, "the connection");
    client.socket.pause();
    const calls = 1000;
    const request = toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "small" }));
    for (let i = 0; i < calls; i++) client.call(1 + 2 * i, "Unary", request);
    // Wait until the server stops taking calls: the count holds still for half a second.
    let last = -1;
    for (let i = 0; i < 200 && started !== last; i++) {
      last = started;
      await sleep(500);
    }
    assert.ok(started < calls, `the server started all ${calls} calls of a client that reads nothing`);
    client.socket.resume();
    await until(() => client.ended === calls || client.closed, 60_000, "every call's end");
    assert.equal(client.ended, calls);
    assert.equal(client.rsts.size, 0);
    assert.equal(started, calls);
    assert.equal(client.goAway, undefined);
  });
});
