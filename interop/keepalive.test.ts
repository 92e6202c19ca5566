/**
 * Keepalive enforcement (gRFC A8) and connection age (A9) against gRPC C-core (Debian's Python
 * grpcio), both ways, on the engine the environment picks:
 *
 * - C-core's client pinging every 100 ms (`grpc.keepalive_time_ms`, its own limits on PINGs
 *   lifted; it still sends at most one a second) on one open call, to our server with its default
 *   policy (5 minutes): the third PING too soon gets GOAWAY ENHANCE_YOUR_CALM `too_many_pings`,
 *   which C-core itself reports (its log, and the call failing UNAVAILABLE). And the control: PINGs
 *   every 1.5 s to a server that allows one a second are never cut off.
 * - C-core's server with `grpc.max_connection_age_ms` (300 ms) and a long grace: our channel,
 *   through a proxy that counts connections, calls all along for 2 s, and one call lasts longer
 *   than an age: no call fails, and the channel moved to new connections as they aged.
 *
 * The Python peers are interop/peers/python/keepalive_client.py and conn_server.py; every process is
 * ended by its PID.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { after, describe, it } from "node:test";
import { createChannel, createClient, createServer, type ServerOptions } from "@grpc-ts/node";
import {
  createEchoService,
  Echo,
  PYTHON_GRPCIO,
  REPO_ROOT,
  skipWithout,
  sleep,
  startTcpProxy,
  within,
} from "@grpc-ts/testing";
import { runClient, startServer, stop } from "./src/matrix/processes.js";

const PYTHON = "/usr/bin/python3";
const TOO_MANY_PINGS_LOG =
  /Received a GOAWAY with error code ENHANCE_YOUR_CALM and debug data equal to "too_many_pings"/;

interface KeepaliveRun {
  readonly code: string;
  readonly details: string;
  readonly elapsed_s: number;
  readonly grpc_version: string;
}

function parseRun(stdout: string): KeepaliveRun {
  const line = stdout.trim().split("\n").at(-1) ?? "";
  const v: unknown = JSON.parse(line);
  if (
    typeof v !== "object" ||
    v === null ||
    !("code" in v && typeof v.code === "string") ||
    !("details" in v && typeof v.details === "string") ||
    !("elapsed_s" in v && typeof v.elapsed_s === "number") ||
    !("grpc_version" in v && typeof v.grpc_version === "string")
  )
    throw new Error(`keepalive_client.py printed an unexpected line: ${line}`);
  return v as KeepaliveRun;
}

describe("keepalive and connection age with gRPC C-core (Python grpcio)", {
  skip: skipWithout(PYTHON_GRPCIO),
  timeout: 60_000,
}, () => {
  const children: ChildProcess[] = [];
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await Promise.all(children.map((c) => stop(c, 1000)));
  });

  async function ourServer(options: ServerOptions): Promise<number> {
    const server = createServer(options).add(Echo, createEchoService());
    cleanups.push(() => server.forceShutdown());
    return server.listen("127.0.0.1:0");
  }

  async function pingingClient(port: number, keepaliveMs: number, holdS: number) {
    const run = await runClient(
      { command: PYTHON, args: ["interop/peers/python/keepalive_client.py"] },
      [`--target=127.0.0.1:${port}`, `--keepalive_time_ms=${keepaliveMs}`, `--hold_s=${holdS}`],
      REPO_ROOT,
      30_000,
    );
    assert.equal(
      run.code,
      0,
      `keepalive_client.py failed (${run.timedOut ? "timed out" : run.code}):\n${run.stderr}`,
    );
    return { result: parseRun(run.stdout), stderr: run.stderr };
  }

  it("a C-core client pinging too often gets GOAWAY ENHANCE_YOUR_CALM too_many_pings from our server", async () => {
    const port = await ourServer({});
    const { result, stderr } = await pingingClient(port, 100, 10);
    console.log(`C-core ${result.grpc_version} pinging every 100 ms → grpc-ts: ${JSON.stringify(result)}`);
    assert.match(stderr, TOO_MANY_PINGS_LOG, `C-core's log:\n${stderr}`);
    assert.equal(result.code, "UNAVAILABLE", result.details);
    // Its PINGs come a second apart: the first is allowed, two strikes, the third strike ends it.
    assert.ok(result.elapsed_s < 8, `cut off after ${result.elapsed_s} s`);
  });

  it("control: a C-core client pinging within the policy is never cut off", async () => {
    const port = await ourServer({ keepalive: { minPingIntervalMs: 1000 } });
    const { result, stderr } = await pingingClient(port, 1500, 3.5);
    assert.doesNotMatch(stderr, /too_many_pings/);
    assert.equal(result.code, "OK", result.details);
  });

  it("our channel through a C-core server's max_connection_age GOAWAYs: no call fails", async () => {
    const s = await startServer(
      { command: PYTHON, args: ["interop/peers/python/conn_server.py"] },
      [
        `--options=${JSON.stringify([
          ["grpc.max_connection_age_ms", 300],
          ["grpc.max_connection_age_grace_ms", 10_000],
        ])}`,
      ],
      REPO_ROOT,
      30_000,
    );
    children.push(s.child);
    const proxy = await startTcpProxy("127.0.0.1", s.port);
    cleanups.push(() => proxy.close());
    const channel = createChannel(proxy.address);
    cleanups.push(() => channel.close());
    const client = createClient(Echo, channel);
    await within(client.unary({ message: "warm" }), 10_000, "the first call");
    const long = client.unary({ message: "long", delayMs: 900 });
    const failures: unknown[] = [];
    let ok = 0;
    const end = performance.now() + 2000;
    while (performance.now() < end) {
      await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          client.unary({ message: `m${i}` }, { timeoutMs: 10_000 }).then(
            (r) => {
              assert.equal(r.message, `m${i}`);
              ok++;
            },
            (e: unknown) => failures.push(e),
          ),
        ),
      );
      await sleep(10);
    }
    assert.equal((await within(long, 10_000, "the long call")).message, "long");
    console.log(
      `grpc-ts → C-core with max_connection_age 300 ms: ${ok} calls over ${proxy.accepted} connections`,
    );
    assert.deepEqual(failures, []);
    assert.ok(ok >= 50, `${ok} calls`);
    assert.ok(proxy.accepted >= 4, `${proxy.accepted} connections in 2 s with an age of 300 ms`);
  });
});
