import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { grpcWebContentType, parseWebContentType } from "./content-type.js";

describe("parseWebContentType", () => {
  it("reads the binary and text formats, protobuf by default", () => {
    assert.deepEqual(parseWebContentType("application/grpc-web"), { codec: "proto", text: false });
    assert.deepEqual(parseWebContentType("application/grpc-web+proto"), { codec: "proto", text: false });
    assert.deepEqual(parseWebContentType("application/grpc-web+json"), { codec: "json", text: false });
    assert.deepEqual(parseWebContentType("application/grpc-web-text"), { codec: "proto", text: true });
    assert.deepEqual(parseWebContentType("application/grpc-web-text+proto"), { codec: "proto", text: true });
    assert.deepEqual(parseWebContentType("application/grpc-web-text+json"), { codec: "json", text: true });
  });
  it("ignores parameters, spaces and case", () => {
    assert.deepEqual(parseWebContentType(" Application/GRPC-Web+Proto ; charset=utf-8"), {
      codec: "proto",
      text: false,
    });
    assert.deepEqual(parseWebContentType("application/grpc-web-text;x=1"), { codec: "proto", text: true });
  });
  it("is undefined for gRPC and anything else", () => {
    for (const ct of [
      undefined,
      "",
      "application/grpc",
      "application/grpc+proto",
      "application/grpc-web+",
      "application/grpc-webx",
      "application/grpc-web-textx",
      "application/grpc-web-text+",
      "text/plain",
    ]) {
      assert.equal(parseWebContentType(ct), undefined, JSON.stringify(ct));
    }
  });
  it("round-trips with grpcWebContentType", () => {
    for (const codec of ["proto", "json", "cbor"])
      for (const text of [false, true]) {
        const ct = grpcWebContentType(codec, text);
        assert.match(ct, /^application\/grpc-web(-text)?\+/);
        assert.deepEqual(parseWebContentType(ct), { codec, text });
      }
  });
});
