import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fieldsToObject } from "../header-fields.js";
import { Metadata } from "../metadata.js";
import { decodeTimeout } from "../timeout.js";
import { grpcRequestHeaders as fields, type RequestHeaderOptions } from "./request-headers.js";

const grpcRequestHeaders = (o: RequestHeaderOptions) => fieldsToObject(fields(o));

const base: RequestHeaderOptions = {
  path: "/routeguide.RouteGuide/GetFeature",
  authority: "example.test:443",
  scheme: "https",
  codec: "proto",
  metadata: new Metadata(),
  deadline: undefined,
  encoding: undefined,
  acceptEncoding: "gzip,identity",
  userAgent: "grpc-ts/0.1.0",
};

describe("grpcRequestHeaders (PROTOCOL-HTTP2.md Request-Headers)", () => {
  it("has the call definition headers, pseudo-header fields first", () => {
    assert.deepEqual(fields(base).slice(0, 8), [
      ":method",
      "POST",
      ":scheme",
      "https",
      ":path",
      "/routeguide.RouteGuide/GetFeature",
      ":authority",
      "example.test:443",
    ]);
    assert.deepEqual(grpcRequestHeaders(base), {
      ":method": "POST",
      ":scheme": "https",
      ":path": "/routeguide.RouteGuide/GetFeature",
      ":authority": "example.test:443",
      "content-type": "application/grpc",
      te: "trailers",
      "user-agent": "grpc-ts/0.1.0",
      "grpc-accept-encoding": "gzip,identity",
    });
  });

  it("names a non-proto codec in the content type", () => {
    assert.equal(grpcRequestHeaders({ ...base, codec: "json" })["content-type"], "application/grpc+json");
  });

  it("sends grpc-timeout for the time left until the deadline", () => {
    const before = Date.now();
    const h = grpcRequestHeaders({ ...base, deadline: before + 2000 });
    const after = Date.now();
    const timeout = h["grpc-timeout"];
    assert.equal(typeof timeout, "string");
    assert.match(timeout as string, /^\d{1,8}[HMSmun]$/);
    const ms = decodeTimeout(timeout as string);
    assert.ok(ms <= 2000 + 1 && ms >= 2000 - (after - before) - 1, `${timeout} → ${ms}`);
  });

  it("sends 1n for a deadline already past", () => {
    assert.equal(grpcRequestHeaders({ ...base, deadline: Date.now() - 1000 })["grpc-timeout"], "1n");
  });

  it("sends grpc-encoding only when it is not identity", () => {
    assert.equal(grpcRequestHeaders({ ...base, encoding: "gzip" })["grpc-encoding"], "gzip");
    assert.equal("grpc-encoding" in grpcRequestHeaders({ ...base, encoding: "identity" }), false);
    assert.equal("grpc-encoding" in grpcRequestHeaders(base), false);
  });

  it("adds the custom metadata, binary values base64-encoded", () => {
    const metadata = new Metadata({
      authorization: "Bearer t",
      multi: ["a", "b"],
      "x-bin": Uint8Array.of(1, 2),
    });
    const h = grpcRequestHeaders({ ...base, metadata });
    assert.equal(h.authorization, "Bearer t");
    assert.deepEqual(h.multi, ["a", "b"]);
    assert.equal(h["x-bin"], "AQI");
    assert.equal(h[":path"], base.path);
    assert.equal(h["content-type"], "application/grpc");
    assert.equal(h.te, "trailers");
  });
});
