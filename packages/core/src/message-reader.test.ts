import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { until, within } from "@grpc-ts/testing/async";
import { Code } from "./code.js";
import type { Compression } from "./compression.js";
import { encodeEnvelope, Flag } from "./envelope.js";
import { wasCompressed } from "./message-flags.js";
import { MessageReader } from "./message-reader.js";
import type { RpcError } from "./rpc-error.js";

const text = new TextDecoder();
const bytes = (s: string) => new TextEncoder().encode(s);

/** A fake algorithm: "compressed" bytes are reversed; inflating takes a few turns. */
const slowReverse: Compression = {
  name: "rev",
  compress: async (d) => d.slice().reverse(),
  async decompress(d, max) {
    await new Promise((r) => setTimeout(r, 5));
    if (d.length > max) throw new Error("too big");
    return d.slice().reverse();
  },
};

function reader(maxBytes = 1024) {
  const got: unknown[] = [];
  const errors: RpcError[] = [];
  const r = new MessageReader({
    maxBytes,
    deserialize: (b) => {
      const s = text.decode(b);
      if (s === "bad") throw new Error("not a message");
      return { s };
    },
    what: "request",
    sink: { onMessage: (m) => got.push(m), onError: (e) => errors.push(e) },
  });
  return { r, got, errors };
}

describe("MessageReader", () => {
  it("delivers uncompressed messages synchronously, in order", () => {
    const { r, got } = reader();
    r.push(new Uint8Array([...encodeEnvelope(0, bytes("a")), ...encodeEnvelope(0, bytes("b"))]));
    assert.deepEqual(got, [{ s: "a" }, { s: "b" }]);
    assert.equal(r.pending, false);
  });

  it("keeps order behind a compressed message, and runs afterPending work last", async () => {
    const { r, got } = reader();
    r.compression = slowReverse;
    const order: string[] = [];
    r.push(encodeEnvelope(Flag.COMPRESSED, bytes("tsrif")));
    r.push(encodeEnvelope(0, bytes("second")));
    r.afterPending(() => order.push(`end after ${got.length}`));
    assert.equal(r.pending, true);
    assert.deepEqual(got, []);
    await within(new Promise<void>((resolve) => r.afterPending(resolve)), 5000, "the queued messages");
    assert.deepEqual(got, [{ s: "first" }, { s: "second" }]);
    assert.deepEqual(order, ["end after 2"]);
    assert.equal(wasCompressed(got[0]), true);
    assert.equal(wasCompressed(got[1]), false);
  });

  it("reports a compressed message on an identity stream as INTERNAL and then delivers nothing", () => {
    const { r, got, errors } = reader();
    r.push(encodeEnvelope(Flag.COMPRESSED, bytes("x")));
    r.push(encodeEnvelope(0, bytes("y")));
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, Code.INTERNAL);
    assert.deepEqual(got, []);
  });

  it("reports undecodable bytes as INTERNAL naming what was decoded", () => {
    const { r, errors } = reader();
    r.push(encodeEnvelope(0, bytes("bad")));
    assert.equal(errors[0]!.code, Code.INTERNAL);
    assert.match(errors[0]!.rawMessage, /could not decode the request message: not a message/);
  });

  it("reports an oversize declared length as RESOURCE_EXHAUSTED", () => {
    const { r, errors } = reader(4);
    r.push(encodeEnvelope(0, bytes("12345")));
    assert.equal(errors[0]!.code, Code.RESOURCE_EXHAUSTED);
  });

  it("reports a decompression failure through the sink", async () => {
    const { r, errors } = reader(2);
    r.compression = slowReverse;
    r.push(encodeEnvelope(Flag.COMPRESSED, bytes("ab")));
    r.push(encodeEnvelope(Flag.COMPRESSED, bytes("abc").subarray(0, 2)));
    await within(new Promise<void>((resolve) => r.afterPending(resolve)), 5000, "the inflated message");
    assert.equal(errors.length, 0);
    const big = reader(2);
    big.r.compression = {
      ...slowReverse,
      decompress: async () => Promise.reject(new Error("inflate failed")),
    };
    big.r.push(encodeEnvelope(Flag.COMPRESSED, bytes("zz")));
    await until(() => big.errors.length > 0, 5000, "the inflate failure");
    assert.equal(big.errors[0]!.code, Code.INTERNAL);
    assert.match(big.errors[0]!.rawMessage, /inflate failed/);
  });

  it("end() names a body that stopped inside a message; stop() ends delivery", () => {
    const { r, got } = reader();
    const env = encodeEnvelope(0, bytes("abc"));
    r.push(env.subarray(0, 6));
    assert.equal(r.end()?.code, Code.INTERNAL);
    const second = reader();
    second.r.stop();
    second.r.push(env);
    assert.deepEqual(second.got, []);
    assert.deepEqual(got, []);
  });
});
