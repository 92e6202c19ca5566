import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "./code.js";
import { RpcError } from "./rpc-error.js";
import { decodeTimeout, encodeTimeout, resolveDeadline } from "./timeout.js";

const unitMs: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };
const finestFirst = ["n", "u", "m", "S", "M", "H"];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

describe("encodeTimeout", () => {
  it("uses the finest unit whose value fits in 8 digits", () => {
    assert.equal(encodeTimeout(1), "1000000n");
    assert.equal(encodeTimeout(0.000001), "1n");
    assert.equal(encodeTimeout(99.999999), "99999999n");
    assert.equal(encodeTimeout(100), "100000u");
    assert.equal(encodeTimeout(500), "500000u");
    assert.equal(encodeTimeout(99_999.999), "99999999u");
    assert.equal(encodeTimeout(100_000), "100000m");
    assert.equal(encodeTimeout(99_999_999), "99999999m");
    assert.equal(encodeTimeout(100_000_000), "100000S");
    assert.equal(encodeTimeout(99_999_999_000), "99999999S");
    assert.equal(encodeTimeout(100_000_000_000), "1666667M");
    assert.equal(encodeTimeout(99_999_999 * 60_000), "99999999M");
    assert.equal(encodeTimeout(99_999_999 * 60_000 + 1), "1666667H");
  });

  it("rounds up so the server never sees less time than the client waits", () => {
    assert.equal(encodeTimeout(0.0000001), "1n");
    assert.equal(encodeTimeout(100.0001), "100001u");
    assert.equal(encodeTimeout(100_000.5), "100001m");
    assert.equal(encodeTimeout(100_000_000.1), "100001S");
  });

  it("encodes non-positive and NaN timeouts as 1n, and infinity as the largest hour value", () => {
    assert.equal(encodeTimeout(0), "1n");
    assert.equal(encodeTimeout(-5), "1n");
    assert.equal(encodeTimeout(Number.NEGATIVE_INFINITY), "1n");
    assert.equal(encodeTimeout(Number.NaN), "1n");
    assert.equal(encodeTimeout(Number.POSITIVE_INFINITY), "99999999H");
    assert.equal(encodeTimeout(Number.MAX_VALUE), "99999999H");
  });

  it("always yields 1-8 digits and a unit, never less time, and no more than one unit extra", () => {
    const next = rng(7);
    for (let i = 0; i < 20_000; i++) {
      // Spread over 1e-7 ms .. 1e14 ms so that every unit is exercised.
      const ms = next() * 10 ** (next() * 21 - 7);
      const enc = encodeTimeout(ms);
      assert.match(enc, /^[0-9]{1,8}[HMSmun]$/, `${ms} → ${enc}`);
      const unit = enc.at(-1)!;
      const decoded = decodeTimeout(enc);
      assert.ok(decoded >= ms, `${ms} → ${enc} → ${decoded} is less`);
      assert.ok(decoded - ms <= unitMs[unit]! + ms * 1e-15, `${ms} → ${enc} → ${decoded} is too much`);
      // No finer unit could have held the value in 8 digits.
      const finer = finestFirst.slice(0, finestFirst.indexOf(unit));
      for (const f of finer)
        assert.ok(ms / unitMs[f]! > 99_999_999 - 1e-6, `${ms}: ${f} would fit, got ${enc}`);
    }
  });
});

describe("decodeTimeout", () => {
  it("decodes every unit", () => {
    assert.equal(decodeTimeout("2H"), 7_200_000);
    assert.equal(decodeTimeout("3M"), 180_000);
    assert.equal(decodeTimeout("4S"), 4000);
    assert.equal(decodeTimeout("5m"), 5);
    assert.equal(decodeTimeout("6000u"), 6);
    assert.equal(decodeTimeout("7000000n"), 7);
    assert.equal(decodeTimeout("1u"), 0.001);
    assert.equal(decodeTimeout("1n"), 0.000001);
  });

  it("decodes sub-millisecond values to the nearest double", () => {
    assert.equal(decodeTimeout("1100000n"), 1.1);
    assert.equal(decodeTimeout("300000n"), 0.3);
    assert.equal(decodeTimeout("1100u"), 1.1);
    assert.equal(decodeTimeout("123456789".slice(0, 8) + "n"), 12_345_678 / 1e6);
  });

  it("accepts up to 8 digits, leading zeros included", () => {
    assert.equal(decodeTimeout("99999999H"), 99_999_999 * 3_600_000);
    assert.equal(decodeTimeout("99999999n"), 99.999999);
    assert.equal(decodeTimeout("00000001S"), 1000);
    assert.equal(decodeTimeout("0m"), 0);
  });

  it("rejects malformed values with RpcError INTERNAL", () => {
    for (const bad of [
      "",
      "S",
      "1",
      "12345678",
      "123456789S",
      "000000000m",
      "10x",
      "10s",
      "10h",
      "10 S",
      " 10S",
      "-1S",
      "+1S",
      "1.5S",
      "1eS",
      "0x1S",
      "１S",
      "10SS",
    ]) {
      assert.throws(
        () => decodeTimeout(bad),
        (e: unknown) =>
          e instanceof RpcError && e.code === Code.INTERNAL && /grpc-timeout/.test(e.rawMessage),
        JSON.stringify(bad),
      );
    }
  });

  it("round-trips every value that fits a unit exactly", () => {
    const next = rng(11);
    for (let i = 0; i < 5000; i++) {
      const digits = Math.floor(next() * 99_999_999) + 1;
      for (const unit of finestFirst) {
        const text = `${digits}${unit}`;
        const ms = decodeTimeout(text);
        const again = decodeTimeout(encodeTimeout(ms));
        // At most one unit more (plus float noise: ms * 1e3 may land a hair above an integer).
        const slack = unitMs[unit]! + ms * 1e-15;
        assert.ok(again >= ms && again - ms <= slack, `${text} → ${ms} → ${encodeTimeout(ms)}`);
      }
    }
  });
});

describe("resolveDeadline", () => {
  it("is undefined with neither a timeout nor a deadline", () => {
    assert.equal(resolveDeadline(undefined, undefined), undefined);
  });

  it("takes a deadline as a number or a Date", () => {
    assert.equal(resolveDeadline(undefined, 1_700_000_000_000), 1_700_000_000_000);
    assert.equal(resolveDeadline(undefined, new Date(1_700_000_000_123)), 1_700_000_000_123);
  });

  it("turns a timeout into now + timeout", () => {
    const before = Date.now();
    const d = resolveDeadline(1500, undefined)!;
    const after = Date.now();
    assert.ok(d >= before + 1500 && d <= after + 1500);
  });

  it("takes the earlier of both", () => {
    const now = Date.now();
    assert.equal(resolveDeadline(60_000, now + 10), now + 10);
    const d = resolveDeadline(10, new Date(now + 60_000))!;
    assert.ok(d <= Date.now() + 10 && d >= now + 10);
  });
});
