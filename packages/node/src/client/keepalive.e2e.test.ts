// The channel's keepalive (gRFC A8) and its handling of GOAWAY, on the engine the environment
// picks (CI runs both): PINGs only while calls run unless permitWithoutCalls, a PING at once for a
// call after a long silence, a dead server found within timeMs·2 + timeoutMs (calls fail
// UNAVAILABLE "keepalive timed out", the channel reconnects), too_many_pings doubling the time,
// and GOAWAY at any moment moving calls to a new connection without a failure. The servers here
// are node:http2 ones that record the PINGs they receive, or ours. Keepalive times below the 10 s
// floor come from the channel's test hook (`keepaliveMinTimeMs`).
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { after, describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  type Deferred,
  deferred,
  Echo,
  EchoResponseSchema,
  envelope,
  expectRpcError,
  listenLoopback,
  sleep,
  startServer,
  startTcpProxy,
  until,
  within,
} from "@grpc-ts/testing";
import { resolveEngine } from "../http2/engine.js";
import { type ChannelOptions, Code, createClient, RpcError } from "../index.js";
import { type ChannelInternals, createChannelWith } from "./channel.js";

const engine = resolveEngine(undefined);

/** A node:http2 server that answers Echo calls (with `session:<n>`) and records the PINGs it gets. */
interface PingServer {
  readonly target: string;
  /** Per session (in order of connection): when each PING came, and when each stream opened. */
  readonly sessions: { pings: number[]; streams: number[]; session: http2.ServerHttp2Session }[];
  /** Streams whose request message is `hold`: answered when released. */
  readonly held: Deferred[];
  close(): Promise<void>;
}

async function startPingServer(
  onSession: (session: http2.ServerHttp2Session, index: number) => void = () => {},
  onStream: (stream: http2.ServerHttp2Stream, index: number) => boolean = () => false,
): Promise<PingServer> {
  const server = http2.createServer();
  const sessions: PingServer["sessions"] = [];
  const held: Deferred[] = [];
  server.on("session", (session) => {
    const record = { pings: [] as number[], streams: [] as number[], session };
    const index = sessions.push(record) - 1;
    session.on("ping", () => record.pings.push(performance.now()));
    session.on("error", () => {});
    onSession(session, index);
  });
  server.on("stream", (stream) => {
    stream.on("error", () => {});
    const index = sessions.findIndex((s) => s.session === stream.session);
    sessions[index]?.streams.push(performance.now());
    if (onStream(stream, index)) return;
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      const body = Buffer.concat(chunks);
      const respond = () => {
        if (stream.destroyed) return;
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(
          envelope(toBinary(EchoResponseSchema, create(EchoResponseSchema, { message: `session:${index}` }))),
        );
      };
      if (body.includes("hold")) {
        const d = deferred();
        held.push(d);
        void d.promise.then(respond);
      } else respond();
    });
  });
  const port = await listenLoopback(server);
  return {
    target: `127.0.0.1:${port}`,
    sessions,
    held,
    close: () =>
      new Promise<void>((resolve) => {
        for (const d of held) d.resolve();
        for (const s of sessions) s.session.destroy();
        server.close(() => resolve());
      }),
  };
}

const gaps = (times: readonly number[]) => times.slice(1).map((t, i) => Math.round(t - times[i]!));

describe(`channel keepalive and GOAWAY (${engine} engine)`, () => {
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const logs: string[] = [];
  function channel(target: string, options: ChannelOptions, internals: ChannelInternals = {}) {
    const ch = createChannelWith(target, options, {
      keepaliveMinTimeMs: 50,
      log: (m) => logs.push(m),
      ...internals,
    });
    cleanups.push(() => ch.close());
    return { channel: ch, client: createClient(Echo, ch) };
  }
  async function pingServer(...args: Parameters<typeof startPingServer>): Promise<PingServer> {
    const s = await startPingServer(...args);
    cleanups.push(() => s.close());
    return s;
  }

  it("PINGs every timeMs while a call runs, none while idle (permitWithoutCalls false)", async () => {
    const server = await pingServer();
    const { client } = channel(server.target, { keepalive: { timeMs: 100, timeoutMs: 1000 } });
    await client.unary({ message: "first" });
    await sleep(450);
    assert.deepEqual(server.sessions[0]!.pings, [], "no call, no PING");
    const call = client.unary({ message: "hold" });
    await within(
      (async () => {
        while (server.sessions[0]!.pings.length < 4) await sleep(20);
      })(),
      5000,
      "four PINGs during the call",
    );
    const pings = server.sessions[0]!.pings;
    // The first one at once (the call came after more than timeMs of silence), then each 100 ms
    // or more after the previous ACK.
    assert.ok(pings[0]! - server.sessions[0]!.streams[1]! < 50, "the first PING right with the call");
    for (const g of gaps(pings)) assert.ok(g >= 95, `PINGs ${g} ms apart: ${gaps(pings)}`);
    server.held[0]!.resolve();
    await call;
    const n = pings.length;
    await sleep(350);
    assert.ok(pings.length <= n + 1, "idle again: at most the check already due");
  });

  it("permitWithoutCalls: PINGs an idle connection too", async () => {
    const server = await pingServer();
    const { channel: ch } = channel(server.target, {
      keepalive: { timeMs: 100, timeoutMs: 1000, permitWithoutCalls: true },
    });
    await ch.waitForReady({ timeoutMs: 5000 });
    await sleep(450);
    const pings = server.sessions[0]!.pings;
    assert.ok(pings.length >= 2, `${pings.length} PINGs`);
    for (const g of gaps(pings)) assert.ok(g >= 95, `PINGs ${g} ms apart`);
  });

  it("no keepalive option: no PING at all; timeMs below 10 s is raised to it (and said)", async () => {
    const server = await pingServer();
    const off = channel(server.target, {});
    off.client.unary({ message: "hold" }).catch(() => {});
    await sleep(300);
    assert.deepEqual(server.sessions[0]!.pings, []);
    const said: string[] = [];
    const floored = createChannelWith(
      server.target,
      { keepalive: { timeMs: 1000 } },
      { log: (m) => said.push(m) },
    );
    floored.close();
    assert.equal(said.length, 1);
    assert.match(said[0]!, /raised to the minimum of 10000 ms/);
    assert.throws(() => createChannelWith(server.target, { keepalive: { timeMs: 0 } }, {}), RangeError);
    assert.throws(
      () => createChannelWith(server.target, { keepalive: { timeMs: 1, timeoutMs: -1 } }, {}),
      RangeError,
    );
  });

  it("a dead server (the path black-holed): calls fail UNAVAILABLE, keepalive timed out, and the channel reconnects", async () => {
    const backend = await startServer({
      server: { engine, keepalive: { timeMs: Number.POSITIVE_INFINITY } },
    });
    cleanups.push(() => backend.close());
    const proxy = await startTcpProxy("127.0.0.1", backend.port);
    cleanups.push(() => proxy.close());
    const { client } = channel(proxy.address, { keepalive: { timeMs: 100, timeoutMs: 200 } });
    await client.unary({ message: "warm" });
    const call = client.unary({ message: "slow", delayMs: 60_000 });
    const failed = expectRpcError(call, Code.UNAVAILABLE);
    await sleep(50);
    proxy.stall();
    const t0 = performance.now();
    const error = await within(failed, 5000, "the call");
    const took = performance.now() - t0;
    assert.match(error.message, /keepalive timed out/);
    assert.ok(took < 2 * 100 + 200 + 1000, `failed after ${Math.round(took)} ms`);
    assert.equal((await within(client.unary({ message: "again" }), 5000, "a new call")).message, "again");
    assert.equal(proxy.accepted, 2, "on a new connection");
  });

  it("GOAWAY ENHANCE_YOUR_CALM too_many_pings: the channel doubles its keepalive time and says so", async () => {
    // The first two connections are ended at their second PING.
    const server = await pingServer((session, index) => {
      if (index > 1) return;
      session.on("ping", () => {
        if (server.sessions[index]!.pings.length < 2) return;
        session.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, 0, Buffer.from("too_many_pings"));
        session.destroy();
      });
    });
    logs.length = 0;
    const { client, channel: ch } = channel(server.target, {
      keepalive: { timeMs: 100, timeoutMs: 1000, permitWithoutCalls: true },
    });
    await ch.waitForReady({ timeoutMs: 5000 });
    await until(() => logs.length === 1, 5000, "the first too_many_pings");
    assert.match(logs[0]!, /too_many_pings.*from 100 to 200 ms/);
    assert.equal((await client.unary({ message: "reconnect" })).message, "session:1");
    await until(() => logs.length === 2, 5000, "the second too_many_pings");
    assert.match(logs[1]!, /from 200 to 400 ms/);
    // The second connection pinged every 200 ms or more.
    const second = server.sessions[1]!.pings;
    assert.ok(
      gaps(second).every((g) => g >= 195),
      `${gaps(second)}`,
    );
    assert.ok(second[0]! - server.sessions[1]!.streams[0]! >= 150, "its first PING 200 ms in");
    assert.equal((await client.unary({ message: "works" })).message, "session:2");
    await sleep(600);
    // Its first check, at 400 ms, found the call's octets: no PING before 800 ms.
    assert.deepEqual(server.sessions[2]!.pings, [], "none within 600 ms at 400 ms");
    assert.equal(logs.length, 2);
  });

  it("our server's enforcement and our channel: too_many_pings until a time it accepts", async () => {
    const backend = await startServer({
      server: { engine, keepalive: { minPingIntervalMs: 250, permitWithoutCalls: true } },
    });
    cleanups.push(() => backend.close());
    logs.length = 0;
    const { client, channel: ch } = channel(backend.target, {
      keepalive: { timeMs: 100, timeoutMs: 1000, permitWithoutCalls: true },
    });
    await ch.waitForReady({ timeoutMs: 5000 });
    await until(() => logs.length === 1, 5000, "too_many_pings");
    assert.match(logs[0]!, /from 100 to 200 ms/);
    // 200 is still too often for 250: once more, and 400 is fine.
    assert.equal((await client.unary({ message: "reconnect" })).message, "reconnect");
    await until(() => logs.length === 2, 5000, "too_many_pings again");
    assert.match(logs[1]!, /from 200 to 400 ms/);
    assert.equal((await client.unary({ message: "reconnect" })).message, "reconnect");
    await sleep(1500);
    assert.equal(logs.length, 2, "400 ms is within the policy");
    assert.equal((await client.unary({ message: "ok" })).message, "ok");
  });

  describe("GOAWAY at any moment", () => {
    it("calls above the last stream id move to a new connection transparently; the one below finishes", async () => {
      const server = await pingServer(undefined, (stream, index) => {
        if (index !== 0) return false;
        stream.on("data", () => {});
        // The first connection holds its three streams, then says only the first (id 1) is served.
        if (server.sessions[0]!.streams.length === 3) {
          server.sessions[0]!.session.goaway(http2.constants.NGHTTP2_NO_ERROR, 1);
          setTimeout(() => {
            const first = [...held.values()][0];
            first?.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
            first?.on("wantTrailers", () => first.sendTrailers({ "grpc-status": "0" }));
            first?.end(
              envelope(toBinary(EchoResponseSchema, create(EchoResponseSchema, { message: "session:0" }))),
            );
          }, 50);
        }
        held.set(stream.id!, stream);
        return true;
      });
      const held = new Map<number, http2.ServerHttp2Stream>();
      const { client } = channel(server.target, {});
      const a = client.unary({ message: "a" });
      await within(
        (async () => {
          while (server.sessions[0]?.streams.length !== 1) await sleep(5);
        })(),
        5000,
        "the first stream",
      );
      const results = await within(
        Promise.all([a, client.unary({ message: "b" }), client.unary({ message: "c" })]),
        5000,
        "the calls",
      );
      assert.deepEqual(
        results.map((r) => r.message),
        ["session:0", "session:1", "session:1"],
      );
    });

    for (const delayMs of [0, 1, 5, 20]) {
      it(`GOAWAY ${delayMs} ms into a connection while calls start: none fails when the next connection stays; only UNAVAILABLE when none does`, async () => {
        let goAwayEvery = false;
        const server = await pingServer((session, index) => {
          if (index > 0 && !goAwayEvery) return;
          const go = () => {
            if (!session.destroyed && !session.closed) session.close();
          };
          if (delayMs === 0) go();
          else setTimeout(go, delayMs);
        });
        const { client } = channel(server.target, {});
        const run = async (ms: number) => {
          const failures: unknown[] = [];
          let ok = 0;
          const end = performance.now() + ms;
          while (performance.now() < end) {
            await Promise.all(
              Array.from({ length: 5 }, () =>
                client.unary({ message: "x" }, { timeoutMs: 5000, waitForReady: !goAwayEvery }).then(
                  () => ok++,
                  (e: unknown) => failures.push(e),
                ),
              ),
            );
          }
          return { ok, failures };
        };
        const first = await run(150);
        assert.deepEqual(first.failures, []);
        assert.ok(first.ok > 0 && server.sessions.length >= 2, `${first.ok} calls`);
        goAwayEvery = true;
        server.sessions.at(-1)!.session.close();
        const every = await run(150);
        for (const e of every.failures) {
          assert.ok(e instanceof RpcError, `an RpcError: ${String(e)}`);
          assert.equal(e.code, Code.UNAVAILABLE, e.message);
        }
      });
    }
  });
});
