import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "./code.js";
import {
  acceptsEncoding,
  type Compression,
  CompressionRegistry,
  compressedWithoutEncoding,
  identity,
} from "./compression.js";
import { RpcError } from "./rpc-error.js";

function fake(name: string): Compression {
  return {
    name,
    compress: async (data) => data,
    decompress: async (data) => data,
  };
}

describe("CompressionRegistry", () => {
  const gzip = fake("gzip");
  const deflate = fake("deflate");

  it("advertises its algorithms and identity in grpc-accept-encoding, in order", () => {
    assert.equal(new CompressionRegistry([gzip, deflate]).acceptEncoding, "gzip,deflate,identity");
    assert.equal(new CompressionRegistry([deflate]).acceptEncoding, "deflate,identity");
    assert.equal(new CompressionRegistry([]).acceptEncoding, "identity");
    assert.equal(identity, "identity");
  });

  it("lists a name once when given twice, keeping the last", () => {
    const other = fake("gzip");
    const r = new CompressionRegistry([gzip, deflate, other]);
    assert.equal(r.acceptEncoding, "gzip,deflate,identity");
    assert.equal(r.get("gzip"), other);
  });

  it("gets an algorithm by name", () => {
    const r = new CompressionRegistry([gzip, deflate]);
    assert.equal(r.get("gzip"), gzip);
    assert.equal(r.get("deflate"), deflate);
    assert.equal(r.get("br"), undefined);
  });

  it("forEncoding: no algorithm for identity, an absent or an empty grpc-encoding", () => {
    const r = new CompressionRegistry([gzip]);
    assert.equal(r.forEncoding(undefined), undefined);
    assert.equal(r.forEncoding("identity"), undefined);
    assert.equal(r.forEncoding(""), undefined);
    assert.equal(r.forEncoding("gzip"), gzip);
  });

  it("forEncoding: an unknown algorithm is UNIMPLEMENTED, naming what is supported (compression.md)", () => {
    const r = new CompressionRegistry([gzip, deflate]);
    for (const name of ["br", "snappy", "GZIP", "gzip,deflate"]) {
      assert.throws(
        () => r.forEncoding(name),
        (e: unknown) => {
          assert.ok(e instanceof RpcError);
          assert.equal(e.code, Code.UNIMPLEMENTED);
          assert.ok(e.rawMessage.includes(JSON.stringify(name)), e.rawMessage);
          assert.ok(e.rawMessage.includes("gzip,deflate,identity"), e.rawMessage);
          return true;
        },
      );
    }
    assert.throws(
      () => new CompressionRegistry([]).forEncoding("gzip"),
      (e: unknown) => e instanceof RpcError && e.code === Code.UNIMPLEMENTED,
    );
  });
});

describe("acceptsEncoding", () => {
  it("finds a name in a comma-separated grpc-accept-encoding list, ignoring spaces", () => {
    assert.equal(acceptsEncoding("gzip", "gzip"), true);
    assert.equal(acceptsEncoding("identity,deflate,gzip", "gzip"), true);
    assert.equal(acceptsEncoding("identity, deflate , gzip", "deflate"), true);
    assert.equal(acceptsEncoding(" gzip ", "gzip"), true);
  });

  it("is false for an absent header, an absent name, or a partial match", () => {
    assert.equal(acceptsEncoding(undefined, "gzip"), false);
    assert.equal(acceptsEncoding("", "gzip"), false);
    assert.equal(acceptsEncoding("identity,deflate", "gzip"), false);
    assert.equal(acceptsEncoding("gzip2,xgzip", "gzip"), false);
    assert.equal(acceptsEncoding("gzip;q=1", "gzip"), false);
  });
});

describe("compressedWithoutEncoding", () => {
  it("is INTERNAL (compression.md: compressed flag with identity encoding)", () => {
    const e = compressedWithoutEncoding();
    assert.ok(e instanceof RpcError);
    assert.equal(e.code, Code.INTERNAL);
  });
});
