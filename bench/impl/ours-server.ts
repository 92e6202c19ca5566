// grpc-ts (ours): the Bench service on createServer(), defaults everywhere except the HTTP/2
// engine, named by `--engine=node|grpc-ts` (node:http2, or our own @grpc-ts/http2).
import { createServer } from "@grpc-ts/node";
import { Bench } from "../gen/bench_pb.js";
import { bodyOfSize, checkCount, engineArg, portArg } from "../lib/body.js";
import { runChild } from "../lib/child-main.js";

const server = createServer({ engine: engineArg() }).add(Bench, {
  async unary(req) {
    return { body: req.body };
  },
  async *serverStream(req) {
    const body = bodyOfSize(req.size);
    for (let i = checkCount(req.count); i > 0; i--) yield { body };
  },
  async clientStream(reqs) {
    let messages = 0;
    let bytes = 0;
    for await (const r of reqs) {
      messages++;
      bytes += r.body.length;
    }
    return { messages: BigInt(messages), bytes: BigInt(bytes) };
  },
  async *bidi(reqs) {
    for await (const r of reqs) yield { body: r.body };
  },
});

const port = await server.listen(`127.0.0.1:${portArg()}`);
runChild({ port, close: () => server.shutdown(2000) });
