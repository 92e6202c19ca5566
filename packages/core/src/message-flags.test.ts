import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { markCompressed, sendOptionsOf, wasCompressed, withSendOptions } from "./message-flags.js";

describe("message flags", () => {
  it("withSendOptions attaches options to that message object only", () => {
    const a = { v: 1 };
    const b = { v: 1 };
    assert.equal(withSendOptions(a, { compress: false }), a);
    assert.deepEqual(sendOptionsOf(a), { compress: false });
    assert.equal(sendOptionsOf(b), undefined);
    withSendOptions(a, { compress: true });
    assert.deepEqual(sendOptionsOf(a), { compress: true });
  });

  it("sendOptionsOf is undefined for values that are not objects", () => {
    for (const v of [undefined, null, 1, "s", true]) assert.equal(sendOptionsOf(v), undefined);
  });

  it("wasCompressed is true only for messages marked compressed", () => {
    const m = { v: 1 };
    assert.equal(wasCompressed(m), false);
    markCompressed(m);
    assert.equal(wasCompressed(m), true);
    assert.equal(wasCompressed({ v: 1 }), false);
    markCompressed("text");
    markCompressed(null);
    assert.equal(wasCompressed("text"), false);
    assert.equal(wasCompressed(null), false);
  });
});
