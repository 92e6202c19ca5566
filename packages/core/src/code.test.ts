import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Code,
  codeFromH2Error,
  codeFromHttpStatus,
  codeFromName,
  codeName,
  H2Error,
  h2ErrorName,
  isCode,
} from "./code.js";

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

describe("codeFromH2Error (PROTOCOL-HTTP2.md, RST_STREAM mapping)", () => {
  it("has the RFC 9113 error code numbers", () => {
    assert.deepEqual(Object.entries(H2Error), [
      ["NO_ERROR", 0],
      ["PROTOCOL_ERROR", 1],
      ["INTERNAL_ERROR", 2],
      ["FLOW_CONTROL_ERROR", 3],
      ["SETTINGS_TIMEOUT", 4],
      ["STREAM_CLOSED", 5],
      ["FRAME_SIZE_ERROR", 6],
      ["REFUSED_STREAM", 7],
      ["CANCEL", 8],
      ["COMPRESSION_ERROR", 9],
      ["CONNECT_ERROR", 10],
      ["ENHANCE_YOUR_CALM", 11],
      ["INADEQUATE_SECURITY", 12],
      ["HTTP_1_1_REQUIRED", 13],
    ]);
  });

  it("maps each RST_STREAM code as the spec's table says", () => {
    assert.equal(codeFromH2Error(H2Error.NO_ERROR), Code.INTERNAL);
    assert.equal(codeFromH2Error(H2Error.PROTOCOL_ERROR), Code.INTERNAL);
    assert.equal(codeFromH2Error(H2Error.INTERNAL_ERROR), Code.INTERNAL);
    assert.equal(codeFromH2Error(H2Error.FLOW_CONTROL_ERROR), Code.INTERNAL);
    assert.equal(codeFromH2Error(H2Error.SETTINGS_TIMEOUT), Code.INTERNAL);
    assert.equal(codeFromH2Error(H2Error.FRAME_SIZE_ERROR), Code.INTERNAL);
    assert.equal(codeFromH2Error(H2Error.REFUSED_STREAM), Code.UNAVAILABLE);
    assert.equal(codeFromH2Error(H2Error.CANCEL), Code.CANCELLED);
    assert.equal(codeFromH2Error(H2Error.COMPRESSION_ERROR), Code.INTERNAL);
    assert.equal(codeFromH2Error(H2Error.CONNECT_ERROR), Code.INTERNAL);
    assert.equal(codeFromH2Error(H2Error.ENHANCE_YOUR_CALM), Code.RESOURCE_EXHAUSTED);
    assert.equal(codeFromH2Error(H2Error.INADEQUATE_SECURITY), Code.PERMISSION_DENIED);
  });

  it("maps codes outside the table to INTERNAL", () => {
    assert.equal(codeFromH2Error(H2Error.STREAM_CLOSED), Code.INTERNAL);
    assert.equal(codeFromH2Error(H2Error.HTTP_1_1_REQUIRED), Code.INTERNAL);
    assert.equal(codeFromH2Error(0xff), Code.INTERNAL);
  });

  it("names HTTP/2 error codes, and unknown ones in hex", () => {
    assert.equal(h2ErrorName(7), "REFUSED_STREAM");
    assert.equal(h2ErrorName(0), "NO_ERROR");
    assert.equal(h2ErrorName(0xb), "ENHANCE_YOUR_CALM");
    assert.equal(h2ErrorName(0x1f), "0x1f");
  });
});
