import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { grpcContentType, parseContentType } from "./content-type.js";

describe("parseContentType", () => {
  it("reads application/grpc as protobuf", () => {
    assert.deepEqual(parseContentType("application/grpc"), { codec: "proto" });
    assert.deepEqual(parseContentType("application/grpc+proto"), { codec: "proto" });
  });

  it("reads the codec after +", () => {
    assert.deepEqual(parseContentType("application/grpc+json"), { codec: "json" });
    assert.deepEqual(parseContentType("application/grpc+thrift"), { codec: "thrift" });
    assert.deepEqual(parseContentType("application/grpc+x.custom-1"), { codec: "x.custom-1" });
  });

  it("ignores parameters, surrounding spaces and case", () => {
    assert.deepEqual(parseContentType("application/grpc; charset=utf-8"), { codec: "proto" });
    assert.deepEqual(parseContentType("application/grpc+json;charset=utf-8"), { codec: "json" });
    assert.deepEqual(parseContentType("  application/grpc+proto  "), { codec: "proto" });
    assert.deepEqual(parseContentType("Application/GRPC"), { codec: "proto" });
    assert.deepEqual(parseContentType("APPLICATION/GRPC+JSON"), { codec: "json" });
  });

  it("is undefined for anything that is not a gRPC content type", () => {
    for (const ct of [
      undefined,
      "",
      "application/json",
      "text/html",
      "application/grpc+",
      "application/grpc+;x=1",
      "application/grpcx",
      "application/grpc-web",
      "application/grpc-web+proto",
      "application/grpc-web-text",
      "xapplication/grpc",
    ]) {
      assert.equal(parseContentType(ct), undefined, JSON.stringify(ct));
    }
  });

  it("answers the same when asked again (cached or not)", () => {
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(parseContentType("application/grpc+cbor"), { codec: "cbor" });
      assert.equal(parseContentType("text/plain"), undefined);
    }
    // More distinct types than the cache holds still parse correctly.
    for (let i = 0; i < 200; i++)
      assert.deepEqual(parseContentType(`application/grpc+c${i}`), { codec: `c${i}` });
  });
});

describe("grpcContentType", () => {
  it("sends application/grpc for protobuf and application/grpc+NAME otherwise", () => {
    assert.equal(grpcContentType("proto"), "application/grpc");
    assert.equal(grpcContentType("json"), "application/grpc+json");
    for (const codec of ["proto", "json", "cbor"])
      assert.deepEqual(parseContentType(grpcContentType(codec)), { codec });
  });
});
