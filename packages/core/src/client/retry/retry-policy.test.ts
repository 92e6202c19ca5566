import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "../../code.js";
import { RetryBuffer } from "./retry-buffer.js";
import {
  hasCode,
  jittered,
  nextBackoff,
  parsePushback,
  type RetryContext,
  type RetryPlanRetry,
  retryPlanOf,
  STOP,
} from "./retry-policy.js";

const context: RetryContext = {
  throttle: undefined,
  buffer: new RetryBuffer(),
  schedule: () => ({ cancel() {} }),
  random: () => 0.5,
};

const retryPolicy = (maxAttempts: number) => ({
  retryPolicy: {
    maxAttempts,
    initialBackoffMs: 100,
    maxBackoffMs: 1000,
    backoffMultiplier: 3,
    retryableStatusCodes: [Code.UNAVAILABLE, Code.ABORTED],
  },
});

describe("retryPlanOf", () => {
  it("caps maxAttempts at 5 by default, and at the channel's maxRetryAttempts", () => {
    assert.equal(retryPlanOf(retryPolicy(4), context)?.maxAttempts, 4);
    assert.equal(retryPlanOf(retryPolicy(5), context)?.maxAttempts, 5);
    assert.equal(retryPlanOf(retryPolicy(9), context)?.maxAttempts, 5);
    assert.equal(retryPlanOf(retryPolicy(9), context, 7)?.maxAttempts, 7);
    assert.equal(retryPlanOf(retryPolicy(3), context, 7)?.maxAttempts, 3);
    // A cap of 1 leaves no retry at all.
    assert.equal(retryPlanOf(retryPolicy(3), context, 1), undefined);
  });

  it("keeps the codes as a set and the hedging delay", () => {
    const plan = retryPlanOf(retryPolicy(3), context)!;
    assert.equal(plan.kind, "retry");
    assert.ok(hasCode(plan, Code.UNAVAILABLE) && hasCode(plan, Code.ABORTED));
    assert.ok(
      !hasCode(plan, Code.OK) && !hasCode(plan, Code.INTERNAL) && !hasCode(plan, Code.UNAUTHENTICATED),
    );
    const hedge = retryPlanOf(
      { hedgingPolicy: { maxAttempts: 8, hedgingDelayMs: 250, nonFatalStatusCodes: [Code.INTERNAL] } },
      context,
    )!;
    assert.equal(hedge.kind, "hedge");
    assert.equal(hedge.maxAttempts, 5);
    assert.ok(hedge.kind === "hedge" && hedge.hedgingDelayMs === 250);
    assert.ok(hasCode(hedge, Code.INTERNAL) && !hasCode(hedge, Code.UNAVAILABLE));
    assert.equal(retryPlanOf({}, context), undefined);
  });
});

describe("backoff", () => {
  it("grows by the multiplier up to maxBackoff", () => {
    const plan = retryPlanOf(retryPolicy(5), context) as RetryPlanRetry;
    const seq: number[] = [];
    let b = plan.initialBackoffMs;
    for (let i = 0; i < 5; i++) {
      seq.push(b);
      b = nextBackoff(plan, b);
    }
    assert.deepEqual(seq, [100, 300, 900, 1000, 1000]);
  });

  it("jitter is a factor in [0.8, 1.2)", () => {
    assert.equal(
      jittered(1000, () => 0),
      800,
    );
    assert.equal(
      jittered(1000, () => 0.5),
      1000,
    );
    assert.ok(Math.abs(jittered(1000, () => 0.999999) - 1200) < 0.001);
    assert.ok(jittered(1000, () => 0.999999) < 1200);
  });
});

describe("parsePushback", () => {
  it("a non-negative integer without leading zeros is a delay", () => {
    assert.equal(parsePushback("0"), 0);
    assert.equal(parsePushback("300"), 300);
    assert.equal(parsePushback("2147483647"), 2147483647);
  });

  it("absent: no pushback", () => {
    assert.equal(parsePushback(undefined), undefined);
  });

  it("negative or malformed: do not retry", () => {
    for (const v of ["-1", "-300", "", "01", "1.5", "abc", " 30", "30 ", "+30", "2147483648", "99999999999"])
      assert.equal(parsePushback(v), STOP, JSON.stringify(v));
  });
});
