// Errors end to end: status codes, messages, rich details, thrown non-RpcErrors, and UNIMPLEMENTED.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Duration, DurationSchema, type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { collect, Echo, type EchoHarness, expectRpcError, startEcho, startServer } from "@grpc-ts/testing";
import {
  Code,
  createChannel,
  createClient,
  defineService,
  findDetails,
  RpcError,
  type Serializer,
} from "../index.js";

const message = "überprüft: 100% — ✓ “quoted” 日本語 %41 %zz";

const bytes: Serializer<Uint8Array> = { serialize: (b) => b, deserialize: (b) => b };

/** Methods the Echo server does not have, under its service name and another. */
const Ghost = defineService("grpcts.test.Echo", {
  missing: { kind: "unary", request: bytes, response: bytes },
});
const Unknown = defineService("grpcts.test.Nowhere", {
  unary: { kind: "unary", request: bytes, response: bytes },
  bidi: { kind: "bidi_streaming", request: bytes, response: bytes },
});

describe("errors", () => {
  let h: EchoHarness;
  before(async () => {
    h = await startEcho({
      impl: {
        async unary(req) {
          switch (req.message) {
            case "details":
              throw new RpcError(Code.RESOURCE_EXHAUSTED, message, {
                details: [
                  { desc: DurationSchema, value: { seconds: 5n, nanos: 250 } },
                  { desc: TimestampSchema, value: { seconds: 1_700_000_000n } },
                  { desc: DurationSchema, value: { seconds: 1n } },
                ],
              });
            case "plain":
              throw new Error("plain failure");
            case "string":
              throw "a thrown string";
            case "bad response":
              return { id: "not a number" as unknown as bigint };
            default:
              throw new RpcError(req.failCode as Code, req.failMessage);
          }
        },
        serverStream(req) {
          if (req.message === "not iterable") return 7 as unknown as AsyncIterable<{ index: number }>;
          return (async function* () {
            yield { index: 0 };
            throw new RpcError(Code.OUT_OF_RANGE, message, {
              details: [{ desc: DurationSchema, value: { seconds: 3n } }],
            });
          })();
        },
      },
    });
  });
  after(() => h.close());

  for (const [name, code] of Object.entries(Code)) {
    if (code === Code.OK) continue;
    it(`status ${name} with its message reaches the client`, async () => {
      await expectRpcError(h.client.unary({ failCode: code, failMessage: `m ${name}` }), code, `m ${name}`);
    });
  }

  it("non-ASCII and % in the message, and details decodable with findDetails", async () => {
    const e = await expectRpcError(h.client.unary({ message: "details" }), Code.RESOURCE_EXHAUSTED);
    assert.equal(e.rawMessage, message);
    assert.equal(e.details.length, 3);
    const durations: Duration[] = findDetails(e.details, DurationSchema);
    assert.deepEqual(
      durations.map((d) => [d.seconds, d.nanos]),
      [
        [5n, 250],
        [1n, 0],
      ],
    );
    const stamps: Timestamp[] = findDetails(e.details, TimestampSchema);
    assert.deepEqual(
      stamps.map((t) => t.seconds),
      [1_700_000_000n],
    );
    assert.equal(e.details[0]?.typeUrl, "type.googleapis.com/google.protobuf.Duration");
  });

  it("an error after messages of a stream keeps its message and details", async () => {
    const got: number[] = [];
    const e = await expectRpcError(
      (async () => {
        for await (const r of h.client.serverStream({})) got.push(r.index);
      })(),
      Code.OUT_OF_RANGE,
    );
    assert.deepEqual(got, [0]);
    assert.equal(e.rawMessage, message);
    assert.deepEqual(
      findDetails(e.details, DurationSchema).map((d) => d.seconds),
      [3n],
    );
  });

  it("a plain Error: UNKNOWN with its message and no stack trace", async () => {
    const e = await expectRpcError(h.client.unary({ message: "plain" }), Code.UNKNOWN);
    assert.equal(e.rawMessage, "plain failure");
    assert.ok(!/\n|\bat .*\.ts:\d+/.test(e.message), `stack text in ${JSON.stringify(e.message)}`);
  });

  it("a thrown non-Error value: UNKNOWN", async () => {
    const e = await expectRpcError(h.client.unary({ message: "string" }), Code.UNKNOWN);
    assert.equal(e.rawMessage, "a thrown string");
  });

  it("a response the codec cannot encode: INTERNAL", async () => {
    await expectRpcError(h.client.unary({ message: "bad response" }), Code.INTERNAL, "could not encode");
  });

  it("a streaming handler that returns no async iterable: INTERNAL", async () => {
    await expectRpcError(
      collect(h.client.serverStream({ message: "not iterable" })),
      Code.INTERNAL,
      "did not return an async iterable",
    );
  });

  it("an unknown method: UNIMPLEMENTED naming the method", async () => {
    const ghost = createClient(Ghost, h.channel);
    const e = await expectRpcError(ghost.missing(new Uint8Array()), Code.UNIMPLEMENTED, "Missing");
    assert.match(e.rawMessage, /grpcts\.test\.Echo/);
  });

  it("an unknown service: UNIMPLEMENTED naming the service, for unary and streaming calls", async () => {
    const unknown = createClient(Unknown, h.channel);
    await expectRpcError(unknown.unary(new Uint8Array([1])), Code.UNIMPLEMENTED, "grpcts.test.Nowhere");
    await expectRpcError(
      collect(unknown.bidi([new Uint8Array([1])])),
      Code.UNIMPLEMENTED,
      "grpcts.test.Nowhere",
    );
  });

  it("a method left out of the implementation: UNIMPLEMENTED naming it", async () => {
    const partial = await startServer({
      setup: (server) => {
        server.add(Echo, { unary: async (req) => ({ message: req.message }) });
      },
    });
    const channel = createChannel(partial.target);
    try {
      const client = createClient(Echo, channel);
      assert.equal((await client.unary({ message: "ok" })).message, "ok");
      await expectRpcError(collect(client.bidi([{}])), Code.UNIMPLEMENTED, "Bidi");
      await expectRpcError(client.clientStream([{}]), Code.UNIMPLEMENTED, "ClientStream");
      await expectRpcError(collect(client.serverStream({})), Code.UNIMPLEMENTED, "ServerStream");
    } finally {
      channel.close();
      partial.close();
    }
  });

  it("invalid request metadata or an unencodable request: the call rejects (it never throws at the call site)", async () => {
    let unary: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      unary = h.client.unary({}, { metadata: { "content-type": "text/plain" } });
    });
    await expectRpcError(unary!, Code.INTERNAL, "content-type");
    let stream: AsyncIterable<unknown> | undefined;
    assert.doesNotThrow(() => {
      stream = h.client.serverStream({}, { metadata: { "bad key!": "x" } });
    });
    await expectRpcError(collect(stream!), Code.INTERNAL, "bad key!");
    await expectRpcError(h.client.unary({ id: "x" as unknown as bigint }), Code.INTERNAL, "could not encode");
  });
});
