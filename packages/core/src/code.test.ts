import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, codeFromHttpStatus, codeFromName, codeName, isCode } from "./code.js";

// statuscodes.md: every code with its number.
const expected: readonly [string, number][] = [
  ["OK", 0],
  ["CANCELLED", 1],
  ["UNKNOWN", 2],
  ["INVALID_ARGUMENT", 3],
  ["DEADLINE_EXCEEDED", 4],
  ["NOT_FOUND", 5],
  ["ALREADY_EXISTS", 6],
  ["PERMISSION_DENIED", 7],
  ["RESOURCE_EXHAUSTED", 8],
  ["FAILED_PRECONDITION", 9],
  ["ABORTED", 10],
  ["OUT_OF_RANGE", 11],
  ["UNIMPLEMENTED", 12],
  ["INTERNAL", 13],
  ["UNAVAILABLE", 14],
  ["DATA_LOSS", 15],
  ["UNAUTHENTICATED", 16],
];

describe("Code", () => {
  it("has exactly the 17 codes of statuscodes.md with their numbers", () => {
    assert.deepEqual(Object.entries(Code), expected);
  });

  it("names every code, and an unknown number as CODE_n", () => {
    for (const [name, n] of expected) assert.equal(codeName(n), name);
    assert.equal(codeName(17), "CODE_17");
    assert.equal(codeName(99), "CODE_99");
    assert.equal(codeName(-1), "CODE_-1");
  });

  it("finds a code by its name, case-insensitively", () => {
    for (const [name, n] of expected) {
      assert.equal(codeFromName(name), n);
      assert.equal(codeFromName(name.toLowerCase()), n);
    }
    assert.equal(codeFromName("Deadline_Exceeded"), Code.DEADLINE_EXCEEDED);
    assert.equal(codeFromName("NOPE"), undefined);
    assert.equal(codeFromName(""), undefined);
    // Inherited object properties are not codes.
    assert.equal(codeFromName("constructor"), undefined);
    assert.equal(codeFromName("toString"), undefined);
    assert.equal(codeFromName("__proto__"), undefined);
  });

  it("isCode accepts exactly the integers 0..16", () => {
    for (let n = 0; n <= 16; n++) assert.equal(isCode(n), true, String(n));
    for (const n of [-1, 17, 100, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      assert.equal(isCode(n), false, String(n));
  });
});

describe("codeFromHttpStatus (http-grpc-status-mapping.md)", () => {
  it("maps the listed HTTP statuses", () => {
    assert.equal(codeFromHttpStatus(400), Code.INTERNAL);
    assert.equal(codeFromHttpStatus(401), Code.UNAUTHENTICATED);
    assert.equal(codeFromHttpStatus(403), Code.PERMISSION_DENIED);
    assert.equal(codeFromHttpStatus(404), Code.UNIMPLEMENTED);
    assert.equal(codeFromHttpStatus(429), Code.UNAVAILABLE);
    assert.equal(codeFromHttpStatus(502), Code.UNAVAILABLE);
    assert.equal(codeFromHttpStatus(503), Code.UNAVAILABLE);
    assert.equal(codeFromHttpStatus(504), Code.UNAVAILABLE);
  });

  it("maps every other status to UNKNOWN", () => {
    for (const s of [0, 100, 200, 204, 301, 302, 402, 405, 415, 418, 500, 501, 505, 599, Number.NaN]) {
      assert.equal(codeFromHttpStatus(s), Code.UNKNOWN, String(s));
    }
  });
});
