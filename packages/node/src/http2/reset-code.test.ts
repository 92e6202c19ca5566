import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "@grpc-ts/core";
import { ErrorCode } from "@grpc-ts/http2";
import { codeFromResetCode } from "./reset-code.js";

describe("codeFromResetCode (PROTOCOL-HTTP2.md, RST_STREAM mapping)", () => {
  it("has the RFC 9113 error code numbers", () => {
    assert.deepEqual(Object.entries(ErrorCode), [
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
    assert.equal(codeFromResetCode(ErrorCode.NO_ERROR), Code.INTERNAL);
    assert.equal(codeFromResetCode(ErrorCode.PROTOCOL_ERROR), Code.INTERNAL);
    assert.equal(codeFromResetCode(ErrorCode.INTERNAL_ERROR), Code.INTERNAL);
    assert.equal(codeFromResetCode(ErrorCode.FLOW_CONTROL_ERROR), Code.INTERNAL);
    assert.equal(codeFromResetCode(ErrorCode.SETTINGS_TIMEOUT), Code.INTERNAL);
    assert.equal(codeFromResetCode(ErrorCode.FRAME_SIZE_ERROR), Code.INTERNAL);
    assert.equal(codeFromResetCode(ErrorCode.REFUSED_STREAM), Code.UNAVAILABLE);
    assert.equal(codeFromResetCode(ErrorCode.CANCEL), Code.CANCELLED);
    assert.equal(codeFromResetCode(ErrorCode.COMPRESSION_ERROR), Code.INTERNAL);
    assert.equal(codeFromResetCode(ErrorCode.CONNECT_ERROR), Code.INTERNAL);
    assert.equal(codeFromResetCode(ErrorCode.ENHANCE_YOUR_CALM), Code.RESOURCE_EXHAUSTED);
    assert.equal(codeFromResetCode(ErrorCode.INADEQUATE_SECURITY), Code.PERMISSION_DENIED);
  });

  it("maps codes outside the table to INTERNAL", () => {
    assert.equal(codeFromResetCode(ErrorCode.STREAM_CLOSED), Code.INTERNAL);
    assert.equal(codeFromResetCode(ErrorCode.HTTP_1_1_REQUIRED), Code.INTERNAL);
    assert.equal(codeFromResetCode(0xff), Code.INTERNAL);
  });
});
