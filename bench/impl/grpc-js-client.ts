// @grpc/grpc-js: a proto-loader client, idiomatic use (callbacks, streams, writes that wait for 'drain').
import type * as grpc from "@grpc/grpc-js";
import { runClientChild } from "./client-driver.js";
import { createBenchClient, type PayloadMessage } from "./grpc-js-proto.js";

const CALL_TIMEOUT_MS = 120_000;

function drained(call: grpc.ClientWritableStream<PayloadMessage>): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      call.off("drain", done);
      call.off("close", done);
      resolve();
    };
    call.on("drain", done);
    call.on("close", done);
  });
}

runClientChild((port) => {
  const client = createBenchClient(`127.0.0.1:${port}`);
  return {
    unary(body) {
      return new Promise<number>((resolve, reject) => {
        client.unary({ body }, (err, res) => (err ? reject(err) : resolve(res?.body.length ?? -1)));
      });
    },
    serverStream(count, size) {
      return new Promise((resolve, reject) => {
        let messages = 0;
        let bytes = 0;
        const call = client.serverStream({ count, size });
        const timer = setTimeout(() => call.cancel(), CALL_TIMEOUT_MS);
        call.on("data", (m: PayloadMessage) => {
          messages++;
          bytes += m.body.length;
        });
        call.on("error", (e) => {
          clearTimeout(timer);
          reject(e);
        });
        call.on("status", (s: grpc.StatusObject) => {
          clearTimeout(timer);
          if (s.code === 0) resolve({ messages, bytes });
        });
      });
    },
    async clientStream(count, body) {
      let call: grpc.ClientWritableStream<PayloadMessage> | undefined;
      const result = new Promise<{ messages: number; bytes: number }>((resolve, reject) => {
        call = client.clientStream((err, res) => (err || !res ? reject(err) : resolve(res)));
      });
      const c = call!;
      const timer = setTimeout(() => c.cancel(), CALL_TIMEOUT_MS);
      try {
        for (let i = 0; i < count; i++) {
          if (!c.write({ body })) await drained(c);
        }
        c.end();
        return await result;
      } finally {
        clearTimeout(timer);
      }
    },
    pingPong(body, shouldStop) {
      return new Promise<number>((resolve, reject) => {
        const call = client.bidi();
        const timer = setTimeout(() => call.cancel(), CALL_TIMEOUT_MS);
        let rounds = 0;
        call.on("data", (m: PayloadMessage) => {
          if (m.body.length !== body.length) {
            call.cancel();
            return;
          }
          rounds++;
          if (shouldStop()) call.end();
          else call.write({ body });
        });
        call.on("error", (e) => {
          clearTimeout(timer);
          reject(e);
        });
        call.on("status", (s: grpc.StatusObject) => {
          clearTimeout(timer);
          if (s.code === 0) resolve(rounds);
        });
        if (shouldStop()) call.end();
        else call.write({ body });
      });
    },
    close() {
      client.close();
    },
  };
});
