// server.listen: several addresses at once, a port already in use, bad addresses.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { createEchoService, Echo, expectRpcError, within } from "@grpc-ts/testing";
import { Code, createChannel, createClient, createServer, type Server } from "../index.js";

const servers: Server[] = [];
const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
  for (const s of servers) s.forceShutdown();
});

function echoServer(): Server {
  const server = createServer().add(Echo, createEchoService());
  servers.push(server);
  return server;
}

async function call(target: string, message: string): Promise<string> {
  const channel = createChannel(target);
  try {
    return (await createClient(Echo, channel).unary({ message }, { timeoutMs: 5000 })).message;
  } finally {
    channel.close();
  }
}

it("one server on a TCP port and a unix socket: both serve, shutdown stops both", async () => {
  const server = echoServer();
  const path = join(tmpdir(), `grpc-ts-listen-${process.pid}-${Date.now()}.sock`);
  rmSync(path, { force: true });
  cleanups.push(() => rmSync(path, { force: true }));
  const port = await server.listen("127.0.0.1:0");
  assert.equal(await server.listen(`unix:${path}`), 0);
  assert.equal(await call(`127.0.0.1:${port}`, "tcp"), "tcp");
  assert.equal(await call(`unix:${path}`, "unix"), "unix");
  await within(server.shutdown(1000), 5000, "shutdown");
  for (const target of [`127.0.0.1:${port}`, `unix:${path}`]) {
    const channel = createChannel(target);
    try {
      await within(expectRpcError(createClient(Echo, channel).unary({}), Code.UNAVAILABLE), 5000, target);
    } finally {
      channel.close();
    }
  }
});

it("a port already in use: listen rejects (EADDRINUSE) and the server keeps serving its other address", async () => {
  const first = echoServer();
  const port = await first.listen("127.0.0.1:0");
  const second = echoServer();
  const secondPort = await second.listen("127.0.0.1:0");
  await assert.rejects(
    second.listen(`127.0.0.1:${port}`),
    (e: unknown) => (e as { code?: string }).code === "EADDRINUSE",
  );
  assert.equal(await call(`127.0.0.1:${secondPort}`, "still serving"), "still serving");
  assert.equal(await call(`127.0.0.1:${port}`, "first"), "first");
});

it("a malformed address: listen rejects with a TypeError naming it", async () => {
  const server = echoServer();
  await assert.rejects(
    server.listen("no-port"),
    (e: unknown) => e instanceof TypeError && /no-port/.test(e.message),
  );
  await assert.rejects(server.listen("127.0.0.1:99999"), TypeError);
});

it("listen after shutdown rejects", async () => {
  const server = echoServer();
  await server.listen("127.0.0.1:0");
  server.forceShutdown();
  await assert.rejects(server.listen("127.0.0.1:0"), /shut down/);
});
