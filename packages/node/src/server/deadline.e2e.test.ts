// Deadlines end to end: propagation (grpc-timeout), expiry on both sides, and the handler's signal.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  aborted,
  assertRpcError,
  deferred,
  type EchoHarness,
  expectRpcError,
  grpcHeaders,
  rawCall,
  sleep,
  startEcho,
  statusOf,
  within,
} from "@grpc-ts/testing";
import { Code, type HandlerContext, RpcError } from "../index.js";

describe("deadlines", () => {
  let h: EchoHarness;
  let lastCtx: HandlerContext | undefined;
  let calls = 0;
  let lastAbort: Promise<unknown> = Promise.resolve(undefined);
  before(async () => {
    h = await startEcho({
      impl: {
        async unary(req, ctx) {
          calls++;
          lastCtx = ctx;
          lastAbort = aborted(ctx.signal);
          if (req.delayMs > 0) {
            // Ignores the signal on purpose: the server's deadline must end the call anyway.
            await sleep(Math.min(req.delayMs, 1500));
          }
          return { message: req.message };
        },
        async *serverStream(req, ctx) {
          lastAbort = aborted(ctx.signal);
          for (let i = 0; i < req.count; i++) {
            yield { index: i };
            await sleep(req.delayMs, ctx.signal);
          }
        },
      },
    });
  });
  after(() => h.close());

  it("the handler sees a deadline close to the client's (timeoutMs)", async () => {
    const before = Date.now();
    await h.client.unary({ message: "d" }, { timeoutMs: 5000 });
    const after = Date.now();
    const seen = lastCtx?.deadline;
    assert.ok(seen !== undefined, "ctx.deadline is set");
    // The server measures from its own clock when the headers arrive: same machine, so the two
    // agree up to the time in flight.
    assert.ok(
      seen >= before + 5000 - 50 && seen <= after + 5000 + 1000,
      `deadline ${seen - before} ms after start`,
    );
  });

  it("the handler sees a deadline given as a Date", async () => {
    const deadline = new Date(Date.now() + 7000);
    await h.client.unary({ message: "d" }, { deadline });
    const seen = lastCtx?.deadline;
    assert.ok(seen !== undefined);
    assert.ok(Math.abs(seen - deadline.getTime()) < 1000, `off by ${seen - deadline.getTime()} ms`);
  });

  it("the earlier of timeoutMs and deadline wins", async () => {
    const start = Date.now();
    await h.client.unary({}, { timeoutMs: 3000, deadline: start + 60_000 });
    const seen = lastCtx?.deadline;
    assert.ok(seen !== undefined && seen - start < 4000, `deadline ${Number(seen) - start} ms after start`);
  });

  it("no deadline: ctx.deadline is undefined", async () => {
    await h.client.unary({});
    assert.equal(lastCtx?.deadline, undefined);
  });

  it("a 100 ms deadline fails with DEADLINE_EXCEEDED well before 5 s, and the handler's signal fires", async () => {
    const e = await within(
      expectRpcError(h.client.unary({ delayMs: 3000 }, { timeoutMs: 100 }), Code.DEADLINE_EXCEEDED),
      5000,
      "deadline",
    );
    assert.match(e.message, /deadline/i);
    const reason = await within(lastAbort, 5000, "handler signal");
    assertRpcError(reason, Code.DEADLINE_EXCEEDED);
  });

  it("a deadline given as a Date expires the same way", async () => {
    await within(
      expectRpcError(
        h.client.unary({ delayMs: 3000 }, { deadline: new Date(Date.now() + 100) }),
        Code.DEADLINE_EXCEEDED,
      ),
      5000,
      "deadline",
    );
  });

  it("an already-expired deadline fails at once and never reaches the server", async () => {
    const before = calls;
    await expectRpcError(
      h.client.unary({}, { deadline: new Date(Date.now() - 1000) }),
      Code.DEADLINE_EXCEEDED,
    );
    await expectRpcError(h.client.unary({}, { timeoutMs: 0 }), Code.DEADLINE_EXCEEDED);
    assert.equal(calls, before);
  });

  it("a server stream ends with DEADLINE_EXCEEDED after the messages sent in time", async () => {
    const got: number[] = [];
    const e = await within(
      expectRpcError(
        (async () => {
          for await (const r of h.client.serverStream({ count: 1000, delayMs: 20 }, { timeoutMs: 300 }))
            got.push(r.index);
        })(),
        Code.DEADLINE_EXCEEDED,
      ),
      5000,
      "stream deadline",
    );
    assert.ok(e instanceof RpcError);
    assert.ok(got.length >= 1 && got.length < 1000, `received ${got.length}`);
    assert.deepEqual(
      got,
      got.map((_, i) => i),
    );
    const reason = await within(lastAbort, 5000, "handler signal");
    assertRpcError(reason, Code.DEADLINE_EXCEEDED);
  });

  it("the server enforces grpc-timeout itself: a raw client that never cancels gets DEADLINE_EXCEEDED", async () => {
    const started = deferred();
    const res = await within(
      rawCall(
        h.port,
        grpcHeaders("/grpcts.test.Echo/Unary", { "grpc-timeout": "100m" }),
        // EchoRequest{delay_ms: 3000}: field 6 varint.
        { body: [new Uint8Array([0, 0, 0, 0, 3, 0x30, 0xb8, 0x17])] },
      ).finally(() => started.resolve()),
      5000,
      "raw deadline",
    );
    assert.equal(statusOf(res).code, Code.DEADLINE_EXCEEDED);
    const reason = await within(lastAbort, 5000, "handler signal");
    assertRpcError(reason, Code.DEADLINE_EXCEEDED);
  });

  it("a deadline 30 days away (beyond a 32-bit timer) does not expire early, on either side", async () => {
    const days30 = 30 * 24 * 3600 * 1000;
    const before = Date.now();
    const res = await within(
      h.client.unary({ message: "long", delayMs: 50 }, { timeoutMs: days30 }),
      5000,
      "long",
    );
    assert.equal(res.message, "long");
    const seen = lastCtx?.deadline;
    assert.ok(
      seen !== undefined && Math.abs(seen - (before + days30)) < 5000,
      `deadline ${Number(seen) - before}`,
    );
    // grpc-timeout 99999999S (about 3 years), from a raw client.
    const raw = await within(
      rawCall(h.port, grpcHeaders("/grpcts.test.Echo/Unary", { "grpc-timeout": "99999999S" }), {
        // EchoRequest{message: "r", delay_ms: 50}
        body: [new Uint8Array([0, 0, 0, 0, 5, 0x0a, 0x01, 0x72, 0x30, 0x32])],
      }),
      5000,
      "raw long",
    );
    assert.equal(statusOf(raw).code, 0);
  });
});
