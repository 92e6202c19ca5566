/**
 * Server-wide limits on both engines (our own, and node:http2 with `engine: "node"`): what is
 * advertised of `maxConcurrentStreams` (nothing when unlimited). Loopback only.
 */
import assert from "node:assert/strict";
import { connect as connectTcp, type Socket } from "node:net";
import { after, describe, it } from "node:test";
import { connect as connectTls } from "node:tls";
import { createEchoService, Echo, TEST_SERVER_NAME } from "@grpc-ts/testing";
import type { EngineName } from "../http2/engine.js";
import { createServer, type ListenOptions, type Server, type ServerOptions } from "./server.js";

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
    after(() => {
      for (const s of servers) s.forceShutdown();
    });

    async function start(options: ServerOptions, listen: ListenOptions = {}): Promise<number> {
      const server = createServer({ engine, ...options }).add(Echo, createEchoService());
      servers.push(server);
      return server.listen("127.0.0.1:0", listen);
    }

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
  });
}
