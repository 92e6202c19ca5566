import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { concat } from "@grpc-ts/testing/bytes";
import { Code } from "../code.js";
import { encodeEnvelope, Flag } from "../envelope.js";
import { RpcError } from "../rpc-error.js";
import { WebResponseBody } from "./client-protocol.js";
import { encodeTextSegment } from "./text.js";
import { encodeTrailerFrame } from "./trailers.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

const frames = [
  encodeEnvelope(0, enc("one")),
  encodeEnvelope(0, enc("")),
  encodeEnvelope(0, enc("three!")),
  encodeTrailerFrame({ "grpc-status": "0", "x-t": "v" }),
];

function read(chunks: readonly Uint8Array[], text: boolean) {
  const body = new WebResponseBody({ text });
  const messages: string[] = [];
  for (const c of chunks) body.push(c, (p) => messages.push(dec(p)));
  return { messages, trailers: body.end() };
}

describe("WebResponseBody", () => {
  it("reads data frames then the trailer frame (binary), split at every boundary", () => {
    const all = concat(frames);
    for (let i = 0; i <= all.length; i++) {
      const got = read([all.subarray(0, i), all.subarray(i)], false);
      assert.deepEqual(got.messages, ["one", "", "three!"], `split at ${i}`);
      assert.deepEqual(got.trailers, { "grpc-status": "0", "x-t": "v" });
    }
  });

  it("reads text mode with each frame its own padded segment, split at every boundary", () => {
    const all = concat(frames.map(encodeTextSegment));
    assert.ok(dec(all).slice(0, -4).includes("="), "padding in the middle");
    for (let i = 0; i <= all.length; i++) {
      const got = read([all.subarray(0, i), all.subarray(i)], true);
      assert.deepEqual(got.messages, ["one", "", "three!"], `split at ${i}`);
      assert.equal(got.trailers["x-t"], "v");
    }
  });

  it("reads text mode where segments do not follow frame boundaries", () => {
    const raw = concat(frames);
    const all = concat([encodeTextSegment(raw.subarray(0, 7)), encodeTextSegment(raw.subarray(7))]);
    assert.deepEqual(read([all], true).messages, ["one", "", "three!"]);
  });

  it("accepts an empty trailer frame (the caller then finds no status)", () => {
    assert.deepEqual(read([encodeTrailerFrame({})], false).trailers, {});
  });

  const internal = (e: unknown) => e instanceof RpcError && e.code === Code.INTERNAL;

  it("is INTERNAL when the body ends without a trailer frame, or inside a frame", () => {
    assert.throws(() => read([frames[0]!], false), internal);
    assert.throws(() => read([frames[0]!.subarray(0, 4)], false), internal);
    assert.throws(() => read([enc("AAA")], true), internal);
  });

  it("is INTERNAL for data after the trailer frame, and for a compressed frame", () => {
    assert.throws(() => read([frames[3]!, frames[0]!], false), internal);
    assert.throws(() => read([encodeEnvelope(Flag.COMPRESSED, enc("x")), frames[3]!], false), internal);
    assert.throws(() => read([encodeEnvelope(0x02, enc("x"))], false), internal);
  });

  it("is RESOURCE_EXHAUSTED for a frame over the receive limit", () => {
    const body = new WebResponseBody({ text: false, maxReceiveMessageBytes: 2 });
    assert.throws(
      () => body.push(frames[0]!, () => {}),
      (e) => e instanceof RpcError && e.code === Code.RESOURCE_EXHAUSTED,
    );
  });
});
