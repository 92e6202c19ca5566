// connect-node: createClient over createGrpcTransport (gRPC protocol, HTTP/2, h2c).
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { Bench } from "../gen/bench_pb.js";
import { createTurn, runClientChild } from "./client-driver.js";

const CALL_TIMEOUT_MS = 120_000;

runClientChild((port) => {
  const baseUrl = `http://127.0.0.1:${port}`;
  const sessionManager = new Http2SessionManager(baseUrl);
  const transport = createGrpcTransport({ baseUrl, sessionManager });
  const client = createClient(Bench, transport);
  return {
    async unary(body) {
      return (await client.unary({ body })).body.length;
    },
    async serverStream(count, size) {
      let messages = 0;
      let bytes = 0;
      for await (const m of client.serverStream({ count, size }, { timeoutMs: CALL_TIMEOUT_MS })) {
        messages++;
        bytes += m.body.length;
      }
      return { messages, bytes };
    },
    async clientStream(count, body) {
      async function* requests() {
        for (let i = 0; i < count; i++) yield { body };
      }
      const r = await client.clientStream(requests(), { timeoutMs: CALL_TIMEOUT_MS });
      return { messages: Number(r.messages), bytes: Number(r.bytes) };
    },
    async pingPong(body, shouldStop) {
      const turn = createTurn();
      async function* requests() {
        while (!shouldStop()) {
          yield { body };
          await turn.acquire();
        }
      }
      let rounds = 0;
      for await (const m of client.bidi(requests(), { timeoutMs: CALL_TIMEOUT_MS })) {
        if (m.body.length !== body.length) throw new Error("bidi echo of the wrong length");
        rounds++;
        turn.release();
      }
      return rounds;
    },
    close() {
      sessionManager.abort();
    },
  };
});
