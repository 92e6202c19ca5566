// A server killed mid-stream (a child process, SIGKILL): the client's running call fails with
// UNAVAILABLE, and the same channel reconnects to a new server on the same port.
import assert from "node:assert/strict";
import * as net from "node:net";
import { after, it } from "node:test";
import {
  CHILD_WAIT_FOR_READY,
  type ChildServer,
  Echo,
  expectRpcError,
  listenLoopback,
  REPO_ROOT,
  runToEnd,
  startChildServer,
  startServer,
  within,
} from "@grpc-ts/testing";
import { Code, createChannel, createClient } from "../index.js";

const children: ChildServer[] = [];
const closers: (() => void)[] = [];
after(async () => {
  for (const c of closers) c();
  await Promise.all(children.map((c) => c.kill()));
});

it("a server killed mid-stream: UNAVAILABLE, then the channel reconnects to a new server on the port", {
  timeout: 90_000,
}, async () => {
  const first = await startChildServer();
  children.push(first);
  const channel = createChannel(`127.0.0.1:${first.port}`, { backoff: { initialMs: 50, maxMs: 500 } });
  closers.push(() => channel.close());
  const client = createClient(Echo, channel);

  const got: number[] = [];
  const stream = (async () => {
    for await (const r of client.serverStream({ count: 100_000, delayMs: 10 })) {
      got.push(r.index);
      if (got.length === 3) await first.kill();
    }
  })();
  const e = await within(expectRpcError(stream, Code.UNAVAILABLE), 10_000, "stream after kill");
  assert.ok(got.length >= 3 && got.length < 100_000, `received ${got.length}`);
  assert.ok(e.rawMessage.length > 0);

  // Nothing listens now: a call fails (UNAVAILABLE) rather than hanging.
  await within(expectRpcError(client.unary({ message: "nobody" }), Code.UNAVAILABLE), 10_000, "no server");

  const second = await startChildServer(first.port);
  children.push(second);
  assert.equal(second.port, first.port);
  const res = await within(
    client.unary({ message: "back" }, { waitForReady: true, timeoutMs: 20_000 }),
    25_000,
    "reconnect",
  );
  assert.equal(res.message, "back");
  assert.equal(channel.getState(), "READY");
  // And an ordinary (fail-fast) call and stream on the same channel work again.
  assert.equal((await client.unary({ message: "plain" })).message, "plain");
  const again: number[] = [];
  for await (const r of client.serverStream({ count: 3 })) again.push(r.index);
  assert.deepEqual(again, [0, 1, 2]);
});

it("a script's waitForReady call keeps its process alive until a server comes up", {
  timeout: 90_000,
}, async () => {
  // Until the server comes up, a listener that drops each connection at once: the script's failed
  // attempts are events to wait for, not a guess at how long they take.
  let attempts = 0;
  let attempted: (() => void) | undefined;
  const dropper = net.createServer((socket) => {
    socket.destroy();
    attempts++;
    if (attempts === 3) attempted?.();
  });
  const port = await listenLoopback(dropper);
  const dropping = new Promise<void>((resolve) => (attempted = resolve));
  let exited = false;
  const run = runToEnd(
    process.execPath,
    ["--conditions=source", "--import", "tsx", CHILD_WAIT_FOR_READY, `127.0.0.1:${port}`],
    { cwd: REPO_ROOT, timeoutMs: 60_000 },
  ).finally(() => {
    exited = true;
  });
  try {
    await within(dropping, 30_000, "three failed connection attempts by the script");
  } finally {
    await new Promise<void>((resolve) => dropper.close(() => resolve()));
  }
  assert.equal(exited, false, "the script exited before a server came up");
  const server = await startServer({ address: `127.0.0.1:${port}` });
  closers.push(() => server.close());
  const result = await run;
  assert.equal(result.code, 0, `exit code ${result.code}; stderr: ${result.stderr}`);
  assert.equal(result.stdout, "reply waited\n");
});
