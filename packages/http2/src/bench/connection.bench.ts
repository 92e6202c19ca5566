/**
 * The sans-I/O server connection's cost per unary gRPC call: the client's frames for a batch of
 * calls (HEADERS with a warm HPACK block, a DATA frame with a 5+20-octet message) go in as one
 * chunk; the application answers each call from its end callback (response headers, one
 * message, trailers), and the output of the batch is taken as one buffer. No sockets: this is
 * the protocol work alone, what our Node adapter adds to the system calls.
 *
 *   node --conditions=source --import tsx packages/http2/src/bench/connection.bench.ts
 */
import { ByteWriter } from "../byte-writer.js";
import { ServerConnection, type ServerConnectionListener } from "../connection/server-connection.js";
import type { Http2Error } from "../errors.js";
import { CONNECTION_PREFACE } from "../frame/frame-types.js";
import {
  writeData,
  writeHeadersFrame,
  writeSettings,
  writeSettingsAck,
  writeWindowUpdate,
} from "../frame/frame-writer.js";
import { HpackEncoder } from "../hpack/encoder.js";

const REQUEST = [
  ":method",
  "POST",
  ":scheme",
  "http",
  ":path",
  "/grpc.testing.TestService/UnaryCall",
  ":authority",
  "localhost:50051",
  "content-type",
  "application/grpc",
  "te",
  "trailers",
  "grpc-accept-encoding",
  "identity,deflate,gzip",
  "user-agent",
  "grpc-node-js/1.14.7",
];
const RESPONSE = [
  ":status",
  "200",
  "content-type",
  "application/grpc",
  "grpc-accept-encoding",
  "identity,gzip",
];
const TRAILERS = ["grpc-status", "0"];
const MESSAGE = new Uint8Array(25);
MESSAGE[4] = 20;

class UnaryApp implements ServerConnectionListener<number> {
  conn!: ServerConnection<number>;
  calls = 0;
  onStreamOpen(streamId: number): number {
    return streamId;
  }
  onStreamData(stream: number, data: Uint8Array): void {
    this.conn.consume(stream, data.length);
  }
  onStreamTrailers(): void {}
  onStreamEnd(stream: number): void {
    this.conn.respond(stream, RESPONSE, false);
    this.conn.write(stream, MESSAGE);
    this.conn.end(stream, TRAILERS);
    this.calls++;
  }
  onStreamDrain(): void {}
  onStreamClose(): void {}
  onGoAway(): void {}
  onConnectionClose(e: Http2Error | undefined): void {
    if (e !== undefined) console.log("closed:", e.message);
  }
}

const BATCH = 64;
const BATCHES = 2000;
const w = new ByteWriter(1 << 16);
const block = new ByteWriter(256);

function batch(encoder: HpackEncoder, firstId: number): Uint8Array {
  w.reset();
  for (let i = 0; i < BATCH; i++) {
    const id = firstId + 2 * i;
    block.reset();
    encoder.encode(block, REQUEST);
    writeHeadersFrame(w, id, block.view(), {});
    writeData(w, id, MESSAGE, true);
  }
  writeWindowUpdate(w, 0, BATCH * 200);
  return w.view().slice();
}

function run(): number {
  const app = new UnaryApp();
  const conn = new ServerConnection<number>(app, { maxConcurrentStreams: 1000 });
  app.conn = conn;
  const hello = new ByteWriter();
  hello.bytes(CONNECTION_PREFACE);
  writeSettings(hello, []);
  writeSettingsAck(hello);
  conn.receive(hello.view());
  conn.takeOutput();
  // prebuilt input (streams ids keep rising, so the batches are built up front)
  const inputs: Uint8Array[] = [];
  const encoder = new HpackEncoder();
  for (let b = 0; b < BATCHES; b++) inputs.push(batch(encoder, 1 + 2 * BATCH * b));
  let bytesOut = 0;
  const t0 = process.hrtime.bigint();
  for (const input of inputs) {
    conn.receive(input);
    bytesOut += conn.takeOutput()?.length ?? 0;
  }
  const ns = Number(process.hrtime.bigint() - t0);
  if (app.calls !== BATCH * BATCHES) throw new Error(`only ${app.calls} calls`);
  if (bytesOut === 0) throw new Error("no output");
  return ns / app.calls;
}

run();
const results: number[] = [];
for (let i = 0; i < 7; i++) results.push(run());
results.sort((a, b) => a - b);
console.log(
  `server connection, unary call (${BATCH} per input chunk): ${results[3]!.toFixed(0)} ns/call median, ${results[0]!.toFixed(0)} best (${(1e9 / results[3]! / 1e6).toFixed(2)} M calls/s of protocol work)`,
);
