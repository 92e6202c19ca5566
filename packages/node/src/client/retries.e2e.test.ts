// Retries (gRFC A6) end to end with our server, for what the channel adds to the call machine:
// bidirectional streams replayed before the response headers, the channel's and the call's
// opt-out, the channel's buffer limit and attempt cap, and a retry policy from the resolver's
// first service config applying to calls made before it came. (The cases every peer must pass,
// against our server and C-core alike, are in interop/retries.test.ts.)
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Code, type HandlerContext, RpcError } from "@grpc-ts/core";
import {
  collect,
  createPushResolver,
  Echo,
  type EchoHarness,
  expectRpcError,
  type StartEchoOptions,
  startEcho,
  within,
} from "@grpc-ts/testing";
import { createChannel, createClient } from "../index.js";

const ECHO = Echo.typeName;
const retryConfig = (maxAttempts = 3) => ({
  methodConfig: [
    {
      name: [{ service: ECHO }],
      retryPolicy: {
        maxAttempts,
        initialBackoff: "0.01s",
        maxBackoff: "0.05s",
        backoffMultiplier: 2,
        retryableStatusCodes: ["UNAVAILABLE"],
      },
    },
  ],
});

describe("retries through the channel", { timeout: 60_000 }, () => {
  const harnesses: EchoHarness[] = [];
  after(() => {
    for (const h of harnesses) h.close();
  });

  /** Attempts the server saw, by the `grpc-previous-rpc-attempts` each carried ("" when absent). */
  async function echo(options: StartEchoOptions & { seen?: string[] }): Promise<EchoHarness> {
    const h = await startEcho(options);
    harnesses.push(h);
    return h;
  }

  function unavailableUntil(seen: string[], failures: number) {
    return async (_req: unknown, ctx: HandlerContext) => {
      seen.push(String(ctx.metadata.get("grpc-previous-rpc-attempts") ?? ""));
      if (seen.length <= failures) throw new RpcError(Code.UNAVAILABLE, `attempt ${seen.length} fails`);
      return { message: `answered on attempt ${seen.length}` };
    };
  }

  it("a bidirectional stream that failed before its response headers is replayed whole", async () => {
    const seen: string[] = [];
    const received: number[] = [];
    const h = await echo({
      channel: { serviceConfig: retryConfig() },
      impl: {
        async *bidi(requests, ctx) {
          seen.push(String(ctx.metadata.get("grpc-previous-rpc-attempts") ?? ""));
          const messages: string[] = [];
          for await (const r of requests) messages.push(r.message);
          received.push(messages.length);
          if (seen.length === 1) throw new RpcError(Code.UNAVAILABLE, "first attempt fails after reading");
          for (const [i, m] of messages.entries()) yield { message: m, index: i };
        },
      },
    });
    async function* requests() {
      for (const m of ["a", "b", "c"]) yield { message: m };
    }
    const out = await within(collect(h.client.bidi(requests())), 5000, "bidi");
    assert.deepEqual(
      out.map((r) => r.message),
      ["a", "b", "c"],
    );
    assert.deepEqual(seen, ["", "1"]);
    assert.deepEqual(received, [3, 3]);
  });

  it("retries: false on the channel, or on a call, sends one attempt", async () => {
    const seenOff: string[] = [];
    const off = await echo({
      channel: { serviceConfig: retryConfig(), retries: false },
      impl: { unary: unavailableUntil(seenOff, 1) },
    });
    await within(expectRpcError(off.client.unary({}), Code.UNAVAILABLE), 5000, "channel off");
    assert.deepEqual(seenOff, [""]);

    const seen: string[] = [];
    const on = await echo({
      channel: { serviceConfig: retryConfig() },
      impl: { unary: unavailableUntil(seen, 2) },
    });
    await within(expectRpcError(on.client.unary({}, { retries: false }), Code.UNAVAILABLE), 5000, "call off");
    assert.deepEqual(seen, [""]);
    // The control: the same channel retries a call that does not opt out.
    const res = await within(on.client.unary({}), 5000, "call on");
    assert.equal(res.message, "answered on attempt 3");
    assert.deepEqual(seen, ["", "", "1"]);
  });

  it("maxRetryAttempts caps the policy's maxAttempts", async () => {
    const seen: string[] = [];
    const h = await echo({
      channel: { serviceConfig: retryConfig(5), maxRetryAttempts: 2 },
      impl: { unary: unavailableUntil(seen, 3) },
    });
    const e = await within(expectRpcError(h.client.unary({}), Code.UNAVAILABLE), 5000, "capped");
    assert.deepEqual(seen, ["", "1"]);
    assert.equal(e.metadata.get("grpc-previous-rpc-attempts"), "1");
  });

  it("a client stream larger than retryBufferBytes is sent, but not retried", async () => {
    const big = "x".repeat(600);
    const counts: number[] = [];
    const failFirst = {
      async clientStream(requests: AsyncIterable<{ message: string }>) {
        let n = 0;
        for await (const _ of requests) n++;
        counts.push(n);
        if (counts.length === 1) throw new RpcError(Code.UNAVAILABLE, "first attempt fails after reading");
        return { received: n };
      },
    };
    async function* three() {
      for (let i = 0; i < 3; i++) yield { message: big };
    }
    const small = await echo({
      channel: { serviceConfig: retryConfig(), retryBufferBytes: 1000 },
      impl: failFirst,
    });
    await within(expectRpcError(small.client.clientStream(three()), Code.UNAVAILABLE), 5000, "committed");
    assert.deepEqual(counts, [3]);

    counts.length = 0;
    const roomy = await echo({ channel: { serviceConfig: retryConfig() }, impl: failFirst });
    const res = await within(roomy.client.clientStream(three()), 5000, "buffered");
    assert.equal(res.received, 3);
    assert.deepEqual(counts, [3, 3]);
  });

  it("a call made before the resolver's first result follows that result's retry policy", async () => {
    const seen: string[] = [];
    const server = await echo({ impl: { unary: unavailableUntil(seen, 2) } });
    const resolver = createPushResolver("later");
    const channel = createChannel("later:svc", { resolvers: [resolver.factory] });
    try {
      const client = createClient(Echo, channel);
      const pending = client.unary({}, { waitForReady: true });
      resolver.push({
        endpoints: [{ addresses: [{ host: "127.0.0.1", port: server.port }] }],
        serviceConfig: retryConfig(),
      });
      const res = await within(pending, 5000, "the call");
      assert.equal(res.message, "answered on attempt 3");
      assert.deepEqual(seen, ["", "1", "2"]);
    } finally {
      channel.close();
    }
  });
});
