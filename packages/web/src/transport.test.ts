// The gRPC-Web transport against a scripted fetch: what it sends, and how it reads every kind of
// response (streamed in pieces, text mode, trailers-only, HTTP errors, broken bodies), deadlines
// and cancellation. The end-to-end tests against the real server are in @grpc-ts/node.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, createClient, defineService, RpcError } from "@grpc-ts/core";
import { statusToTrailers } from "@grpc-ts/core/grpc";
import { encodeTextSegment, encodeTrailerFrame } from "@grpc-ts/core/grpc-web";
import { encodeEnvelope } from "@grpc-ts/core/protocol";
import { concat } from "@grpc-ts/testing/bytes";
import { createGrpcWebTransport } from "./transport.js";

const text = {
  serialize: (s: string) => new TextEncoder().encode(s),
  deserialize: (b: Uint8Array) => new TextDecoder().decode(b),
};
const Svc = defineService("t.Svc", {
  unary: { kind: "unary", request: text, response: text },
  stream: { kind: "server_streaming", request: text, response: text },
  collect: { kind: "client_streaming", request: text, response: text },
  chat: { kind: "bidi_streaming", request: text, response: text },
});

interface Seen {
  url: string;
  headers: Headers;
  body: Uint8Array;
  signal: AbortSignal | undefined;
}

const msg = (s: string) => encodeEnvelope(0, new TextEncoder().encode(s));
const ok = encodeTrailerFrame({ "grpc-status": "0", "x-trailer": "t" });

/** A fetch that records the request and answers with `respond(seen)`. */
function fakeFetch(respond: (seen: Seen) => Response | Promise<Response>) {
  const calls: Seen[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const seen: Seen = {
      url: String(input),
      headers: new Headers(init?.headers),
      body: new Uint8Array(await new Response(init?.body ?? null).arrayBuffer()),
      signal: init?.signal ?? undefined,
    };
    calls.push(seen);
    return respond(seen);
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

/** A response whose body is the given chunks, each its own read. */
function response(
  chunks: readonly Uint8Array[],
  headers: Record<string, string> = {},
  status = 200,
): Response {
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
  return new Response(body, {
    status,
    headers: { "content-type": "application/grpc-web+proto", ...headers },
  });
}

function client(fetch: typeof globalThis.fetch, format: "binary" | "text" = "binary") {
  return createClient(Svc, createGrpcWebTransport({ baseUrl: "http://h.test/base/", format, fetch }));
}

async function rejects(p: Promise<unknown>, code: Code): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RpcError, String(e));
    assert.equal(e.code, code, e.message);
    return e;
  }
  throw new Error("expected a rejection");
}

describe("createGrpcWebTransport", () => {
  it("sends a gRPC-Web POST: URL, headers, one envelope; reads header and trailer metadata", async () => {
    const f = fakeFetch(() => response([concat([msg("pong"), ok])], { "x-header": "h" }));
    let header: string | undefined;
    let trailer: string | undefined;
    const got = await client(f.fetch).unary("ping", {
      metadata: { "x-md": "v", "x-bin": Uint8Array.of(1, 2) },
      timeoutMs: 5000,
      onHeader: (h) => {
        header = h.get("x-header");
      },
      onTrailer: (t) => {
        trailer = t.get("x-trailer");
      },
    });
    assert.equal(got, "pong");
    assert.equal(header, "h");
    assert.equal(trailer, "t");
    const seen = f.calls[0]!;
    assert.equal(seen.url, "http://h.test/base/t.Svc/Unary");
    assert.equal(seen.headers.get("content-type"), "application/grpc-web+proto");
    assert.equal(seen.headers.get("x-grpc-web"), "1");
    assert.match(seen.headers.get("x-user-agent") ?? "", /^grpc-ts-web\//);
    assert.match(seen.headers.get("grpc-timeout") ?? "", /^\d+[mu]$/);
    assert.equal(seen.headers.get("x-md"), "v");
    assert.equal(seen.headers.get("x-bin"), "AQI");
    assert.deepEqual(seen.body, msg("ping"));
  });

  it("text mode: sends base64 and reads a body of padded segments split at every boundary", async () => {
    const body = concat([msg("a"), msg("bb"), msg("ccc"), ok].map(encodeTextSegment));
    for (let i = 0; i <= body.length; i++) {
      const f = fakeFetch(() =>
        response([body.subarray(0, i), body.subarray(i)], {
          "content-type": "application/grpc-web-text+proto",
        }),
      );
      const out: string[] = [];
      for await (const m of client(f.fetch, "text").stream("x")) out.push(m);
      assert.deepEqual(out, ["a", "bb", "ccc"], `split at ${i}`);
      assert.equal(f.calls[0]!.headers.get("content-type"), "application/grpc-web-text+proto");
      assert.equal(new TextDecoder().decode(f.calls[0]!.body), "AAAAAAF4");
    }
  });

  it("delivers each streamed message before the rest of the body arrives", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const f = fakeFetch(() => {
      let step = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          step++;
          if (step === 1) controller.enqueue(msg("first"));
          else if (step === 2) {
            await gate; // the rest comes only once the caller has the first message
            controller.enqueue(concat([msg("second"), ok]));
          } else controller.close();
        },
      });
      return new Response(body, { headers: { "content-type": "application/grpc-web" } });
    });
    const out: string[] = [];
    for await (const m of client(f.fetch).stream("x")) {
      out.push(m);
      if (m === "first") release();
    }
    assert.deepEqual(out, ["first", "second"]);
  });

  it("throws the status of the trailer frame with details and trailers", async () => {
    const trailers = statusToTrailers(
      new RpcError(Code.FAILED_PRECONDITION, "no way", {
        details: [{ typeUrl: "type.googleapis.com/x.Y", value: Uint8Array.of(1) }],
      }),
      undefined,
    );
    const f = fakeFetch(() => response([encodeTrailerFrame([...trailers, "x-t", "1"])]));
    const e = await rejects(client(f.fetch).unary("x"), Code.FAILED_PRECONDITION);
    assert.equal(e.rawMessage, "no way");
    assert.equal(e.details[0]?.typeUrl, "type.googleapis.com/x.Y");
    assert.equal(e.metadata.get("x-t"), "1");
  });

  it("reads trailers-only responses (status in the headers)", async () => {
    const f = fakeFetch(() => response([], { "grpc-status": "12", "grpc-message": "nope" }));
    await rejects(client(f.fetch).unary("x"), Code.UNIMPLEMENTED);
    const okOnly = fakeFetch(() => response([], { "grpc-status": "0" }));
    const out: string[] = [];
    for await (const m of client(okOnly.fetch).stream("x")) out.push(m);
    assert.deepEqual(out, []);
    await rejects(client(okOnly.fetch).unary("x"), Code.INTERNAL);
  });

  it("maps HTTP errors, wrong content types and network failures", async () => {
    await rejects(client(fakeFetch(() => response([], {}, 404)).fetch).unary("x"), Code.UNIMPLEMENTED);
    await rejects(
      client(fakeFetch(() => response([], { "content-type": "text/html" })).fetch).unary("x"),
      Code.UNKNOWN,
    );
    const down = (async () => {
      throw new TypeError("Failed to fetch");
    }) as typeof globalThis.fetch;
    await rejects(client(down).unary("x"), Code.UNAVAILABLE);
  });

  it("is INTERNAL for a body without trailer frame, a cut-off frame, or two unary responses", async () => {
    await rejects(client(fakeFetch(() => response([msg("a")])).fetch).unary("x"), Code.INTERNAL);
    await rejects(
      client(fakeFetch(() => response([msg("abc").subarray(0, 6)])).fetch).unary("x"),
      Code.INTERNAL,
    );
    await rejects(
      client(fakeFetch(() => response([msg("a"), msg("b"), ok])).fetch).unary("x"),
      Code.INTERNAL,
    );
    await rejects(client(fakeFetch(() => response([ok])).fetch).unary("x"), Code.INTERNAL);
  });

  /** A fetch that never answers until its signal aborts, then rejects with the signal's reason. */
  const hanging = fakeFetch(
    (seen) =>
      new Promise<Response>((_, reject) => {
        seen.signal?.addEventListener("abort", () => reject(seen.signal?.reason), { once: true });
      }),
  );

  it("deadline: DEADLINE_EXCEEDED from the local timer; past deadlines fail at once", async () => {
    await rejects(client(hanging.fetch).unary("x", { timeoutMs: 30 }), Code.DEADLINE_EXCEEDED);
    assert.equal(hanging.calls.at(-1)!.signal?.aborted, true);
    const before = hanging.calls.length;
    await rejects(client(hanging.fetch).unary("x", { deadline: Date.now() - 1 }), Code.DEADLINE_EXCEEDED);
    assert.equal(hanging.calls.length, before, "nothing sent");
  });

  it("cancellation: an aborted signal gives CANCELLED and aborts the fetch", async () => {
    const ac = new AbortController();
    const p = client(hanging.fetch).unary("x", { signal: ac.signal });
    setTimeout(() => ac.abort(), 10);
    await rejects(p, Code.CANCELLED);
    assert.equal(hanging.calls.at(-1)!.signal?.aborted, true);
    await rejects(client(hanging.fetch).unary("x", { signal: AbortSignal.abort() }), Code.CANCELLED);
  });

  it("stopping a stream early aborts the fetch", async () => {
    const f = fakeFetch(() => response([msg("a"), msg("b"), ok]));
    for await (const m of client(f.fetch).stream("x")) {
      assert.equal(m, "a");
      break;
    }
    assert.equal(f.calls[0]!.signal?.aborted, true);
  });

  it("flow control: the body is read no faster than the caller takes the messages", async () => {
    let pulls = 0;
    const f = fakeFetch(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              controller.enqueue(msg(String(pulls++)));
            },
          }),
          { headers: { "content-type": "application/grpc-web" } },
        ),
    );
    const it = client(f.fetch).stream("x")[Symbol.asyncIterator]();
    assert.equal((await it.next()).value, "0");
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    const held = pulls;
    assert.ok(held < 40, `the body was read on without the caller: ${held} chunks`);
    for (let i = 1; i <= 60; i++) assert.equal((await it.next()).value, String(i));
    await it.return?.();
    assert.equal(f.calls[0]!.signal?.aborted, true);
  });

  it("a deadline while the body is read fails the stream and cancels the body", async () => {
    let cancelled = false;
    const f = fakeFetch(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(msg("a"));
            },
            cancel() {
              cancelled = true;
            },
          }),
          { headers: { "content-type": "application/grpc-web" } },
        ),
    );
    const out: string[] = [];
    const e = await rejects(
      (async () => {
        for await (const m of client(f.fetch).stream("x", { timeoutMs: 30 })) out.push(m);
      })(),
      Code.DEADLINE_EXCEEDED,
    );
    assert.deepEqual(out, ["a"]);
    assert.match(e.rawMessage, /^deadline exceeded after \d+ ms$/);
    assert.equal(cancelled, true);
    assert.equal(f.calls[0]!.signal?.aborted, true);
  });

  it("a client stream whose source fails ends the call (CANCELLED) without sending", async () => {
    const f = fakeFetch(() => response([concat([msg("2"), ok])]));
    async function* failing(): AsyncGenerator<string> {
      yield "a";
      throw new Error("source broke");
    }
    const e = await rejects(client(f.fetch).collect(failing()), Code.CANCELLED);
    assert.equal(e.rawMessage, "source broke");
    assert.equal(f.calls.length, 0);
  });

  it("client streaming sends every message in one body; bidi is refused before sending", async () => {
    const f = fakeFetch(() => response([concat([msg("2"), ok])]));
    assert.equal(await client(f.fetch).collect(["a", "b"]), "2");
    assert.deepEqual(f.calls[0]!.body, concat([msg("a"), msg("b")]));
    const none = fakeFetch(() => response([ok]));
    const it = client(none.fetch).chat(["a"])[Symbol.asyncIterator]();
    const e = await rejects(it.next(), Code.UNIMPLEMENTED);
    assert.match(e.rawMessage, /bidirectional/);
    assert.equal(none.calls.length, 0);
  });
});
