import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { concat } from "@grpc-ts/testing/bytes";
import { base64Encode } from "../base64.js";
import { RpcError } from "../rpc-error.js";
import { Base64StreamDecoder, encodeTextSegment } from "./text.js";

const ascii = (s: string) => new TextEncoder().encode(s);
const bytes = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + seed) & 0xff);

/** Decodes `text` fed as the given chunks. */
function decodeChunks(chunks: readonly Uint8Array[]): Uint8Array {
  const d = new Base64StreamDecoder();
  const out = chunks.map((c) => d.push(c));
  d.end();
  return concat(out);
}

describe("Base64StreamDecoder (gRPC-Web text mode)", () => {
  // Segments of 1, 2, 3, 4 and 5 bytes: padded with ==, =, none, == and = — padding mid-stream.
  const segments = [bytes(1, 1), bytes(2, 2), bytes(3, 3), bytes(4, 4), bytes(5, 5), bytes(0), bytes(7, 6)];
  const body = ascii(segments.map((s) => base64Encode(s)).join(""));
  const expected = concat(segments);

  it("decodes concatenated padded segments in one chunk", () => {
    assert.ok(new TextDecoder().decode(body).includes("=="));
    assert.deepEqual(decodeChunks([body]), expected);
  });

  it("decodes the same body split at every single boundary", () => {
    for (let i = 0; i <= body.length; i++) {
      assert.deepEqual(decodeChunks([body.subarray(0, i), body.subarray(i)]), expected, `split at ${i}`);
    }
  });

  it("decodes the same body split at every pair of boundaries", () => {
    for (let i = 0; i <= body.length; i++)
      for (let j = i; j <= body.length; j++) {
        const got = decodeChunks([body.subarray(0, i), body.subarray(i, j), body.subarray(j)]);
        assert.deepEqual(got, expected, `split at ${i}, ${j}`);
      }
  });

  it("decodes byte by byte", () => {
    assert.deepEqual(decodeChunks([...body].map((b) => Uint8Array.of(b))), expected);
  });

  it("accepts the URL-safe alphabet and whitespace between groups", () => {
    const raw = Uint8Array.of(0xfb, 0xff, 0xfe);
    assert.equal(base64Encode(raw), "+//+");
    assert.deepEqual(decodeChunks([ascii("-__-")]), raw);
    assert.deepEqual(decodeChunks([ascii("+//+\r\n"), ascii(" AQ==\n")]), Uint8Array.of(0xfb, 0xff, 0xfe, 1));
  });

  it("is INTERNAL for a body cut inside a group", () => {
    const d = new Base64StreamDecoder();
    d.push(ascii("AQI"));
    assert.equal(d.idle, false);
    assert.throws(
      () => d.end(),
      (e) => e instanceof RpcError && e.code === 13,
    );
  });

  it("is INTERNAL for characters outside base64 and misplaced padding", () => {
    for (const bad of ["AQ!=", "=AAA", "A=AA", "AA=A", "é"]) {
      assert.throws(
        () => new Base64StreamDecoder().push(ascii(bad)),
        (e) => e instanceof RpcError && e.code === 13,
        bad,
      );
    }
  });

  it("encodeTextSegment makes one padded segment that decodes back", () => {
    for (let n = 0; n < 10; n++) {
      const seg = encodeTextSegment(bytes(n, n));
      assert.equal(seg.length % 4, 0);
      assert.deepEqual(decodeChunks([seg]), bytes(n, n));
    }
  });
});
