import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ByteWriter } from "../byte-writer.js";
import { hex, toHex } from "../test-support/hex.js";
import { Random } from "../test-support/random.js";
import { HpackError } from "./hpack-error.js";
import { type Cursor, decodeInteger, encodeInteger, MAX_HPACK_INTEGER } from "./integer.js";

function enc(value: number, prefix: number, flags = 0): string {
  const w = new ByteWriter(16);
  encodeInteger(w, value, prefix, flags);
  return toHex(w.view());
}

function dec(bytes: Uint8Array, prefix: number): [number, number] {
  const c: Cursor = { buf: bytes, pos: 0, end: bytes.length };
  const v = decodeInteger(c, prefix);
  return [v, c.pos];
}

describe("HPACK integers (RFC 7541 §5.1)", () => {
  test("C.1.1: 10 with a 5-bit prefix", () => {
    assert.equal(enc(10, 5), "0a");
    assert.deepEqual(dec(hex("0a"), 5), [10, 1]);
    assert.deepEqual(dec(hex("ea"), 5), [10, 1], "bits above the prefix are ignored");
  });

  test("C.1.2: 1337 with a 5-bit prefix", () => {
    assert.equal(enc(1337, 5), "1f9a0a");
    assert.deepEqual(dec(hex("1f9a0a"), 5), [1337, 3]);
  });

  test("C.1.3: 42 at an octet boundary", () => {
    assert.equal(enc(42, 8), "2a");
    assert.deepEqual(dec(hex("2a"), 8), [42, 1]);
  });

  test("flags go above the prefix; the prefix maximum itself needs a continuation octet", () => {
    assert.equal(enc(3, 7, 0x80), "83");
    assert.equal(enc(127, 7, 0x80), "ff00");
    assert.equal(enc(31, 5, 0x20), "3f00");
    assert.equal(enc(0, 4, 0x10), "10");
  });

  test("round trip at every prefix size, from the edges to 2^31 - 1", () => {
    const rnd = new Random(1);
    const values = [0, 1, 2, 14, 15, 16, 30, 31, 32, 62, 63, 64, 126, 127, 128, 254, 255, 256, 16383, 16384];
    values.push(MAX_HPACK_INTEGER, MAX_HPACK_INTEGER - 1, 2 ** 28, 2 ** 21 - 1);
    for (let i = 0; i < 500; i++) values.push(rnd.int(MAX_HPACK_INTEGER));
    for (let prefix = 1; prefix <= 8; prefix++) {
      for (const v of values) {
        const w = new ByteWriter(16);
        encodeInteger(w, v, prefix, 0);
        assert.deepEqual(dec(w.view(), prefix), [v, w.pos], `value ${v} prefix ${prefix}`);
      }
    }
  });

  test("decoding starts at the cursor and stops after the integer", () => {
    const bytes = hex("ff 1f9a0a ff");
    const c: Cursor = { buf: bytes, pos: 1, end: 4 };
    assert.equal(decodeInteger(c, 5), 1337);
    assert.equal(c.pos, 4);
  });

  const rejects = (bytes: string, prefix: number, kind: string, end?: number) => {
    const buf = hex(bytes);
    const c: Cursor = { buf, pos: 0, end: end ?? buf.length };
    assert.throws(
      () => decodeInteger(c, prefix),
      (e: unknown) => e instanceof HpackError && e.kind === kind && e.code === 0x9,
    );
  };

  test("truncated integers are rejected", () => {
    rejects("", 5, "truncated");
    rejects("1f", 5, "truncated");
    rejects("1f9a", 5, "truncated");
    rejects("ff8080", 7, "truncated");
    rejects("1f9a0a", 5, "truncated", 2); // the end of the block, not of the buffer, counts
  });

  test("integers above 2^31 - 1 are rejected", () => {
    rejects("1f ffffffff07", 5, "integer-overflow"); // 31 + 2^35 - 1
    rejects("ff 80ffffff07", 8, "integer-overflow"); // 255 + ~2^31
    rejects("1f 8080808080 01", 5, "integer-overflow"); // too many octets
    rejects("1f 8080808080808080808080808080 00", 5, "integer-overflow"); // zero padding
    // 2^31 - 1 exactly is accepted: 2^31 - 1 - 31 = 0x7fffffe0
    const w = new ByteWriter(16);
    encodeInteger(w, MAX_HPACK_INTEGER, 5, 0);
    assert.deepEqual(dec(w.view(), 5), [MAX_HPACK_INTEGER, w.pos]);
    rejects(
      toHex(new Uint8Array([...w.view().subarray(0, w.pos - 1), w.view()[w.pos - 1]! + 1])),
      5,
      "integer-overflow",
    );
  });
});
