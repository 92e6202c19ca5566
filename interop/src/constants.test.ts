import assert from "node:assert/strict";
import { test } from "node:test";
import { BULK_MESSAGE_SIZE, bulkBlock, bulkBody, isAllZero } from "./constants.js";

test("isAllZero finds a non-zero byte anywhere, across chunk edges", () => {
  assert.equal(isAllZero(new Uint8Array(0)), true);
  assert.equal(isAllZero(new Uint8Array(314159)), true);
  for (const at of [0, 65535, 65536, 314158]) {
    const b = new Uint8Array(314159);
    b[at] = 1;
    assert.equal(isAllZero(b), false, `byte ${at}`);
  }
  assert.equal(isAllZero(new Uint8Array(1000).subarray(10, 20)), true);
});

test("bulk bodies repeat their own block and differ from message to message", () => {
  const a = bulkBody(0, BULK_MESSAGE_SIZE);
  const b = bulkBody(1, BULK_MESSAGE_SIZE);
  assert.equal(a.length, BULK_MESSAGE_SIZE);
  assert.notDeepEqual(a.subarray(0, 32), b.subarray(0, 32));
  assert.deepEqual(a.subarray(32, 64), bulkBlock(0));
  assert.equal(bulkBody(2, 45).length, 45);
});
