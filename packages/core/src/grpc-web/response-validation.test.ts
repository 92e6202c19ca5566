import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "../code.js";
import { Metadata } from "../metadata.js";
import { validateWebResponseHeaders } from "./response-validation.js";

describe("validateWebResponseHeaders", () => {
  it("accepts a gRPC-Web start and reports codec, format and header metadata", () => {
    const r = validateWebResponseHeaders(
      200,
      { "content-type": "application/grpc-web-text+proto", "x-h": "1" },
      new Metadata(),
    );
    assert.equal(r.kind, "headers");
    if (r.kind !== "headers") return;
    assert.equal(r.codec, "proto");
    assert.equal(r.text, true);
    assert.equal(r.header.get("x-h"), "1");
  });

  it("reads trailers-only (status in the headers)", () => {
    const trailer = new Metadata();
    const r = validateWebResponseHeaders(
      200,
      { "content-type": "application/grpc-web+proto", "grpc-status": "7", "grpc-message": "no", "x-t": "t" },
      trailer,
    );
    assert.equal(r.kind, "trailers-only");
    if (r.kind !== "trailers-only") return;
    assert.equal(r.error?.code, Code.PERMISSION_DENIED);
    assert.equal(trailer.get("x-t"), "t");
  });

  it("maps HTTP errors without grpc-status, and rejects other content types", () => {
    const r = validateWebResponseHeaders(503, { "content-type": "text/html" }, new Metadata());
    assert.equal(r.kind === "error" && r.error.code, Code.UNAVAILABLE);
    for (const ct of ["application/grpc", "text/html", undefined]) {
      const h = ct === undefined ? {} : { "content-type": ct };
      const e = validateWebResponseHeaders(200, h, new Metadata());
      assert.equal(e.kind === "error" && e.error.code, Code.UNKNOWN, String(ct));
    }
  });
});
