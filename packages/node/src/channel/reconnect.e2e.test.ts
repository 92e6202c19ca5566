// A server killed mid-stream (a child process, SIGKILL): the client's running call fails with
// UNAVAILABLE, and the same channel reconnects to a new server on the same port.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, it } from "node:test";
import {
  CHILD_WAIT_FOR_READY,
  type ChildServer,
  Echo,
  expectRpcError,
  freePort,
  REPO_ROOT,
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
  const port = await freePort();

  const child = spawn(
    process.execPath,
    ["--conditions=source", "--import", "tsx", CHILD_WAIT_FOR_READY, `127.0.0.1:${port}`],
    {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  const killer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, "SIGKILL"), 60_000);
  try {
    // Let the script start and fail to connect a few times (its backoff is 100-200 ms).
    const early = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve("running"), 2500)),
    ]);
    assert.equal(early, "running", `the script exited before a server came up: ${stderr}`);
    const server = await startServer({ address: `127.0.0.1:${port}` });
    closers.push(() => server.close());
    const code = await exited;
    assert.equal(code, 0, `exit code ${code}; stderr: ${stderr}`);
    assert.equal(stdout, "reply waited\n");
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, "SIGKILL");
  }
});
