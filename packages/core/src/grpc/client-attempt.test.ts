import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TextEcho } from "@grpc-ts/testing/text-echo";
import { Call, type CallPlan } from "../client/call.js";
import type { ClientStream, ClientStreamListener, StreamOpener } from "../client/stream.js";
import { CompressionRegistry } from "../compression.js";
import { encodeEnvelope } from "../envelope.js";
import type { ClientRequest } from "../interceptor.js";
import { Metadata } from "../metadata.js";
import { frameGrpcRequest, GrpcAttempt, type GrpcAttemptConfig } from "./client-attempt.js";

const config: GrpcAttemptConfig = {
  codecName: "proto",
  compression: new CompressionRegistry([]),
  defaultCompression: undefined,
  maxReceiveMessageBytes: 1 << 20,
  maxSendMessageBytes: Number.POSITIVE_INFINITY,
  userAgent: "test",
  authority: "test",
  scheme: "http",
};

/** Opens streams that answer at once with `reply`, after `failures` openings that throw. */
function opener(failures: number, reply: string) {
  const opened: string[][] = [];
  let left = failures;
  const open: StreamOpener = {
    request(fields, listener: ClientStreamListener): ClientStream {
      opened.push([...fields]);
      if (left-- > 0) throw new Error("the connection is closing");
      queueMicrotask(() => {
        listener.onHeaders([":status", "200", "content-type", "application/grpc"]);
        listener.onData(encodeEnvelope(0, new TextEncoder().encode(reply)));
        listener.onTrailers(["grpc-status", "0"]);
        listener.onClose(undefined, false);
      });
      return { write: () => true, end() {}, cancel() {}, pause() {}, resume() {} };
    },
  };
  return { open, opened };
}

function unary(message: string): ClientRequest {
  return {
    method: TextEcho.methods.unary,
    stream: false,
    message,
    header: new Metadata(),
    signal: undefined,
    deadline: undefined,
    compression: undefined,
    waitForReady: undefined,
  };
}

describe("GrpcAttempt", () => {
  it("a stream that could not be opened (nothing left the client) is opened once more, transparently", async () => {
    const { open, opened } = opener(1, "pong");
    const plan: CallPlan = {
      start: (call, index) => new GrpcAttempt(call, index, config).start(open),
      frame: (call, m) => frameGrpcRequest(config, call, m),
    };
    const call = new Call(unary("ping"));
    const res = await call.begin(plan);
    assert.equal(res.message, "pong");
    assert.equal(opened.length, 2);
    assert.equal(call.attempts, 1);
    assert.ok(!opened[1]!.includes("grpc-previous-rpc-attempts"), "a transparent retry is the same attempt");
  });

  it("twice: the call fails with UNAVAILABLE, naming why", async () => {
    const { open, opened } = opener(2, "pong");
    const plan: CallPlan = {
      start: (call, index) => new GrpcAttempt(call, index, config).start(open),
      frame: (call, m) => frameGrpcRequest(config, call, m),
    };
    await assert.rejects(
      new Call(unary("ping")).begin(plan),
      /UNAVAILABLE.*could not start a stream: the connection is closing/,
    );
    assert.equal(opened.length, 2);
  });
});
