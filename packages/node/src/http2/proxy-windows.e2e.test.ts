/**
 * A client's receive windows through an HTTP/2 proxy that holds streams and windows back as
 * HAProxy does (`startH2Proxy`: 100 concurrent streams, 64 KiB stream windows, a 16 KiB buffer per
 * stream, and reading a whole connection stops while one stream's buffer is full). Such a proxy
 * reads a WINDOW_UPDATE of ours only after the request DATA that came before it; a client that lets
 * the proxy's sending wait for one (its connection window run down, or a response larger than the
 * stream window it started with) stalls every stream of the connection: the proxy cannot take the
 * request DATA until the server answers, and cannot send the server's answers until it reads the
 * WINDOW_UPDATE. The load is the interop `concurrency` case's (1000 calls of about 300 KB each way
 * on one channel), which stalled through HAProxy 2.6 with 100 to 280 calls done.
 */
import assert from "node:assert/strict";
import type { ServerHttp2Stream } from "node:http2";
import { after, describe, test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  answer,
  deferred,
  Echo,
  EchoResponseSchema,
  type H2Proxy,
  type ServerHandle,
  startH2Proxy,
  startRawServer,
  startServer,
  until,
  within,
} from "@grpc-ts/testing";
import { createChannel, createClient } from "../index.js";

const CALLS = 1000;
/** Between the interop case's request (271 828 octets) and response (314 159). */
const PAYLOAD = 300_000;

const closers: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** A gRPC message: the 5-octet prefix (not compressed), then the message. */
function grpcFrame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

describe("through a proxy that reads nothing more from the client", () => {
  // A call whose server does not read holds the proxy: its buffer for that call fills, so it stops
  // reading the client's connection, and any WINDOW_UPDATE the client sends now waits behind that
  // call's request DATA. What the other calls' responses need must already be granted: each
  // response in its stream window, all of them in the connection window. Not so (a 64 KiB stream
  // window, or a 4 MiB connection window that the client tops up only as it reads): the responses
  // stop there, and the calls reach their deadline. The server is node:http2, driven by hand: it
  // leaves the held call unread (its windows shut) until the test reads it.
  const RESPONSES = 20;
  const RESPONSE = 300_000; // 20 of them: 6 MB, more than a 4 MiB connection window
  const UPLOAD = 1 << 20;

  test(`${RESPONSES} responses of ${RESPONSE} octets arrive in full meanwhile`, async () => {
    const waiting: ServerHttp2Stream[] = [];
    const held = deferred<ServerHttp2Stream>();
    const raw = await startRawServer((stream, headers) => {
      if (headers["x-hold"] === "1") held.resolve(stream);
      else waiting.push(stream);
    });
    closers.push(() => raw.close());
    const p = await startH2Proxy("127.0.0.1", raw.port);
    closers.push(() => p.close());
    const channel = createChannel(p.address);
    closers.push(() => channel.close());
    const client = createClient(Echo, channel);
    const calls = Array.from({ length: RESPONSES }, (_, i) =>
      client.unary({ id: BigInt(i) }, { timeoutMs: 10_000 }),
    );
    await until(() => waiting.length === RESPONSES, 10_000, "the calls reached the server");
    const upload = client.unary(
      { payload: new Uint8Array(UPLOAD).fill(9) },
      { timeoutMs: 40_000, metadata: { "x-hold": "1" } },
    );
    const heldStream = await within(held.promise, 10_000, "the held call reaching the server");
    await until(() => p.clientsHeld === 1, 10_000, "the proxy stopping reading the client");
    const body = grpcFrame(
      toBinary(EchoResponseSchema, create(EchoResponseSchema, { payload: new Uint8Array(RESPONSE).fill(1) })),
    );
    for (const stream of waiting) answer(stream, [body], { "grpc-status": "0" });
    const responses = await within(Promise.all(calls), 20_000, `${RESPONSES} responses`);
    for (const r of responses) assert.equal(r.payload.length, RESPONSE);
    assert.equal(p.clientsHeld, 1, "the proxy read the client again before the responses were in");
    // Now the server reads the held call: the proxy reads on, and that call completes too.
    let received = 0;
    heldStream.on("data", (chunk: Buffer) => {
      received += chunk.length;
    });
    heldStream.on("end", () =>
      answer(heldStream, [grpcFrame(toBinary(EchoResponseSchema, create(EchoResponseSchema, { id: 7n })))], {
        "grpc-status": "0",
      }),
    );
    const done = await within(upload, 30_000, "the held call");
    assert.equal(done.id, 7n);
    assert.ok(received > UPLOAD, `${received} octets of the held call reached the server`);
  });
});

describe("through a proxy that allows 100 streams and stops reading while a stream's buffer is full", () => {
  let server: ServerHandle;
  let proxy: H2Proxy;

  test(`${CALLS} concurrent unary calls of ${PAYLOAD} octets each way on one channel: all complete`, async () => {
    // The client is the subject (on either engine, as the suite runs); the server is our engine's,
    // as the interop server behind HAProxy was. (node:http2's server, with its 64 KiB connection
    // window and 10 MB session memory, has troubles of its own behind this proxy.)
    server = await startServer({ server: { engine: "grpc-ts" } });
    closers.push(() => server.close());
    proxy = await startH2Proxy("127.0.0.1", server.port);
    closers.push(() => proxy.close());
    const channel = createChannel(proxy.address);
    closers.push(() => channel.close());
    const client = createClient(Echo, channel);
    const payload = new Uint8Array(PAYLOAD).fill(7);
    const results = await within(
      Promise.allSettled(
        Array.from({ length: CALLS }, (_, i) =>
          // The deadline ends a stalled call (and so the test) well before the runner's timeout.
          client.unary({ id: BigInt(i), payload }, { timeoutMs: 30_000 }),
        ),
      ),
      60_000,
      `${CALLS} calls through the proxy`,
    );
    const failed = results.flatMap((r, i) =>
      r.status === "rejected" ? [{ i, reason: String(r.reason) }] : [],
    );
    assert.deepEqual(
      failed.slice(0, 3),
      [],
      `${failed.length} of ${CALLS} calls failed (${results.length - failed.length} done)`,
    );
    for (const [i, r] of results.entries()) {
      assert.ok(r.status === "fulfilled");
      assert.equal(r.value.id, BigInt(i), `call ${i} got another call's response`);
      assert.equal(r.value.payload.length, PAYLOAD, `call ${i}`);
    }
    // The proxy did what the test is about: one connection, never past its limit, full buffers.
    assert.equal(proxy.accepted, 1);
    assert.equal(proxy.streams, CALLS);
    assert.ok(proxy.maxOpenStreams <= 100, `${proxy.maxOpenStreams} streams open at once`);
    assert.ok(proxy.readStops > 0, "the proxy never stopped reading: the test shows nothing");
  });
});
