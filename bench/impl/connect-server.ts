// connect-node: the Bench service through connectNodeAdapter on node:http2 (h2c), gRPC protocol only.
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Bench } from "../gen/bench_pb.js";
import { bodyOfSize, checkCount, portArg } from "../lib/body.js";
import { runChild } from "../lib/child-main.js";

function routes(router: ConnectRouter): void {
  router.service(Bench, {
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
}

const server = http2.createServer(connectNodeAdapter({ routes, grpc: true, grpcWeb: false, connect: false }));
const sessions = new Set<http2.ServerHttp2Session>();
server.on("session", (s) => {
  sessions.add(s);
  s.once("close", () => sessions.delete(s));
});
await new Promise<void>((resolve) => server.listen(portArg(), "127.0.0.1", resolve));

runChild({
  port: (server.address() as AddressInfo).port,
  close: () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sessions) s.close();
    }),
});
