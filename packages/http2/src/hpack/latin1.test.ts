import assert from "node:assert/strict";
import { test } from "node:test";
import { isLatin1, latin1Decode, latin1Encode } from "./latin1.js";

test("latin1: every octet maps to one char and back, at every length class", () => {
  for (const n of [0, 1, 12, 13, 100, 4096, 4097, 10000]) {
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = (i * 7 + 3) & 0xff;
    const s = latin1Decode(bytes, 0, n);
    assert.equal(s.length, n);
    const back = new Uint8Array(n);
    latin1Encode(s, back, 0);
    assert.deepEqual(back, bytes);
    assert.equal(isLatin1(s), true);
  }
  assert.equal(latin1Decode(new Uint8Array([0x41, 0x42, 0x43]), 1, 3), "BC");
  assert.throws(() => latin1Encode("\u0100", new Uint8Array(1), 0), RangeError);
  assert.equal(isLatin1("\u00ff\u0100"), false);
});
