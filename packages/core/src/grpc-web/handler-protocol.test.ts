import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { base64Decode } from "../base64.js";
import { encodeEnvelope } from "../envelope.js";
import { grpcHandlerProtocol } from "../grpc/handler-protocol.js";
import { grpcWebHandlerProtocol } from "./handler-protocol.js";

const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe("server wire protocols", () => {
  it("gRPC: bytes as they are, status in HTTP/2 trailers", () => {
    const p = grpcHandlerProtocol("json");
    assert.equal(p.contentType, "application/grpc+json");
    const b = Uint8Array.of(1, 2);
    assert.equal(p.decodeRequestBody(b), b);
    assert.equal(p.encodeResponseBody(b), b);
    assert.equal(p.trailerFrame(["grpc-status", "0"]), undefined);
    assert.equal(grpcHandlerProtocol("json"), p, "shared between calls");
  });

  it("gRPC-Web binary: status as a 0x80 frame, headers finished by the hook", () => {
    const p = grpcWebHandlerProtocol({
      codec: "proto",
      text: false,
      finishHeaders: (h) => {
        h.push("access-control-allow-origin", "*");
      },
    });
    assert.equal(p.contentType, "application/grpc-web+proto");
    const frame = p.trailerFrame(["grpc-status", "5", "grpc-message", "x"]);
    assert.ok(frame !== undefined);
    assert.equal(frame[0], 0x80);
    assert.equal(dec(frame.subarray(5)), "grpc-status: 5\r\ngrpc-message: x\r\n");
    const h = [":status", "200"];
    p.finishHeaders(h);
    assert.deepEqual(h, [":status", "200", "access-control-allow-origin", "*"]);
    assert.equal(p.plainHeaders, false);
    assert.equal(grpcWebHandlerProtocol({ codec: "proto", text: false }).plainHeaders, true);
  });

  it("gRPC-Web text: base64 in both directions, each write one padded segment", () => {
    const p = grpcWebHandlerProtocol({ codec: "proto", text: true });
    assert.equal(p.contentType, "application/grpc-web-text+proto");
    const env = encodeEnvelope(0, Uint8Array.of(7));
    const out = p.encodeResponseBody(env);
    assert.equal(dec(out), "AAAAAAEH");
    assert.deepEqual(
      base64Decode(dec(p.trailerFrame(["grpc-status", "0"])!)).subarray(0, 1),
      Uint8Array.of(0x80),
    );
    const req = new TextEncoder().encode("AAAAAAEH");
    assert.deepEqual(
      [...p.decodeRequestBody(req.subarray(0, 3)), ...p.decodeRequestBody(req.subarray(3))],
      [...env],
    );
    p.endRequestBody();
    p.decodeRequestBody(req.subarray(0, 2));
    assert.throws(() => p.endRequestBody());
  });
});
