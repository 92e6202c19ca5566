import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode, Http2Error } from "../errors.js";
import { applySetting, initialSettings, SettingId, validateSetting } from "./settings.js";

test("initial values of RFC 9113 §6.5.2", () => {
  assert.deepEqual(initialSettings(), {
    headerTableSize: 4096,
    enablePush: true,
    maxConcurrentStreams: Number.POSITIVE_INFINITY,
    initialWindowSize: 65535,
    maxFrameSize: 16384,
    maxHeaderListSize: Number.POSITIVE_INFINITY,
  });
});

test("applying parameters; unknown identifiers change nothing", () => {
  const s = initialSettings();
  applySetting(s, SettingId.HEADER_TABLE_SIZE, 0);
  applySetting(s, SettingId.ENABLE_PUSH, 0);
  applySetting(s, SettingId.MAX_CONCURRENT_STREAMS, 100);
  applySetting(s, SettingId.INITIAL_WINDOW_SIZE, 1 << 20);
  applySetting(s, SettingId.MAX_FRAME_SIZE, 1 << 16);
  applySetting(s, SettingId.MAX_HEADER_LIST_SIZE, 8192);
  const before = { ...s };
  applySetting(s, 0x99, 1);
  assert.deepEqual(s, before);
  assert.deepEqual(s, {
    headerTableSize: 0,
    enablePush: false,
    maxConcurrentStreams: 100,
    initialWindowSize: 1 << 20,
    maxFrameSize: 1 << 16,
    maxHeaderListSize: 8192,
  });
});

test("validation errors carry the codes of §6.5.2", () => {
  const code = (id: number, value: number, client = false) => {
    try {
      validateSetting(id, value, client);
      return -1;
    } catch (e) {
      assert.ok(e instanceof Http2Error && e.streamId === 0);
      return e.code;
    }
  };
  assert.equal(code(SettingId.ENABLE_PUSH, 2), ErrorCode.PROTOCOL_ERROR);
  assert.equal(code(SettingId.ENABLE_PUSH, 1, true), ErrorCode.PROTOCOL_ERROR);
  assert.equal(code(SettingId.ENABLE_PUSH, 1), -1);
  assert.equal(code(SettingId.INITIAL_WINDOW_SIZE, 2 ** 31), ErrorCode.FLOW_CONTROL_ERROR);
  assert.equal(code(SettingId.MAX_FRAME_SIZE, 2 ** 24), ErrorCode.PROTOCOL_ERROR);
  assert.equal(code(SettingId.MAX_FRAME_SIZE, 2 ** 14 - 1), ErrorCode.PROTOCOL_ERROR);
  assert.equal(code(SettingId.HEADER_TABLE_SIZE, 2 ** 32 - 1), -1);
  assert.equal(code(SettingId.MAX_CONCURRENT_STREAMS, 0), -1);
  assert.equal(code(0xabcd, 2 ** 32 - 1), -1);
});
