// Codecs end to end: the built-in JSON codec (application/grpc+json) and a hand-written service
// (defineService) with its own serialization.
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import {
  assertBytes,
  collect,
  Echo,
  type EchoHarness,
  envelope,
  expectRpcError,
  grpcHeaders,
  listenLoopback,
  rawCall,
  startEcho,
  startServer,
  statusOf,
} from "@grpc-ts/testing";
import { Code, createChannel, createClient, defineService, type Serializer } from "./index.js";

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const parse = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes));

describe("JSON codec (application/grpc+json)", () => {
  let h: EchoHarness;
  before(async () => {
    h = await startEcho();
  });
  after(() => h.close());

  it("a channel with codec json: values round-trip (strings, int64, bytes, streams)", async () => {
    const channel = createChannel(h.target, { codec: "json" });
    try {
      const client = createClient(Echo, channel);
      const payload = new Uint8Array([0, 1, 2, 255]);
      const res = await client.unary({ message: "ünïcode", id: 9_007_199_254_740_993n, payload });
      assert.equal(res.message, "ünïcode");
      assert.equal(res.id, 9_007_199_254_740_993n);
      assertBytes(res.payload, payload);
      const stream = await collect(client.serverStream({ count: 3, message: "s" }));
      assert.deepEqual(
        stream.map((r) => [r.index, r.message]),
        [
          [0, "s"],
          [1, "s"],
          [2, "s"],
        ],
      );
      assert.equal((await client.clientStream([{ message: "a" }, { message: "b" }])).message, "a,b");
      assert.deepEqual(
        (await collect(client.bidi([{ message: "x" }]))).map((r) => r.message),
        ["x"],
      );
      await expectRpcError(
        client.unary({ failCode: Code.NOT_FOUND, failMessage: "json error" }),
        Code.NOT_FOUND,
        "json error",
      );
    } finally {
      channel.close();
    }
  });

  it("on the wire: the server accepts application/grpc+json and answers in JSON", async () => {
    const res = await rawCall(
      h.port,
      grpcHeaders("/grpcts.test.Echo/Unary", { "content-type": "application/grpc+json" }),
      {
        body: [envelope(json({ message: "raw json", id: "42", payload: "AAEC" }))],
      },
    );
    assert.equal(statusOf(res).code, 0);
    assert.equal(res.headers["content-type"], "application/grpc+json");
    assert.equal(res.data[0], 0);
    assert.deepEqual(parse(res.data.subarray(5)), { message: "raw json", id: "42", payload: "AAEC" });
  });

  it("on the wire: the channel sends application/grpc+json with a JSON body", async () => {
    let seen: { contentType: string | undefined; body: unknown } | undefined;
    const server = http2.createServer();
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on("session", (s) => sessions.add(s));
    server.on("stream", (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const body = Buffer.concat(chunks);
        seen = { contentType: headers["content-type"], body: parse(body.subarray(5)) };
        stream.respond(
          { ":status": 200, "content-type": "application/grpc+json" },
          { waitForTrailers: true },
        );
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(envelope(json({ message: "from raw server", index: 5 })));
      });
    });
    const port = await listenLoopback(server);
    const channel = createChannel(`127.0.0.1:${port}`, { codec: "json" });
    try {
      const res = await createClient(Echo, channel).unary({ message: "to raw server", count: 3 });
      assert.equal(res.message, "from raw server");
      assert.equal(res.index, 5);
      assert.deepEqual(seen, {
        contentType: "application/grpc+json",
        body: { message: "to raw server", count: 3 },
      });
    } finally {
      channel.close();
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("invalid JSON in the request: INTERNAL", async () => {
    const res = await rawCall(
      h.port,
      grpcHeaders("/grpcts.test.Echo/Unary", { "content-type": "application/grpc+json" }),
      {
        body: [envelope(new TextEncoder().encode("{not json"))],
      },
    );
    assert.equal(statusOf(res).code, Code.INTERNAL);
  });
});

interface Note {
  readonly text: string;
  readonly n: number;
}

/** JSON over TextEncoder, checked on the way in. */
const noteSerializer: Serializer<Note> = {
  serialize: (note) => new TextEncoder().encode(JSON.stringify(note)),
  deserialize: (bytes) => {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Note;
    if (typeof value.text !== "string" || typeof value.n !== "number") throw new TypeError("not a Note");
    return value;
  },
};

const Notes = defineService("handwritten.Notes", {
  shout: { kind: "unary", request: noteSerializer, response: noteSerializer },
  tally: { kind: "client_streaming", request: noteSerializer, response: noteSerializer },
  repeat: { kind: "server_streaming", request: noteSerializer, response: noteSerializer },
  chat: { kind: "bidi_streaming", request: noteSerializer, response: noteSerializer },
});

describe("a hand-written service (defineService) with its own serialization", () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    server = await startServer({
      setup: (s) => {
        s.add(Notes, {
          shout: (note) => ({ text: note.text.toUpperCase(), n: note.n + 1 }),
          async tally(notes) {
            let n = 0;
            const texts: string[] = [];
            for await (const note of notes) {
              n += note.n;
              texts.push(note.text);
            }
            return { text: texts.join("+"), n };
          },
          async *repeat(note) {
            for (let i = 0; i < note.n; i++) yield { text: note.text, n: i };
          },
          async *chat(notes) {
            for await (const note of notes) yield { text: `re: ${note.text}`, n: note.n * 2 };
          },
        });
      },
    });
  });
  after(() => server.close());

  it("unary, client streaming, server streaming and bidi work end to end", async () => {
    const channel = createChannel(server.target);
    try {
      const client = createClient(Notes, channel);
      assert.deepEqual(await client.shout({ text: "hello", n: 1 }), { text: "HELLO", n: 2 });
      assert.deepEqual(
        await client.tally([
          { text: "a", n: 1 },
          { text: "b", n: 2 },
        ]),
        { text: "a+b", n: 3 },
      );
      assert.deepEqual(await collect(client.repeat({ text: "r", n: 3 })), [
        { text: "r", n: 0 },
        { text: "r", n: 1 },
        { text: "r", n: 2 },
      ]);
      assert.deepEqual(
        await collect(
          client.chat([
            { text: "one", n: 1 },
            { text: "two", n: 2 },
          ]),
        ),
        [
          { text: "re: one", n: 2 },
          { text: "re: two", n: 4 },
        ],
      );
    } finally {
      channel.close();
    }
  });

  it("the path is /handwritten.Notes/Shout, and a message its deserializer rejects is INTERNAL", async () => {
    const ok = await rawCall(server.port, grpcHeaders("/handwritten.Notes/Shout"), {
      body: [envelope(json({ text: "raw", n: 0 }))],
    });
    assert.equal(statusOf(ok).code, 0);
    assert.deepEqual(parse(ok.data.subarray(5)), { text: "RAW", n: 1 });
    const bad = await rawCall(server.port, grpcHeaders("/handwritten.Notes/Shout"), {
      body: [envelope(json({ nope: true }))],
    });
    assert.equal(statusOf(bad).code, Code.INTERNAL);
    assert.match(statusOf(bad).message ?? "", /not a Note/);
  });
});
