import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "../code.js";
import { EnvelopeDecoder, Flag } from "../envelope.js";
import { statusFromTrailers, statusToTrailers } from "../grpc/trailers.js";
import { Metadata } from "../metadata.js";
import { RpcError } from "../rpc-error.js";
import { encodeTrailerBlock, encodeTrailerFrame, parseTrailerBlock } from "./trailers.js";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("gRPC-Web trailer frames", () => {
  it("encodes an HTTP/1 header block with lower-case names, one line per value", () => {
    const block = encodeTrailerBlock({ "grpc-status": "0", "X-Multi": ["a", "b"] });
    assert.equal(text(block), "grpc-status: 0\r\nx-multi: a\r\nx-multi: b\r\n");
  });

  it("frames it with flag 0x80 and a big-endian length", () => {
    const frame = encodeTrailerFrame({ "grpc-status": "0" });
    assert.equal(frame[0], 0x80);
    assert.deepEqual([...frame.subarray(1, 5)], [0, 0, 0, 16]);
    assert.equal(text(frame.subarray(5)), "grpc-status: 0\r\n");
    const seen: [number, string][] = [];
    new EnvelopeDecoder(1024, Flag.COMPRESSED | Flag.TRAILER).push(frame, (f, p) => seen.push([f, text(p)]));
    assert.deepEqual(seen, [[0x80, "grpc-status: 0\r\n"]]);
  });

  it("parses lines ending in CRLF or LF, trims values, keeps repeated keys", () => {
    const block = new TextEncoder().encode(
      "Grpc-Status: 3\r\ngrpc-message:bad%20thing\nx-k: 1\r\nx-k:  2  \r\n\r\n",
    );
    assert.deepEqual(parseTrailerBlock(block), {
      "grpc-status": "3",
      "grpc-message": "bad%20thing",
      "x-k": ["1", "2"],
    });
  });

  it("parses an empty trailer frame to no entries, which is a missing status (INTERNAL)", () => {
    const entries = parseTrailerBlock(new Uint8Array(0));
    assert.deepEqual(entries, {});
    const err = statusFromTrailers(entries, new Metadata());
    assert.ok(err instanceof RpcError);
    assert.equal(err.code, Code.INTERNAL);
    assert.equal(encodeTrailerFrame({}).length, 5);
  });

  it("is INTERNAL for a line without a colon", () => {
    assert.throws(
      () => parseTrailerBlock(new TextEncoder().encode("grpc-status 0\r\n")),
      (e) => e instanceof RpcError && e.code === Code.INTERNAL,
    );
  });

  it("round-trips a status with message, details and -bin metadata", () => {
    const sent = new RpcError(Code.NOT_FOUND, "no such thing: ü", {
      metadata: new Metadata({ "x-t": ["1", "2"], "t-bin": Uint8Array.of(0, 13, 10, 255) }),
      details: [{ typeUrl: "type.googleapis.com/x.Y", value: Uint8Array.of(9, 8) }],
    });
    const block = encodeTrailerBlock(statusToTrailers(sent, undefined));
    const trailer = new Metadata();
    const got = statusFromTrailers(parseTrailerBlock(block), trailer);
    assert.ok(got instanceof RpcError);
    assert.equal(got.code, Code.NOT_FOUND);
    assert.equal(got.rawMessage, "no such thing: ü");
    assert.deepEqual(got.details, sent.details);
    assert.deepEqual(trailer.getAll("x-t"), ["1", "2"]);
    assert.deepEqual(trailer.get("t-bin"), Uint8Array.of(0, 13, 10, 255));
  });
});
