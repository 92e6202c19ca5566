import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fieldsFromRaw } from "./raw-headers.js";

describe("fieldsFromRaw", () => {
  it("lower-cases names and keeps order and repeats, after a prefix", () => {
    assert.deepEqual(fieldsFromRaw(["Content-Type", "a", "x-a", "1", "X-A", "2"], {}, [":method", "POST"]), [
      ":method",
      "POST",
      "content-type",
      "a",
      "x-a",
      "1",
      "x-a",
      "2",
    ]);
  });

  it("falls back to node's header object without a raw list", () => {
    assert.deepEqual(fieldsFromRaw(undefined, { "x-a": ["1", "2"], "x-b": "b" }), [
      "x-a",
      "1",
      "x-a",
      "2",
      "x-b",
      "b",
    ]);
  });
});
