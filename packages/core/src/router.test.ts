import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromValues } from "@grpc-ts/testing/async";
import { TextEcho as Echo, text } from "@grpc-ts/testing/text-echo";
import { Code } from "./code.js";
import type { HandlerContext } from "./handler-context.js";
import type { ServerInterceptor, ServerRequest } from "./interceptor.js";
import { Metadata } from "./metadata.js";
import { type AnyMethod, defineService } from "./method.js";
import { Router } from "./router.js";
import { RpcError } from "./rpc-error.js";

const Other = defineService("test.Other", {
  ping: { kind: "unary", request: text, response: text },
});

function ctx(method: AnyMethod): HandlerContext {
  return {
    method,
    metadata: new Metadata({ "x-user": "ann" }),
    peer: "ipv4:127.0.0.1:1234",
    deadline: undefined,
    signal: new AbortController().signal,
    responseHeader: new Metadata(),
    responseTrailer: new Metadata(),
    setCompression: () => {},
    requestEncoding: "identity",
    tls: undefined,
  };
}

async function drain(it: unknown): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of it as AsyncIterable<unknown>) out.push(v);
  return out;
}

const impl = {
  prefix: "echo:",
  unary(req: string, c: HandlerContext) {
    return `${this.prefix}${req}:${c.metadata.get("x-user")}`;
  },
  async *serverStream(req: string) {
    yield `${req}1`;
    yield `${req}2`;
  },
  async clientStream(reqs: AsyncIterable<string>) {
    const all: string[] = [];
    for await (const r of reqs) all.push(r);
    return all.join(",");
  },
  async *bidi(reqs: AsyncIterable<string>) {
    for await (const r of reqs) yield r.toUpperCase();
  },
};

async function invoke(router: Router, path: string, message: unknown): Promise<unknown> {
  const route = router.get(path);
  assert.ok(route, `no route for ${path}`);
  return route.invoke(message, ctx(route.method));
}

describe("Router", () => {
  it("routes each method's path to its handler, bound to the implementation", async () => {
    const router = new Router();
    router.add(Echo, impl);
    assert.equal(router.get("/test.Echo/Unary")?.method, Echo.methods.unary);
    assert.equal(await invoke(router, "/test.Echo/Unary", "hi"), "echo:hi:ann");
    assert.deepEqual(await drain(await invoke(router, "/test.Echo/ServerStream", "s")), ["s1", "s2"]);
    assert.equal(await invoke(router, "/test.Echo/ClientStream", fromValues(["a", "b"])), "a,b");
    assert.deepEqual(await drain(await invoke(router, "/test.Echo/Bidi", fromValues(["x", "y"]))), [
      "X",
      "Y",
    ]);
  });

  it("does not route unknown paths, other casings, or methods without a handler", () => {
    const router = new Router();
    router.add(Echo, { unary: impl.unary });
    assert.equal(router.get("/test.Echo/Nope"), undefined);
    assert.equal(router.get("/test.echo/Unary"), undefined, "paths are case-sensitive");
    assert.equal(router.get("/test.Echo/unary"), undefined);
    assert.equal(router.get("test.Echo/Unary"), undefined);
    assert.equal(router.get("/test.Echo/ServerStream"), undefined, "no handler, no route");
    assert.ok(router.get("/test.Echo/Unary"));
  });

  it("knows which services were added, in order, even with no handlers", () => {
    const router = new Router();
    router.add(Echo, {});
    router.add(Other, { ping: (s: string) => s });
    assert.equal(router.hasService("test.Echo"), true);
    assert.equal(router.hasService("test.Other"), true);
    assert.equal(router.hasService("test.Missing"), false);
    assert.equal(router.get("/test.Echo/Unary"), undefined);
    assert.deepEqual(
      router.services().map((s) => s.typeName),
      ["test.Echo", "test.Other"],
    );
  });

  it("refuses a service added twice", () => {
    const router = new Router();
    router.add(Echo, impl);
    assert.throws(() => router.add(Echo, impl), /test\.Echo/);
    const sameName = defineService("test.Echo", { x: { kind: "unary", request: text, response: text } });
    assert.throws(() => router.add(sameName, {}), /already/);
  });

  it("refuses a handler that is not a function", () => {
    const router = new Router();
    assert.throws(() => router.add(Echo, { unary: "nope" } as never), TypeError);
  });

  it("without interceptors, the route calls the handler directly", async () => {
    const router = new Router();
    const handler = (s: string) => `plain:${s}`;
    router.add(Other, { ping: handler });
    const route = router.get("/test.Other/Ping")!;
    // No promise is made for a synchronous handler.
    assert.equal(route.invoke("x", ctx(route.method)), "plain:x");
  });
});

describe("Router interceptors", () => {
  it("wrap unary calls, the first outermost, with a non-stream request", async () => {
    const log: string[] = [];
    const seen: ServerRequest[] = [];
    const tag =
      (name: string): ServerInterceptor =>
      (next) =>
      async (req) => {
        log.push(`${name}>`);
        seen.push(req);
        const res = await next(req);
        log.push(`<${name}`);
        return res;
      };
    const router = new Router();
    router.add(
      Echo,
      {
        unary: (s: string) => {
          log.push("handler");
          return `r:${s}`;
        },
      },
      [tag("a"), tag("b")],
    );
    const route = router.get("/test.Echo/Unary")!;
    const c = ctx(route.method);
    assert.equal(await route.invoke("m", c), "r:m");
    assert.deepEqual(log, ["a>", "b>", "handler", "<b", "<a"]);
    assert.equal(seen[0]!.stream, false);
    assert.equal(seen[0]!.message, "m");
    assert.equal(seen[0]!.method, Echo.methods.unary);
    assert.equal(seen[0]!.ctx, c);
  });

  it("give streaming methods stream requests and responses as their kind says", async () => {
    const flags: [string, boolean][] = [];
    const spy: ServerInterceptor = (next) => async (req) => {
      const res = await next(req);
      flags.push([req.method.name, req.stream]);
      flags.push([`${req.method.name} response`, res.stream]);
      return res;
    };
    const router = new Router();
    router.add(Echo, impl, [spy]);
    assert.deepEqual(await drain(await invoke(router, "/test.Echo/ServerStream", "s")), ["s1", "s2"]);
    assert.equal(await invoke(router, "/test.Echo/ClientStream", fromValues(["a"])), "a");
    assert.deepEqual(await drain(await invoke(router, "/test.Echo/Bidi", fromValues(["b"]))), ["B"]);
    assert.equal(await invoke(router, "/test.Echo/Unary", "u"), "echo:u:ann");
    assert.deepEqual(flags, [
      ["ServerStream", false],
      ["ServerStream response", true],
      ["ClientStream", true],
      ["ClientStream response", false],
      ["Bidi", true],
      ["Bidi response", true],
      ["Unary", false],
      ["Unary response", false],
    ]);
  });

  it("can wrap request and response streams", async () => {
    const wrap: ServerInterceptor = (next) => async (req) => {
      const inReq: ServerRequest = req.stream
        ? {
            ...req,
            message: (async function* () {
              for await (const m of req.message) yield `<${String(m)}>`;
            })(),
          }
        : req;
      const res = await next(inReq);
      if (!res.stream) return res;
      const inner = res.message;
      return {
        stream: true,
        message: (async function* () {
          for await (const m of inner) yield `${String(m)}!`;
        })(),
      };
    };
    const router = new Router();
    router.add(Echo, impl, [wrap]);
    assert.deepEqual(await drain(await invoke(router, "/test.Echo/Bidi", fromValues(["a", "b"]))), [
      "<A>!",
      "<B>!",
    ]);
    assert.equal(await invoke(router, "/test.Echo/ClientStream", fromValues(["a", "b"])), "<a>,<b>");
  });

  it("can short-circuit: throwing an RpcError, or answering without the handler", async () => {
    let handlerCalls = 0;
    const denied = new RpcError(Code.UNAUTHENTICATED, "who are you");
    const gate: ServerInterceptor = (next) => async (req) => {
      if (req.ctx.metadata.get("x-user") !== "root") {
        if (req.method.name === "Unary") throw denied;
        return req.method.responseStream
          ? { stream: true, message: fromValues(["cached"]) }
          : { stream: false, message: "cached" };
      }
      return next(req);
    };
    const router = new Router();
    router.add(
      Echo,
      {
        unary: () => {
          handlerCalls++;
          return "x";
        },
        serverStream: async function* () {
          handlerCalls++;
          yield "x";
        },
        clientStream: () => {
          handlerCalls++;
          return "x";
        },
      },
      [gate],
    );
    await assert.rejects(Promise.resolve(invoke(router, "/test.Echo/Unary", "u")), (e) => e === denied);
    assert.deepEqual(await drain(await invoke(router, "/test.Echo/ServerStream", "s")), ["cached"]);
    assert.equal(await invoke(router, "/test.Echo/ClientStream", fromValues([])), "cached");
    assert.equal(handlerCalls, 0);
  });

  it("a response of the wrong kind is INTERNAL", async () => {
    const wrongKind: ServerInterceptor = (next) => async (req) => {
      const res = await next(req);
      return res.stream ? { stream: false, message: "one" } : { stream: true, message: fromValues(["many"]) };
    };
    const router = new Router();
    router.add(Echo, impl, [wrongKind]);
    for (const [path, message] of [
      ["/test.Echo/Unary", "u"],
      ["/test.Echo/ServerStream", "s"],
      ["/test.Echo/ClientStream", fromValues(["c"])],
      ["/test.Echo/Bidi", fromValues(["b"])],
    ] as const) {
      await assert.rejects(
        Promise.resolve(invoke(router, path, message)),
        (e: unknown) => e instanceof RpcError && e.code === Code.INTERNAL && e.rawMessage.includes(path),
        path,
      );
    }
  });

  it("handler errors pass through the interceptors, which can see and replace them", async () => {
    const seen: unknown[] = [];
    const mapErrors: ServerInterceptor = (next) => async (req) => {
      try {
        return await next(req);
      } catch (e) {
        seen.push(e);
        throw new RpcError(Code.ABORTED, "mapped", { cause: e });
      }
    };
    const boom = new Error("boom");
    const router = new Router();
    router.add(
      Other,
      {
        ping: () => {
          throw boom;
        },
      },
      [mapErrors],
    );
    await assert.rejects(
      Promise.resolve(invoke(router, "/test.Other/Ping", "x")),
      (e: unknown) => e instanceof RpcError && e.code === Code.ABORTED && e.cause === boom,
    );
    assert.deepEqual(seen, [boom]);
  });

  it("interceptors apply per service", async () => {
    let calls = 0;
    const count: ServerInterceptor = (next) => (req) => {
      calls++;
      return next(req);
    };
    const router = new Router();
    router.add(Echo, impl, [count]);
    router.add(Other, { ping: (s: string) => s });
    await invoke(router, "/test.Other/Ping", "x");
    assert.equal(calls, 0);
    await invoke(router, "/test.Echo/Unary", "x");
    assert.equal(calls, 1);
  });
});
