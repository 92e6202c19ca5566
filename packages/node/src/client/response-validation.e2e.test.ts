// What the client makes of responses that a conforming server would not send, from a hand-driven
// node:http2 server.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  answer,
  collect,
  Echo,
  EchoResponseSchema,
  envelope,
  expectRpcError,
  type RawServer,
  startRawServer,
  until,
  within,
} from "@grpc-ts/testing";
import { Code, createChannel, createClient } from "../index.js";

const response = (message: string) =>
  envelope(toBinary(EchoResponseSchema, create(EchoResponseSchema, { message })));

describe("client response validation", () => {
  const servers: RawServer[] = [];
  const closers: (() => void)[] = [];
  after(async () => {
    for (const c of closers) c();
    await Promise.all(servers.map((s) => s.close()));
  });

  async function clientFor(onStream: Parameters<typeof startRawServer>[0]) {
    const server = await startRawServer(onStream);
    servers.push(server);
    const channel = createChannel(server.target);
    closers.push(() => channel.close());
    return { server, client: createClient(Echo, channel) };
  }

  it("the request headers follow PROTOCOL-HTTP2.md", async () => {
    const { server, client } = await clientFor((stream) =>
      answer(stream, [response("ok")], { "grpc-status": "0" }),
    );
    await client.unary({}, { timeoutMs: 10_000, metadata: { "x-custom": "v" } });
    const h = server.requests[0];
    assert.ok(h !== undefined);
    assert.equal(h[":method"], "POST");
    assert.equal(h[":path"], "/grpcts.test.Echo/Unary");
    assert.equal(h[":scheme"], "http");
    assert.equal(h[":authority"], server.target);
    assert.equal(h["content-type"], "application/grpc");
    assert.equal(h.te, "trailers");
    assert.match(String(h["grpc-timeout"]), /^\d{1,8}[HMSmun]$/);
    assert.match(String(h["user-agent"]), /grpc-ts-node\//);
    assert.equal(h["x-custom"], "v");
    assert.ok(String(h["grpc-accept-encoding"]).includes("gzip"));
  });

  for (const [status, code] of [
    [400, Code.INTERNAL],
    [401, Code.UNAUTHENTICATED],
    [403, Code.PERMISSION_DENIED],
    [404, Code.UNIMPLEMENTED],
    [429, Code.UNAVAILABLE],
    [502, Code.UNAVAILABLE],
    [503, Code.UNAVAILABLE],
    [504, Code.UNAVAILABLE],
    [500, Code.UNKNOWN],
  ] as const) {
    it(`HTTP ${status} without grpc-status: code ${code}`, async () => {
      const { client } = await clientFor((stream) => {
        stream.respond({ ":status": status, "content-type": "text/plain" }, { endStream: true });
      });
      await expectRpcError(client.unary({}), code, String(status));
    });
  }

  it("a non-gRPC content-type: UNKNOWN", async () => {
    const { client } = await clientFor((stream) => {
      stream.respond({ ":status": 200, "content-type": "text/html" });
      stream.end("<html></html>");
    });
    await expectRpcError(client.unary({}), Code.UNKNOWN, "text/html");
  });

  it("a trailers-only response carries the status", async () => {
    const { client } = await clientFor((stream) => {
      stream.respond(
        {
          ":status": 200,
          "content-type": "application/grpc",
          "grpc-status": "7",
          "grpc-message": "denied%20here",
        },
        { endStream: true },
      );
    });
    await expectRpcError(client.unary({}), Code.PERMISSION_DENIED, "denied here");
  });

  it("no grpc-status in the trailers: INTERNAL", async () => {
    const { client } = await clientFor((stream) => answer(stream, [response("x")], { "x-other": "1" }));
    await expectRpcError(client.unary({}), Code.INTERNAL, "grpc-status");
  });

  it("a grpc-status that is not a code: UNKNOWN", async () => {
    const { client } = await clientFor((stream) => answer(stream, [], { "grpc-status": "99" }));
    await expectRpcError(client.unary({}), Code.UNKNOWN, "99");
  });

  it("OK with no message for a unary call: INTERNAL", async () => {
    const { client } = await clientFor((stream) => answer(stream, [], { "grpc-status": "0" }));
    await expectRpcError(client.unary({}), Code.INTERNAL, "no response message");
  });

  it("two messages for a unary call: INTERNAL", async () => {
    const { client } = await clientFor((stream) =>
      answer(stream, [response("a"), response("b")], { "grpc-status": "0" }),
    );
    await expectRpcError(client.unary({}), Code.INTERNAL, "more than one");
  });

  it("a message split across many DATA frames, and several messages in one frame, decode", async () => {
    const a = response("first");
    const b = response("second");
    const { client } = await clientFor((stream) =>
      answer(stream, [...Array.from(a, (byte) => Uint8Array.of(byte)), Buffer.concat([b, b])], {
        "grpc-status": "0",
      }),
    );
    const got = await collect(client.serverStream({}));
    assert.deepEqual(
      got.map((r) => r.message),
      ["first", "second", "second"],
    );
  });

  it("a response stream cut in the middle of a message: INTERNAL", async () => {
    const whole = response("cut short");
    const { client } = await clientFor((stream) =>
      answer(stream, [whole.subarray(0, whole.length - 2)], { "grpc-status": "0" }),
    );
    await expectRpcError(collect(client.serverStream({})), Code.INTERNAL);
  });

  it("a server that resets the stream: mapped from the HTTP/2 error code", async () => {
    const { client } = await clientFor((stream) => stream.close(0xb /* ENHANCE_YOUR_CALM */));
    await within(
      expectRpcError(client.unary({}), Code.RESOURCE_EXHAUSTED, "ENHANCE_YOUR_CALM"),
      5000,
      "reset",
    );
  });

  it("a refused stream (REFUSED_STREAM) is retried once, transparently, on a new connection", async () => {
    let n = 0;
    const { server, client } = await clientFor((stream) => {
      if (++n === 1) stream.close(0x7 /* REFUSED_STREAM */);
      else answer(stream, [response("second try")], { "grpc-status": "0" });
    });
    assert.equal((await within(client.unary({ message: "m" }), 5000, "retried")).message, "second try");
    assert.equal(server.requests.length, 2);
  });

  it("refused twice: UNAVAILABLE after one retry", async () => {
    const { server, client } = await clientFor((stream) => stream.close(0x7 /* REFUSED_STREAM */));
    await within(expectRpcError(client.unary({}), Code.UNAVAILABLE, "REFUSED_STREAM"), 5000, "refused");
    assert.equal(server.requests.length, 2);
  });

  it("a refused client-streaming call is not retried (its messages may be gone)", async () => {
    const { server, client } = await clientFor((stream) => stream.close(0x7 /* REFUSED_STREAM */));
    await within(
      expectRpcError(client.clientStream([{}]), Code.UNAVAILABLE, "REFUSED_STREAM"),
      5000,
      "refused",
    );
    assert.equal(server.requests.length, 1);
  });

  it("a server that answers and stops reading while the client still sends: the call completes and its stream closes", async () => {
    let closed = false;
    const { client } = await clientFor((stream) => {
      stream.on("close", () => {
        closed = true;
      });
      answer(stream, [response("early")], { "grpc-status": "0" });
    });
    let stop = false;
    const requests = (async function* () {
      for (let i = 0; i < 1000 && !stop; i++) {
        yield { message: String(i) };
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const got = await within(collect(client.bidi(requests)), 5000, "early answer");
    stop = true;
    assert.deepEqual(
      got.map((r) => r.message),
      ["early"],
    );
    await until(() => closed, 1000, "the client closing its side of the stream");
  });

  it("a connection the client's HTTP/2 layer gave up on (header too large) is not used for the next call", async () => {
    let n = 0;
    const { client } = await clientFor((stream) => {
      n++;
      if (n === 1) {
        stream.respond({ ":status": 200, "content-type": "application/grpc", "x-huge": "h".repeat(100_000) });
        stream.end();
        return;
      }
      answer(stream, [response("next")], { "grpc-status": "0" });
    });
    await within(expectRpcError(client.unary({}), Code.INTERNAL), 5000, "huge header");
    assert.equal((await within(client.unary({}), 5000, "next call")).message, "next");
  });
});
