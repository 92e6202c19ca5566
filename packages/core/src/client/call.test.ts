import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TextEcho } from "@grpc-ts/testing/text-echo";
import { Code } from "../code.js";
import type { ClientRequest, ClientResponse } from "../interceptor.js";
import { Metadata } from "../metadata.js";
import type { AnyMethod } from "../method.js";
import { RpcError } from "../rpc-error.js";
import { createWritableIterable } from "../writable-iterable.js";
import { Attempt } from "./attempt.js";
import { Call, type CallPlan } from "./call.js";
import { RetryBuffer } from "./retry/retry-buffer.js";
import { type RetryContext, type RetryPlan, retryPlanOf } from "./retry/retry-policy.js";
import { RetryThrottle } from "./retry/retry-throttle.js";

const decoder = new TextDecoder();

/** An attempt the test answers for: it records what the call sends it. */
class FakeAttempt extends Attempt {
  readonly writes: string[] = [];
  halfClosedSeen = false;
  cancelled = false;
  /** What `write` returns (false: the stream is full until `drain`). */
  accepts = true;

  write(frame: Uint8Array, last: boolean): boolean {
    this.writes.push(decoder.decode(frame));
    if (last) this.halfClosedSeen = true;
    return this.accepts;
  }
  end(): void {
    this.halfClosedSeen = true;
  }
  pause(): void {}
  resume(): void {}
  cancel(): void {
    this.cancelled = true;
  }
  /** The stream is writable again; `accepts` is what its writes return from now on. */
  drain(accepts: boolean): void {
    this.accepts = accepts;
    this.call.onDrain(this);
  }
  headers(): void {
    this.call.onHeader(this, new Metadata({ "x-attempt": String(this.index) }));
  }
  ok(message = "done"): void {
    this.headers();
    this.call.onMessage(message);
    this.call.onEnd(this, undefined);
  }
  /** Ends with `code` as a trailers-only response would, with `trailers` in its metadata. */
  failWith(code: Code, trailers: Record<string, string> = {}): void {
    for (const [k, v] of Object.entries(trailers)) this.trailer.set(k, v);
    this.call.onEnd(
      this,
      new RpcError(code, `attempt ${this.index}`, { metadata: this.trailer }),
      new Metadata(),
    );
  }
}

interface Timer {
  readonly fn: () => void;
  readonly ms: number;
  cancelled: boolean;
}

function harness(policy: object = {}, o: { throttle?: RetryThrottle; buffer?: RetryBuffer } = {}) {
  const attempts: FakeAttempt[] = [];
  const timers: Timer[] = [];
  const context: RetryContext = {
    throttle: o.throttle,
    buffer: o.buffer ?? new RetryBuffer(),
    schedule(fn, ms) {
      const t: Timer = { fn, ms, cancelled: false };
      timers.push(t);
      return {
        cancel() {
          t.cancelled = true;
        },
      };
    },
    random: () => 0.5,
  };
  const retry: RetryPlan | undefined = retryPlanOf(policy, context);
  const plan: CallPlan = {
    start(call, index) {
      const a = new FakeAttempt(call, index);
      attempts.push(a);
      call.attach(a);
    },
    frame: (_call, message) => new TextEncoder().encode(String(message)),
    retry,
  };
  const pending = () => timers.filter((t) => !t.cancelled);
  return {
    attempts,
    context,
    plan,
    /** Delays of the timers armed so far (cancelled ones too). */
    delays: () => timers.map((t) => t.ms),
    pending,
    /** Runs the oldest timer still armed. */
    fire() {
      const t = pending()[0];
      assert.ok(t !== undefined, "a timer is armed");
      t.cancelled = true;
      t.fn();
    },
    last: () => attempts.at(-1)!,
  };
}

function request(method: AnyMethod, message: unknown, extra: Partial<ClientRequest> = {}): ClientRequest {
  return {
    method,
    stream: method.requestStream,
    message,
    header: new Metadata(),
    signal: undefined,
    deadline: undefined,
    compression: undefined,
    waitForReady: undefined,
    ...extra,
  } as ClientRequest;
}

const retryPolicy = (maxAttempts = 3, codes = ["UNAVAILABLE"]) => ({
  retryPolicy: {
    maxAttempts,
    initialBackoffMs: 100,
    maxBackoffMs: 1000,
    backoffMultiplier: 3,
    retryableStatusCodes: codes.map((c) => Code[c as keyof typeof Code]),
  },
});
const hedgingPolicy = (maxAttempts = 3, delay = 200, codes = [Code.UNAVAILABLE]) => ({
  hedgingPolicy: { maxAttempts, hedgingDelayMs: delay, nonFatalStatusCodes: codes },
});

async function rejection(p: Promise<ClientResponse>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RpcError);
    return e;
  }
  assert.fail("the call succeeded");
}

/** Lets the request pump (an async loop) run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe("Call without a retry policy", () => {
  it("one attempt; the request goes as one envelope with the end; attempts share the call's trailers", async () => {
    const h = harness();
    const call = new Call(request(TextEcho.methods.unary, "hi"));
    const p = call.begin(h.plan);
    assert.equal(h.attempts.length, 1);
    assert.deepEqual(h.last().writes, ["hi"]);
    assert.ok(h.last().halfClosedSeen);
    assert.equal(h.last().trailer, call.trailer);
    h.last().ok("back");
    assert.equal((await p).message, "back");
    assert.equal(call.trailer.get("grpc-previous-rpc-attempts"), undefined);
  });

  it("a retryable-looking status is the result", async () => {
    const h = harness();
    const p = new Call(request(TextEcho.methods.unary, "x")).begin(h.plan);
    h.last().failWith(Code.UNAVAILABLE);
    assert.equal((await rejection(p)).code, Code.UNAVAILABLE);
    assert.equal(h.attempts.length, 1);
  });

  it("a refused stream is sent once more with the same number, and not a third time", async () => {
    const h = harness();
    const call = new Call(request(TextEcho.methods.unary, "x"));
    const p = call.begin(h.plan);
    assert.ok(call.retryRefused(h.last()));
    assert.equal(h.attempts.length, 2);
    assert.equal(h.last().index, 0);
    assert.deepEqual(h.last().writes, ["x"]);
    assert.equal(call.retryRefused(h.last()), false);
    h.last().ok();
    await p;
    assert.equal(call.attempts, 1, "a transparent retry is not an attempt of the policy");
  });
});

describe("Call with a retry policy", () => {
  it("UNAVAILABLE twice, then OK: three attempts after backoffs of 100 and 300 ms (jitter 1.0)", async () => {
    const h = harness(retryPolicy(3));
    const call = new Call(request(TextEcho.methods.unary, "m"));
    const p = call.begin(h.plan);
    h.last().failWith(Code.UNAVAILABLE);
    assert.equal(h.attempts.length, 1, "waits for the backoff");
    h.fire();
    assert.equal(h.attempts.length, 2);
    assert.deepEqual(h.last().writes, ["m"], "the same envelope again");
    h.last().failWith(Code.UNAVAILABLE);
    h.fire();
    assert.deepEqual(
      h.attempts.map((a) => a.index),
      [0, 1, 2],
    );
    assert.deepEqual(h.delays(), [100, 300]);
    h.last().ok("third");
    const res = await p;
    assert.equal(res.message, "third");
    assert.equal(res.trailer.get("grpc-previous-rpc-attempts"), "2");
    assert.equal(call.attempts, 3);
    assert.equal(h.context.buffer.used, 0, "the buffer is given back");
  });

  it("jitter scales each backoff by [0.8, 1.2)", async () => {
    for (const [r, first] of [
      [0, 80],
      [0.25, 90],
    ] as const) {
      const h = harness(retryPolicy(3));
      h.context.random;
      const ctx = { ...h.context, random: () => r };
      const plan: CallPlan = { ...h.plan, retry: retryPlanOf(retryPolicy(3), ctx) };
      const p = new Call(request(TextEcho.methods.unary, "m")).begin(plan);
      h.last().failWith(Code.UNAVAILABLE);
      assert.equal(h.delays()[0], first);
      h.fire();
      h.last().ok();
      await p;
    }
  });

  it("a code not in retryableStatusCodes is not retried", async () => {
    const h = harness(retryPolicy(3));
    const p = new Call(request(TextEcho.methods.unary, "m")).begin(h.plan);
    h.last().failWith(Code.INVALID_ARGUMENT);
    assert.equal((await rejection(p)).code, Code.INVALID_ARGUMENT);
    assert.equal(h.attempts.length, 1);
    assert.equal(h.pending().length, 0);
  });

  it("response headers commit the call: a retryable status after them is the result", async () => {
    const h = harness(retryPolicy(3));
    const p = new Call(request(TextEcho.methods.unary, "m")).begin(h.plan);
    h.last().headers();
    h.last().call.onEnd(h.last(), new RpcError(Code.UNAVAILABLE, "after headers"));
    assert.equal((await rejection(p)).code, Code.UNAVAILABLE);
    assert.equal(h.attempts.length, 1);
  });

  it("maxAttempts above 5 is treated as 5; the fifth attempt's failure is the result", async () => {
    const h = harness(retryPolicy(10));
    const call = new Call(request(TextEcho.methods.unary, "m"));
    const p = call.begin(h.plan);
    for (let i = 0; i < 4; i++) {
      h.last().failWith(Code.UNAVAILABLE);
      h.fire();
    }
    assert.equal(h.attempts.length, 5);
    assert.ok(!call.wants(5));
    h.last().failWith(Code.UNAVAILABLE);
    const e = await rejection(p);
    assert.equal(e.code, Code.UNAVAILABLE);
    assert.equal(e.metadata.get("grpc-previous-rpc-attempts"), "4");
    assert.deepEqual(h.delays(), [100, 300, 900, 1000]);
  });

  it("pushback: a valid delay is waited exactly and resets the backoff; -1 stops", async () => {
    const h = harness(retryPolicy(5));
    const p = new Call(request(TextEcho.methods.unary, "m")).begin(h.plan);
    h.last().failWith(Code.UNAVAILABLE);
    h.fire(); // 100; next would be 300
    h.last().failWith(Code.UNAVAILABLE, { "grpc-retry-pushback-ms": "250" });
    h.fire(); // exactly 250; backoff back to 100
    h.last().failWith(Code.UNAVAILABLE);
    h.fire();
    assert.deepEqual(h.delays(), [100, 250, 100]);
    h.last().failWith(Code.UNAVAILABLE, { "grpc-retry-pushback-ms": "-1" });
    assert.equal((await rejection(p)).code, Code.UNAVAILABLE);
    assert.equal(h.attempts.length, 4);
    assert.equal(h.pending().length, 0);
  });

  it("pushback that is malformed stops retries, and costs a token even for a non-retryable code", async () => {
    const throttle = new RetryThrottle(10, 0.1);
    const h = harness(retryPolicy(5), { throttle });
    const p = new Call(request(TextEcho.methods.unary, "m")).begin(h.plan);
    h.last().failWith(Code.INTERNAL, { "grpc-retry-pushback-ms": "soon" });
    await rejection(p);
    assert.equal(throttle.tokens, 9);
    assert.equal(h.attempts.length, 1);
  });

  it("throttling: retries stop once tokens are at half, and come back after successes", async () => {
    const throttle = new RetryThrottle(4, 1);
    const h = harness(retryPolicy(3), { throttle });
    // 4 -> 3 (retry) -> 2 (the second failure: no retry, 2 is not above 2).
    const p1 = new Call(request(TextEcho.methods.unary, "a")).begin(h.plan);
    h.last().failWith(Code.UNAVAILABLE);
    assert.equal(h.pending().length, 1);
    h.fire();
    h.last().failWith(Code.UNAVAILABLE);
    await rejection(p1);
    assert.equal(h.attempts.length, 2);
    assert.equal(throttle.tokens, 2);
    // Throttled: one attempt only, and the tokens go on falling.
    const p2 = new Call(request(TextEcho.methods.unary, "b")).begin(h.plan);
    h.last().failWith(Code.UNAVAILABLE);
    await rejection(p2);
    assert.equal(h.attempts.length, 3);
    assert.equal(throttle.tokens, 1);
    // Three successes: 4 tokens (the most), so a failure leaves 3, above half.
    for (const m of ["c", "d", "e"]) {
      const ok = new Call(request(TextEcho.methods.unary, m)).begin(h.plan);
      h.last().ok();
      await ok;
    }
    assert.equal(throttle.tokens, 4);
    const p3 = new Call(request(TextEcho.methods.unary, "f")).begin(h.plan);
    h.last().failWith(Code.UNAVAILABLE);
    assert.equal(h.pending().length, 1, "retried again");
    h.fire();
    h.last().ok();
    await p3;
  });

  it("a deadline sooner than the backoff ends the call with DEADLINE_EXCEEDED, and no retry follows", async () => {
    const h = harness(retryPolicy(3));
    const call = new Call(request(TextEcho.methods.unary, "m", { deadline: Date.now() + 30 }));
    const p = call.begin(h.plan);
    h.last().failWith(Code.UNAVAILABLE);
    assert.equal(h.pending().length, 1);
    assert.equal((await rejection(p)).code, Code.DEADLINE_EXCEEDED);
    assert.equal(h.pending().length, 0, "the backoff timer was cancelled");
    assert.equal(h.attempts.length, 1);
  });

  it("a trailers-only failure does not commit: it is retried", async () => {
    const h = harness(retryPolicy(2));
    const p = new Call(request(TextEcho.methods.unary, "m")).begin(h.plan);
    h.last().failWith(Code.UNAVAILABLE); // failWith passes trailers-only headers
    h.fire();
    h.last().ok();
    await p;
    assert.equal(h.attempts.length, 2);
  });

  it("retries: false on the call turns the policy off", async () => {
    const h = harness(retryPolicy(3));
    const call = new Call(request(TextEcho.methods.unary, "m", { retries: false }));
    const p = call.begin(h.plan);
    assert.ok(!call.wants(1), "committed to its first attempt");
    h.last().failWith(Code.UNAVAILABLE);
    await rejection(p);
    assert.equal(h.attempts.length, 1);
  });

  it("a unary request larger than the call's buffer is sent but not retried", async () => {
    const buffer = new RetryBuffer(4, 100);
    const h = harness(retryPolicy(3), { buffer });
    const p = new Call(request(TextEcho.methods.unary, "too long")).begin(h.plan);
    assert.equal(buffer.used, 0);
    h.last().failWith(Code.UNAVAILABLE);
    await rejection(p);
    assert.equal(h.attempts.length, 1);
  });

  it("the channel's buffer is shared: a call that finds it full is not retried", async () => {
    const buffer = new RetryBuffer(10, 12);
    const h = harness(retryPolicy(3), { buffer });
    const first = new Call(request(TextEcho.methods.unary, "12345678")).begin(h.plan);
    const a = h.last();
    assert.equal(buffer.used, 8);
    const second = new Call(request(TextEcho.methods.unary, "abcdefgh")).begin(h.plan);
    h.last().failWith(Code.UNAVAILABLE);
    await rejection(second);
    assert.equal(h.attempts.length, 2, "the second call was not retried");
    a.ok();
    await first;
    assert.equal(buffer.used, 0);
  });

  it("cancelling the call stops its attempt and its backoff", async () => {
    const h = harness(retryPolicy(3));
    const controller = new AbortController();
    const p = new Call(request(TextEcho.methods.unary, "m", { signal: controller.signal })).begin(h.plan);
    h.last().failWith(Code.UNAVAILABLE);
    h.fire();
    controller.abort();
    assert.equal((await rejection(p)).code, Code.CANCELLED);
    assert.ok(h.last().cancelled);
    assert.equal(h.pending().length, 0);
  });
});

describe("Call with a retry policy, streamed requests", () => {
  it("a client stream is replayed from the buffer to the next attempt, then the end", async () => {
    const h = harness(retryPolicy(3));
    const input = createWritableIterable<string>();
    const p = new Call(request(TextEcho.methods.clientStream, input)).begin(h.plan);
    for (const m of ["a", "b", "c"]) await input.write(m);
    input.close();
    await settle();
    const first = h.last();
    assert.deepEqual(first.writes, ["a", "b", "c"]);
    assert.ok(first.halfClosedSeen);
    first.failWith(Code.UNAVAILABLE);
    h.fire();
    assert.deepEqual(h.last().writes, ["a", "b", "c"]);
    assert.ok(h.last().halfClosedSeen);
    h.last().ok("3");
    assert.equal((await p).message, "3");
  });

  it("a request that outgrows the call's buffer commits the call to its attempt", async () => {
    const buffer = new RetryBuffer(10, 100);
    const h = harness(retryPolicy(3), { buffer });
    const input = createWritableIterable<string>();
    const call = new Call(request(TextEcho.methods.clientStream, input));
    const p = call.begin(h.plan);
    await input.write("123456");
    await settle();
    assert.equal(buffer.used, 6);
    assert.ok(call.wants(1), "not committed yet");
    await input.write("789012");
    await settle();
    assert.equal(buffer.used, 0, "committed: the buffer is given back");
    assert.ok(!call.wants(1));
    input.close();
    await settle();
    h.last().failWith(Code.UNAVAILABLE);
    await rejection(p);
    assert.equal(h.attempts.length, 1);
  });

  it("reads no faster than the attempt sends (a full stream waits for its drain)", async () => {
    const h = harness(retryPolicy(3));
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 5; i++) {
        pulled++;
        yield `m${i}`;
      }
    }
    const p = new Call(request(TextEcho.methods.clientStream, source())).begin(h.plan);
    h.last().accepts = false;
    await settle();
    assert.equal(pulled, 1, "the first write filled the stream");
    h.last().drain(false);
    await settle();
    assert.equal(pulled, 2);
    h.last().drain(true);
    await settle();
    assert.equal(pulled, 5);
    assert.deepEqual(h.last().writes, ["m0", "m1", "m2", "m3", "m4"]);
    h.last().ok();
    await p;
  });

  it("without a policy, sent envelopes are let go: no transparent retry once any was sent", async () => {
    const h = harness();
    const input = createWritableIterable<string>();
    const call = new Call(request(TextEcho.methods.clientStream, input));
    const p = call.begin(h.plan);
    assert.ok(call.retryRefused(h.last()), "nothing sent yet");
    await input.write("a");
    await settle();
    assert.equal(call.retryRefused(h.last()), false);
    input.close();
    await settle();
    h.last().ok();
    await p;
  });
});

describe("Call with a hedging policy", () => {
  it("the next hedge goes after the delay; the first answer wins and the others are cancelled", async () => {
    const h = harness(hedgingPolicy(3, 200));
    const call = new Call(request(TextEcho.methods.unary, "m"));
    const p = call.begin(h.plan);
    assert.equal(h.attempts.length, 1);
    assert.deepEqual(h.delays(), [200]);
    h.fire();
    assert.equal(h.attempts.length, 2);
    assert.deepEqual(h.last().writes, ["m"]);
    h.attempts[1]!.ok("hedge");
    assert.equal((await p).message, "hedge");
    assert.ok(h.attempts[0]!.cancelled);
    assert.equal(h.pending().length, 0, "no third hedge");
    assert.equal(call.trailer.get("grpc-previous-rpc-attempts"), "1");
  });

  it("response headers commit to their attempt: the others are cancelled, a late header is refused", async () => {
    const h = harness(hedgingPolicy(3, 200));
    const p = new Call(request(TextEcho.methods.serverStream, "m")).begin(h.plan);
    h.fire();
    const [a, b] = h.attempts as [FakeAttempt, FakeAttempt];
    b.headers();
    assert.ok(a.cancelled);
    a.headers();
    const res = await p;
    assert.equal(res.header.get("x-attempt"), "1");
    b.call.onEnd(b, undefined);
  });

  it("a non-fatal status sends the next hedge at once; all failing: the last error, once none is outstanding", async () => {
    const h = harness(hedgingPolicy(3, 200));
    const p = new Call(request(TextEcho.methods.unary, "m")).begin(h.plan);
    h.attempts[0]!.failWith(Code.UNAVAILABLE);
    assert.equal(h.attempts.length, 2, "sent at once");
    h.fire();
    assert.equal(h.attempts.length, 3);
    h.attempts[1]!.failWith(Code.UNAVAILABLE);
    assert.equal(h.attempts.length, 3, "maxAttempts reached");
    h.attempts[2]!.failWith(Code.UNAVAILABLE);
    const e = await rejection(p);
    assert.equal(e.rawMessage, "attempt 2");
  });

  it("a fatal status ends the call and cancels the other hedges", async () => {
    const h = harness(hedgingPolicy(3, 200));
    const p = new Call(request(TextEcho.methods.unary, "m")).begin(h.plan);
    h.fire();
    h.attempts[1]!.failWith(Code.PERMISSION_DENIED);
    assert.equal((await rejection(p)).code, Code.PERMISSION_DENIED);
    assert.ok(h.attempts[0]!.cancelled);
    assert.equal(h.pending().length, 0);
  });

  it("pushback -1 stops further hedges; those outstanding still may answer", async () => {
    const h = harness(hedgingPolicy(4, 200));
    const p = new Call(request(TextEcho.methods.unary, "m")).begin(h.plan);
    h.fire();
    h.attempts[1]!.failWith(Code.UNAVAILABLE, { "grpc-retry-pushback-ms": "-1" });
    assert.equal(h.attempts.length, 2);
    assert.equal(h.pending().length, 0);
    h.attempts[0]!.ok("first");
    assert.equal((await p).message, "first");
  });

  it("hedgingDelay 0 sends every attempt at once; a streamed request goes to each", async () => {
    const h = harness(hedgingPolicy(3, 0));
    const input = createWritableIterable<string>();
    const p = new Call(request(TextEcho.methods.clientStream, input)).begin(h.plan);
    assert.equal(h.attempts.length, 3);
    await input.write("x");
    await input.write("y");
    input.close();
    await settle();
    for (const a of h.attempts) assert.deepEqual(a.writes, ["x", "y"]);
    h.attempts[2]!.ok();
    await p;
    assert.ok(h.attempts[0]!.cancelled && h.attempts[1]!.cancelled);
  });

  it("throttled: no hedge goes, the first attempt alone carries the call", async () => {
    const throttle = new RetryThrottle(2, 0.5);
    throttle.onFailure(); // 1: not above half
    const h = harness(hedgingPolicy(3, 200), { throttle });
    const p = new Call(request(TextEcho.methods.unary, "m")).begin(h.plan);
    assert.equal(h.pending().length, 0);
    h.last().ok();
    await p;
    assert.equal(h.attempts.length, 1);
  });
});
