// Message size limits on both sides: receive limits (RESOURCE_EXHAUSTED from the receiver) and send
// limits (RESOURCE_EXHAUSTED before the message leaves).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { collect, type EchoHarness, expectRpcError, startEcho } from "@grpc-ts/testing";
import { Code } from "../index.js";

/** Serialized size of an EchoRequest/EchoResponse carrying only `payload` of n bytes (n < 16384). */
const encodedSize = (n: number) => 1 + (n < 128 ? 1 : 2) + n;

describe("message size limits", () => {
  describe("server receive limit (1000 bytes)", () => {
    let h: EchoHarness;
    let calls = 0;
    before(async () => {
      h = await startEcho({
        server: { maxReceiveMessageBytes: 1000 },
        impl: {
          async unary(req) {
            calls++;
            return { payload: req.payload };
          },
        },
      });
    });
    after(() => h.close());

    it("a request at the limit passes", async () => {
      const res = await h.client.unary({ payload: new Uint8Array(1000 - 3) });
      assert.equal(encodedSize(997), 1000);
      assert.equal(res.payload.length, 997);
    });

    it("a request over the limit: RESOURCE_EXHAUSTED naming the sizes, the handler never runs", async () => {
      const before = calls;
      const e = await expectRpcError(
        h.client.unary({ payload: new Uint8Array(998) }),
        Code.RESOURCE_EXHAUSTED,
        "1000",
      );
      assert.match(e.rawMessage, /1001/);
      assert.equal(calls, before);
    });

    it("a stream with one message over the limit: RESOURCE_EXHAUSTED", async () => {
      await expectRpcError(
        h.client.clientStream([{ payload: new Uint8Array(10) }, { payload: new Uint8Array(5000) }]),
        Code.RESOURCE_EXHAUSTED,
      );
    });

    it("the connection still serves calls afterwards", async () => {
      assert.equal((await h.client.unary({ payload: new Uint8Array(10) })).payload.length, 10);
    });
  });

  describe("channel receive limit (1000 bytes)", () => {
    let h: EchoHarness;
    before(async () => {
      h = await startEcho({ channel: { maxReceiveMessageBytes: 1000 } });
    });
    after(() => h.close());

    it("a response at the limit passes", async () => {
      assert.equal((await h.client.unary({ payload: new Uint8Array(997) })).payload.length, 997);
    });

    it("a unary response over the limit: RESOURCE_EXHAUSTED", async () => {
      await expectRpcError(h.client.unary({ payload: new Uint8Array(998) }), Code.RESOURCE_EXHAUSTED, "1000");
    });

    it("a server stream: the messages under the limit arrive, then RESOURCE_EXHAUSTED", async () => {
      const got: number[] = [];
      const responses = h.client.bidi([
        { payload: new Uint8Array(10) },
        { payload: new Uint8Array(2000) },
        {},
      ]);
      await expectRpcError(
        (async () => {
          for await (const r of responses) got.push(r.payload.length);
        })(),
        Code.RESOURCE_EXHAUSTED,
      );
      assert.deepEqual(got, [10]);
    });
  });

  describe("default receive limit (4 MiB)", () => {
    let h: EchoHarness;
    before(async () => {
      h = await startEcho();
    });
    after(() => h.close());

    it("a 5 MiB request: RESOURCE_EXHAUSTED", async () => {
      await expectRpcError(
        h.client.unary({ payload: new Uint8Array(5 * 1024 * 1024) }),
        Code.RESOURCE_EXHAUSTED,
        String(4 * 1024 * 1024),
      );
    });
  });

  describe("send limits (1000 bytes)", () => {
    let h: EchoHarness;
    let calls = 0;
    before(async () => {
      h = await startEcho({
        server: { maxSendMessageBytes: 1000 },
        channel: { maxSendMessageBytes: 1000 },
        impl: {
          async unary(req) {
            calls++;
            return { payload: new Uint8Array(req.count) };
          },
          async *serverStream(req) {
            yield { payload: new Uint8Array(10) };
            yield { payload: new Uint8Array(req.count) };
          },
        },
      });
    });
    after(() => h.close());

    it("the server's send limit: a response over it fails with RESOURCE_EXHAUSTED", async () => {
      assert.equal((await h.client.unary({ count: 997 })).payload.length, 997);
      await expectRpcError(h.client.unary({ count: 998 }), Code.RESOURCE_EXHAUSTED, "send limit");
    });

    it("the server's send limit mid-stream: the earlier messages arrive, then RESOURCE_EXHAUSTED", async () => {
      const got: number[] = [];
      await expectRpcError(
        (async () => {
          for await (const r of h.client.serverStream({ count: 5000 })) got.push(r.payload.length);
        })(),
        Code.RESOURCE_EXHAUSTED,
        "send limit",
      );
      assert.deepEqual(got, [10]);
    });

    it("the channel's send limit: a request over it fails locally and never runs the handler", async () => {
      const before = calls;
      await expectRpcError(
        h.client.unary({ payload: new Uint8Array(998) }),
        Code.RESOURCE_EXHAUSTED,
        "send limit",
      );
      await expectRpcError(
        h.client.clientStream([{ payload: new Uint8Array(1) }, { payload: new Uint8Array(2000) }]),
        Code.RESOURCE_EXHAUSTED,
        "send limit",
      );
      assert.equal(calls, before);
      assert.equal((await h.client.unary({ payload: new Uint8Array(997) })).payload.length, 0);
      assert.equal(calls, before + 1);
    });

    it("streams over the limit fail on both kinds", async () => {
      await expectRpcError(
        collect(h.client.bidi([{ payload: new Uint8Array(5000) }])),
        Code.RESOURCE_EXHAUSTED,
      );
    });
  });
});
