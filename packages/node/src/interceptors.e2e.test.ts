// Client and server interceptors end to end.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { collect, Echo, type EchoHarness, expectRpcError, startEcho } from "@grpc-ts/testing";
import {
  type ClientInterceptor,
  Code,
  createChannel,
  createClient,
  type HandlerContext,
  RpcError,
  type ServerInterceptor,
} from "./index.js";

describe("interceptors", () => {
  let h: EchoHarness;
  const order: string[] = [];
  const counted = new Map<string, number>();
  let lastCtx: HandlerContext | undefined;

  const requireToken: ServerInterceptor = (next) => async (req) => {
    order.push("auth");
    if (req.ctx.metadata.get("authorization") !== "Bearer secret") {
      throw new RpcError(Code.UNAUTHENTICATED, "missing or bad authorization header");
    }
    return next(req);
  };
  const countResponses: ServerInterceptor = (next) => async (req) => {
    order.push("count");
    const res = await next(req);
    if (!res.stream) {
      counted.set(req.method.name, 1);
      return res;
    }
    const source = res.message;
    return {
      stream: true,
      message: (async function* () {
        let n = 0;
        try {
          for await (const m of source) {
            n++;
            yield m;
          }
        } finally {
          counted.set(req.method.name, n);
          req.ctx.responseTrailer.set("x-sent-messages", String(n));
        }
      })(),
    };
  };

  before(async () => {
    h = await startEcho({
      server: { interceptors: [requireToken, countResponses] },
      impl: {
        async unary(req, ctx) {
          lastCtx = ctx;
          return { message: req.message };
        },
      },
    });
  });
  after(() => h.close());

  const addToken: ClientInterceptor = (next) => async (req) => {
    req.header.set("authorization", "Bearer secret");
    req.header.append("x-client-trace", "interceptor");
    return next(req);
  };

  it("a client interceptor's metadata reaches the handler; server interceptors run first to last", async () => {
    const channel = createChannel(h.target);
    try {
      const client = createClient(Echo, channel, { interceptors: [addToken] });
      order.length = 0;
      assert.equal((await client.unary({ message: "hi" })).message, "hi");
      assert.equal(lastCtx?.metadata.get("x-client-trace"), "interceptor");
      assert.deepEqual(order, ["auth", "count"]);
    } finally {
      channel.close();
    }
  });

  it("a server interceptor short-circuits with UNAUTHENTICATED when the header is missing", async () => {
    order.length = 0;
    lastCtx = undefined;
    await expectRpcError(h.client.unary({ message: "no token" }), Code.UNAUTHENTICATED, "authorization");
    await expectRpcError(collect(h.client.serverStream({ count: 2 })), Code.UNAUTHENTICATED);
    await expectRpcError(h.client.clientStream([{}, {}]), Code.UNAUTHENTICATED);
    assert.equal(lastCtx, undefined, "the handler never ran");
    assert.deepEqual(order, ["auth", "auth", "auth"]);
  });

  it("a server interceptor wrapping the response stream counts the messages", async () => {
    const channel = createChannel(h.target);
    try {
      const client = createClient(Echo, channel, { interceptors: [addToken] });
      let trailer: string | undefined;
      const got = await collect(
        client.serverStream(
          { count: 7 },
          {
            onTrailer: (md) => {
              trailer = md.get("x-sent-messages");
            },
          },
        ),
      );
      assert.equal(got.length, 7);
      assert.equal(counted.get("ServerStream"), 7);
      assert.equal(trailer, "7");
      const bidi = await collect(client.bidi([{ message: "a" }, { message: "b" }]));
      assert.deepEqual(
        bidi.map((r) => r.message),
        ["a", "b"],
      );
      assert.equal(counted.get("Bidi"), 2);
    } finally {
      channel.close();
    }
  });

  it("client interceptors see responses and errors, outermost first", async () => {
    const channel = createChannel(h.target);
    const log: string[] = [];
    const outer: ClientInterceptor = (next) => async (req) => {
      log.push(`outer ${req.method.name}`);
      try {
        const res = await next(req);
        log.push(`outer ok ${res.stream ? "stream" : "single"}`);
        return res;
      } catch (e) {
        log.push(`outer error ${e instanceof RpcError ? e.code : "?"}`);
        throw e;
      }
    };
    const inner: ClientInterceptor = (next) => async (req) => {
      log.push("inner");
      return next(req);
    };
    try {
      const client = createClient(Echo, channel, { interceptors: [outer, inner] });
      await expectRpcError(client.unary({}), Code.UNAUTHENTICATED);
      const authed = createClient(Echo, channel, { interceptors: [outer, addToken, inner] });
      await authed.unary({ message: "x" });
      assert.deepEqual(log, [
        "outer Unary",
        "inner",
        `outer error ${Code.UNAUTHENTICATED}`,
        "outer Unary",
        "inner",
        "outer ok single",
      ]);
    } finally {
      channel.close();
    }
  });

  it("a client interceptor can answer without the network", async () => {
    const channel = createChannel(h.target);
    try {
      const cached: ClientInterceptor = () => async (req) => ({
        stream: false,
        method: req.method,
        header: req.header,
        trailer: req.header,
        message: { message: "from cache", $typeName: "grpcts.test.EchoResponse" },
      });
      const client = createClient(Echo, channel, { interceptors: [cached] });
      assert.equal((await client.unary({})).message, "from cache");
      assert.equal(channel.getState(), "IDLE");
    } finally {
      channel.close();
    }
  });
});
