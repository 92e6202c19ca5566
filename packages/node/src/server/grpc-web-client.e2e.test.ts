// @grpc-ts/web (the browser's gRPC-Web client) against our server, with Node's global fetch
// (HTTP/1.1), in both formats: the same createClient code as on the gRPC channel.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  aborted,
  assertRpcError,
  collect,
  createEchoService,
  type Deferred,
  deferred,
  Echo,
  expectRpcError,
  type ServerHandle,
  startServer,
  within,
} from "@grpc-ts/testing";
import { createGrpcWebTransport } from "@grpc-ts/web";
import { Code, createClient, type HandlerContext, Metadata, RpcError, type Server } from "../index.js";

/** What the handlers saw, for the tests to wait on. */
let lastSignal: Deferred<AbortSignal> = deferred();
/** Lockstep streaming: the handler sends message i+1 only once the test has received message i. */
let received: ((i: number) => void) | undefined;

function setup(server: Server): void {
  server.add(Echo, {
    ...createEchoService(),
    async unary(r, ctx: HandlerContext) {
      lastSignal.resolve(ctx.signal);
      ctx.responseHeader.set("x-header", ctx.metadata.get("x-md") ?? "none");
      ctx.responseTrailer.set("x-trailer-bin", Uint8Array.of(1, 2, 3));
      if (r.delayMs > 0) await aborted(ctx.signal).then(() => undefined);
      if (r.failCode !== 0) {
        throw new RpcError(r.failCode as Code, r.failMessage, {
          details: [{ typeUrl: "type.googleapis.com/test.Detail", value: Uint8Array.of(9) }],
          metadata: new Metadata({ "x-error-md": "e" }),
        });
      }
      return { message: r.message, id: r.id, payload: r.payload };
    },
    async *serverStream(r, ctx) {
      lastSignal.resolve(ctx.signal);
      for (let i = 0; i < r.count; i++) {
        const got = deferred();
        received = (n) => {
          if (n === i) got.resolve();
        };
        yield { index: i, message: r.message };
        if (r.message === "lockstep") await within(got.promise, 5000, `the client receiving message ${i}`);
      }
      if (r.delayMs > 0) await aborted(ctx.signal);
      if (r.failCode !== 0) throw new RpcError(r.failCode as Code, r.failMessage);
    },
  });
}

for (const format of ["binary", "text"] as const) {
  describe(`@grpc-ts/web over fetch (${format}) against the server`, () => {
    let s: ServerHandle;
    let client: ReturnType<typeof createClient<typeof Echo>>;
    before(async () => {
      s = await startServer({ setup });
      client = createClient(Echo, createGrpcWebTransport({ baseUrl: `http://127.0.0.1:${s.port}`, format }));
    });
    after(() => s.close());

    it("unary, with header metadata, trailer metadata (-bin) and large payloads", async () => {
      const payload = new Uint8Array(1 << 20).map((_, i) => i & 0xff);
      let header: Metadata | undefined;
      let trailer: Metadata | undefined;
      const got = await client.unary(
        { message: "héllo", id: 5n, payload },
        {
          metadata: { "x-md": "sent" },
          onHeader: (h) => {
            header = h;
          },
          onTrailer: (t) => {
            trailer = t;
          },
        },
      );
      assert.equal(got.message, "héllo");
      assert.equal(got.id, 5n);
      assert.deepEqual(new Uint8Array(got.payload), payload);
      assert.equal(header?.get("x-header"), "sent");
      assert.deepEqual(trailer?.get("x-trailer-bin"), Uint8Array.of(1, 2, 3));
    });

    it("server streaming delivers each message as it is sent (lockstep: the next waits for the client)", async () => {
      const seen: number[] = [];
      for await (const m of client.serverStream({ message: "lockstep", count: 5 })) {
        seen.push(m.index);
        received?.(m.index);
      }
      assert.deepEqual(seen, [0, 1, 2, 3, 4]);
    });

    it("an error with details and metadata", async () => {
      const e = await expectRpcError(
        client.unary({ failCode: Code.FAILED_PRECONDITION, failMessage: "not now ✗" }),
        Code.FAILED_PRECONDITION,
        "not now ✗",
      );
      assert.equal(e.details[0]?.typeUrl, "type.googleapis.com/test.Detail");
      assert.equal(e.metadata.get("x-error-md"), "e");
      const streamed = await expectRpcError(
        collect(client.serverStream({ count: 2, failCode: Code.ABORTED, failMessage: "after two" })),
        Code.ABORTED,
      );
      assert.equal(streamed.rawMessage, "after two");
    });

    it("an unknown method is UNIMPLEMENTED (trailers-only)", async () => {
      const other = createClient(
        { ...Echo, typeName: "grpcts.test.Missing" },
        createGrpcWebTransport({ baseUrl: `http://127.0.0.1:${s.port}`, format }),
      );
      await expectRpcError(other.unary({}), Code.UNIMPLEMENTED);
    });

    it("a deadline: the client fails with DEADLINE_EXCEEDED and the handler is stopped", async () => {
      lastSignal = deferred();
      await expectRpcError(
        client.unary({ delayMs: 1, message: "wait" }, { timeoutMs: 200 }),
        Code.DEADLINE_EXCEEDED,
      );
      const signal = await within(lastSignal.promise, 5000, "handler started");
      const reason = await within(aborted(signal), 5000, "handler aborted");
      // The client resets at its deadline, a moment before the server's timer for the same deadline
      // fires: the server tells the handler DEADLINE_EXCEEDED either way (server-call.ts), as for
      // our gRPC client (deadline.e2e.test.ts).
      assertRpcError(reason, Code.DEADLINE_EXCEEDED);
    });

    it("cancellation with an AbortSignal reaches the handler", async () => {
      lastSignal = deferred();
      const ac = new AbortController();
      const call = client.unary({ delayMs: 1 }, { signal: ac.signal });
      const signal = await within(lastSignal.promise, 5000, "handler started");
      ac.abort();
      await expectRpcError(call, Code.CANCELLED);
      const reason = await within(aborted(signal), 5000, "handler aborted");
      assertRpcError(reason, Code.CANCELLED);
    });

    it("breaking out of a stream cancels it on the server", async () => {
      lastSignal = deferred();
      for await (const m of client.serverStream({ count: 1, delayMs: 1 })) {
        assert.equal(m.index, 0);
        break;
      }
      const signal = await within(lastSignal.promise, 5000, "handler started");
      await within(aborted(signal), 5000, "handler aborted");
    });

    it("client streaming goes as one body; bidi is refused by the client", async () => {
      const got = await client.clientStream([{ message: "a" }, { message: "b" }]);
      assert.equal(got.message, "a,b");
      await expectRpcError(collect(client.bidi([{ message: "x" }])), Code.UNIMPLEMENTED, "bidirectional");
    });
  });
}
