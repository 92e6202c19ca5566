import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "../code.js";
import { Metadata } from "../metadata.js";
import { RpcError } from "../rpc-error.js";
import { validateResponseHeaders } from "./response-validation.js";

function expectError(result: ReturnType<typeof validateResponseHeaders>): RpcError {
  assert.equal(result.kind, "error");
  if (result.kind !== "error") throw new Error("unreachable");
  assert.ok(result.error instanceof RpcError);
  return result.error;
}

describe("validateResponseHeaders", () => {
  it("accepts a normal start: codec, encoding and header metadata", () => {
    const result = validateResponseHeaders(
      {
        ":status": "200",
        "content-type": "application/grpc",
        "grpc-encoding": "gzip",
        "grpc-accept-encoding": "gzip,identity",
        "x-h": "v",
      },
      new Metadata(),
    );
    assert.equal(result.kind, "headers");
    if (result.kind !== "headers") return;
    assert.equal(result.codec, "proto");
    assert.equal(result.encoding, "gzip");
    assert.deepEqual(result.header.toJSON(), { "x-h": "v" });
  });

  it("accepts a numeric :status and reports no encoding when absent", () => {
    const result = validateResponseHeaders(
      { ":status": 200, "content-type": "application/grpc+json" },
      new Metadata(),
    );
    assert.equal(result.kind, "headers");
    if (result.kind !== "headers") return;
    assert.equal(result.codec, "json");
    assert.equal(result.encoding, undefined);
  });

  it("maps a non-200 status without grpc-status by HTTP status", () => {
    const cases: [number, Code][] = [
      [400, Code.INTERNAL],
      [401, Code.UNAUTHENTICATED],
      [403, Code.PERMISSION_DENIED],
      [404, Code.UNIMPLEMENTED],
      [429, Code.UNAVAILABLE],
      [502, Code.UNAVAILABLE],
      [503, Code.UNAVAILABLE],
      [504, Code.UNAVAILABLE],
      [500, Code.UNKNOWN],
      [302, Code.UNKNOWN],
    ];
    for (const [status, code] of cases) {
      const err = expectError(
        validateResponseHeaders(
          { ":status": String(status), "content-type": "application/grpc" },
          new Metadata(),
        ),
      );
      assert.equal(err.code, code, String(status));
      assert.match(err.rawMessage, new RegExp(String(status)));
    }
  });

  it("keeps the metadata of an HTTP error response", () => {
    const err = expectError(
      validateResponseHeaders(
        { ":status": "404", "content-type": "text/html", "x-served-by": "proxy" },
        new Metadata(),
      ),
    );
    assert.equal(err.code, Code.UNIMPLEMENTED);
    assert.deepEqual(err.metadata.toJSON(), { "x-served-by": "proxy" });
  });

  it("reads trailers-only responses: an error, metadata into the trailer", () => {
    const trailer = new Metadata();
    const result = validateResponseHeaders(
      {
        ":status": "200",
        "content-type": "application/grpc",
        "grpc-status": "12",
        "grpc-message": "method not found",
        "x-t": "1",
      },
      trailer,
    );
    assert.equal(result.kind, "trailers-only");
    if (result.kind !== "trailers-only") return;
    assert.equal(result.header.size, 0);
    assert.equal(result.error?.code, Code.UNIMPLEMENTED);
    assert.equal(result.error?.rawMessage, "method not found");
    assert.equal(trailer.get("x-t"), "1");
  });

  it("reads a trailers-only OK as no error", () => {
    const result = validateResponseHeaders({ ":status": "200", "grpc-status": "0" }, new Metadata());
    assert.deepEqual(result.kind, "trailers-only");
    if (result.kind === "trailers-only") assert.equal(result.error, undefined);
  });

  it("prefers grpc-status over a non-200 HTTP status", () => {
    const result = validateResponseHeaders({ ":status": "503", "grpc-status": "8" }, new Metadata());
    assert.equal(result.kind, "trailers-only");
    if (result.kind === "trailers-only") assert.equal(result.error?.code, Code.RESOURCE_EXHAUSTED);
  });

  it("is UNKNOWN for a 200 response with a content type that is not gRPC, or none", () => {
    for (const ct of ["text/html", "application/json", "application/grpc-web+proto", undefined]) {
      const headers = ct === undefined ? { ":status": "200" } : { ":status": "200", "content-type": ct };
      const err = expectError(validateResponseHeaders(headers, new Metadata()));
      assert.equal(err.code, Code.UNKNOWN, String(ct));
      assert.match(err.rawMessage, /content-type/);
    }
  });

  it("is UNKNOWN for a missing :status", () => {
    const err = expectError(validateResponseHeaders({ "content-type": "application/grpc" }, new Metadata()));
    assert.equal(err.code, Code.UNKNOWN);
  });
});
