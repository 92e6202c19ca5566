// The server's connection management on a real socket (gRFC A8 enforcement, A9), on the engine
// the environment picks (CI runs both): its keepalive PINGs and dead clients, the client's PINGs
// and strikes, max_idle, max_age with its grace, and shutdown's two-phase GOAWAY. The frames are
// read by a hand-driven client (frame-client.ts), and our own channel is the client where what
// matters is that no call fails.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  aborted,
  createEchoService,
  type Deferred,
  deferred,
  Echo,
  EchoRequestSchema,
  envelope,
  expectRpcError,
  type ServerHandle,
  sleep,
  startServer,
  startTcpProxy,
  type TcpProxy,
  within,
} from "@grpc-ts/testing";
import { resolveEngine } from "../http2/engine.js";
import {
  connectFrameClient,
  type FrameClient,
  type RecordedFrame,
} from "../http2/test-support/frame-client.js";
import {
  Code,
  createChannel,
  createClient,
  createServer,
  type ServerOptions,
  type ServiceImpl,
} from "../index.js";

const engine = resolveEngine(undefined);
const UNARY = "/grpcts.test.Echo/Unary";
const MAX_STREAM_ID = 2 ** 31 - 1;
const ENHANCE_YOUR_CALM = 0xb;
const isGoAway = (f: RecordedFrame) => f.type === "goaway";

function unaryBody(message: string): Uint8Array {
  return envelope(toBinary(EchoRequestSchema, create(EchoRequestSchema, { message })));
}

describe(`server connection management (${engine} engine)`, () => {
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  /** Handlers of `hold` calls wait here; each call's signal is recorded. */
  interface Held {
    readonly started: Deferred;
    readonly release: Deferred;
    signal: AbortSignal | undefined;
  }
  async function start(
    options: ServerOptions,
  ): Promise<{ server: ServerHandle; held: Map<string, Held>; hold: (name: string) => Held }> {
    const held = new Map<string, Held>();
    const hold = (name: string) => {
      let h = held.get(name);
      if (h === undefined) {
        h = { started: deferred(), release: deferred(), signal: undefined };
        held.set(name, h);
      }
      return h;
    };
    const impl: Partial<ServiceImpl<typeof Echo>> = {
      async unary(req, ctx) {
        if (req.message.startsWith("hold:")) {
          const h = hold(req.message.slice(5));
          h.signal = ctx.signal;
          h.started.resolve();
          await Promise.race([h.release.promise, aborted(ctx.signal)]);
        }
        return { message: req.message };
      },
    };
    const server = await startServer({
      server: { engine, ...options },
      setup: (s) => {
        s.add(Echo, { ...createEchoService(), ...impl });
      },
    });
    cleanups.push(() => {
      for (const h of held.values()) h.release.resolve();
      server.close();
    });
    return { server, held, hold };
  }

  async function frameClient(port: number): Promise<FrameClient> {
    const c = await connectFrameClient(port);
    cleanups.push(() => c.destroy());
    await c.waitFor((f) => f.type === "settings", 5000, "the server's SETTINGS");
    return c;
  }

  /**
   * The graceful GOAWAY after stream 1, with `debug`, and what becomes of stream 3, sent after the
   * first GOAWAY arrived (a request in flight when the server sent it). Our engine: GOAWAY 2^31 - 1
   * and a PING, stream 3 served, and on the PING's ACK the final GOAWAY with 3. node:http2 cannot
   * send the first phase (nghttp2's shutdown notice is not in its API, and after any GOAWAY it
   * ignores new streams): one GOAWAY with the last stream processed, 1, so stream 3 is known as
   * not processed (a client retries it), and it is not served.
   */
  async function expectGracefulGoAway(c: FrameClient, debug: string): Promise<void> {
    const first = await c.waitFor(isGoAway, 5000, "the first GOAWAY");
    if (engine === "node") {
      assert.deepEqual(first, { type: "goaway", lastStreamId: 1, code: 0, debug });
      c.request(3, UNARY, false);
      c.data(3, unaryBody("in flight"), true);
      await sleep(200);
      assert.ok(!c.frames.some((f) => f.type === "headers" && f.streamId === 3), "stream 3 is not served");
      return;
    }
    assert.deepEqual(first, { type: "goaway", lastStreamId: MAX_STREAM_ID, code: 0, debug });
    const ping = await c.waitFor((f) => f.type === "ping" && !f.ack, 5000, "the GOAWAY's PING");
    // A request the client sent before it read the GOAWAY: within the final last stream id.
    c.request(3, UNARY, false);
    c.data(3, unaryBody("in flight"), true);
    await c.waitFor((f) => f.type === "headers" && f.streamId === 3 && f.endStream, 5000, "stream 3 served");
    c.ping(ping.type === "ping" ? ping.payload : "", true);
    const second = await c.waitFor(
      (f) => f.type === "goaway" && f.lastStreamId !== MAX_STREAM_ID,
      5000,
      "the second GOAWAY",
    );
    assert.deepEqual(second, { type: "goaway", lastStreamId: 3, code: 0, debug });
  }

  async function proxyTo(port: number): Promise<TcpProxy> {
    const proxy = await startTcpProxy("127.0.0.1", port);
    cleanups.push(() => proxy.close());
    return proxy;
  }

  describe("the server's keepalive", () => {
    it("PINGs a silent client every timeMs, and keeps a client that answers", async () => {
      const { server } = await start({ keepalive: { timeMs: 100, timeoutMs: 300 } });
      const c = await frameClient(server.port);
      const isPing = (f: RecordedFrame) => f.type === "ping" && !f.ack;
      for (let n = 1; n <= 4; n++)
        await c.waitFor(() => c.frames.filter(isPing).length >= n, 5000, `PING ${n}`);
      const at = c.times.filter((_, i) => isPing(c.frames[i]!));
      // Each one 100 ms or more after the previous ACK (sent at once here): never sooner.
      for (let i = 1; i < at.length; i++)
        assert.ok(at[i]! - at[i - 1]! >= 95, `PINGs ${Math.round(at[i]! - at[i - 1]!)} ms apart`);
      assert.ok(!c.frames.some(isGoAway), "no GOAWAY");
      c.request(1, UNARY, false);
      c.data(1, unaryBody("still here"), true);
      await c.waitFor((f) => f.type === "headers" && f.endStream, 5000, "the answer");
    });

    it("closes the connection of a client that answers nothing within timeoutMs", async () => {
      const { server } = await start({ keepalive: { timeMs: 100, timeoutMs: 150 } });
      const c = await frameClient(server.port);
      c.autoPing = false;
      const t0 = performance.now();
      await within(c.closed, 5000, "the server closing the connection");
      const took = performance.now() - t0;
      // Silent from the start: the PING goes 100 to 200 ms in, the close 150 ms after it.
      assert.ok(took >= 240 && took < 2000, `closed after ${Math.round(took)} ms`);
    });

    it("a dead client (its network path black-holed): the connection is closed and its call's handler signalled", async () => {
      const { server, hold } = await start({ keepalive: { timeMs: 100, timeoutMs: 200 } });
      const proxy = await proxyTo(server.port);
      const channel = createChannel(proxy.address);
      cleanups.push(() => channel.close());
      const client = createClient(Echo, channel);
      await client.unary({ message: "warm" });
      const call = client.unary({ message: "hold:dead" }, { timeoutMs: 20_000 });
      call.catch(() => {});
      const h = hold("dead");
      await within(h.started.promise, 5000, "the handler");
      proxy.stall();
      const t0 = performance.now();
      await within(aborted(h.signal!), 5000, "the handler's signal");
      const took = performance.now() - t0;
      assert.ok(took < 2 * 100 + 200 + 1000, `signalled after ${Math.round(took)} ms`);
    });

    it("timeMs: Infinity sends no PING", async () => {
      const { server } = await start({ keepalive: { timeMs: Number.POSITIVE_INFINITY } });
      const c = await frameClient(server.port);
      await sleep(300);
      assert.equal(c.frames.filter((f) => f.type === "ping").length, 0);
    });

    it("rejects bad values", () => {
      for (const options of [
        { keepalive: { timeMs: 0 } },
        { keepalive: { timeoutMs: Number.POSITIVE_INFINITY } },
        { keepalive: { minPingIntervalMs: -1 } },
        { maxConnectionIdleMs: 0 },
        { maxConnectionAgeMs: Number.NaN },
        { maxConnectionAgeGraceMs: -5 },
      ] as ServerOptions[])
        assert.throws(() => createServer(options), RangeError, JSON.stringify(options));
    });
  });

  describe("the client's PINGs (A8 enforcement)", () => {
    const payload = (i: number) => i.toString(16).padStart(16, "0");

    it("a call open: the third PING too soon gets GOAWAY ENHANCE_YOUR_CALM too_many_pings, and the connection closes", async () => {
      const { server, hold } = await start({ keepalive: { minPingIntervalMs: 60_000 } });
      const c = await frameClient(server.port);
      c.request(1, UNARY, false);
      c.data(1, unaryBody("hold:pinged"), true);
      const h = hold("pinged");
      await within(h.started.promise, 5000, "the handler");
      for (let i = 1; i <= 3; i++) {
        c.ping(payload(i), false);
        await c.waitFor((f) => f.type === "ping" && f.ack && f.payload === payload(i), 5000, `ACK ${i}`);
      }
      assert.ok(!c.frames.some(isGoAway), "two strikes are let go");
      c.ping(payload(4), false);
      const g = await c.waitFor(isGoAway, 5000, "GOAWAY");
      assert.deepEqual(g, {
        type: "goaway",
        lastStreamId: 1,
        code: ENHANCE_YOUR_CALM,
        debug: "too_many_pings",
      });
      await within(c.closed, 5000, "the close");
      await within(aborted(h.signal!), 5000, "the call ends with the connection");
    });

    it("no call: PINGs within two hours are strikes (permitWithoutCalls false)", async () => {
      const { server } = await start({ keepalive: { minPingIntervalMs: 1 } });
      const c = await frameClient(server.port);
      for (let i = 1; i <= 4; i++) {
        c.ping(payload(i), false);
        await sleep(20);
      }
      const g = await c.waitFor(isGoAway, 5000, "GOAWAY");
      assert.equal(g.type === "goaway" && g.debug, "too_many_pings");
    });

    it("permitWithoutCalls: no call and PINGs at minPingIntervalMs are fine", async () => {
      const { server } = await start({ keepalive: { minPingIntervalMs: 50, permitWithoutCalls: true } });
      const c = await frameClient(server.port);
      for (let i = 1; i <= 6; i++) {
        c.ping(payload(i), false);
        await sleep(70);
      }
      await c.waitFor((f) => f.type === "ping" && f.ack && f.payload === payload(6), 5000, "the last ACK");
      assert.ok(!c.frames.some(isGoAway));
    });

    it("PINGs that follow our DATA (a peer's BDP probes) are never strikes", async () => {
      const { server } = await start({ keepalive: { minPingIntervalMs: 60_000 } });
      const c = await frameClient(server.port);
      c.request(1, "/grpcts.test.Echo/Bidi", false);
      for (let i = 1; i <= 8; i++) {
        c.data(1, unaryBody(`m${i}`), false);
        const before = c.frames.filter((f) => f.type === "data").length;
        await c.waitFor(
          (f) => f.type === "data" && c.frames.filter((g) => g.type === "data").length > before,
          5000,
          `response ${i}`,
        );
        c.ping(payload(i), false);
        await c.waitFor((f) => f.type === "ping" && f.ack && f.payload === payload(i), 5000, `ACK ${i}`);
      }
      assert.ok(!c.frames.some(isGoAway), JSON.stringify(c.frames.filter(isGoAway)));
      // Without DATA in between they count again.
      for (let i = 20; i < 24; i++) c.ping(payload(i), false);
      const g = await c.waitFor(isGoAway, 5000, "GOAWAY");
      assert.equal(g.type === "goaway" && g.code, ENHANCE_YOUR_CALM);
    });
  });

  it("a download to our channel, with its BDP probes (our engine's adaptive windows), is never cut off", async () => {
    const { server } = await start({});
    const channel = createChannel(server.target);
    cleanups.push(() => channel.close());
    let octets = 0;
    for await (const r of createClient(Echo, channel).serverStream({
      payload: new Uint8Array(64 * 1024),
      count: 160,
    }))
      octets += r.payload.length;
    assert.equal(octets, 160 * 64 * 1024);
  });

  describe("max_idle", () => {
    it("GOAWAY max_idle once the connection had no call for maxConnectionIdleMs, then the close", async () => {
      const { server } = await start({ maxConnectionIdleMs: 200 });
      const c = await frameClient(server.port);
      c.request(1, UNARY, false);
      c.data(1, unaryBody("one"), true);
      await c.waitFor((f) => f.type === "headers" && f.endStream, 5000, "the answer");
      const t0 = performance.now();
      const first = await c.waitFor(isGoAway, 5000, "the first GOAWAY");
      const took = performance.now() - t0;
      assert.ok(took >= 150 && took < 1500, `GOAWAY after ${Math.round(took)} ms idle`);
      assert.deepEqual(first, {
        type: "goaway",
        lastStreamId: engine === "node" ? 1 : MAX_STREAM_ID,
        code: 0,
        debug: "max_idle",
      });
      if (engine !== "node") {
        // The PING is answered (autoPing): the final GOAWAY follows.
        const second = await c.waitFor(
          (f) => f.type === "goaway" && f.lastStreamId !== MAX_STREAM_ID,
          5000,
          "the second GOAWAY",
        );
        assert.deepEqual(second, { type: "goaway", lastStreamId: 1, code: 0, debug: "max_idle" });
      }
      await within(c.closed, 5000, "the close");
    });

    it("not while a call runs; our channel reconnects for the next call without a failure", async () => {
      const { server, hold } = await start({ maxConnectionIdleMs: 150 });
      const proxy = await proxyTo(server.port);
      const channel = createChannel(proxy.address);
      cleanups.push(() => channel.close());
      const client = createClient(Echo, channel);
      const call = client.unary({ message: "hold:long" });
      const h = hold("long");
      await within(h.started.promise, 5000, "the handler");
      await sleep(500);
      assert.equal(proxy.open, 1, "a call runs: not idle");
      h.release.resolve();
      await call;
      await within(
        proxy.when((p) => p.open === 0),
        5000,
        "the idle connection closing",
      );
      assert.equal((await client.unary({ message: "again" })).message, "again");
      assert.equal(proxy.accepted, 2);
    });
  });

  describe("max_age", () => {
    it("GOAWAY max_age at the age (±10%), no stream in flight lost, the grace, then the close", async () => {
      const { server, hold } = await start({ maxConnectionAgeMs: 300, maxConnectionAgeGraceMs: 400 });
      const t0 = performance.now();
      const c = await frameClient(server.port);
      c.autoPing = false;
      c.request(1, UNARY, false);
      c.data(1, unaryBody("hold:old"), true);
      const h = hold("old");
      await c.waitFor(isGoAway, 5000, "the first GOAWAY");
      const age = performance.now() - t0;
      assert.ok(age >= 270 - 5 && age < 330 + 500, `GOAWAY at ${Math.round(age)} ms`);
      await expectGracefulGoAway(c, "max_age");
      assert.equal(h.signal?.aborted, false, "the running call is let run during the grace");
      await within(c.closed, 5000, "the close after the grace");
      const closedAt = performance.now() - t0;
      assert.ok(closedAt >= 270 + 400 - 5, `closed at ${Math.round(closedAt)} ms`);
      await within(aborted(h.signal!), 5000, "the held call's handler signalled");
    });

    it("our channel: calls across several ages never fail, on new connections; a call within the grace finishes", async () => {
      const { server, hold } = await start({ maxConnectionAgeMs: 150, maxConnectionAgeGraceMs: 2_000 });
      const proxy = await proxyTo(server.port);
      const channel = createChannel(proxy.address);
      cleanups.push(() => channel.close());
      const client = createClient(Echo, channel);
      const long = client.unary({ message: "hold:graced" });
      const h = hold("graced");
      await within(h.started.promise, 5000, "the handler");
      const failures: unknown[] = [];
      let ok = 0;
      const end = performance.now() + 800;
      while (performance.now() < end) {
        await Promise.all(
          Array.from({ length: 4 }, (_, i) =>
            client.unary({ message: `c${i}` }).then(
              () => ok++,
              (e: unknown) => failures.push(e),
            ),
          ),
        );
        await sleep(5);
      }
      assert.deepEqual(failures, []);
      assert.ok(ok > 20, `${ok} calls`);
      assert.ok(proxy.accepted >= 3, `${proxy.accepted} connections in 800 ms with an age of 150 ms`);
      h.release.resolve();
      assert.equal((await long).message, "hold:graced", "the call outlived its connection's age");
    });

    it("a call that outlasts the grace ends UNAVAILABLE, its handler signalled", async () => {
      const { server, hold } = await start({ maxConnectionAgeMs: 100, maxConnectionAgeGraceMs: 200 });
      const channel = createChannel(server.target);
      cleanups.push(() => channel.close());
      const client = createClient(Echo, channel);
      const call = client.unary({ message: "hold:forever" });
      const h = hold("forever");
      await within(h.started.promise, 5000, "the handler");
      await within(expectRpcError(call, Code.UNAVAILABLE), 5000, "the call");
      await within(aborted(h.signal!), 5000, "the handler's signal");
    });
  });

  describe("shutdown({ graceMs })", () => {
    it("graceful GOAWAY (two-phase on our engine): no stream in flight lost, a running call finishes, then the close", async () => {
      const { server, hold } = await start({});
      const c = await frameClient(server.port);
      c.autoPing = false;
      c.request(1, UNARY, false);
      c.data(1, unaryBody("hold:running"), true);
      const h = hold("running");
      await within(h.started.promise, 5000, "the handler");
      const stopped = server.server.shutdown({ graceMs: 2_000 });
      await expectGracefulGoAway(c, "");
      h.release.resolve();
      await c.waitFor(
        (f) => f.type === "headers" && f.streamId === 1 && f.endStream,
        5000,
        "call 1 finished",
      );
      await within(stopped, 5000, "shutdown");
      await within(c.closed, 5000, "the close");
    });

    it("the grace running out force-closes (graceMs as a number still works)", async () => {
      const { server, hold } = await start({});
      const channel = createChannel(server.target);
      cleanups.push(() => channel.close());
      const call = createClient(Echo, channel).unary({ message: "hold:stuck" });
      const failed = expectRpcError(call, Code.UNAVAILABLE);
      const h = hold("stuck");
      await within(h.started.promise, 5000, "the handler");
      const t0 = performance.now();
      await within(server.server.shutdown(150), 5000, "shutdown");
      assert.ok(performance.now() - t0 >= 140);
      await within(failed, 5000, "the stuck call");
      await within(aborted(h.signal!), 5000, "the handler's signal");
    });
  });
});
