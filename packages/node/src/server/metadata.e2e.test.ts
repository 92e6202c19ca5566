// Metadata end to end: request metadata as the handler sees it, response headers and trailers as
// the client sees them (also with an error), and protocol headers kept out of user metadata.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  assertBytes,
  collect,
  type EchoHarness,
  expectRpcError,
  rejection,
  startEcho,
  within,
} from "@grpc-ts/testing";
import { Code, type HandlerContext, Metadata, RpcError } from "../index.js";

const binary = new Uint8Array([0, 1, 2, 3, 250, 251, 252, 253, 254, 255]);

describe("metadata", () => {
  let h: EchoHarness;
  let seen: HandlerContext | undefined;
  before(async () => {
    h = await startEcho({
      impl: {
        async unary(req, ctx) {
          seen = ctx;
          ctx.responseHeader.set("x-header", "from-handler");
          ctx.responseHeader.append("x-header-multi", "h1");
          ctx.responseHeader.append("x-header-multi", "h2");
          ctx.responseHeader.set("x-header-bin", binary);
          ctx.responseTrailer.set("x-trailer", "done");
          ctx.responseTrailer.set("x-trailer-bin", new Uint8Array([9, 8, 7]));
          if (req.failCode !== 0) {
            throw new RpcError(req.failCode as Code, req.failMessage, {
              metadata: new Metadata({ "x-error-md": "from-error" }),
            });
          }
          return { message: req.message };
        },
        async *serverStream(req, ctx) {
          seen = ctx;
          if (req.message === "huge header") ctx.responseHeader.set("x-huge", "h".repeat(req.count));
          ctx.responseHeader.set("x-stream-header", "sh");
          for (let i = 0; i < req.count; i++) yield { index: i };
          ctx.responseTrailer.set("x-stream-trailer", `sent ${req.count}`);
          if (req.failCode !== 0) throw new RpcError(req.failCode as Code, req.failMessage);
        },
      },
    });
  });
  after(() => h.close());

  it("the handler sees ASCII, multi-value and -bin request metadata", async () => {
    const md = new Metadata();
    md.set("x-ascii", "hello world ~!");
    md.append("x-multi", "one");
    md.append("x-multi", "two");
    md.append("x-multi", "three");
    md.set("x-comma", "a, b,c");
    md.set("x-bytes-bin", binary);
    md.append("x-multi-bin", new Uint8Array([1]));
    md.append("x-multi-bin", new Uint8Array([2, 2]));
    await h.client.unary({}, { metadata: md });
    const got = seen?.metadata;
    assert.ok(got !== undefined);
    assert.equal(got.get("x-ascii"), "hello world ~!");
    assert.deepEqual(got.getAll("x-multi"), ["one", "two", "three"]);
    assert.deepEqual(got.getAll("x-comma"), ["a, b,c"]);
    assertBytes(got.get("x-bytes-bin") ?? new Uint8Array(), binary);
    assert.deepEqual(
      got.getAll("x-multi-bin").map((b) => [...b]),
      [[1], [2, 2]],
    );
  });

  it("metadata given as a plain object, keys case-insensitive", async () => {
    await h.client.unary({}, { metadata: { "X-Mixed-Case": "v", "x-list": ["a", "b"] } });
    assert.equal(seen?.metadata.get("x-mixed-case"), "v");
    assert.deepEqual(seen?.metadata.getAll("x-list"), ["a", "b"]);
  });

  it("reserved protocol headers are not in ctx.metadata", async () => {
    await h.client.unary({}, { timeoutMs: 5000, compression: "gzip", metadata: { "x-user": "u" } });
    const keys = [...(seen?.metadata.keys() ?? [])];
    for (const reserved of ["content-type", "te", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding"]) {
      assert.ok(!keys.includes(reserved), `${reserved} is visible: ${keys.join(", ")}`);
    }
    assert.ok(!keys.some((k) => k.startsWith(":")), `pseudo-headers visible: ${keys.join(", ")}`);
    assert.equal(seen?.metadata.get("x-user"), "u");
    assert.ok(keys.includes("user-agent"), "user-agent is ordinary metadata");
    assert.match(seen?.metadata.get("user-agent") ?? "", /grpc-ts-node\//);
  });

  it("response headers and trailers set by a unary handler reach onHeader and onTrailer", async () => {
    let header: Metadata | undefined;
    let trailer: Metadata | undefined;
    const res = await h.client.unary(
      { message: "m" },
      {
        onHeader: (md) => {
          header = md;
        },
        onTrailer: (md) => {
          trailer = md;
        },
      },
    );
    assert.equal(res.message, "m");
    assert.ok(header !== undefined && trailer !== undefined);
    assert.equal(header.get("x-header"), "from-handler");
    assert.deepEqual(header.getAll("x-header-multi"), ["h1", "h2"]);
    assertBytes(header.get("x-header-bin") ?? new Uint8Array(), binary);
    assert.equal(trailer.get("x-trailer"), "done");
    assert.deepEqual([...(trailer.get("x-trailer-bin") ?? [])], [9, 8, 7]);
    assert.equal(header.has("x-trailer"), false);
    assert.equal(trailer.has("x-header"), false);
    for (const k of [...header.keys(), ...trailer.keys()]) {
      assert.ok(
        !k.startsWith(":") && !k.startsWith("grpc-") && k !== "content-type",
        `protocol key ${k} in metadata`,
      );
    }
  });

  it("trailers also arrive with an error: in RpcError.metadata and onTrailer", async () => {
    let trailer: Metadata | undefined;
    const e = await expectRpcError(
      h.client.unary(
        { failCode: Code.FAILED_PRECONDITION, failMessage: "nope" },
        {
          onTrailer: (md) => {
            trailer = md;
          },
        },
      ),
      Code.FAILED_PRECONDITION,
      "nope",
    );
    assert.equal(e.metadata.get("x-trailer"), "done");
    assert.equal(e.metadata.get("x-error-md"), "from-error");
    assert.deepEqual([...(e.metadata.get("x-trailer-bin") ?? [])], [9, 8, 7]);
    assert.ok(trailer !== undefined, "onTrailer was called");
    assert.equal(trailer.get("x-trailer"), "done");
    assert.equal(trailer.get("x-error-md"), "from-error");
  });

  it("a server stream: headers before the first message, trailers after the last", async () => {
    const events: string[] = [];
    const got = await collect(
      h.client.serverStream(
        { count: 2 },
        {
          onHeader: (md) => events.push(`header ${md.get("x-stream-header")}`),
          onTrailer: (md) => events.push(`trailer ${md.get("x-stream-trailer")}`),
        },
      ),
    );
    assert.equal(got.length, 2);
    assert.deepEqual(events, ["header sh", "trailer sent 2"]);
  });

  it("a server stream failing after messages: its trailers are in the error", async () => {
    const e = await expectRpcError(
      collect(h.client.serverStream({ count: 3, failCode: Code.ABORTED, failMessage: "late" })),
      Code.ABORTED,
      "late",
    );
    assert.equal(e.metadata.get("x-stream-trailer"), "sent 3");
  });

  it("oversized metadata fails the call with a status, and the very next call on the channel works", async () => {
    for (const size of [20_000, 100_000]) {
      const e = await within(
        rejection(h.client.unary({}, { metadata: { "x-huge": "x".repeat(size) }, timeoutMs: 5000 })),
        6000,
        "oversized request metadata",
      );
      assert.ok(e instanceof RpcError, String(e));
      assert.ok(
        ([Code.RESOURCE_EXHAUSTED, Code.UNAVAILABLE, Code.INTERNAL] as Code[]).includes(e.code),
        `${size}: ${e.code} ${e.rawMessage}`,
      );
      assert.equal((await h.client.unary({ message: `after ${size}` })).message, `after ${size}`);
    }
    const e = await within(
      rejection(
        collect(h.client.serverStream({ message: "huge header", count: 100_000 }, { timeoutMs: 5000 })),
      ),
      6000,
      "oversized response header",
    );
    assert.ok(e instanceof RpcError, String(e));
    // The client's HTTP/2 layer rejects the header and ends that connection; the next call goes to
    // a new one (a stream refused by the dying connection is retried transparently).
    assert.equal((await h.client.unary({ message: "after huge header" })).message, "after huge header");
  });
});
