// @grpc/grpc-js: the Bench service from proto-loader, idiomatic handlers (callbacks and streams,
// writes that wait for 'drain').
import * as grpc from "@grpc/grpc-js";
import { bodyOfSize, checkCount, portArg } from "../lib/body.js";
import { runChild } from "../lib/child-main.js";
import {
  type BenchGrpcHandlers,
  loadBench,
  type PayloadMessage,
  type StreamRequestMessage,
} from "./grpc-js-proto.js";

/** Waits until the stream can take more, or the call is gone. */
function drainOrCancel(call: grpc.ServerWritableStream<StreamRequestMessage, PayloadMessage>): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      call.off("drain", done);
      call.off("cancelled", done);
      call.off("close", done);
      resolve();
    };
    call.on("drain", done);
    call.on("cancelled", done);
    call.on("close", done);
  });
}

const handlers: BenchGrpcHandlers = {
  unary(call, callback) {
    callback(null, { body: call.request.body });
  },
  serverStream(call) {
    void (async () => {
      const body = bodyOfSize(call.request.size);
      for (let i = checkCount(call.request.count); i > 0; i--) {
        if (call.cancelled) return;
        if (!call.write({ body })) await drainOrCancel(call);
      }
      call.end();
    })().catch((e: unknown) => call.destroy(e instanceof Error ? e : new Error(String(e))));
  },
  clientStream(call, callback) {
    let messages = 0;
    let bytes = 0;
    call.on("data", (m: { body: Uint8Array }) => {
      messages++;
      bytes += m.body.length;
    });
    call.on("end", () => callback(null, { messages, bytes }));
    call.on("error", () => {});
  },
  bidi(call) {
    call.on("data", (m: { body: Uint8Array }) => call.write({ body: m.body }));
    call.on("end", () => call.end());
    call.on("error", () => {});
  },
};

const server = new grpc.Server();
server.addService(loadBench().service, handlers as unknown as grpc.UntypedServiceImplementation);
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync(`127.0.0.1:${portArg()}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
    err ? reject(err) : resolve(p),
  ),
);

runChild({
  port,
  close: () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => server.forceShutdown(), 2000);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    }),
});
