import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Metadata } from "../metadata.js";
import { decodeTimeout } from "../timeout.js";
import { grpcWebRequestHeaders } from "./request-headers.js";

describe("grpcWebRequestHeaders (PROTOCOL-WEB.md)", () => {
  const base = {
    codec: "proto",
    text: false,
    metadata: new Metadata(),
    deadline: undefined,
    userAgent: "ua/1",
  };

  it("has content type, accept, x-grpc-web and x-user-agent; no te and no encoding headers", () => {
    assert.deepEqual(grpcWebRequestHeaders(base), {
      "content-type": "application/grpc-web+proto",
      accept: "application/grpc-web+proto",
      "x-grpc-web": "1",
      "x-user-agent": "ua/1",
    });
    const text = grpcWebRequestHeaders({ ...base, text: true, codec: "json" });
    assert.equal(text["content-type"], "application/grpc-web-text+json");
    assert.equal(text.accept, "application/grpc-web-text+json");
  });

  it("sends grpc-timeout and metadata (-bin base64)", () => {
    const h = grpcWebRequestHeaders({
      ...base,
      deadline: Date.now() + 1500,
      metadata: new Metadata({ "x-a": "1", "x-bin": Uint8Array.of(255) }),
    });
    const ms = decodeTimeout(h["grpc-timeout"] as string);
    assert.ok(ms > 1000 && ms <= 1500, String(ms));
    assert.equal(h["x-a"], "1");
    assert.equal(h["x-bin"], "/w");
  });
});
