import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, createFileRegistry, type Message } from "@bufbuild/protobuf";
import type { GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import { FieldDescriptorProto_Type, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { collect, fromValues } from "@grpc-ts/testing/async";
import { TextEcho as Echo } from "@grpc-ts/testing/text-echo";
import { type Client, createClient, type Transport, toAsyncIterable } from "./client.js";
import { Code } from "./code.js";
import type { ClientInterceptor, ClientRequest, ClientResponse } from "./interceptor.js";
import { Metadata } from "./metadata.js";
import { RpcError } from "./rpc-error.js";

function single(
  req: ClientRequest,
  message: unknown,
  header = new Metadata(),
  trailer = new Metadata(),
): ClientResponse {
  return { method: req.method, header, trailer, stream: false, message };
}

function streamed(
  req: ClientRequest,
  message: AsyncIterable<unknown>,
  header = new Metadata(),
  trailer = new Metadata(),
): ClientResponse {
  return { method: req.method, header, trailer, stream: true, message };
}

/** A transport that records each request and answers with `respond`. */
function fakeTransport(respond: (req: ClientRequest) => Promise<ClientResponse> | ClientResponse) {
  const calls: ClientRequest[] = [];
  const transport: Transport = {
    call(req) {
      calls.push(req);
      return Promise.resolve().then(() => respond(req));
    },
  };
  return { calls, transport };
}

/** An echo transport: a unary request comes back upper-cased; streams are echoed message by message. */
function echoTransport() {
  return fakeTransport(async (req) => {
    if (!req.stream) {
      const m = String(req.message);
      return req.method.responseStream
        ? streamed(req, fromValues([m, m.toUpperCase()]))
        : single(req, m.toUpperCase());
    }
    if (!req.method.responseStream) return single(req, (await collect(req.message)).join("+"));
    const input = req.message;
    return streamed(
      req,
      (async function* () {
        for await (const m of input) yield `echo:${String(m)}`;
      })(),
    );
  });
}

describe("createClient: the request the transport sees", () => {
  it("unary: one message, no stream, metadata, deadline, compression, signal, waitForReady", async () => {
    const { calls, transport } = echoTransport();
    const client = createClient(Echo, transport);
    const signal = new AbortController().signal;
    const before = Date.now();
    const res = await client.unary("hi", {
      metadata: { "x-user": "ann", "x-multi": ["1", "2"], "x-bin": Uint8Array.of(1) },
      timeoutMs: 5000,
      compression: "gzip",
      signal,
      waitForReady: true,
    });
    const after = Date.now();
    assert.equal(res, "HI");
    assert.equal(calls.length, 1);
    const req = calls[0]!;
    assert.equal(req.method, Echo.methods.unary);
    assert.equal(req.stream, false);
    assert.equal(req.message, "hi");
    assert.deepEqual(req.header.toJSON(), { "x-user": "ann", "x-multi": ["1", "2"], "x-bin": "AQ==" });
    assert.ok(req.deadline !== undefined && req.deadline >= before + 5000 && req.deadline <= after + 5000);
    assert.equal(req.compression, "gzip");
    assert.equal(req.signal, signal);
    assert.equal(req.waitForReady, true);
  });

  it("without options: empty metadata, no deadline, no compression, no signal, waitForReady unset (the channel's method config decides, else fail fast)", async () => {
    const { calls, transport } = echoTransport();
    await createClient(Echo, transport).unary("x");
    const req = calls[0]!;
    assert.ok(req.header instanceof Metadata);
    assert.equal(req.header.size, 0);
    assert.equal(req.deadline, undefined);
    assert.equal(req.compression, undefined);
    assert.equal(req.signal, undefined);
    assert.equal(req.waitForReady, undefined);
  });

  it("takes an absolute deadline, and the earlier of deadline and timeout", async () => {
    const { calls, transport } = echoTransport();
    const client = createClient(Echo, transport);
    const at = Date.now() + 60_000;
    await client.unary("a", { deadline: new Date(at) });
    await client.unary("b", { deadline: at });
    await client.unary("c", { deadline: at, timeoutMs: 120_000 });
    const before = Date.now();
    await client.unary("d", { deadline: at, timeoutMs: 10 });
    assert.equal(calls[0]!.deadline, at);
    assert.equal(calls[1]!.deadline, at);
    assert.equal(calls[2]!.deadline, at);
    assert.ok(calls[3]!.deadline! >= before + 10 && calls[3]!.deadline! < at);
  });

  it("copies the caller's Metadata, so the call cannot change it", async () => {
    const { calls, transport } = echoTransport();
    const md = new Metadata({ "x-a": "1" });
    await createClient(Echo, transport).unary("x", { metadata: md });
    assert.notEqual(calls[0]!.header, md);
    calls[0]!.header.set("x-b", "2");
    assert.equal(md.has("x-b"), false);
    assert.equal(calls[0]!.header.get("x-a"), "1");
  });

  it("server streaming: one request message, a stream of responses, started at once", async () => {
    const { calls, transport } = echoTransport();
    const responses = createClient(Echo, transport).serverStream("go", { metadata: { "x-s": "1" } });
    assert.equal(calls.length, 1, "the call starts before iteration");
    const req = calls[0]!;
    assert.equal(req.stream, false);
    assert.equal(req.message, "go");
    assert.equal(req.method, Echo.methods.serverStream);
    assert.equal(req.header.get("x-s"), "1");
    assert.deepEqual(await collect(responses), ["go", "GO"]);
  });

  it("client streaming: an array becomes a stream the transport reads", async () => {
    const { calls, transport } = echoTransport();
    const res = await createClient(Echo, transport).clientStream(["a", "b", "c"]);
    assert.equal(res, "a+b+c");
    const req = calls[0]!;
    assert.equal(req.stream, true);
    assert.equal(req.method, Echo.methods.clientStream);
  });

  it("client streaming: an async iterable is passed as it is", async () => {
    const { calls, transport } = echoTransport();
    const source = fromValues(["x", "y"]);
    assert.equal(await createClient(Echo, transport).clientStream(source), "x+y");
    assert.equal(calls[0]!.message, source);
  });

  it("bidi: a stream each way", async () => {
    const { calls, transport } = echoTransport();
    const out = createClient(Echo, transport).bidi(fromValues(["1", "2", "3"]), { timeoutMs: 1000 });
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.stream, true);
    assert.ok(calls[0]!.deadline !== undefined);
    assert.deepEqual(await collect(out), ["echo:1", "echo:2", "echo:3"]);
  });

  it("has one method per RPC, by local name", () => {
    const { transport } = echoTransport();
    const client: Client<typeof Echo> = createClient(Echo, transport);
    assert.deepEqual(Object.keys(client).sort(), ["bidi", "clientStream", "serverStream", "unary"]);
  });

  it("works with a protobuf-es service descriptor", async () => {
    const file = create(FileDescriptorProtoSchema, {
      name: "t.proto",
      package: "t",
      syntax: "proto3",
      messageType: [
        {
          name: "M",
          field: [{ name: "v", number: 1, type: FieldDescriptorProto_Type.STRING, jsonName: "v" }],
        },
      ],
      service: [
        {
          name: "S",
          method: [
            { name: "Get", inputType: ".t.M", outputType: ".t.M" },
            { name: "List", inputType: ".t.M", outputType: ".t.M", serverStreaming: true },
          ],
        },
      ],
    });
    // Typed as protoc-gen-es would generate it.
    type M = Message<"t.M"> & { v: string };
    const registry = createFileRegistry(file, () => undefined);
    const MSchema = registry.getMessage("t.M") as GenMessage<M>;
    const S = registry.getService("t.S") as GenService<{
      get: { methodKind: "unary"; input: typeof MSchema; output: typeof MSchema };
      list: { methodKind: "server_streaming"; input: typeof MSchema; output: typeof MSchema };
    }>;
    const { calls, transport } = fakeTransport((req) =>
      req.method.responseStream
        ? streamed(req, fromValues([{ v: "1" }, { v: "2" }]))
        : single(req, { v: "got" }),
    );
    const client = createClient(S, transport);
    const got: M = await client.get({ v: "x" });
    assert.deepEqual(got, { v: "got" });
    const listed: M[] = [];
    for await (const m of client.list({ v: "y" })) listed.push(m);
    assert.deepEqual(listed, [{ v: "1" }, { v: "2" }]);
    assert.equal(calls[0]!.method.path, "/t.S/Get");
    assert.equal(calls[0]!.method.desc, S.method.get);
    assert.deepEqual(calls[0]!.message, { v: "x" });
    assert.equal(calls[1]!.method.path, "/t.S/List");
    assert.equal(calls[1]!.stream, false);
  });
});

describe("createClient: headers and trailers", () => {
  it("unary: onHeader then onTrailer with the response's metadata", async () => {
    const header = new Metadata({ "x-h": "h" });
    const trailer = new Metadata({ "x-t": "t" });
    const { transport } = fakeTransport((req) => single(req, "ok", header, trailer));
    const events: [string, Metadata][] = [];
    const res = await createClient(Echo, transport).unary("x", {
      onHeader: (h) => events.push(["header", h]),
      onTrailer: (t) => events.push(["trailer", t]),
    });
    assert.equal(res, "ok");
    assert.deepEqual(events, [
      ["header", header],
      ["trailer", trailer],
    ]);
  });

  it("streaming: onHeader before the first message, onTrailer after the last", async () => {
    const header = new Metadata({ "x-h": "h" });
    const trailer = new Metadata({ "x-t": "t" });
    const { transport } = fakeTransport((req) => streamed(req, fromValues(["a", "b"]), header, trailer));
    const events: string[] = [];
    const out = createClient(Echo, transport).bidi([], {
      onHeader: (h) => events.push(`header:${h.get("x-h")}`),
      onTrailer: (t) => events.push(`trailer:${t.get("x-t")}`),
    });
    for await (const m of out) events.push(String(m));
    assert.deepEqual(events, ["header:h", "a", "b", "trailer:t"]);
  });

  it("streaming: a single-message response is yielded as one message", async () => {
    const { transport } = fakeTransport((req) => single(req, "only"));
    assert.deepEqual(await collect(createClient(Echo, transport).serverStream("x")), ["only"]);
  });

  it("unary: a stream where one message is due is INTERNAL", async () => {
    const { transport } = fakeTransport((req) => streamed(req, fromValues(["a"])));
    await assert.rejects(
      createClient(Echo, transport).unary("x"),
      (e: unknown) =>
        e instanceof RpcError && e.code === Code.INTERNAL && e.rawMessage.includes("/test.Echo/Unary"),
    );
  });
});

describe("createClient: errors", () => {
  it("unary: an RpcError is passed as it is and onTrailer gets its metadata", async () => {
    const metadata = new Metadata({ "x-why": "because" });
    const err = new RpcError(Code.NOT_FOUND, "nope", { metadata });
    const { transport } = fakeTransport(() => {
      throw err;
    });
    const trailers: Metadata[] = [];
    let headers = 0;
    await assert.rejects(
      createClient(Echo, transport).unary("x", {
        onTrailer: (t) => trailers.push(t),
        onHeader: () => headers++,
      }),
      (e) => e === err,
    );
    assert.deepEqual(trailers, [metadata]);
    assert.equal(headers, 0);
  });

  it("unary and client streaming: anything else becomes an RpcError with the original as cause", async () => {
    const boom = new TypeError("socket hang up");
    const { transport } = fakeTransport(() => {
      throw boom;
    });
    const client = createClient(Echo, transport);
    let trailer: Metadata | undefined;
    await assert.rejects(client.unary("x", { onTrailer: (t) => (trailer = t) }), (e: unknown) => {
      assert.ok(e instanceof RpcError);
      assert.equal(e.code, Code.UNKNOWN);
      assert.equal(e.cause, boom);
      return true;
    });
    assert.ok(trailer instanceof Metadata);
    await assert.rejects(
      client.clientStream(["a"]),
      (e: unknown) => e instanceof RpcError && e.cause === boom,
    );
  });

  it("an abort becomes CANCELLED", async () => {
    const { transport } = fakeTransport(() => {
      throw new DOMException("aborted", "AbortError");
    });
    await assert.rejects(
      createClient(Echo, transport).unary("x"),
      (e: unknown) => e instanceof RpcError && e.code === Code.CANCELLED,
    );
  });

  it("streaming: a failed start comes out of the iteration as an RpcError", async () => {
    const err = new RpcError(Code.UNAVAILABLE, "down", { metadata: new Metadata({ "x-e": "1" }) });
    const { transport } = fakeTransport(() => Promise.reject(err));
    const trailers: Metadata[] = [];
    const out = createClient(Echo, transport).serverStream("x", { onTrailer: (t) => trailers.push(t) });
    await assert.rejects(collect(out), (e) => e === err);
    assert.deepEqual(trailers, [err.metadata]);
  });

  it("streaming: an error after some messages comes after them, as an RpcError, with its metadata", async () => {
    const responseTrailer = new Metadata({ "x-t": "never" });
    const failure = new RpcError(Code.DATA_LOSS, "cut", { metadata: new Metadata({ "x-e": "e" }) });
    const { transport } = fakeTransport((req) =>
      streamed(req, fromValues(["a", "b"], failure), new Metadata(), responseTrailer),
    );
    const got: unknown[] = [];
    const trailers: Metadata[] = [];
    await assert.rejects(
      (async () => {
        for await (const m of createClient(Echo, transport).bidi(["q"], {
          onTrailer: (t) => trailers.push(t),
        }))
          got.push(m);
      })(),
      (e) => e === failure,
    );
    assert.deepEqual(got, ["a", "b"]);
    assert.deepEqual(trailers, [failure.metadata]);
  });

  it("streaming: a plain error from the stream becomes UNKNOWN", async () => {
    const boom = new Error("reset");
    const { transport } = fakeTransport((req) => streamed(req, fromValues(["a"], boom)));
    await assert.rejects(
      collect(createClient(Echo, transport).serverStream("x")),
      (e: unknown) => e instanceof RpcError && e.code === Code.UNKNOWN && e.cause === boom,
    );
  });

  it("streaming: an unread failed call raises no unhandled rejection", async () => {
    const { transport } = fakeTransport(() => Promise.reject(new RpcError(Code.INTERNAL, "x")));
    let unhandled = 0;
    const onUnhandled = () => unhandled++;
    process.on("unhandledRejection", onUnhandled);
    try {
      createClient(Echo, transport).serverStream("x");
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    assert.equal(unhandled, 0);
  });

  it("streaming: breaking out of the loop returns the transport's stream", async () => {
    let finished = false;
    const { transport } = fakeTransport((req) =>
      streamed(
        req,
        (async function* () {
          try {
            for (let i = 0; ; i++) yield String(i);
          } finally {
            finished = true;
          }
        })(),
      ),
    );
    for await (const m of createClient(Echo, transport).serverStream("x")) {
      if (m === "2") break;
    }
    assert.equal(finished, true);
  });
});

describe("createClient: interceptors", () => {
  it("run with the first in the list outermost", async () => {
    const log: string[] = [];
    const tag =
      (name: string): ClientInterceptor =>
      (next) =>
      async (req) => {
        log.push(`${name}>`);
        const res = await next(req);
        log.push(`<${name}`);
        return res;
      };
    const { transport } = fakeTransport((req) => {
      log.push("transport");
      return single(req, "r");
    });
    await createClient(Echo, transport, { interceptors: [tag("a"), tag("b"), tag("c")] }).unary("x");
    assert.deepEqual(log, ["a>", "b>", "c>", "transport", "<c", "<b", "<a"]);
  });

  it("see the method and can change the request metadata", async () => {
    const { calls, transport } = echoTransport();
    const seen: string[] = [];
    const auth: ClientInterceptor = (next) => (req) => {
      seen.push(req.method.path);
      req.header.set("authorization", "Bearer t");
      req.header.delete("x-drop");
      return next(req);
    };
    const client = createClient(Echo, transport, { interceptors: [auth] });
    await client.unary("x", { metadata: { "x-drop": "1", "x-keep": "2" } });
    await collect(client.bidi(["y"]));
    assert.deepEqual(seen, ["/test.Echo/Unary", "/test.Echo/Bidi"]);
    assert.deepEqual(calls[0]!.header.toJSON(), { "x-keep": "2", authorization: "Bearer t" });
    assert.equal(calls[1]!.header.get("authorization"), "Bearer t");
  });

  it("can wrap the request and the response streams", async () => {
    const { transport } = echoTransport();
    const shout: ClientInterceptor = (next) => async (req) => {
      const out = req.stream
        ? {
            ...req,
            message: (async function* () {
              for await (const m of req.message) yield `${String(m)}!`;
            })(),
          }
        : req;
      const res = await next(out);
      if (!res.stream) return res;
      const inner = res.message;
      return {
        ...res,
        message: (async function* () {
          for await (const m of inner) yield String(m).toUpperCase();
        })(),
      };
    };
    const client = createClient(Echo, transport, { interceptors: [shout] });
    assert.deepEqual(await collect(client.bidi(["a", "b"])), ["ECHO:A!", "ECHO:B!"]);
    assert.deepEqual(await collect(client.serverStream("q")), ["Q", "Q"]);
    assert.equal(await client.clientStream(["a", "b"]), "a!+b!");
  });

  it("can short-circuit by throwing an RpcError; the transport is never called", async () => {
    const { calls, transport } = echoTransport();
    const denied = new RpcError(Code.PERMISSION_DENIED, "no", {
      metadata: new Metadata({ "x-policy": "p1" }),
    });
    const deny: ClientInterceptor = () => async () => {
      throw denied;
    };
    const trailers: Metadata[] = [];
    const client = createClient(Echo, transport, { interceptors: [deny] });
    await assert.rejects(client.unary("x", { onTrailer: (t) => trailers.push(t) }), (e) => e === denied);
    await assert.rejects(collect(client.serverStream("x")), (e) => e === denied);
    assert.equal(calls.length, 0);
    assert.equal(trailers[0]?.get("x-policy"), "p1");
  });

  it("can answer without the transport", async () => {
    const { calls, transport } = echoTransport();
    const cache: ClientInterceptor = () => async (req) => single(req, "cached");
    assert.equal(await createClient(Echo, transport, { interceptors: [cache] }).unary("x"), "cached");
    assert.equal(calls.length, 0);
  });
});

describe("toAsyncIterable", () => {
  it("passes an async iterable through and wraps a sync one", async () => {
    const a = fromValues([1]);
    assert.equal(toAsyncIterable(a), a);
    assert.deepEqual(await collect(toAsyncIterable([1, 2, 3])), [1, 2, 3]);
    assert.deepEqual(await collect(toAsyncIterable(new Set(["x"]))), ["x"]);
  });
});
