import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Backoff } from "./backoff.js";

/** A random source that returns the given values in turn (then repeats the last). */
function randoms(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)]!;
}

describe("Backoff", () => {
  it("has the connection-backoff.md defaults", () => {
    const b = new Backoff();
    assert.equal(b.initialMs, 1000);
    assert.equal(b.multiplier, 1.6);
    assert.equal(b.jitter, 0.2);
    assert.equal(b.maxMs, 120_000);
    assert.equal(b.minConnectTimeoutMs, 20_000);
  });

  it("grows by the multiplier up to the cap (random 0.5 = no jitter)", () => {
    const b = new Backoff({ initialMs: 100, multiplier: 2, maxMs: 1000, jitter: 0.2 }, () => 0.5);
    const delays = Array.from({ length: 7 }, () => b.next());
    assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it("jitters each delay after the first within ±jitter of its base", () => {
    const low = new Backoff({ initialMs: 100, multiplier: 2, jitter: 0.2 }, () => 0);
    assert.deepEqual([low.next(), low.next(), low.next()], [100, 160, 320]);
    const high = new Backoff({ initialMs: 100, multiplier: 2, jitter: 0.2 }, () => 0.999_999);
    const d = [high.next(), high.next(), high.next()];
    assert.equal(d[0], 100);
    assert.ok(Math.abs(d[1]! - 240) < 0.01 && Math.abs(d[2]! - 480) < 0.01, `delays ${d.join(", ")}`);
  });

  it("stays within [base·(1−jitter), base·(1+jitter)] for any random value, capped base included", () => {
    const values = Array.from({ length: 50 }, (_, i) => (i * 0.37) % 1);
    const b = new Backoff({ initialMs: 50, multiplier: 1.6, jitter: 0.2, maxMs: 2000 }, randoms(...values));
    let base = 50;
    assert.equal(b.next(), 50);
    for (let i = 0; i < 49; i++) {
      base = Math.min(base * 1.6, 2000);
      const d = b.next();
      assert.ok(d >= base * 0.8 - 1e-9 && d <= base * 1.2 + 1e-9, `delay ${d} for base ${base}`);
    }
  });

  it("reset() starts the schedule again", () => {
    const b = new Backoff({ initialMs: 10, multiplier: 3, maxMs: 1000 }, () => 0.5);
    assert.deepEqual([b.next(), b.next(), b.next()], [10, 30, 90]);
    b.reset();
    assert.deepEqual([b.next(), b.next()], [10, 30]);
  });

  it("never returns a negative delay, even with a jitter above 1", () => {
    const b = new Backoff({ initialMs: 10, multiplier: 2, jitter: 1.5 }, () => 0);
    b.next();
    assert.equal(b.next(), 0);
  });
});
