// @grpc-ts/web (the browser's gRPC-Web client, over Node's fetch) retries as the Node channel
// does: the call machine is the same. Against our server: a unary call and a server stream that
// fail with UNAVAILABLE before their response headers are retried by the transport's service
// config, each attempt after the first carrying grpc-previous-rpc-attempts; a hedge answers for a
// hung first attempt, whose handler then sees the cancellation; `retries: false` sends one attempt.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  aborted,
  collect,
  createEchoService,
  Echo,
  expectRpcError,
  type ServerHandle,
  startServer,
  until,
  within,
} from "@grpc-ts/testing";
import { createGrpcWebTransport } from "@grpc-ts/web";
import { Code, createClient, RpcError } from "../index.js";

const ECHO = Echo.typeName;
/** By request message (one per test): the `grpc-previous-rpc-attempts` each attempt carried. */
const seen = new Map<string, string[]>();
let cancelled = 0;

function record(message: string, previous: string | undefined): number {
  const list = seen.get(message) ?? [];
  list.push(previous ?? "");
  seen.set(message, list);
  return list.length;
}

describe("@grpc-ts/web retries against the server", () => {
  let s: ServerHandle;
  before(async () => {
    s = await startServer({
      setup(server) {
        server.add(Echo, {
          ...createEchoService(),
          async unary(r, ctx) {
            const n = record(r.message, ctx.metadata.get("grpc-previous-rpc-attempts"));
            if (r.message.startsWith("hang") && n === 1) {
              await aborted(ctx.signal);
              cancelled++;
              throw new RpcError(Code.CANCELLED, "cancelled");
            }
            if (n <= r.count) throw new RpcError(Code.UNAVAILABLE, `attempt ${n} fails`);
            return { message: `attempt ${n}` };
          },
          async *serverStream(r, ctx) {
            const n = record(r.message, ctx.metadata.get("grpc-previous-rpc-attempts"));
            if (n <= r.count) throw new RpcError(Code.UNAVAILABLE, `attempt ${n} fails`);
            yield { message: `attempt ${n}`, index: 0 };
            yield { message: `attempt ${n}`, index: 1 };
          },
        });
      },
    });
  });
  after(() => s.close());

  const transport = (methodConfig: object, extra: { retries?: boolean } = {}) =>
    createGrpcWebTransport({
      baseUrl: `http://127.0.0.1:${s.port}`,
      serviceConfig: { methodConfig: [{ name: [{ service: ECHO }], ...methodConfig }] },
      ...extra,
    });
  const retryPolicy = {
    retryPolicy: {
      maxAttempts: 4,
      initialBackoff: "0.01s",
      maxBackoff: "0.05s",
      backoffMultiplier: 2,
      retryableStatusCodes: ["UNAVAILABLE"],
    },
  };

  it("a unary call: UNAVAILABLE twice, then OK on the third attempt", async () => {
    const client = createClient(Echo, transport(retryPolicy));
    let trailer: string | undefined;
    const res = await within(
      client.unary(
        { message: "unary", count: 2 },
        { onTrailer: (t) => (trailer = t.get("grpc-previous-rpc-attempts")) },
      ),
      5000,
      "unary",
    );
    assert.equal(res.message, "attempt 3");
    assert.deepEqual(seen.get("unary"), ["", "1", "2"]);
    assert.equal(trailer, "2");
  });

  it("a server stream that fails before its response headers", async () => {
    const client = createClient(Echo, transport(retryPolicy));
    const out = await within(collect(client.serverStream({ message: "stream", count: 1 })), 5000, "stream");
    assert.deepEqual(
      out.map((m) => m.message),
      ["attempt 2", "attempt 2"],
    );
    assert.deepEqual(seen.get("stream"), ["", "1"]);
  });

  it("retries: false sends one attempt", async () => {
    const client = createClient(Echo, transport(retryPolicy, { retries: false }));
    await within(expectRpcError(client.unary({ message: "off", count: 1 }), Code.UNAVAILABLE), 5000, "off");
    assert.deepEqual(seen.get("off"), [""]);
  });

  it("hedging: the hedge answers for a hung first attempt, which is then cancelled", async () => {
    const client = createClient(
      Echo,
      transport({
        hedgingPolicy: { maxAttempts: 2, hedgingDelay: "0.05s", nonFatalStatusCodes: ["UNAVAILABLE"] },
      }),
    );
    const res = await within(client.unary({ message: "hang" }), 5000, "hedged");
    assert.equal(res.message, "attempt 2");
    assert.deepEqual(seen.get("hang"), ["", "1"]);
    await until(() => cancelled === 1, 5000, "the hung attempt's handler sees the cancellation");
  });
});
