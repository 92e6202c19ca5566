import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, it } from "node:test";
import { base64Decode, base64Encode } from "./base64.js";

/** A deterministic pseudo-random generator, so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

function randomBytes(next: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
  return out;
}

describe("base64Encode", () => {
  it("matches the RFC 4648 test vectors", () => {
    const vectors: [string, string][] = [
      ["", ""],
      ["f", "Zg=="],
      ["fo", "Zm8="],
      ["foo", "Zm9v"],
      ["foob", "Zm9vYg=="],
      ["fooba", "Zm9vYmE="],
      ["foobar", "Zm9vYmFy"],
    ];
    for (const [plain, b64] of vectors) assert.equal(base64Encode(new TextEncoder().encode(plain)), b64);
  });

  it("matches Buffer for every length 0..100, random content", () => {
    const next = rng(1);
    for (let round = 0; round < 5; round++) {
      for (let n = 0; n <= 100; n++) {
        const bytes = randomBytes(next, n);
        assert.equal(base64Encode(bytes), Buffer.from(bytes).toString("base64"), `length ${n}`);
      }
    }
  });

  it("uses the characters + and / for 62 and 63", () => {
    assert.equal(base64Encode(Uint8Array.of(0xfb, 0xff, 0xbf)), "+/+/");
    assert.equal(base64Encode(Uint8Array.of(0xff, 0xff, 0xff)), "////");
  });
});

describe("base64Decode", () => {
  it("decodes padded, unpadded and URL-safe forms of every length 0..100", () => {
    const next = rng(2);
    for (let n = 0; n <= 100; n++) {
      const bytes = randomBytes(next, n);
      const padded = Buffer.from(bytes).toString("base64");
      const unpadded = padded.replace(/=+$/, "");
      const urlSafe = Buffer.from(bytes).toString("base64url");
      assert.deepEqual(base64Decode(padded), bytes, `padded, length ${n}`);
      assert.deepEqual(base64Decode(unpadded), bytes, `unpadded, length ${n}`);
      assert.deepEqual(base64Decode(urlSafe), bytes, `url-safe, length ${n}`);
      assert.deepEqual(base64Decode(base64Encode(bytes)), bytes, `round trip, length ${n}`);
    }
  });

  it("maps - and _ to 62 and 63", () => {
    assert.deepEqual(base64Decode("-_-_"), Uint8Array.of(0xfb, 0xff, 0xbf));
    assert.deepEqual(base64Decode("+/+/"), Uint8Array.of(0xfb, 0xff, 0xbf));
  });

  it("returns a Uint8Array of the exact length", () => {
    const out = base64Decode("Zm9vYg");
    assert.ok(out instanceof Uint8Array);
    assert.equal(out.length, 4);
    assert.equal(new TextDecoder().decode(out), "foob");
  });

  it("throws on characters outside both alphabets", () => {
    for (const bad of ["Zm9v!", "Zm 9v", "Zm9v\n", "Zm=9v", "Zm9vé", "Zm9v\u0100", "Zm.v", "Zm9v,Zm9v"]) {
      assert.throws(() => base64Decode(bad), TypeError, JSON.stringify(bad));
    }
  });

  it("throws on impossible lengths and too much padding", () => {
    // 4n+1 characters can never be base64.
    for (const bad of ["A", "AAAAA", "Zm9vY", "Zm9vY=", "A==="]) {
      assert.throws(() => base64Decode(bad), TypeError, JSON.stringify(bad));
    }
    assert.throws(() => base64Decode("Zg==="), TypeError);
    assert.throws(() => base64Decode("Zm9v==="), TypeError);
  });
});
