/**
 * Our engine's client (grpc-ts-client.ts) end to end on loopback: what is specific to it, against
 * servers on both engines, and against scripted servers (our sans-I/O ServerConnection on a bare
 * socket) where a test needs frames no real server sends on cue.
 */
import assert from "node:assert/strict";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { Code, type HandlerContext, type ServiceImpl } from "@grpc-ts/core";
import {
  ByteWriter,
  ErrorCode,
  type Http2Error,
  ServerConnection,
  type ServerConnectionListener,
} from "@grpc-ts/http2";
import { writeGoAway } from "@grpc-ts/http2/frame";
import {
  assertBytes,
  closerOf,
  createEchoService,
  Echo,
  expectRpcError,
  generateTestCerts,
  listenLoopback,
  sleep,
  TEST_CLIENT_CN,
  type TestCerts,
  within,
} from "@grpc-ts/testing";
import { type Channel, createChannel } from "../client/channel.js";
import { createClient } from "../index.js";
import { createServer, type Server } from "../server/server.js";
import type { EngineName } from "./engine.js";

/** Every call here has a deadline, so a failure shows as an error, not a hang. */
const CALL_TIMEOUT_MS = 10_000;
const ENGINES: readonly EngineName[] = ["node", "grpc-ts"];

let certs: TestCerts;
const cleanups: (() => void | Promise<void>)[] = [];

before(async () => {
  certs = await generateTestCerts();
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
  await certs?.remove();
});

/** A channel on our engine, closed after the file. */
function channelTo(target: string, options: Parameters<typeof createChannel>[1] = {}): Channel {
  const channel = createChannel(target, { ...options, engine: "grpc-ts" });
  cleanups.push(() => channel.close());
  return channel;
}

async function startEchoServer(
  engine: EngineName,
  options: { maxConcurrentStreams?: number; tls?: Parameters<Server["listen"]>[1] } = {},
  impl: Partial<ServiceImpl<typeof Echo>> = {},
): Promise<{ server: Server; port: number }> {
  const server = createServer({
    engine,
    ...(options.maxConcurrentStreams === undefined
      ? {}
      : { maxConcurrentStreams: options.maxConcurrentStreams }),
  }).add(Echo, { ...createEchoService(), ...impl });
  cleanups.push(() => server.forceShutdown());
  const port = await server.listen("127.0.0.1:0", options.tls);
  return { server, port };
}

function listenOn(server: NetServer | TlsServer): Promise<number> {
  cleanups.push(closerOf(server));
  return listenLoopback(server);
}

/**
 * A scripted HTTP/2 server: each accepted socket runs our ServerConnection with the listener that
 * `script` makes for it (given the connection's index), output written after every input chunk.
 */
async function startScripted(
  script: (index: number, socket: Socket, flush: () => void) => ScriptedApp,
): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createNetServer((socket) => {
    const index = sockets.length;
    sockets.push(socket);
    const flush = () => {
      const out = app.conn.takeOutput();
      if (out !== undefined && !socket.destroyed) socket.write(out);
    };
    const app = script(index, socket, flush);
    app.conn = new ServerConnection<number>(app);
    socket.on("data", (chunk: Buffer) => {
      app.conn.receive(chunk);
      flush();
    });
    socket.on("error", () => {});
    socket.on("close", () => app.conn.transportClosed());
    flush();
  });
  const port = await listenOn(server);
  return { port, sockets };
}

/** A server application for scripted servers: collects each request body, then `answer` decides. */
class ScriptedApp implements ServerConnectionListener<number> {
  conn!: ServerConnection<number>;
  readonly bodies = new Map<number, Uint8Array[]>();
  ended: number[] = [];
  onEnd: (streamId: number) => void = (id) => this.answer(id);

  onStreamOpen(streamId: number): number {
    this.bodies.set(streamId, []);
    return streamId;
  }
  onStreamData(id: number, data: Uint8Array): void {
    this.bodies.get(id)!.push(data.slice());
    this.conn.consume(id, data.length);
  }
  onStreamTrailers(): void {}
  onStreamEnd(id: number): void {
    this.ended.push(id);
    this.onEnd(id);
  }
  onStreamDrain(): void {}
  onStreamClose(): void {}
  onGoAway(): void {}
  onConnectionClose(_error: Http2Error | undefined): void {}

  /** Answers a unary Echo call with its own request message (EchoRequest.message is EchoResponse.message). */
  answer(id: number): void {
    this.conn.respond(id, [":status", "200", "content-type", "application/grpc"], false);
    for (const chunk of this.bodies.get(id) ?? []) this.conn.write(id, chunk);
    this.conn.end(id, ["grpc-status", "0"]);
  }
}

describe("grpc-ts client: connection setup", () => {
  test("TLS without ALPN h2 fails the connection: UNAVAILABLE naming ALPN", async () => {
    // A TLS server that completes the handshake but negotiates no application protocol.
    const tlsServer = createTlsServer({ key: certs.server.key, cert: certs.server.cert }, (socket) => {
      socket.on("error", () => {});
    });
    tlsServer.on("tlsClientError", () => {});
    const port = await listenOn(tlsServer);
    const client = createClient(Echo, channelTo(`127.0.0.1:${port}`, { tls: { ca: certs.ca } }));
    await expectRpcError(
      client.unary({ message: "x" }, { timeoutMs: CALL_TIMEOUT_MS }),
      Code.UNAVAILABLE,
      /ALPN/,
    );
  });

  test("a TLS server that offers only http/1.1 is refused too", async () => {
    const tlsServer = createTlsServer(
      { key: certs.server.key, cert: certs.server.cert, ALPNProtocols: ["http/1.1"] },
      (socket) => {
        socket.on("error", () => {});
      },
    );
    tlsServer.on("tlsClientError", () => {});
    const port = await listenOn(tlsServer);
    const client = createClient(Echo, channelTo(`127.0.0.1:${port}`, { tls: { ca: certs.ca } }));
    await expectRpcError(client.unary({ message: "x" }, { timeoutMs: CALL_TIMEOUT_MS }), Code.UNAVAILABLE);
  });

  test("a plaintext server that does not speak HTTP/2 fails the connection, not a call later", async () => {
    const server = createNetServer((socket) => {
      socket.on("error", () => {});
      socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    });
    const port = await listenOn(server);
    const client = createClient(Echo, channelTo(`127.0.0.1:${port}`));
    // The HTTP/1.1 answer is a protocol error of the connection attempt, which then fails the call.
    await expectRpcError(
      client.unary({ message: "x" }, { timeoutMs: CALL_TIMEOUT_MS }),
      Code.UNAVAILABLE,
      /failed to connect/,
    );
  });

  for (const engine of ENGINES) {
    test(`TLS to a ${engine} server: calls succeed, the handler sees TLS`, async () => {
      const seen: HandlerContext[] = [];
      const { port } = await startEchoServer(
        engine,
        { tls: { tls: { key: certs.server.key, cert: certs.server.cert } } },
        {
          async unary(req, ctx) {
            seen.push(ctx);
            return { message: req.message };
          },
        },
      );
      const client = createClient(Echo, channelTo(`localhost:${port}`, { tls: { ca: certs.ca } }));
      const res = await client.unary({ message: "over tls" }, { timeoutMs: CALL_TIMEOUT_MS });
      assert.equal(res.message, "over tls");
      assert.match(seen[0]?.tls?.protocol ?? "", /^TLSv1\.[23]$/);
    });

    test(`mutual TLS to a ${engine} server: refused without a client certificate, served with one`, async () => {
      const seen: HandlerContext[] = [];
      const { port } = await startEchoServer(
        engine,
        {
          tls: {
            tls: { key: certs.server.key, cert: certs.server.cert, ca: certs.ca, clientCert: "require" },
          },
        },
        {
          async unary(req, ctx) {
            seen.push(ctx);
            return { message: req.message };
          },
        },
      );
      const without = createClient(Echo, channelTo(`127.0.0.1:${port}`, { tls: { ca: certs.ca } }));
      await expectRpcError(without.unary({ message: "x" }, { timeoutMs: CALL_TIMEOUT_MS }), Code.UNAVAILABLE);
      const withCert = createClient(
        Echo,
        channelTo(`127.0.0.1:${port}`, {
          tls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key },
        }),
      );
      const res = await withCert.unary({ message: "mtls" }, { timeoutMs: CALL_TIMEOUT_MS });
      assert.equal(res.message, "mtls");
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.tls?.authorized, true);
      assert.equal(seen[0]!.tls?.peerSubject?.CN, TEST_CLIENT_CN);
    });
  }
});

describe("grpc-ts client: streams and limits", () => {
  test("the server's GOAWAY mid-calls: calls above its last stream id are retried on a new connection", async () => {
    const answered: number[][] = [[], []];
    const { port, sockets } = await startScripted((index, socket, flush) => {
      const app = new ScriptedApp();
      if (index === 0) {
        // The first connection takes the five calls, then says it will process only streams 1
        // and 3 (GOAWAY, last stream 3), answers those, and leaves 5, 7 and 9 unanswered.
        app.onEnd = () => {
          if (app.ended.length < 5) return;
          const w = new ByteWriter();
          writeGoAway(w, 3, ErrorCode.NO_ERROR);
          flush();
          socket.write(w.view().slice());
          for (const id of [1, 3]) {
            app.answer(id);
            answered[0]!.push(id);
          }
        };
      } else {
        app.onEnd = (id) => {
          app.answer(id);
          answered[1]!.push(id);
        };
      }
      return app;
    });
    const client = createClient(Echo, channelTo(`127.0.0.1:${port}`));
    const replies = await Promise.all(
      ["a", "b", "c", "d", "e"].map((m) => client.unary({ message: m }, { timeoutMs: CALL_TIMEOUT_MS })),
    );
    assert.deepEqual(
      replies.map((r) => r.message),
      ["a", "b", "c", "d", "e"],
    );
    assert.deepEqual(answered[0], [1, 3]);
    assert.equal(answered[1]!.length, 3, "the three refused calls went to a second connection");
    assert.equal(sockets.length, 2);
  });

  for (const engine of ENGINES) {
    test(`a ${engine} server with SETTINGS_MAX_CONCURRENT_STREAMS 1: 20 concurrent calls queue and all succeed`, async () => {
      let running = 0;
      let most = 0;
      const { port } = await startEchoServer(
        engine,
        { maxConcurrentStreams: 1 },
        {
          async unary(req) {
            running++;
            most = Math.max(most, running);
            await sleep(2);
            running--;
            return { message: req.message };
          },
        },
      );
      const client = createClient(Echo, channelTo(`127.0.0.1:${port}`));
      const replies = await within(
        Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            client.unary({ message: `m${i}` }, { timeoutMs: CALL_TIMEOUT_MS }),
          ),
        ),
        CALL_TIMEOUT_MS * 2,
        "20 calls",
      );
      assert.deepEqual(
        replies.map((r) => r.message),
        Array.from({ length: 20 }, (_, i) => `m${i}`),
      );
      assert.equal(most, 1);
    });

    test(`flow control with slow readers both ways, against a ${engine} server`, async () => {
      const piece = new Uint8Array(64 * 1024).map((_, i) => (i * 7) & 0xff);
      const { port } = await startEchoServer(
        engine,
        {},
        {
          async *serverStream(req) {
            for (let i = 0; i < req.count; i++) yield { index: i, payload: req.payload };
          },
          async clientStream(reqs) {
            let bytes = 0;
            let n = 0;
            for await (const r of reqs) {
              await sleep(1); // a slow reader: the client's writes must wait for windows
              bytes += r.payload.length;
              n++;
            }
            return { received: n, message: String(bytes) };
          },
        },
      );
      const client = createClient(Echo, channelTo(`127.0.0.1:${port}`));
      // server → client, 2 MiB, read slowly
      let count = 0;
      for await (const r of client.serverStream(
        { count: 32, payload: piece },
        { timeoutMs: CALL_TIMEOUT_MS * 3 },
      )) {
        assert.equal(r.index, count);
        assertBytes(r.payload, piece, `message ${count}`);
        count++;
        await sleep(1);
      }
      assert.equal(count, 32);
      // client → server, 2 MiB, read slowly
      async function* requests() {
        for (let i = 0; i < 32; i++) yield { payload: piece };
      }
      const res = await client.clientStream(requests(), { timeoutMs: CALL_TIMEOUT_MS * 3 });
      assert.equal(res.received, 32);
      assert.equal(res.message, String(32 * piece.length));
    });
  }

  test("the server's socket closes abruptly mid-stream: UNAVAILABLE", async () => {
    const { port } = await startScripted((_index, socket, flush) => {
      const app = new ScriptedApp();
      app.onEnd = (id) => {
        // One response message (EchoResponse.index = 0, an empty message), then the socket dies.
        app.conn.respond(id, [":status", "200", "content-type", "application/grpc"], false);
        app.conn.write(id, Uint8Array.of(0, 0, 0, 0, 0));
        flush();
        setImmediate(() => socket.destroy());
      };
      return app;
    });
    const client = createClient(Echo, channelTo(`127.0.0.1:${port}`));
    const got: number[] = [];
    const error = await expectRpcError(
      (async () => {
        for await (const r of client.serverStream({ count: 5 }, { timeoutMs: CALL_TIMEOUT_MS }))
          got.push(r.index);
      })(),
      Code.UNAVAILABLE,
    );
    assert.deepEqual(got, [0]);
    assert.match(error.rawMessage, /connection/);
  });

  test("a unary call in flight when the socket closes fails UNAVAILABLE; the channel reconnects", async () => {
    let first = true;
    const { port } = await startScripted((_index, socket) => {
      const app = new ScriptedApp();
      app.onEnd = (id) => {
        if (first) {
          first = false;
          socket.destroy();
          return;
        }
        app.answer(id);
      };
      return app;
    });
    const client = createClient(Echo, channelTo(`127.0.0.1:${port}`));
    await expectRpcError(client.unary({ message: "lost" }, { timeoutMs: CALL_TIMEOUT_MS }), Code.UNAVAILABLE);
    const res = await client.unary({ message: "again" }, { timeoutMs: CALL_TIMEOUT_MS, waitForReady: true });
    assert.equal(res.message, "again");
  });
});
