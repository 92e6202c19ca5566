import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "./code.js";
import type { Compression } from "./compression.js";
import { EnvelopeDecoder, Flag } from "./envelope.js";
import { withSendOptions } from "./message-flags.js";
import { frameMessage } from "./message-writer.js";
import type { Serializer } from "./method.js";
import { RpcError } from "./rpc-error.js";

const json: Serializer<unknown> = {
  serialize: (v) => {
    if (v === "boom") throw new Error("cannot encode boom");
    return new TextEncoder().encode(JSON.stringify(v));
  },
  deserialize: (b) => JSON.parse(new TextDecoder().decode(b)),
};
const reverse: Compression = {
  name: "rev",
  compress: async (d) => d.slice().reverse(),
  decompress: async (d) => d.slice().reverse(),
};

function unframe(envelope: Uint8Array): { flags: number; payload: Uint8Array } {
  const out: { flags: number; payload: Uint8Array }[] = [];
  new EnvelopeDecoder(1024, Flag.COMPRESSED).push(envelope, (flags, payload) => out.push({ flags, payload }));
  assert.equal(out.length, 1);
  return out[0]!;
}

describe("frameMessage", () => {
  it("frames an uncompressed message synchronously", () => {
    const env = frameMessage(json, { a: 1 }, "request", 100, undefined);
    assert.ok(env instanceof Uint8Array);
    const { flags, payload } = unframe(env);
    assert.equal(flags, 0);
    assert.deepEqual(json.deserialize(payload), { a: 1 });
  });

  it("compresses with the stream's algorithm and sets the flag", async () => {
    const env = await frameMessage(json, { a: 1 }, "response", 100, reverse);
    const { flags, payload } = unframe(env);
    assert.equal(flags, Flag.COMPRESSED);
    assert.deepEqual(json.deserialize(payload.slice().reverse()), { a: 1 });
  });

  it("sends a message uncompressed when it asks to be", () => {
    const env = frameMessage(json, withSendOptions({ a: 2 }, { compress: false }), "response", 100, reverse);
    assert.ok(env instanceof Uint8Array);
    assert.equal(unframe(env).flags, 0);
  });

  it("uses the given allocator", () => {
    let asked = 0;
    frameMessage(json, 1, "request", 100, undefined, (n) => {
      asked = n;
      return new Uint8Array(n);
    });
    assert.equal(asked, 5 + 1);
  });

  it("reports an encoding failure as INTERNAL and an oversize message as RESOURCE_EXHAUSTED", () => {
    assert.throws(
      () => frameMessage(json, "boom", "request", 100, undefined),
      (e) =>
        e instanceof RpcError &&
        e.code === Code.INTERNAL &&
        /encode the request message: cannot encode boom/.test(e.message),
    );
    assert.throws(
      () => frameMessage(json, "x".repeat(20), "response", 10, undefined),
      (e) =>
        e instanceof RpcError &&
        e.code === Code.RESOURCE_EXHAUSTED &&
        /response message of 22 bytes is larger than the send limit of 10 bytes/.test(e.message),
    );
  });
});
