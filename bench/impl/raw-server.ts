// The ceiling for anything on node:http2: a minimal hand-written gRPC responder. Unary answers with
// the request's bytes as they came (request and response are both `Payload`), with no decoding, no
// routing beyond one path comparison, and the fixed headers and trailers of a successful call.
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { portArg } from "../lib/body.js";
import { runChild } from "../lib/child-main.js";

const UNARY_PATH = "/grpcts.bench.Bench/Unary";
const okTrailers = { "grpc-status": "0" };

const server = http2.createServer();
const sessions = new Set<http2.ServerHttp2Session>();
server.on("session", (s) => {
  sessions.add(s);
  s.once("close", () => sessions.delete(s));
});
server.on("stream", (stream, headers) => {
  stream.on("error", () => {});
  if (headers[":path"] !== UNARY_PATH) {
    stream.respond(
      { ":status": 200, "content-type": "application/grpc", "grpc-status": "12" },
      { endStream: true },
    );
    return;
  }
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  stream.on("end", () => {
    if (stream.destroyed) return;
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers(okTrailers));
    stream.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  });
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
