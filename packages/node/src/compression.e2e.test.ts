// Message compression end to end (compression.md): request and response compression with gzip and
// deflate, the server's and the call's choices, and what a server does with bad compressed input.
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  assertBytes,
  collect,
  Echo,
  type EchoHarness,
  EchoRequestSchema,
  envelope,
  expectRpcError,
  grpcHeaders,
  listenLoopback,
  rawCall,
  startEcho,
  statusOf,
  within,
} from "@grpc-ts/testing";
import { Code, createChannel, createClient, type HandlerContext, wasCompressed } from "./index.js";

const gzipAsync = promisify(zlib.gzip);

/** A compressible payload. */
const text = new TextEncoder().encode("grpc-ts ".repeat(4096));

function requestBytes(init: Parameters<typeof create<typeof EchoRequestSchema>>[1]): Uint8Array {
  return toBinary(EchoRequestSchema, create(EchoRequestSchema, init));
}

describe("compression", () => {
  let h: EchoHarness;
  let seen: { encoding: string; compressed: boolean } | undefined;
  function record(ctx: HandlerContext, message: unknown): void {
    seen = { encoding: ctx.requestEncoding, compressed: wasCompressed(message) };
  }
  before(async () => {
    h = await startEcho({
      impl: {
        async unary(req, ctx) {
          record(ctx, req);
          if (req.message !== "") ctx.setCompression(req.message);
          return { payload: req.payload, message: req.message };
        },
        async *serverStream(req, ctx) {
          record(ctx, req);
          if (req.message !== "") ctx.setCompression(req.message);
          for (let i = 0; i < req.count; i++) yield { index: i, payload: req.payload };
        },
        async clientStream(requests, ctx) {
          let n = 0;
          for await (const r of requests) {
            record(ctx, r);
            n++;
          }
          return { received: n };
        },
      },
    });
  });
  after(() => h.close());

  it("channel option compression: gzip — the server sees gzip, values round-trip", async () => {
    const channel = createChannel(h.target, { compression: "gzip" });
    try {
      const client = createClient(Echo, channel);
      const res = await client.unary({ payload: text });
      assert.deepEqual(seen, { encoding: "gzip", compressed: true });
      assertBytes(res.payload, text);
      // The server answers in the request's encoding by default ("mirror").
      assert.equal(wasCompressed(res), true);
      const streamed = await client.clientStream([{ payload: text }, { payload: text }]);
      assert.equal(streamed.received, 2);
      assert.deepEqual(seen, { encoding: "gzip", compressed: true });
    } finally {
      channel.close();
    }
  });

  it("per-call compression: gzip and deflate; identity turns a channel default off", async () => {
    await h.client.unary({ payload: text }, { compression: "gzip" });
    assert.deepEqual(seen, { encoding: "gzip", compressed: true });
    await h.client.unary({ payload: text }, { compression: "deflate" });
    assert.deepEqual(seen, { encoding: "deflate", compressed: true });
    await h.client.unary({ payload: text });
    assert.deepEqual(seen, { encoding: "identity", compressed: false });
    const channel = createChannel(h.target, { compression: "deflate" });
    try {
      const client = createClient(Echo, channel);
      const res = await client.unary({ payload: text }, { compression: "identity" });
      assert.deepEqual(seen, { encoding: "identity", compressed: false });
      assertBytes(res.payload, text);
      await client.unary({ payload: text });
      assert.deepEqual(seen, { encoding: "deflate", compressed: true });
    } finally {
      channel.close();
    }
  });

  it("a compression the channel does not have: INTERNAL before anything is sent", async () => {
    await expectRpcError(h.client.unary({}, { compression: "br" }), Code.INTERNAL, "br");
  });

  it("ctx.setCompression('gzip'): the response is gzip-compressed on the wire and decoded by the client", async () => {
    const res = await h.client.unary({ message: "gzip", payload: text });
    assert.equal(wasCompressed(res), true);
    assertBytes(res.payload, text);
    const raw = await rawCall(
      h.port,
      grpcHeaders("/grpcts.test.Echo/Unary", { "grpc-accept-encoding": "gzip" }),
      {
        body: [envelope(requestBytes({ message: "gzip", payload: text }))],
      },
    );
    assert.equal(raw.headers["grpc-encoding"], "gzip");
    assert.equal(raw.data[0], 1, "compressed flag");
    assert.ok(raw.data.length < text.length, "smaller than the payload");
    assert.equal(statusOf(raw).code, 0);
    const stream = await collect(h.client.serverStream({ message: "deflate", count: 3, payload: text }));
    assert.equal(stream.length, 3);
    for (const m of stream) {
      assert.equal(wasCompressed(m), true);
      assertBytes(m.payload, text);
    }
  });

  it("a response compression the client did not offer is not used", async () => {
    const raw = await rawCall(
      h.port,
      grpcHeaders("/grpcts.test.Echo/Unary", { "grpc-accept-encoding": "identity" }),
      {
        body: [envelope(requestBytes({ payload: text }))],
      },
    );
    assert.equal(raw.headers["grpc-encoding"], undefined);
    assert.equal(raw.data[0], 0);
    assert.equal(statusOf(raw).code, 0);
  });

  it("the server option responseCompression: gzip compresses responses to an uncompressed request", async () => {
    const local = await startEcho({ server: { responseCompression: "gzip" } });
    try {
      const res = await local.client.unary({ payload: text });
      assert.equal(wasCompressed(res), true);
      assertBytes(res.payload, text);
      const raw = await rawCall(
        local.port,
        grpcHeaders("/grpcts.test.Echo/Unary", { "grpc-accept-encoding": "gzip,identity" }),
        {
          body: [envelope(requestBytes({ payload: text }))],
        },
      );
      assert.equal(raw.headers["grpc-encoding"], "gzip");
      assert.equal(raw.data[0], 1);
    } finally {
      local.close();
    }
  });

  it("responseCompression: identity answers a gzip request uncompressed", async () => {
    const local = await startEcho({ server: { responseCompression: "identity" } });
    try {
      const res = await local.client.unary({ payload: text }, { compression: "gzip" });
      assert.equal(wasCompressed(res), false);
      assertBytes(res.payload, text);
    } finally {
      local.close();
    }
  });

  it("an unsupported request encoding (br): UNIMPLEMENTED, with grpc-accept-encoding in the response", async () => {
    const raw = await rawCall(h.port, grpcHeaders("/grpcts.test.Echo/Unary", { "grpc-encoding": "br" }), {
      body: [envelope(new Uint8Array([1, 2, 3]), 1)],
    });
    const status = statusOf(raw);
    assert.equal(status.code, Code.UNIMPLEMENTED);
    assert.match(status.message ?? "", /br/);
    const accept = String(raw.headers["grpc-accept-encoding"] ?? raw.trailers?.["grpc-accept-encoding"]);
    assert.deepEqual(accept.split(",").sort(), ["deflate", "gzip", "identity"]);
  });

  it("the compressed flag with no grpc-encoding: INTERNAL", async () => {
    const raw = await rawCall(h.port, grpcHeaders("/grpcts.test.Echo/Unary"), {
      body: [envelope(await gzipAsync(requestBytes({ message: "x" })), 1)],
    });
    assert.equal(statusOf(raw).code, Code.INTERNAL);
    assert.match(statusOf(raw).message ?? "", /compress/);
  });

  it("bytes that are not gzip under grpc-encoding gzip: INTERNAL", async () => {
    const raw = await rawCall(h.port, grpcHeaders("/grpcts.test.Echo/Unary", { "grpc-encoding": "gzip" }), {
      body: [envelope(new Uint8Array([1, 2, 3, 4, 5]), 1)],
    });
    assert.equal(statusOf(raw).code, Code.INTERNAL);
  });

  it("a decompression bomb (gzip of 50 MiB of zeros) against the 4 MiB limit: RESOURCE_EXHAUSTED", async () => {
    const bomb = await gzipAsync(new Uint8Array(50 * 1024 * 1024), { level: 9 });
    assert.ok(bomb.length < 1024 * 1024, `bomb of ${bomb.length} bytes`);
    const raw = await within(
      rawCall(h.port, grpcHeaders("/grpcts.test.Echo/Unary", { "grpc-encoding": "gzip" }), {
        body: [envelope(bomb, 1)],
      }),
      10_000,
      "bomb",
    );
    assert.equal(statusOf(raw).code, Code.RESOURCE_EXHAUSTED);
    assert.match(statusOf(raw).message ?? "", /4194304/);
    // The server is fine afterwards.
    assert.equal((await h.client.unary({ payload: text })).payload.length, text.length);
  });

  it("a decompression bomb from a server: the client fails with RESOURCE_EXHAUSTED", async () => {
    const bomb = await gzipAsync(new Uint8Array(50 * 1024 * 1024), { level: 9 });
    const server = http2.createServer();
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on("session", (session) => sessions.add(session));
    server.on("stream", (stream) => {
      stream.on("error", () => {});
      stream.resume();
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", "grpc-encoding": "gzip" },
        { waitForTrailers: true },
      );
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(envelope(bomb, 1));
    });
    const port = await listenLoopback(server);
    const channel = createChannel(`127.0.0.1:${port}`);
    try {
      const client = createClient(Echo, channel);
      await within(expectRpcError(client.unary({}), Code.RESOURCE_EXHAUSTED), 10_000, "client bomb");
    } finally {
      channel.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sessions) s.destroy();
      });
    }
  });
});
