// Protocol abuse with node:http2 driven by hand (no grpc-ts client): what the server answers to
// malformed requests, and that it survives clients that reset, vanish, or do not speak HTTP/2.
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import * as net from "node:net";
import { after, before, describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  aborted,
  assertRpcError,
  type Deferred,
  deferred,
  type EchoHarness,
  EchoRequestSchema,
  envelope,
  grpcHeaders,
  rawCall,
  rawConnect,
  rawRequest,
  startEcho,
  statusOf,
  until,
  within,
} from "@grpc-ts/testing";
import { Code } from "../index.js";

const UNARY = "/grpcts.test.Echo/Unary";
const BIDI = "/grpcts.test.Echo/Bidi";
const request = (message: string) => toBinary(EchoRequestSchema, create(EchoRequestSchema, { message }));

describe("raw protocol abuse", () => {
  let h: EchoHarness;
  let bidiStarted: Deferred = deferred();
  let bidiReason: Promise<unknown> = Promise.resolve(undefined);
  const bidiCalls = { started: 0, aborted: 0 };
  before(async () => {
    h = await startEcho({
      impl: {
        async *bidi(requests, ctx) {
          bidiCalls.started++;
          ctx.signal.addEventListener("abort", () => bidiCalls.aborted++);
          bidiReason = aborted(ctx.signal);
          bidiStarted.resolve();
          for await (const r of requests) yield { message: r.message };
        },
      },
    });
  });
  after(() => h.close());

  /** The server still answers a normal call. */
  async function serverServes(): Promise<void> {
    assert.equal(
      (await within(h.client.unary({ message: "still up" }), 5000, "next call")).message,
      "still up",
    );
  }

  it("a wrong content-type: HTTP 415", async () => {
    const res = await rawCall(h.port, grpcHeaders(UNARY, { "content-type": "application/json" }), {
      body: [envelope(request("x"))],
    });
    assert.equal(res.headers[":status"], 415);
  });

  it("no content-type: HTTP 415", async () => {
    const headers = grpcHeaders(UNARY);
    delete headers["content-type"];
    const res = await rawCall(h.port, headers, { body: [envelope(request("x"))] });
    assert.equal(res.headers[":status"], 415);
  });

  it("GET: HTTP 405", async () => {
    const res = await rawCall(h.port, { ...grpcHeaders(UNARY), ":method": "GET" });
    assert.equal(res.headers[":status"], 405);
  });

  it("an unknown codec in the content-type: an error status, not a crash", async () => {
    const res = await rawCall(h.port, grpcHeaders(UNARY, { "content-type": "application/grpc+thrift" }), {
      body: [envelope(request("x"))],
    });
    // PROTOCOL-HTTP2.md asks for HTTP 415 only when the content-type does not begin with
    // "application/grpc"; for a known prefix with a codec the method lacks, our server answers
    // INTERNAL (server.ts), on either engine, as grpc-go does for a content-subtype without a codec.
    const status = statusOf(res);
    assert.equal(res.headers[":status"], 200);
    assert.equal(status.code, Code.INTERNAL, `status ${status.code}: ${status.message}`);
    assert.match(status.message ?? "", /thrift/);
  });

  it("envelope flags 0x02: INTERNAL", async () => {
    const res = await rawCall(h.port, grpcHeaders(UNARY), { body: [envelope(request("x"), 0x02)] });
    assert.equal(res.headers[":status"], 200);
    assert.equal(statusOf(res).code, Code.INTERNAL);
    assert.match(statusOf(res).message ?? "", /flags/);
  });

  it("a truncated message, then END_STREAM: INTERNAL", async () => {
    const whole = envelope(request("truncated"));
    const res = await rawCall(h.port, grpcHeaders(UNARY), { body: [whole.subarray(0, whole.length - 3)] });
    assert.equal(statusOf(res).code, Code.INTERNAL);
  });

  it("a truncated envelope header, then END_STREAM: INTERNAL", async () => {
    const res = await rawCall(h.port, grpcHeaders(UNARY), { body: [new Uint8Array([0, 0, 0])] });
    assert.equal(statusOf(res).code, Code.INTERNAL);
  });

  it("bytes that are not a protobuf message: INTERNAL", async () => {
    const res = await rawCall(h.port, grpcHeaders(UNARY), {
      body: [envelope(new Uint8Array([0xff, 0xff, 0xff]))],
    });
    assert.equal(statusOf(res).code, Code.INTERNAL);
    assert.match(statusOf(res).message ?? "", /decode/);
  });

  it("no request message for a unary method: INTERNAL", async () => {
    const res = await rawCall(h.port, grpcHeaders(UNARY));
    assert.equal(statusOf(res).code, Code.INTERNAL);
    assert.match(statusOf(res).message ?? "", /no request message/);
  });

  it("two request messages for a unary method: INTERNAL", async () => {
    const res = await rawCall(h.port, grpcHeaders(UNARY), {
      body: [envelope(request("a")), envelope(request("b"))],
    });
    assert.equal(statusOf(res).code, Code.INTERNAL);
    assert.match(statusOf(res).message ?? "", /more than one/);
  });

  it("a declared length of 4 GiB - 1: RESOURCE_EXHAUSTED before anything is buffered", async () => {
    const res = await rawCall(h.port, grpcHeaders(UNARY), {
      body: [new Uint8Array([0, 0xff, 0xff, 0xff, 0xff, 1, 2])],
    });
    assert.equal(statusOf(res).code, Code.RESOURCE_EXHAUSTED);
  });

  for (const timeout of ["abc", "1x", "123456789S", "S", "-5m", "1.5S"]) {
    it(`a malformed grpc-timeout ${JSON.stringify(timeout)}: INTERNAL`, async () => {
      const res = await rawCall(h.port, grpcHeaders(UNARY, { "grpc-timeout": timeout }), {
        body: [envelope(request("x"))],
      });
      assert.equal(statusOf(res).code, Code.INTERNAL);
      assert.match(statusOf(res).message ?? "", /grpc-timeout/);
    });
  }

  it("a path that names no service: UNIMPLEMENTED", async () => {
    const res = await rawCall(h.port, grpcHeaders("/nothing"), { body: [envelope(request("x"))] });
    assert.equal(statusOf(res).code, Code.UNIMPLEMENTED);
  });

  it("a stream reset at once after its headers: the server stays up", async () => {
    const session = await rawConnect(h.port);
    try {
      for (let i = 0; i < 20; i++) {
        const req = session.request(grpcHeaders(BIDI), { endStream: false });
        req.on("error", () => {});
        req.close(http2.constants.NGHTTP2_CANCEL);
      }
      const res = await rawRequest(session, grpcHeaders(UNARY), {
        body: [envelope(request("same session"))],
      });
      assert.equal(statusOf(res).code, 0);
    } finally {
      session.close();
    }
    await serverServes();
  });

  it("streams reset right after their headers (RST_STREAM alone): every handler that started is signalled", async () => {
    const before = { ...bidiCalls };
    const session = await rawConnect(h.port);
    try {
      const closed: Promise<void>[] = [];
      for (let i = 0; i < 10; i++) {
        const ac = new AbortController();
        const req = session.request(grpcHeaders(BIDI), { endStream: false, signal: ac.signal });
        req.on("error", () => {});
        // Once the HEADERS frame is out (the stream has its id), then reset.
        if (req.pending) req.once("ready", () => setImmediate(() => ac.abort()));
        else setImmediate(() => ac.abort());
        closed.push(new Promise((resolve) => req.once("close", () => resolve())));
      }
      await within(Promise.all(closed), 5000, "streams closed");
      // A later stream on the same connection is handled after the earlier frames were read.
      const res = await rawRequest(session, grpcHeaders(UNARY), { body: [envelope(request("after"))] });
      assert.equal(statusOf(res).code, 0);
      await until(
        () => bidiCalls.aborted - before.aborted >= bidiCalls.started - before.started,
        5000,
        "every started handler's signal",
      );
      assert.ok(bidiCalls.started - before.started > 0, "the server started handlers for the reset streams");
      assert.equal(bidiCalls.aborted - before.aborted, bidiCalls.started - before.started);
    } finally {
      session.close();
    }
    await serverServes();
  });

  it("a stream reset mid-call: the handler's signal fires with CANCELLED and the server stays up", async () => {
    bidiStarted = deferred();
    const session = await rawConnect(h.port);
    try {
      // Aborting through the request's signal sends RST_STREAM CANCEL alone; close(CANCEL) would
      // half-close first (END_STREAM), which reads as a complete request stream.
      const ac = new AbortController();
      const req = session.request(grpcHeaders(BIDI), { endStream: false, signal: ac.signal });
      req.on("error", () => {});
      req.write(envelope(request("hello")));
      await within(bidiStarted.promise, 5000, "handler start");
      ac.abort();
      const reason = await within(bidiReason, 5000, "handler signal");
      assertRpcError(reason, Code.CANCELLED);
    } finally {
      session.close();
    }
    await serverServes();
  });

  it("a client whose socket is destroyed mid-call: the handler's signal fires and the server stays up", async () => {
    bidiStarted = deferred();
    const socket = net.connect(h.port, "127.0.0.1");
    socket.on("error", () => {});
    const session = http2.connect(`http://127.0.0.1:${h.port}`, { createConnection: () => socket });
    session.on("error", () => {});
    const req = session.request(grpcHeaders(BIDI), { endStream: false });
    req.on("error", () => {});
    req.write(envelope(request("hello")));
    await within(bidiStarted.promise, 5000, "handler start");
    socket.destroy();
    const reason = await within(bidiReason, 5000, "handler signal");
    assertRpcError(reason, Code.CANCELLED);
    await serverServes();
  });

  for (const [name, bytes, answer] of [
    ["random bytes", Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + 17) & 0xff), "HTTP/1.1 400"],
    [
      "an HTTP/2 preface followed by garbage",
      Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Buffer.alloc(64, 0xee)]),
      "GOAWAY",
    ],
    [
      "a malformed HTTP/1.1 request",
      Buffer.from("GARBAGE / HTTP/1.1\r\nHost: x\r\n\r\n\r\n\x00\x01"),
      "HTTP/1.1 400",
    ],
  ] as const) {
    it(`${name} on a socket: the server answers ${answer}, closes the connection, and serves others`, async () => {
      const socket = net.connect(h.port, "127.0.0.1");
      socket.on("error", () => {});
      const received: Buffer[] = [];
      socket.on("data", (c: Buffer) => received.push(c));
      const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      try {
        await within(
          new Promise<void>((resolve) => socket.once("connect", () => resolve())),
          5000,
          "connect",
        );
        socket.write(bytes);
        await within(closed, 5000, "the server closing the connection");
      } finally {
        socket.destroy();
      }
      const reply = Buffer.concat(received);
      if (answer === "GOAWAY")
        assert.ok(frameTypes(reply).includes(FRAME_GOAWAY), `no GOAWAY in ${reply.toString("hex")}`);
      else assert.match(reply.toString("latin1"), /^HTTP\/1\.1 400 /);
      await serverServes();
    });
  }
});

const FRAME_GOAWAY = 0x7;

/** The types of the HTTP/2 frames in what a server sent (walked by their 9-octet headers). */
function frameTypes(bytes: Buffer): number[] {
  const types: number[] = [];
  for (let p = 0; p + 9 <= bytes.length; p += 9 + bytes.readUIntBE(p, 3)) types.push(bytes[p + 3]!);
  return types;
}
