import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { createEchoService, Echo, expectRpcError, until } from "@grpc-ts/testing";
import { Code, createClient, findDetails, Metadata, RpcError, type ServerInterceptor } from "../index.js";
import { createRouterTransport } from "./router-transport.js";

describe("createRouterTransport: the services in memory, through a client", () => {
  const client = createClient(
    Echo,
    createRouterTransport((s) => s.add(Echo, createEchoService())),
  );

  it("carries all four call kinds", async () => {
    const res = await client.unary({ message: "hi", id: 7n });
    assert.equal(res.message, "hi");
    assert.equal(res.id, 7n);
    const streamed: number[] = [];
    for await (const r of client.serverStream({ count: 5 })) streamed.push(r.index);
    assert.deepEqual(streamed, [0, 1, 2, 3, 4]);
    const summary = await client.clientStream([{ message: "a" }, { message: "b" }, { message: "c" }]);
    assert.equal(summary.received, 3);
    assert.equal(summary.message, "a,b,c");
    const echoed: string[] = [];
    for await (const r of client.bidi([{ message: "x" }, { message: "y" }])) echoed.push(r.message);
    assert.deepEqual(echoed, ["x", "y"]);
  });

  it("gives the handler's status as an RpcError, with details and trailers", async () => {
    const transport = createRouterTransport((s) =>
      s.add(Echo, {
        ...createEchoService(),
        unary(_req, ctx) {
          ctx.responseTrailer.set("x-trailer", "t");
          throw new RpcError(Code.RESOURCE_EXHAUSTED, "slow down", {
            details: [{ desc: DurationSchema, value: { seconds: 3n } }],
          });
        },
      }),
    );
    let trailer: Metadata | undefined;
    const err = await expectRpcError(
      createClient(Echo, transport).unary({}, { onTrailer: (t) => (trailer = t) }),
      Code.RESOURCE_EXHAUSTED,
    );
    assert.equal(err.rawMessage, "slow down");
    assert.equal(findDetails(err.details, DurationSchema)[0]?.seconds, 3n);
    assert.equal(trailer?.get("x-trailer"), "t");
  });

  it("carries metadata both ways and runs server interceptors", async () => {
    const seen: string[] = [];
    const interceptor: ServerInterceptor = (next) => async (req) => {
      seen.push(`${req.method.name}:${req.ctx.metadata.get("x-req") ?? ""}`);
      return next(req);
    };
    const transport = createRouterTransport(
      (s) =>
        s.add(Echo, {
          ...createEchoService(),
          async unary(req, ctx) {
            ctx.responseHeader.set("x-res", "h");
            return { message: req.message };
          },
        }),
      { interceptors: [interceptor] },
    );
    let header: Metadata | undefined;
    await createClient(Echo, transport).unary(
      { message: "m" },
      { metadata: new Metadata({ "x-req": "r" }), onHeader: (h) => (header = h) },
    );
    assert.deepEqual(seen, ["Unary:r"]);
    assert.equal(header?.get("x-res"), "h");
  });

  it("ends a call at its deadline (DEADLINE_EXCEEDED), and the handler's signal fires", async () => {
    let handlerSignal: AbortSignal | undefined;
    const transport = createRouterTransport((s) =>
      s.add(Echo, {
        ...createEchoService(),
        unary(_req, ctx) {
          handlerSignal = ctx.signal;
          return new Promise((_resolve, reject) =>
            ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)),
          );
        },
      }),
    );
    await expectRpcError(createClient(Echo, transport).unary({}, { timeoutMs: 20 }), Code.DEADLINE_EXCEEDED);
    for (let i = 0; i < 100 && handlerSignal?.aborted !== true; i++)
      await new Promise((r) => setTimeout(r, 5));
    assert.equal(handlerSignal?.aborted, true);
  });

  it("cancels with the caller's signal: CANCELLED, and the server's handler is told", async () => {
    let serverReason: unknown;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const transport = createRouterTransport((s) =>
      s.add(Echo, {
        ...createEchoService(),
        async *serverStream(_req, ctx) {
          yield { index: 0 };
          started();
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          serverReason = ctx.signal.reason;
        },
      }),
    );
    const controller = new AbortController();
    const stream = createClient(Echo, transport).serverStream({}, { signal: controller.signal });
    const read = (async () => {
      for await (const _ of stream) {
        // reading until the cancellation
      }
    })();
    await running;
    controller.abort();
    await expectRpcError(read, Code.CANCELLED);
    await until(() => serverReason !== undefined, 2000, "the handler saw the cancellation");
    assert.ok(serverReason instanceof RpcError);
    assert.equal(serverReason.code, Code.CANCELLED);
  });

  it("answers UNIMPLEMENTED for a service it does not serve, and enforces message limits", async () => {
    await expectRpcError(
      createClient(
        Echo,
        createRouterTransport(() => {}),
      ).unary({}),
      Code.UNIMPLEMENTED,
    );
    const small = createRouterTransport((s) => s.add(Echo, createEchoService()), {
      maxReceiveMessageBytes: 100,
    });
    const err = await expectRpcError(
      createClient(Echo, small).unary({ payload: new Uint8Array(1000) }),
      Code.RESOURCE_EXHAUSTED,
    );
    assert.match(err.rawMessage, /100/);
  });

  it("streams many messages with flow control both ways (a slow reader holds the server back)", async () => {
    const big = new Uint8Array(16 * 1024);
    const messages = 200;
    const streamed = client.serverStream({ count: messages, payload: big });
    let got = 0;
    for await (const r of streamed) {
      assert.equal(r.payload.length, big.length);
      if (++got % 50 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    assert.equal(got, messages);
    const uploads = Array.from({ length: messages }, () => ({ payload: big }));
    assert.equal((await client.clientStream(uploads)).received, messages);
  });

  it("compresses when asked (gzip), and the handler sees the encoding", async () => {
    let encoding = "";
    const transport = createRouterTransport(
      (s) =>
        s.add(Echo, {
          ...createEchoService(),
          async unary(req, ctx) {
            encoding = ctx.requestEncoding;
            return { payload: req.payload };
          },
        }),
      { compression: "gzip" },
    );
    const payload = new Uint8Array(4096).fill(1);
    const res = await createClient(Echo, transport).unary({ payload });
    assert.deepEqual(Uint8Array.from(res.payload), payload);
    assert.equal(encoding, "gzip");
  });
});
