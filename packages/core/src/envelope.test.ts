import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isRpcError } from "@grpc-ts/testing/assert";
import { concat } from "@grpc-ts/testing/bytes";
import { Code } from "./code.js";
import { DEFAULT_MAX_RECEIVE_MESSAGE_BYTES, EnvelopeDecoder, encodeEnvelope, Flag } from "./envelope.js";

type Msg = [flags: number, payload: number[]];

/** Feeds the chunks and collects the messages, copying each payload (views may be reused). */
function decodeAll(chunks: readonly Uint8Array[], decoder = new EnvelopeDecoder()): Msg[] {
  const out: Msg[] = [];
  for (const c of chunks) decoder.push(c, (flags, payload) => out.push([flags, [...payload]]));
  decoder.end();
  return out;
}

describe("encodeEnvelope", () => {
  it("writes the flag byte, a 4-byte big-endian length and the payload", () => {
    assert.deepEqual(
      encodeEnvelope(0, Uint8Array.of(0xaa, 0xbb, 0xcc)),
      Uint8Array.of(0, 0, 0, 0, 3, 0xaa, 0xbb, 0xcc),
    );
    assert.deepEqual(encodeEnvelope(Flag.COMPRESSED, new Uint8Array(0)), Uint8Array.of(1, 0, 0, 0, 0));
    assert.deepEqual(encodeEnvelope(Flag.TRAILER, Uint8Array.of(7)), Uint8Array.of(0x80, 0, 0, 0, 1, 7));
  });

  it("encodes lengths over 16 and 24 bits", () => {
    const big = new Uint8Array(0x01_02_03);
    const out = encodeEnvelope(0, big);
    assert.equal(out.length, 5 + 0x010203);
    assert.deepEqual(out.subarray(0, 5), Uint8Array.of(0, 0x00, 0x01, 0x02, 0x03));
    const view = new DataView(out.buffer, out.byteOffset, 5);
    assert.equal(view.getUint32(1, false), 0x010203);
  });

  it("copies a payload that is a view into a larger buffer", () => {
    const backing = Uint8Array.of(9, 9, 1, 2, 9);
    assert.deepEqual(encodeEnvelope(0, backing.subarray(2, 4)), Uint8Array.of(0, 0, 0, 0, 2, 1, 2));
  });

  it("has the flag values of the specs and a 4 MiB default limit", () => {
    assert.equal(Flag.COMPRESSED, 1);
    assert.equal(Flag.TRAILER, 0x80);
    assert.equal(DEFAULT_MAX_RECEIVE_MESSAGE_BYTES, 4 * 1024 * 1024);
  });
});

describe("EnvelopeDecoder", () => {
  const messages: Msg[] = [
    [0, [1, 2, 3]],
    [0, []],
    [1, [4, 5, 6, 7, 8, 9]],
    [0, [10]],
    [1, []],
  ];
  const stream = concat(messages.map(([f, p]) => encodeEnvelope(f, Uint8Array.from(p))));

  it("decodes a whole stream in one chunk", () => {
    assert.deepEqual(decodeAll([stream]), messages);
  });

  it("decodes every split of the stream into two and three chunks", () => {
    const n = stream.length;
    for (let a = 0; a <= n; a++) {
      assert.deepEqual(decodeAll([stream.subarray(0, a), stream.subarray(a)]), messages, `split at ${a}`);
      for (let b = a; b <= n; b++) {
        const chunks = [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)];
        assert.deepEqual(decodeAll(chunks), messages, `split at ${a}, ${b}`);
      }
    }
  });

  it("decodes every possible chunking of a small stream (all 2^(n-1) ways)", () => {
    const small = concat([
      encodeEnvelope(0, Uint8Array.of(1, 2)),
      encodeEnvelope(1, new Uint8Array(0)),
      encodeEnvelope(0, Uint8Array.of(3)),
    ]);
    const expected: Msg[] = [
      [0, [1, 2]],
      [1, []],
      [0, [3]],
    ];
    const cuts = small.length - 1; // 17 bytes: 65,536 chunkings
    for (let mask = 0; mask < 1 << cuts; mask++) {
      const chunks: Uint8Array[] = [];
      let start = 0;
      for (let i = 0; i < cuts; i++) {
        if (mask & (1 << i)) {
          chunks.push(small.subarray(start, i + 1));
          start = i + 1;
        }
      }
      chunks.push(small.subarray(start));
      const got = decodeAll(chunks);
      if (got.length !== 3) assert.deepEqual(got, expected, `mask ${mask.toString(2)}`);
      for (let i = 0; i < 3; i++) {
        if (got[i]![0] !== expected[i]![0] || got[i]![1].join() !== expected[i]![1].join()) {
          assert.deepEqual(got, expected, `mask ${mask.toString(2)}`);
        }
      }
    }
  });

  it("decodes the stream fed one byte at a time, with empty chunks in between", () => {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i++) chunks.push(new Uint8Array(0), stream.subarray(i, i + 1));
    assert.deepEqual(decodeAll(chunks), messages);
  });

  it("is idle only between messages", () => {
    const d = new EnvelopeDecoder();
    const seen: number[] = [];
    assert.equal(d.idle, true);
    const env = encodeEnvelope(0, Uint8Array.of(1, 2, 3));
    d.push(env.subarray(0, 2), () => seen.push(1));
    assert.equal(d.idle, false, "inside the header");
    d.push(env.subarray(2, 6), () => seen.push(1));
    assert.equal(d.idle, false, "inside the body");
    d.push(env.subarray(6), () => seen.push(1));
    assert.equal(d.idle, true);
    assert.deepEqual(seen, [1]);
  });

  it("passes a message whole inside one chunk as a view of that chunk (no copy)", () => {
    const chunk = concat([encodeEnvelope(0, Uint8Array.of(1, 2, 3)), encodeEnvelope(0, Uint8Array.of(4, 5))]);
    const views: Uint8Array[] = [];
    new EnvelopeDecoder().push(chunk, (_f, p) => views.push(p));
    assert.equal(views.length, 2);
    assert.equal(views[0]!.buffer, chunk.buffer);
    assert.equal(views[0]!.byteOffset, chunk.byteOffset + 5);
    assert.equal(views[1]!.buffer, chunk.buffer);
    assert.equal(views[1]!.byteOffset, chunk.byteOffset + 13);
    assert.deepEqual([...views[1]!], [4, 5]);
  });

  it("copies a body that arrives after its header into a buffer of its own", () => {
    const env = encodeEnvelope(0, Uint8Array.of(1, 2, 3));
    const d = new EnvelopeDecoder();
    const got: Uint8Array[] = [];
    d.push(env.subarray(0, 5), (_f, p) => got.push(p));
    assert.equal(d.idle, false);
    const rest = env.slice(5);
    d.push(rest, (_f, p) => got.push(p));
    rest.fill(0); // a copy: changing the chunk afterwards leaves the message as it was
    assert.deepEqual(got, [Uint8Array.of(1, 2, 3)]);
  });

  it("assembles a large message from many chunks into its own buffer", () => {
    const payload = new Uint8Array(1_000_003);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
    const env = encodeEnvelope(Flag.COMPRESSED, payload);
    const d = new EnvelopeDecoder();
    const got: [number, Uint8Array][] = [];
    let off = 0;
    let size = 1;
    while (off < env.length) {
      d.push(env.subarray(off, off + size), (f, p) => got.push([f, p]));
      off += size;
      size = (size * 7 + 3) % 16_411; // irregular chunk sizes, some larger than the header
    }
    d.end();
    assert.equal(got.length, 1);
    assert.equal(got[0]![0], Flag.COMPRESSED);
    assert.notEqual(got[0]![1].buffer, env.buffer);
    assert.deepEqual(got[0]![1], payload);
  });

  it("delivers the compressed flag as is", () => {
    assert.deepEqual(decodeAll([encodeEnvelope(1, Uint8Array.of(5)), encodeEnvelope(0, Uint8Array.of(6))]), [
      [1, [5]],
      [0, [6]],
    ]);
  });

  it("rejects reserved flag bits with INTERNAL", () => {
    for (const flags of [0x02, 0x04, 0x40, 0x80, 0x81, 0xff]) {
      assert.throws(
        () =>
          new EnvelopeDecoder().push(encodeEnvelope(flags, Uint8Array.of(1)), () =>
            assert.fail("no message"),
          ),
        isRpcError(Code.INTERNAL, /flags/),
        `flags 0x${flags.toString(16)}`,
      );
    }
    // Also when the bad header arrives in pieces.
    const d = new EnvelopeDecoder();
    d.push(Uint8Array.of(0x02, 0), () => assert.fail("no message"));
    assert.throws(
      () => d.push(Uint8Array.of(0, 0, 1, 9), () => assert.fail("no message")),
      isRpcError(Code.INTERNAL),
    );
  });

  it("accepts the gRPC-Web trailer flag when allowed", () => {
    const d = new EnvelopeDecoder(100, Flag.COMPRESSED | Flag.TRAILER);
    const got: Msg[] = [];
    d.push(encodeEnvelope(0x80, Uint8Array.of(1)), (f, p) => got.push([f, [...p]]));
    d.push(encodeEnvelope(0x81, Uint8Array.of(2)), (f, p) => got.push([f, [...p]]));
    assert.deepEqual(got, [
      [0x80, [1]],
      [0x81, [2]],
    ]);
    assert.throws(() => d.push(encodeEnvelope(0x02, Uint8Array.of(2)), () => {}), isRpcError(Code.INTERNAL));
  });

  it("accepts a message of exactly the limit", () => {
    const d = new EnvelopeDecoder(10);
    assert.deepEqual(decodeAll([encodeEnvelope(0, new Uint8Array(10).fill(3))], d), [
      [0, new Array(10).fill(3)],
    ]);
  });

  it("rejects a declared length over the limit with RESOURCE_EXHAUSTED before the body arrives", () => {
    const d = new EnvelopeDecoder(10);
    let called = false;
    // Only the 5-byte header of an 11-byte message: the decoder must not wait for the body.
    assert.throws(
      () => d.push(Uint8Array.of(0, 0, 0, 0, 11), () => (called = true)),
      isRpcError(Code.RESOURCE_EXHAUSTED, /11 bytes.*10 bytes/),
    );
    assert.equal(called, false);
    // A header split across chunks is checked as soon as it is complete.
    const d2 = new EnvelopeDecoder(1000);
    d2.push(Uint8Array.of(0, 0x7f), () => {});
    assert.throws(
      () => d2.push(Uint8Array.of(0xff, 0xff, 0xff), () => {}),
      isRpcError(Code.RESOURCE_EXHAUSTED),
    );
    // The largest possible length (4 GiB - 1) is read as unsigned.
    assert.throws(
      () => new EnvelopeDecoder().push(Uint8Array.of(0, 0xff, 0xff, 0xff, 0xff), () => {}),
      isRpcError(Code.RESOURCE_EXHAUSTED, /4294967295/),
    );
  });

  it("ends with INTERNAL inside a header or a body, and resets", () => {
    const env = encodeEnvelope(0, Uint8Array.of(1, 2, 3));
    for (const cut of [1, 4, 5, 6, 7]) {
      const d = new EnvelopeDecoder();
      d.push(env.subarray(0, cut), () => assert.fail("no message"));
      assert.throws(() => d.end(), isRpcError(Code.INTERNAL, /middle/), `cut at ${cut}`);
      assert.equal(d.idle, true);
      d.end();
    }
  });

  it("ends cleanly when idle, also before anything arrived", () => {
    const d = new EnvelopeDecoder();
    assert.equal(d.idle, true);
    assert.doesNotThrow(() => d.end(), "end before anything arrived");
    assert.equal(d.idle, true);
    const got: Msg[] = [];
    d.push(encodeEnvelope(0, new Uint8Array(0)), (flags, payload) => got.push([flags, [...payload]]));
    assert.deepEqual(got, [[0, []]], "the empty message after the first end");
    assert.equal(d.idle, true, "idle after a whole message");
    assert.doesNotThrow(() => d.end(), "end after a whole message");
    // And it still decodes after ending.
    d.push(encodeEnvelope(0, Uint8Array.of(9)), (flags, payload) => got.push([flags, [...payload]]));
    assert.deepEqual(got, [
      [0, []],
      [0, [9]],
    ]);
  });
});
