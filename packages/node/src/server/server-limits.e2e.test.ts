/**
 * Server-wide limits on both engines (our own, and node:http2 with `engine: "node"`):
 * `maxConnections` (a connection over it is closed as soon as it is accepted, and its client's
 * call fails UNAVAILABLE while the connections already open go on), and what is advertised of
 * `maxConcurrentStreams` (nothing when unlimited). Loopback only; every call has a deadline.
 */
import assert from "node:assert/strict";
import { connect as connectTcp, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { connect as connectTls } from "node:tls";
import {
  collect,
  createEchoService,
  Echo,
  expectRpcError,
  generateTestCerts,
  TEST_SERVER_NAME,
  type TestCerts,
  within,
} from "@grpc-ts/testing";
import { type Channel, type ChannelOptions, createChannel } from "../client/channel.js";
import type { EngineName } from "../http2/engine.js";
import { Code, createClient } from "../index.js";
import { createServer, type ListenOptions, type Server, type ServerOptions } from "./server.js";

const CALL_TIMEOUT_MS = 5_000;
const PREFACE_AND_SETTINGS = Buffer.concat([
  Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1"),
  Buffer.from("000000040000000000", "hex"), // an empty SETTINGS frame
]);
const SETTINGS_MAX_CONCURRENT_STREAMS = 3;

/**
 * Opens a TCP (or TLS) connection, sends the HTTP/2 preface and an empty SETTINGS, and collects
 * what the server sends until it closes the connection or `idleMs` pass without it (then this
 * side closes). `closedByServer` tells which.
 */
function attempt(
  port: number,
  tls?: { ca: string },
  idleMs = 1_000,
): Promise<{ received: Buffer; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closedByServer = true;
    const socket: Socket =
      tls === undefined
        ? connectTcp(port, "127.0.0.1")
        : connectTls({
            port,
            host: "127.0.0.1",
            ca: tls.ca,
            servername: TEST_SERVER_NAME,
            ALPNProtocols: ["h2"],
          });
    socket.once(tls === undefined ? "connect" : "secureConnect", () => socket.write(PREFACE_AND_SETTINGS));
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", () => {});
    socket.setTimeout(idleMs, () => {
      closedByServer = false;
      socket.destroy();
    });
    socket.once("close", () => resolve({ received: Buffer.concat(chunks), closedByServer }));
  });
}

/** The parameters of the server's first frame, which must be SETTINGS (RFC 9113 §3.4). */
function firstSettings(received: Buffer): [number, number][] {
  assert.ok(received.length >= 9, "no frame from the server");
  const length = received.readUIntBE(0, 3);
  assert.equal(received[3], 0x4, "the server's first frame is not SETTINGS");
  const out: [number, number][] = [];
  for (let p = 9; p < 9 + length; p += 6) out.push([received.readUInt16BE(p), received.readUInt32BE(p + 2)]);
  return out;
}

for (const engine of ["grpc-ts", "node"] as const satisfies readonly EngineName[]) {
  describe(`server limits on the ${engine} engine`, () => {
    const servers: Server[] = [];
    const channels: Channel[] = [];
    let certs: TestCerts;
    before(async () => {
      certs = await generateTestCerts();
    });
    after(async () => {
      for (const c of channels) c.close();
      for (const s of servers) s.forceShutdown();
      await certs?.remove();
    });

    async function start(options: ServerOptions, listen: ListenOptions = {}): Promise<number> {
      const server = createServer({ engine, ...options }).add(Echo, createEchoService());
      servers.push(server);
      return server.listen("127.0.0.1:0", listen);
    }
    function client(port: number, options: ChannelOptions = {}) {
      const channel = createChannel(`127.0.0.1:${port}`, { engine, ...options });
      channels.push(channel);
      return { channel, echo: createClient(Echo, channel) };
    }
    const call = (c: ReturnType<typeof client>, message: string) =>
      c.echo.unary({ message }, { timeoutMs: CALL_TIMEOUT_MS });

    it("maxConcurrentStreams unset: SETTINGS_MAX_CONCURRENT_STREAMS is not advertised (unlimited); set: it is", async () => {
      const unlimited = await start({});
      const limited = await start({ maxConcurrentStreams: 7 });
      const huge = await start({ maxConcurrentStreams: 2 ** 32 - 1 });
      const ids = (s: [number, number][]) => s.map(([id]) => id);
      assert.ok(
        !ids(firstSettings((await attempt(unlimited)).received)).includes(SETTINGS_MAX_CONCURRENT_STREAMS),
      );
      assert.ok(
        !ids(firstSettings((await attempt(huge)).received)).includes(SETTINGS_MAX_CONCURRENT_STREAMS),
      );
      assert.deepEqual(
        firstSettings((await attempt(limited)).received).find(
          ([id]) => id === SETTINGS_MAX_CONCURRENT_STREAMS,
        ),
        [SETTINGS_MAX_CONCURRENT_STREAMS, 7],
      );
    });

    it("maxConnections must be a positive integer", () => {
      for (const bad of [0, -1, 1.5, Number.NaN]) {
        assert.throws(() => createServer({ engine, maxConnections: bad }), RangeError, String(bad));
      }
    });

    it("maxConnections: a connection over it is closed before any byte, its call fails UNAVAILABLE, the others go on", async () => {
      const port = await start({ maxConnections: 2 });
      const a = client(port);
      const b = client(port);
      assert.equal((await call(a, "a")).message, "a");
      assert.equal((await call(b, "b")).message, "b");

      // On the wire: accepted, then closed by the server with nothing sent (no SETTINGS, no GOAWAY).
      const refused = await within(attempt(port, undefined, 3_000), 5_000, "a connection over the limit");
      assert.equal(refused.closedByServer, true, "the connection over the limit was not closed");
      assert.equal(refused.received.length, 0, "the server spoke on a connection over the limit");

      // A client over the limit: UNAVAILABLE, promptly (not a deadline).
      const c = client(port);
      const e = await within(
        expectRpcError(call(c, "c"), Code.UNAVAILABLE),
        CALL_TIMEOUT_MS,
        "the call over the limit",
      );
      assert.doesNotMatch(e.message, /deadline/i);

      // The connections already open keep working, unary and streaming.
      assert.equal((await call(a, "a again")).message, "a again");
      const streamed = await collect(
        b.echo.serverStream({ message: "s", count: 3 }, { timeoutMs: CALL_TIMEOUT_MS }),
      );
      assert.deepEqual(
        streamed.map((r) => r.index),
        [0, 1, 2],
      );

      // Once one closes, its slot is free again: a new connection is served.
      a.channel.close();
      const deadline = Date.now() + CALL_TIMEOUT_MS;
      let served = false;
      while (!served && Date.now() < deadline) {
        const r = await attempt(port, undefined, 300);
        served = r.received.length > 0;
      }
      assert.ok(served, "no connection served after one of the two closed");
      const d = client(port);
      assert.equal((await call(d, "d")).message, "d");
      assert.equal((await call(b, "b again")).message, "b again");
    });

    it("maxConnections over TLS: refused before the handshake; the call fails UNAVAILABLE, the open connection goes on", async () => {
      const port = await start(
        { maxConnections: 1 },
        { tls: { key: certs.server.key, cert: certs.server.cert } },
      );
      const tls = { ca: certs.ca, serverName: TEST_SERVER_NAME };
      const a = client(port, { tls });
      assert.equal((await call(a, "a")).message, "a");
      const refused = await within(
        attempt(port, { ca: certs.ca }, 3_000),
        5_000,
        "a TLS connection over the limit",
      );
      assert.equal(refused.closedByServer, true);
      assert.equal(refused.received.length, 0);
      const b = client(port, { tls });
      await within(
        expectRpcError(call(b, "b"), Code.UNAVAILABLE),
        CALL_TIMEOUT_MS,
        "the TLS call over the limit",
      );
      assert.equal((await call(a, "a again")).message, "a again");
    });
  });
}
