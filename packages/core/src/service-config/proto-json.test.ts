import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  field,
  integerOf,
  readBool,
  readDurationMs,
  readFloat,
  readStatusCode,
  readStatusCodes,
  readUint32,
  requiredField,
} from "./proto-json.js";
import { ServiceConfigError } from "./service-config-error.js";

function throwsAt(fn: () => unknown, path: string, reason: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ServiceConfigError, `not a ServiceConfigError: ${String(e)}`);
    assert.equal(e.path, path);
    assert.match(e.reason, reason);
    assert.equal(e.message, path === "" ? e.reason : `${path}: ${e.reason}`);
    return true;
  });
}

describe("field", () => {
  it("finds the lowerCamelCase name and the snake_case original, with their paths", () => {
    assert.deepEqual(field({ maxTokens: 3 }, "retryThrottling", "maxTokens"), {
      value: 3,
      path: "retryThrottling.maxTokens",
    });
    assert.deepEqual(field({ max_tokens: 3 }, "retryThrottling", "maxTokens"), {
      value: 3,
      path: "retryThrottling.max_tokens",
    });
    assert.deepEqual(field({ timeout: "1s" }, "", "timeout"), { value: "1s", path: "timeout" });
  });

  it("treats null and undefined as absent", () => {
    assert.equal(field({ maxTokens: null }, "", "maxTokens"), undefined);
    assert.equal(field({ max_tokens: undefined }, "", "maxTokens"), undefined);
    assert.equal(field({}, "", "maxTokens"), undefined);
    throwsAt(() => requiredField({ maxTokens: null }, "r", "maxTokens"), "r.maxTokens", /is required/);
  });

  it("does not see inherited properties", () => {
    assert.equal(field({}, "", "constructor"), undefined);
    assert.equal(field({}, "", "toString"), undefined);
  });

  it("rejects a field given under both names", () => {
    throwsAt(() => field({ maxTokens: 1, max_tokens: 2 }, "r", "maxTokens"), "r.maxTokens", /given twice/);
  });
});

describe("readDurationMs", () => {
  it("reads decimal seconds with up to 9 fractional digits", () => {
    assert.equal(readDurationMs("1s", "t"), 1000);
    assert.equal(readDurationMs("1.5s", "t"), 1500);
    assert.equal(readDurationMs(".1s", "t"), 100);
    assert.equal(readDurationMs("0s", "t"), 0);
    assert.equal(readDurationMs("-0s", "t"), 0);
    assert.equal(readDurationMs("0.000001s", "t"), 0.001);
    assert.equal(readDurationMs("0.000000001s", "t"), 0.000001);
    assert.equal(readDurationMs("1.000000001s", "t"), 1000.000001);
    assert.equal(readDurationMs("010s", "t"), 10_000);
    assert.equal(readDurationMs("315576000000s", "t"), 315_576_000_000_000);
  });

  it("rejects other forms", () => {
    for (const bad of [
      "1",
      "s",
      ".s",
      "1.s",
      "1.0000000001s",
      "1e3s",
      " 1s",
      "1s ",
      "1S",
      "1ms",
      "+1s",
      "0x1s",
      "",
    ]) {
      throwsAt(() => readDurationMs(bad, "t"), "t", /is not a duration/);
    }
    for (const bad of [1, true, null, {}, { seconds: 1, nanos: 0 }, []]) {
      throwsAt(() => readDurationMs(bad, "t"), "t", /must be a duration string/);
    }
  });

  it("rejects negative and too long durations", () => {
    throwsAt(() => readDurationMs("-1s", "t"), "t", /must not be negative/);
    throwsAt(() => readDurationMs("-0.5s", "t"), "t", /must not be negative/);
    throwsAt(() => readDurationMs("315576000001s", "t"), "t", /longer than the longest/);
  });
});

describe("integerOf", () => {
  it("reads integers from numbers and decimal strings, and nothing else", () => {
    assert.equal(integerOf(3), 3);
    assert.equal(integerOf(-3), -3);
    assert.equal(integerOf("3"), 3);
    for (const none of [1.5, "1.5", "-3", "", "3 ", Number.NaN, null, true])
      assert.equal(integerOf(none), undefined);
  });
});

describe("readUint32", () => {
  it("reads numbers and decimal strings", () => {
    assert.equal(readUint32(0, "n"), 0);
    assert.equal(readUint32(4194304, "n"), 4194304);
    assert.equal(readUint32("4194304", "n"), 4194304);
    assert.equal(readUint32(4294967295, "n"), 4294967295);
  });

  it("rejects fractions, negatives, out-of-range values and other types", () => {
    for (const bad of [
      -1,
      1.5,
      4294967296,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      "-1",
      "1.5",
      "",
      " 1",
      "0x10",
      true,
      [],
      {},
    ]) {
      throwsAt(() => readUint32(bad, "n"), "n", /must be an integer from 0 to 4294967295/);
    }
  });
});

describe("readFloat", () => {
  it("reads finite numbers and decimal strings", () => {
    assert.equal(readFloat(2, "f"), 2);
    assert.equal(readFloat(0.1, "f"), 0.1);
    assert.equal(readFloat("1.5", "f"), 1.5);
    assert.equal(readFloat(".5", "f"), 0.5);
    assert.equal(readFloat("1e2", "f"), 100);
  });

  it("rejects non-finite numbers and other types", () => {
    for (const bad of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      "NaN",
      "Infinity",
      "abc",
      "",
      "1.5x",
      true,
      null,
      [],
    ]) {
      throwsAt(() => readFloat(bad, "f"), "f", /must be a finite number/);
    }
  });
});

describe("readBool", () => {
  it("reads only true and false", () => {
    assert.equal(readBool(true, "b"), true);
    assert.equal(readBool(false, "b"), false);
    for (const bad of ["true", 1, 0, null]) throwsAt(() => readBool(bad, "b"), "b", /must be true or false/);
  });
});

describe("readStatusCode(s)", () => {
  it("reads names in any case and numbers", () => {
    assert.equal(readStatusCode("UNAVAILABLE", "c"), 14);
    assert.equal(readStatusCode("unavailable", "c"), 14);
    assert.equal(readStatusCode("Deadline_Exceeded", "c"), 4);
    assert.equal(readStatusCode(0, "c"), 0);
    assert.equal(readStatusCode(16, "c"), 16);
  });

  it("rejects unknown names and numbers and other types", () => {
    throwsAt(() => readStatusCode("NOT_A_CODE", "c"), "c", /unknown status code "NOT_A_CODE"/);
    throwsAt(() => readStatusCode("14", "c"), "c", /unknown status code "14"/);
    throwsAt(() => readStatusCode("toString", "c"), "c", /unknown status code/);
    throwsAt(() => readStatusCode(17, "c"), "c", /unknown status code 17/);
    throwsAt(() => readStatusCode(1.5, "c"), "c", /unknown status code 1.5/);
    throwsAt(() => readStatusCode(-1, "c"), "c", /unknown status code -1/);
    throwsAt(() => readStatusCode(null, "c"), "c", /must be a status code name or number/);
  });

  it("reads a list without repeats, naming the bad element's index", () => {
    assert.deepEqual(readStatusCodes(["UNAVAILABLE", "aborted", 14, 10, "INTERNAL"], "l"), [14, 10, 13]);
    assert.deepEqual(readStatusCodes([], "l"), []);
    throwsAt(() => readStatusCodes(["UNAVAILABLE", "BOGUS"], "l"), "l[1]", /unknown status code "BOGUS"/);
    throwsAt(() => readStatusCodes("UNAVAILABLE", "l"), "l", /must be a list/);
  });
});
