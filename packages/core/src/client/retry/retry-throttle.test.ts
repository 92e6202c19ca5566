import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RetryBuffer } from "./retry-buffer.js";
import { RetryThrottle } from "./retry-throttle.js";

describe("RetryThrottle", () => {
  it("starts full; each failure costs a token; retries stop at half", () => {
    const t = new RetryThrottle(10, 0.1);
    assert.equal(t.tokens, 10);
    for (let i = 0; i < 4; i++) t.onFailure();
    assert.equal(t.tokens, 6);
    assert.ok(t.allows);
    t.onFailure();
    assert.equal(t.tokens, 5);
    assert.ok(!t.allows, "5 is not above 10 / 2");
  });

  it("successes add tokenRatio in exact thousandths, up to maxTokens", () => {
    const t = new RetryThrottle(10, 0.1);
    for (let i = 0; i < 5; i++) t.onFailure();
    t.onSuccess();
    assert.equal(t.tokens, 5.1);
    assert.ok(t.allows);
    for (let i = 0; i < 100; i++) t.onSuccess();
    assert.equal(t.tokens, 10);
  });

  it("never goes below zero", () => {
    const t = new RetryThrottle(1, 0.5);
    t.onFailure();
    t.onFailure();
    assert.equal(t.tokens, 0);
    t.onSuccess();
    assert.equal(t.tokens, 0.5);
    assert.ok(!t.allows, "0.5 is not above 1 / 2");
    t.onSuccess();
    assert.ok(t.allows);
  });

  it("odd maxTokens: the threshold is a half token", () => {
    const t = new RetryThrottle(3, 1);
    t.onFailure(); // 2 > 1.5
    assert.ok(t.allows);
    t.onFailure(); // 1
    assert.ok(!t.allows);
  });

  it("the largest setting and the smallest ratio", () => {
    const t = new RetryThrottle(1000, 0.001);
    for (let i = 0; i < 500; i++) t.onFailure();
    assert.ok(!t.allows);
    t.onSuccess();
    assert.equal(t.tokens, 500.001);
    assert.ok(t.allows);
  });

  it("sameAs compares the settings", () => {
    const t = new RetryThrottle(10, 0.1);
    assert.ok(t.sameAs(10, 0.1));
    assert.ok(!t.sameAs(10, 0.2));
    assert.ok(!t.sameAs(11, 0.1));
  });
});

describe("RetryBuffer", () => {
  it("limits a call and the channel", () => {
    const b = new RetryBuffer(100, 150);
    assert.ok(b.take(0, 60));
    assert.ok(!b.take(60, 41), "the call's 100");
    assert.ok(b.take(60, 40));
    assert.equal(b.used, 100);
    assert.ok(!b.take(0, 51), "the channel's 150");
    assert.ok(b.take(0, 50));
    b.give(100);
    assert.equal(b.used, 50);
    b.give(80);
    assert.equal(b.used, 0);
  });
});
