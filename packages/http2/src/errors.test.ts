import assert from "node:assert/strict";
import { test } from "node:test";
import { connectionError, ErrorCode, errorCodeName, Http2Error, streamError } from "./errors.js";

test("error code names, and unknown codes", () => {
  assert.equal(errorCodeName(ErrorCode.NO_ERROR), "NO_ERROR");
  assert.equal(errorCodeName(ErrorCode.HTTP_1_1_REQUIRED), "HTTP_1_1_REQUIRED");
  assert.equal(errorCodeName(0xe), "UNKNOWN(0xe)");
  assert.equal(errorCodeName(0xffffffff), "UNKNOWN(0xffffffff)");
});

test("connection and stream errors", () => {
  const c = connectionError(ErrorCode.PROTOCOL_ERROR, "bad");
  assert.ok(c instanceof Http2Error);
  assert.equal(c.isConnectionError, true);
  assert.equal(c.message, "PROTOCOL_ERROR: bad");
  const s = streamError(5, ErrorCode.CANCEL, "gone");
  assert.equal(s.isConnectionError, false);
  assert.equal(s.streamId, 5);
  assert.equal(s.code, ErrorCode.CANCEL);
});
