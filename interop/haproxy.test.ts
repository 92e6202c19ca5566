/**
 * Our client through Debian's HAProxy (2.6, `mode http`, HTTP/2 on both sides, its defaults: 100
 * concurrent streams per client connection, 64 KiB stream windows, 16 KiB buffers, and reading a
 * connection stops while one stream's buffer is full), as a new user would put it in front of a
 * gRPC server. HAProxy runs as a process of our own on a loopback port with a config file written
 * here (packages/testing/src/haproxy.ts); every process is ended by its PID in `after`.
 *
 * - The interop client (its own process) against the interop server (another) through HAProxy:
 *   the `concurrency` case (1000 large_unary calls at once on one channel), which used to stall
 *   with 100 to 280 calls done and keep the client process alive; it must pass and the process
 *   exit by itself. Then the standard cases in one run.
 * - Our channel in this process through HAProxy to an Echo server: the four call kinds with 4 MiB
 *   messages both ways, and deadlines (a call past its deadline ends DEADLINE_EXCEEDED, and the
 *   channel goes on).
 *
 * HAProxy 2.6 resets a stream with CANCEL, instead of NO_ERROR, when the server's response is
 * complete while the client is still sending (HAProxy issue #1219, fixed upstream in 3.2); C-core
 * clients see the same. Where a test makes that happen, a call whose response was complete and
 * then ends CANCELLED with "RST_STREAM code 8" is taken as that, and only that is tolerated.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Channel, Code, createChannel, createClient, RpcError } from "@grpc-ts/node";
import {
  Echo,
  GRPC_PROTO,
  HAPROXY,
  type Haproxy,
  REPO_ROOT,
  type ServerHandle,
  skipWithout,
  startHaproxy,
  startServer,
  within,
} from "@grpc-ts/testing";

const skip = skipWithout(HAPROXY, GRPC_PROTO);
const loadProcesses = () => import("./src/matrix/processes.js");
const loadParticipants = () => import("./src/matrix/participants.js");

/** 4 MiB messages: the largest the default receive limit takes (the fields' few octets aside). */
const BIG = 4 * 1024 * 1024 - 64;

function big(seed: number): Uint8Array {
  const out = new Uint8Array(BIG);
  for (let i = 0; i < BIG; i += 4096) out[i] = (i / 4096 + seed) & 0xff;
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

describe("the interop client through HAProxy to the interop server", { skip }, () => {
  let server: Awaited<ReturnType<Awaited<ReturnType<typeof loadProcesses>>["startServer"]>> | undefined;
  let haproxy: Haproxy | undefined;

  before(async () => {
    const { startServer: startProgram } = await loadProcesses();
    const { serverPrograms } = await loadParticipants();
    server = await startProgram(serverPrograms.ours, ["--port=0"], REPO_ROOT, 30_000);
    haproxy = await startHaproxy({ backendPort: server.port });
  });
  after(async () => {
    const { stop } = await loadProcesses();
    await haproxy?.stop();
    if (server !== undefined) await stop(server.child);
  });

  async function runCases(cases: string, timeoutMs: number) {
    const { runClient } = await loadProcesses();
    const { clientPrograms } = await loadParticipants();
    const args = ["--server_host=127.0.0.1", `--server_port=${haproxy!.port}`, `--test_case=${cases}`];
    return runClient(clientPrograms.ours, args, REPO_ROOT, timeoutMs);
  }

  test("concurrency (1000 large_unary calls at once on one channel): passes, and the process exits by itself", async () => {
    const run = await runCases("concurrency", 90_000);
    const detail = `${run.stdout}\n${run.stderr}\nhaproxy: ${haproxy!.log()}`;
    assert.equal(run.timedOut, false, `the client did not exit within 90 s: ${detail}`);
    assert.equal(run.code, 0, detail);
    assert.match(run.stdout, /^PASS concurrency$/m, detail);
  });

  test("the standard cases, all four call kinds among them: every one passes", async () => {
    const { standardCases } = await import("./src/cases.js");
    const run = await runCases(standardCases.join(","), 90_000);
    const detail = `${run.stdout}\n${run.stderr}`;
    assert.equal(run.timedOut, false, detail);
    for (const name of standardCases) assert.match(run.stdout, new RegExp(`^PASS ${name}$`, "m"), detail);
    assert.equal(run.code, 0, detail);
  });
});

describe("our channel through HAProxy to an Echo server", { skip: skipWithout(HAPROXY) }, () => {
  let server: ServerHandle;
  let haproxy: Haproxy | undefined;
  let channel: Channel | undefined;
  let client: ReturnType<typeof createClient<typeof Echo>>;

  before(async () => {
    server = await startServer();
    haproxy = await startHaproxy({ backendPort: server.port });
    channel = createChannel(haproxy.address);
    client = createClient(Echo, channel);
  });
  after(async () => {
    channel?.close();
    await haproxy?.stop();
    server?.close();
  });

  test("unary, 4 MiB each way", async () => {
    const payload = big(1);
    const res = await within(client.unary({ payload }, { timeoutMs: 30_000 }), 40_000, "unary");
    assert.ok(sameBytes(res.payload, payload), "the response is the request's payload");
  });

  test("server streaming, four 4 MiB messages", async () => {
    const payload = big(2);
    let n = 0;
    await within(
      (async () => {
        for await (const r of client.serverStream({ payload, count: 4 }, { timeoutMs: 30_000 })) {
          assert.equal(r.index, n++);
          assert.ok(sameBytes(r.payload, payload), `message ${r.index}`);
        }
      })(),
      40_000,
      "server streaming",
    );
    assert.equal(n, 4);
  });

  test("client streaming, four 4 MiB messages", async () => {
    async function* requests() {
      for (let i = 0; i < 4; i++) yield { message: `m${i}`, payload: big(10 + i) };
    }
    const res = await within(
      client.clientStream(requests(), { timeoutMs: 30_000 }),
      40_000,
      "client streaming",
    );
    assert.equal(res.received, 4);
    assert.equal(res.message, "m0,m1,m2,m3");
  });

  test("bidirectional streaming, four 4 MiB messages each way", async () => {
    const sent = [0, 1, 2, 3].map((i) => big(20 + i));
    async function* requests() {
      for (const [i, payload] of sent.entries()) yield { message: `b${i}`, payload };
    }
    let n = 0;
    await within(
      (async () => {
        for await (const r of client.bidi(requests(), { timeoutMs: 30_000 })) {
          assert.ok(sameBytes(r.payload, sent[n]!), `message ${n}`);
          n++;
        }
      })(),
      40_000,
      "bidi",
    );
    assert.equal(n, 4);
  });

  test("a server that answers while the client still sends: the call ends with the server's status", async (t) => {
    // The server fails the call on the first message of eight 4 MiB ones: its response is complete
    // while ours is not. HAProxy 2.6 then resets the stream with CANCEL (issue #1219), which only
    // the call's status, already received, may win over; the CANCEL itself is the one tolerance.
    async function* requests() {
      yield { failCode: Code.FAILED_PRECONDITION, failMessage: "stop", payload: big(30) };
      for (let i = 1; i < 8; i++) yield { payload: big(30 + i) };
    }
    const outcomes: string[] = [];
    for (let round = 0; round < 3; round++) {
      const error = await within(
        client.clientStream(requests(), { timeoutMs: 30_000 }).then(
          () => undefined,
          (e: unknown) => e,
        ),
        40_000,
        "the early answer",
      );
      assert.ok(error instanceof RpcError, `round ${round}: ${String(error)}`);
      const haproxyCancel = error.code === Code.CANCELLED && /RST_STREAM code 8\b/.test(error.message);
      assert.ok(
        (error.code === Code.FAILED_PRECONDITION && error.message.includes("stop")) || haproxyCancel,
        `round ${round}: ${error.code} ${error.message}`,
      );
      outcomes.push(haproxyCancel ? "CANCEL (HAProxy #1219)" : "status");
    }
    t.diagnostic(`outcomes: ${outcomes.join(", ")}`);
    // The channel goes on after it.
    const res = await within(client.unary({ message: "after" }, { timeoutMs: 10_000 }), 15_000, "after");
    assert.equal(res.message, "after", outcomes.join(", "));
  });

  test("deadlines: a unary call and a stream past their deadline end DEADLINE_EXCEEDED; the channel goes on", async () => {
    await assert.rejects(
      client.unary({ message: "late", delayMs: 5_000 }, { timeoutMs: 200 }),
      (e: unknown) => e instanceof RpcError && e.code === Code.DEADLINE_EXCEEDED,
    );
    await assert.rejects(
      (async () => {
        for await (const _ of client.serverStream({ count: 1, delayMs: 5_000 }, { timeoutMs: 200 })) {
          // nothing arrives in time
        }
      })(),
      (e: unknown) => e instanceof RpcError && e.code === Code.DEADLINE_EXCEEDED,
    );
    const res = await within(client.unary({ message: "after" }, { timeoutMs: 10_000 }), 15_000, "after");
    assert.equal(res.message, "after");
  });
});
