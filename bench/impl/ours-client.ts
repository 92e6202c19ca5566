// grpc-ts (ours): createClient over createChannel, defaults everywhere except the HTTP/2 engine,
// named by `--engine=node|grpc-ts`. The channel's `engine` option is new: a built package that does
// not know it yet ignores it and connects through node:http2, which `probe` detects by counting
// the calls of node:http2's `connect` (so the bench reports "unavailable" instead of measuring
// node:http2 twice).
import { createRequire, syncBuiltinESMExports } from "node:module";
import { type Channel, type ChannelOptions, createChannel, createClient } from "@grpc-ts/node";
import { Bench } from "../gen/bench_pb.js";
import { engineArg, makeBody } from "../lib/body.js";
import { createTurn, runClientChild } from "./client-driver.js";

const CALL_TIMEOUT_MS = 120_000;
const engine = engineArg();
/** `--lb=round_robin`: the service config picks round_robin (pick_first, the default, otherwise). */
const lb = process.argv.find((a) => a.startsWith("--lb="))?.slice("--lb=".length);
/**
 * `--retry`: the service config gives the bench's methods a retry policy (gRFC A6). No call fails,
 * so this measures what having a policy costs: the request kept for a retry, the commit.
 */
const retry = process.argv.includes("--retry");
const retryConfig = {
  methodConfig: [
    {
      name: [{ service: Bench.typeName }],
      retryPolicy: {
        maxAttempts: 3,
        initialBackoff: "0.1s",
        maxBackoff: "1s",
        backoffMultiplier: 2,
        retryableStatusCodes: ["UNAVAILABLE"],
      },
    },
  ],
};

/** `createChannel` with the `engine` option, whether or not the checked-out version declares it. */
const createChannelOn = createChannel as (
  target: string,
  options: ChannelOptions & { readonly engine?: "node" | "grpc-ts" },
) => Channel;

/** Counts node:http2 `connect` calls from here on (ESM importers see the wrapper too). */
function countNodeHttp2Connects(): () => number {
  const http2 = createRequire(import.meta.url)("node:http2") as { connect: (...args: unknown[]) => unknown };
  const original = http2.connect;
  let count = 0;
  http2.connect = (...args: unknown[]) => {
    count++;
    return original(...args);
  };
  syncBuiltinESMExports();
  return () => count;
}

runClientChild((port) => {
  const nodeConnects = countNodeHttp2Connects();
  const channel = createChannelOn(`127.0.0.1:${port}`, {
    engine,
    ...(lb === undefined ? {} : { serviceConfig: { loadBalancingConfig: [{ [lb]: {} }] } }),
    ...(retry ? { serviceConfig: retryConfig } : {}),
  });
  const client = createClient(Bench, channel);
  return {
    async probe() {
      const body = makeBody(16);
      const len = (await client.unary({ body }, { timeoutMs: 10_000 })).body.length;
      if (len !== body.length) throw new Error(`probe: echo of ${body.length} bytes came back with ${len}`);
      if (engine === "grpc-ts" && nodeConnects() > 0) {
        return {
          unavailable:
            'unavailable: the built @grpc-ts/node has no client engine yet (createChannel(target, { engine: "grpc-ts" }) connected through node:http2); it is measured once `npm run build` includes it',
        };
      }
      if (engine === "node" && nodeConnects() === 0)
        throw new Error("probe: the call did not go through node:http2");
      return {};
    },
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
      channel.close();
    },
  };
});
