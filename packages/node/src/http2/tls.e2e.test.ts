/**
 * TLS and mutual TLS end to end: our server and our channel over real TLS sockets on loopback,
 * with certificates made by `openssl` at test time.
 */
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { after, before, describe, test } from "node:test";
import { Code, type HandlerContext } from "@grpc-ts/core";
import {
  collect,
  createEchoImpl,
  Echo,
  type EchoMethodName,
  expectRpcError,
  generateTestCerts,
  listenLoopback,
  TEST_CLIENT_CN,
  TEST_SERVER_NAME,
  type TestCerts,
} from "@grpc-ts/testing";
import { type ChannelOptions, createChannel } from "../client/channel.js";
import { createClient } from "../index.js";
import { createServer, type ListenOptions, type Server } from "../server/server.js";

/** Every call in this file is bounded by this deadline, so a failure shows as an error, not a hang. */
const CALL_TIMEOUT_MS = 5_000;

let certs: TestCerts;
const servers: Server[] = [];

before(async () => {
  certs = await generateTestCerts();
});

after(async () => {
  for (const s of servers) s.forceShutdown();
  await certs?.remove();
});

interface Started {
  readonly port: number;
  /** The contexts of the calls the server saw, in order. */
  readonly calls: { method: EchoMethodName; ctx: HandlerContext }[];
}

async function startServer(listen: ListenOptions): Promise<Started> {
  const calls: Started["calls"] = [];
  const server = createServer().add(
    Echo,
    createEchoImpl({ onCall: (method, ctx) => calls.push({ method, ctx }) }),
  );
  servers.push(server);
  const port = await server.listen("127.0.0.1:0", listen);
  return { port, calls };
}

/** Runs `fn` with a client on a fresh channel, and closes the channel afterwards. */
async function withClient<T>(
  target: string,
  options: ChannelOptions,
  fn: (client: ReturnType<typeof createClient<typeof Echo>>) => Promise<T>,
): Promise<T> {
  const channel = createChannel(target, options);
  try {
    return await fn(createClient(Echo, channel));
  } finally {
    channel.close();
  }
}

describe("TLS", () => {
  let server: Started;
  before(async () => {
    server = await startServer({ tls: { key: certs.server.key, cert: certs.server.cert } });
  });

  test("unary and bidi succeed when the channel trusts the server's CA", async () => {
    await withClient(`127.0.0.1:${server.port}`, { tls: { ca: certs.ca } }, async (client) => {
      const res = await client.unary({ message: "over tls" }, { timeoutMs: CALL_TIMEOUT_MS });
      assert.equal(res.message, "over tls");
      const out = await collect(
        client.bidi([{ message: "a" }, { message: "b" }, { message: "c" }], { timeoutMs: CALL_TIMEOUT_MS }),
      );
      assert.deepEqual(
        out.map((r) => [r.message, r.index]),
        [
          ["a", 0],
          ["b", 1],
          ["c", 2],
        ],
      );
    });
    const last = server.calls.at(-1);
    assert.ok(last !== undefined);
    const tls = last.ctx.tls;
    assert.ok(tls !== undefined, "a handler on a TLS connection sees ctx.tls");
    assert.equal(tls.authorized, false, "no client certificate was asked for");
    assert.equal(tls.peerSubject, undefined);
    assert.match(tls.protocol ?? "", /^TLSv1\.[23]$/);
  });

  test("the target's host name is verified: localhost works too", async () => {
    await withClient(`localhost:${server.port}`, { tls: { ca: certs.ca } }, async (client) => {
      const res = await client.unary({ message: "by name" }, { timeoutMs: CALL_TIMEOUT_MS });
      assert.equal(res.message, "by name");
    });
  });

  test("serverName overrides the name verified (and sent as SNI)", async () => {
    await withClient(
      `127.0.0.1:${server.port}`,
      { tls: { ca: certs.ca, serverName: TEST_SERVER_NAME } },
      async (client) => {
        const res = await client.unary({ message: "override" }, { timeoutMs: CALL_TIMEOUT_MS });
        assert.equal(res.message, "override");
      },
    );
  });

  test("a server certificate from an untrusted CA fails with UNAVAILABLE naming the certificate problem", async () => {
    await withClient(`127.0.0.1:${server.port}`, { tls: { ca: certs.otherCa } }, async (client) => {
      await expectRpcError(
        client.unary({ message: "x" }, { timeoutMs: CALL_TIMEOUT_MS }),
        Code.UNAVAILABLE,
        /certificate/i,
      );
    });
  });

  test("the system's CAs do not trust the test CA", async () => {
    await withClient(`127.0.0.1:${server.port}`, { tls: {} }, async (client) => {
      await expectRpcError(
        client.unary({ message: "x" }, { timeoutMs: CALL_TIMEOUT_MS }),
        Code.UNAVAILABLE,
        /certificate/i,
      );
    });
  });

  test("a serverName the certificate does not name fails with UNAVAILABLE", async () => {
    await withClient(
      `127.0.0.1:${server.port}`,
      { tls: { ca: certs.ca, serverName: "wrong.grpc-ts.local" } },
      async (client) => {
        await expectRpcError(
          client.unary({ message: "x" }, { timeoutMs: CALL_TIMEOUT_MS }),
          Code.UNAVAILABLE,
          /wrong\.grpc-ts\.local|altnames|certificate/i,
        );
      },
    );
  });

  test("insecureSkipVerify accepts a certificate it cannot verify", async () => {
    await withClient(
      `127.0.0.1:${server.port}`,
      { tls: { insecureSkipVerify: true, serverName: "wrong.grpc-ts.local" } },
      async (client) => {
        const res = await client.unary({ message: "unverified" }, { timeoutMs: CALL_TIMEOUT_MS });
        assert.equal(res.message, "unverified");
      },
    );
  });

  test("a plaintext client against a TLS server fails with UNAVAILABLE", async () => {
    await withClient(`127.0.0.1:${server.port}`, {}, async (client) => {
      await expectRpcError(client.unary({ message: "x" }, { timeoutMs: CALL_TIMEOUT_MS }), Code.UNAVAILABLE);
    });
  });
});

describe("TLS client against a plaintext server", () => {
  test("fails with UNAVAILABLE", async () => {
    const { port } = await startServer({});
    await withClient(`127.0.0.1:${port}`, { tls: { ca: certs.ca } }, async (client) => {
      await expectRpcError(client.unary({ message: "x" }, { timeoutMs: CALL_TIMEOUT_MS }), Code.UNAVAILABLE);
    });
  });
});

describe("a TLS connection lost in the middle of a call", () => {
  test("fails the call with UNAVAILABLE, not CANCELLED", async () => {
    // A bare node:http2 server that answers with headers, then drops the connection.
    const raw = http2.createSecureServer({ key: certs.server.key, cert: certs.server.cert });
    raw.on("stream", (stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      setTimeout(() => stream.session?.destroy(), 20);
    });
    const port = await listenLoopback(raw);
    try {
      await withClient(`127.0.0.1:${port}`, { tls: { ca: certs.ca } }, async (client) => {
        await expectRpcError(
          client.unary({ message: "x" }, { timeoutMs: CALL_TIMEOUT_MS }),
          Code.UNAVAILABLE,
          /connection/,
        );
        await expectRpcError(
          collect(client.serverStream({ message: "x", count: 1 }, { timeoutMs: CALL_TIMEOUT_MS })),
          Code.UNAVAILABLE,
          /connection/,
        );
      });
    } finally {
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });
});

describe("mutual TLS, client certificate required", () => {
  let server: Started;
  before(async () => {
    server = await startServer({
      tls: { key: certs.server.key, cert: certs.server.cert, ca: certs.ca, clientCert: "require" },
    });
  });

  test("a client certificate signed by the CA is accepted and the handler sees it", async () => {
    await withClient(
      `127.0.0.1:${server.port}`,
      { tls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key } },
      async (client) => {
        const res = await client.unary({ message: "mtls" }, { timeoutMs: CALL_TIMEOUT_MS });
        assert.equal(res.message, "mtls");
        const out = await collect(
          client.serverStream({ message: "s", count: 3 }, { timeoutMs: CALL_TIMEOUT_MS }),
        );
        assert.equal(out.length, 3);
      },
    );
    const tls = server.calls.at(-1)?.ctx.tls;
    assert.ok(tls !== undefined);
    assert.equal(tls.authorized, true);
    assert.equal(tls.peerSubject?.CN, TEST_CLIENT_CN);
  });

  test("a client without a certificate fails with UNAVAILABLE", async () => {
    const before = server.calls.length;
    await withClient(`127.0.0.1:${server.port}`, { tls: { ca: certs.ca } }, async (client) => {
      await expectRpcError(client.unary({ message: "x" }, { timeoutMs: CALL_TIMEOUT_MS }), Code.UNAVAILABLE);
    });
    assert.equal(server.calls.length, before, "no handler ran");
  });

  test("a client certificate from another CA fails with UNAVAILABLE", async () => {
    const before = server.calls.length;
    await withClient(
      `127.0.0.1:${server.port}`,
      { tls: { ca: certs.ca, cert: certs.otherClient.cert, key: certs.otherClient.key } },
      async (client) => {
        await expectRpcError(
          client.unary({ message: "x" }, { timeoutMs: CALL_TIMEOUT_MS }),
          Code.UNAVAILABLE,
        );
      },
    );
    assert.equal(server.calls.length, before, "no handler ran");
  });

  test("streaming calls on a rejected connection fail with UNAVAILABLE too", async () => {
    await withClient(`127.0.0.1:${server.port}`, { tls: { ca: certs.ca } }, async (client) => {
      await expectRpcError(
        collect(client.bidi([{ message: "x" }], { timeoutMs: CALL_TIMEOUT_MS })),
        Code.UNAVAILABLE,
      );
    });
  });
});

describe("mutual TLS, client certificate requested", () => {
  let server: Started;
  before(async () => {
    server = await startServer({
      tls: { key: certs.server.key, cert: certs.server.cert, ca: certs.ca, clientCert: "request" },
    });
  });

  test("a client without a certificate gets in, unauthorized", async () => {
    await withClient(`127.0.0.1:${server.port}`, { tls: { ca: certs.ca } }, async (client) => {
      const res = await client.unary({ message: "anonymous" }, { timeoutMs: CALL_TIMEOUT_MS });
      assert.equal(res.message, "anonymous");
    });
    const tls = server.calls.at(-1)?.ctx.tls;
    assert.ok(tls !== undefined);
    assert.equal(tls.authorized, false);
    assert.equal(tls.peerSubject, undefined);
  });

  test("a client with a certificate signed by the CA is authorized", async () => {
    await withClient(
      `127.0.0.1:${server.port}`,
      { tls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key } },
      async (client) => {
        await client.unary({ message: "known" }, { timeoutMs: CALL_TIMEOUT_MS });
      },
    );
    const tls = server.calls.at(-1)?.ctx.tls;
    assert.ok(tls !== undefined);
    assert.equal(tls.authorized, true);
    assert.equal(tls.peerSubject?.CN, TEST_CLIENT_CN);
  });

  test("a client with a certificate from another CA gets in, unauthorized, its subject visible", async () => {
    await withClient(
      `127.0.0.1:${server.port}`,
      { tls: { ca: certs.ca, cert: certs.otherClient.cert, key: certs.otherClient.key } },
      async (client) => {
        await client.unary({ message: "stranger" }, { timeoutMs: CALL_TIMEOUT_MS });
      },
    );
    const tls = server.calls.at(-1)?.ctx.tls;
    assert.ok(tls !== undefined);
    assert.equal(tls.authorized, false);
    assert.equal(tls.peerSubject?.CN, "grpc-ts other client");
  });
});
