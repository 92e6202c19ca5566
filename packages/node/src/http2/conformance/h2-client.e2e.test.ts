/**
 * Python h2's own H2Connection, a well-behaved client independent of ours, making gRPC calls on
 * our engine: unary calls (one and many at once on one connection), and large streaming calls in
 * both directions through small flow-control windows, so that both sides wait for WINDOW_UPDATE.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import {
  assertBytes,
  type EchoResponse,
  EchoResponseSchema,
  PYTHON_H2,
  type ServerHandle,
  skipWithout,
  startServer,
} from "@grpc-ts/testing";
import { grpcMessage, type H2CallResult, runH2Client } from "./probe.js";

const engine = "grpc-ts" as const;
const UNARY = "/grpcts.test.Echo/Unary";

function decode(call: H2CallResult): EchoResponse[] {
  const body = Buffer.from(call.data, "hex");
  const out: EchoResponse[] = [];
  let p = 0;
  while (p + 5 <= body.length) {
    const n = body.readUInt32BE(p + 1);
    out.push(fromBinary(EchoResponseSchema, body.subarray(p + 5, p + 5 + n)));
    p += 5 + n;
  }
  assert.equal(p, body.length, "the response body is not whole messages");
  return out;
}

function assertOk(call: H2CallResult): void {
  assert.equal(call.reset, null, `the stream was reset (${call.reset})`);
  assert.equal(new Map(call.headers ?? []).get(":status"), "200");
  const trailers = new Map(call.trailers ?? []);
  assert.equal(trailers.get("grpc-status"), "0", `grpc-message: ${trailers.get("grpc-message")}`);
}

/** A payload whose octets depend on `seed`, so that mixed-up messages show. */
function payload(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (seed * 31 + i * 7) & 0xff;
  return out;
}

describe("Python h2 (H2Connection) as a client of the grpc-ts engine", {
  skip: skipWithout(...PYTHON_H2),
}, () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer({ server: { engine } });
  });
  after(() => server.close());

  it("a unary call", async () => {
    const r = await runH2Client(server.port, [
      { path: UNARY, body: grpcMessage({ message: "from h2", id: 42n }) },
    ]);
    assert.equal(r.error, null);
    assertOk(r.calls[0]!);
    const [res] = decode(r.calls[0]!);
    assert.equal(res?.message, "from h2");
    assert.equal(res?.id, 42n);
  });

  it("20 unary calls at once on one connection", async () => {
    const calls = Array.from({ length: 20 }, (_, i) => ({
      path: UNARY,
      body: grpcMessage({ message: `m${i}` }),
    }));
    const r = await runH2Client(server.port, calls);
    assert.equal(r.error, null);
    r.calls.forEach((c, i) => {
      assertOk(c);
      assert.equal(decode(c)[0]?.message, `m${i}`);
    });
  });

  it("a bidi call of 64 messages of 16 KiB each way, through a 16 KiB client window, in 5000-octet frames", async () => {
    const count = 64;
    const body = Array.from({ length: count }, (_, i) =>
      grpcMessage({ message: `b${i}`, payload: payload(i, 16384) }),
    ).join("");
    const r = await runH2Client(server.port, [{ path: "/grpcts.test.Echo/Bidi", body, chunk: 5000 }], {
      INITIAL_WINDOW_SIZE: 16384,
    });
    assert.equal(r.error, null);
    const call = r.calls[0]!;
    assertOk(call);
    const got = decode(call);
    assert.equal(got.length, count);
    got.forEach((m, i) => {
      assert.equal(m.index, i);
      assert.equal(m.message, `b${i}`);
      assertBytes(m.payload, payload(i, 16384), `payload ${i}`);
    });
    // 1 MiB went up through the server's 65535-octet stream window: it opened it as it read.
    assert.ok(r.windowUpdatesReceived > 0, "the server never sent WINDOW_UPDATE");
  });

  it("a server-streaming call of 1 MiB to a client with an 8 KiB window, beside unary calls", async () => {
    const r = await runH2Client(
      server.port,
      [
        {
          path: "/grpcts.test.Echo/ServerStream",
          body: grpcMessage({ message: "s", payload: payload(7, 32768), count: 32 }),
        },
        { path: UNARY, body: grpcMessage({ message: "beside 1" }) },
        { path: UNARY, body: grpcMessage({ message: "beside 2" }) },
      ],
      { INITIAL_WINDOW_SIZE: 8192, MAX_FRAME_SIZE: 16384 },
    );
    assert.equal(r.error, null);
    for (const c of r.calls) assertOk(c);
    const got = decode(r.calls[0]!);
    assert.equal(got.length, 32);
    got.forEach((m, i) => {
      assert.equal(m.index, i);
      assertBytes(m.payload, payload(7, 32768), `payload ${i}`);
    });
    assert.equal(decode(r.calls[2]!)[0]?.message, "beside 2");
  });

  it("a client-streaming call of 200 small messages in one-message frames", async () => {
    const messages = Array.from({ length: 200 }, (_, i) => grpcMessage({ message: String(i) }));
    const r = await runH2Client(server.port, [
      { path: "/grpcts.test.Echo/ClientStream", body: messages.join(""), chunk: messages[0]!.length / 2 },
    ]);
    assert.equal(r.error, null);
    assertOk(r.calls[0]!);
    const [res] = decode(r.calls[0]!);
    assert.equal(res?.received, 200);
    assert.equal(res?.message, Array.from({ length: 200 }, (_, i) => String(i)).join(","));
  });
});
