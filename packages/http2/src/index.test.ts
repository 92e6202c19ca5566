import assert from "node:assert/strict";
import { test } from "node:test";
import * as frame from "./frame/index.js";
import * as hpack from "./hpack/index.js";
import * as root from "./index.js";

// The public surface, entry by entry: a name added or dropped is a decision, seen here.
test("the root exports what a user of the engine needs", () => {
  assert.deepEqual(Object.keys(root).sort(), [
    "ByteWriter",
    "ClientConnection",
    "ErrorCode",
    "Http2Error",
    "ServerConnection",
    "errorCodeName",
  ]);
});

test("@grpc-ts/http2/frame exports the frame layer", () => {
  assert.deepEqual(Object.keys(frame).sort(), [
    "CONNECTION_PREFACE",
    "FRAME_HEADER_LENGTH",
    "FrameFlag",
    "FrameParser",
    "FrameType",
    "MAX_MAX_FRAME_SIZE",
    "MAX_STREAM_ID",
    "MAX_WINDOW_SIZE",
    "MIN_MAX_FRAME_SIZE",
    "SettingId",
    "applySetting",
    "beginHeaders",
    "connectionError",
    "endHeaders",
    "initialSettings",
    "streamError",
    "validateSetting",
    "writeContinuation",
    "writeData",
    "writeFrameHeader",
    "writeGoAway",
    "writeHeadersFrame",
    "writePing",
    "writePriority",
    "writePushPromise",
    "writeRstStream",
    "writeSettings",
    "writeSettingsAck",
    "writeWindowUpdate",
  ]);
});

test("@grpc-ts/http2/hpack exports the header compression", () => {
  assert.deepEqual(Object.keys(hpack).sort(), [
    "DEFAULT_HEADER_TABLE_SIZE",
    "FieldFlag",
    "HpackDecoder",
    "HpackEncoder",
    "HpackError",
  ]);
});
