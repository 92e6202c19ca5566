/**
 * Our own HTTP/2 engine (`createServer({ engine: "grpc-ts" })`) end to end, for what its Node
 * adapter adds over the sans-I/O core: TLS with ALPN, HTTP/1.1 gRPC-Web on the same port, a
 * client of another implementation (grpc-js), graceful shutdown, metadata over the limit, and a
 * hand-driven HTTP/2 client. The call kinds themselves run on both engines in
 * `server/calls.e2e.test.ts`.
 */
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import {
  collect,
  createEchoService,
  deferred,
  Echo,
  type EchoHarness,
  expectRpcError,
  generateTestCerts,
  startEcho,
  startServer,
  TEST_SERVER_NAME,
  type TestCerts,
  within,
} from "@grpc-ts/testing";
import { JsEchoClient, type JsEchoResponse, readAll } from "@grpc-ts/testing/grpc-js";
import { createGrpcWebTransport } from "@grpc-ts/web";
import { Code, createChannel, createClient } from "../index.js";

const engine = "grpc-ts" as const;

describe("grpc-ts engine: plaintext port", () => {
  let h: EchoHarness;
  before(async () => {
    h = await startEcho({ server: { engine } });
  });
  after(() => h.close());

  it("gRPC-Web over HTTP/1.1 (fetch) on the same port", async () => {
    const client = createClient(Echo, createGrpcWebTransport({ baseUrl: `http://127.0.0.1:${h.port}` }));
    assert.equal((await client.unary({ message: "web" })).message, "web");
    const got = await collect(client.serverStream({ message: "w", count: 3 }));
    assert.deepEqual(
      got.map((r) => r.index),
      [0, 1, 2],
    );
  });

  it("a grpc-js client: unary and bidi", async () => {
    const js = new JsEchoClient(`127.0.0.1:${h.port}`);
    try {
      const res = await within(js.unary({ message: "from grpc-js", id: "7" }).response, 5000, "unary");
      assert.equal(res.message, "from grpc-js");
      assert.equal(res.id, "7");
      const call = js.bidi();
      call.write({ message: "a" });
      call.write({ message: "b" });
      call.end();
      const replies = await within(readAll<JsEchoResponse>(call), 5000, "bidi");
      assert.deepEqual(
        replies.map((r) => r.message),
        ["a", "b"],
      );
    } finally {
      js.close();
    }
  });

  it("request metadata over the limit: RESOURCE_EXHAUSTED, and the connection goes on", async () => {
    await expectRpcError(
      h.client.unary({}, { metadata: { "x-huge": "x".repeat(20_000) } }),
      Code.RESOURCE_EXHAUSTED,
    );
    assert.equal((await h.client.unary({ message: "after" })).message, "after");
  });

  it("node:http2 as a bare client: the server answers with our SETTINGS and a gRPC response", async () => {
    const session = http2.connect(`http://127.0.0.1:${h.port}`);
    try {
      const settings = await within(
        new Promise<http2.Settings>((resolve) => session.once("remoteSettings", resolve)),
        5000,
        "remote settings",
      );
      assert.equal(settings.maxHeaderListSize, 16 * 1024);
      const req = session.request({
        ":method": "POST",
        ":path": "/grpcts.test.Echo/Unary",
        "content-type": "application/grpc",
        te: "trailers",
      });
      const headers = new Promise<http2.IncomingHttpHeaders>((resolve) => req.once("response", resolve));
      const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => req.once("trailers", resolve));
      req.end(Buffer.from([0, 0, 0, 0, 0])); // an empty EchoRequest
      req.resume();
      assert.equal((await within(headers, 5000, "headers"))[":status"], 200);
      assert.equal((await within(trailers, 5000, "trailers"))["grpc-status"], "0");
    } finally {
      session.close();
    }
  });
});

describe("grpc-ts engine: TLS", () => {
  let certs: TestCerts;
  let port: number;
  let close: () => void;
  before(async () => {
    certs = await generateTestCerts();
    const s = await startServer({
      server: { engine },
      setup: (server) => server.add(Echo, createEchoService()),
    });
    // a second listener on the same server, with TLS
    port = await s.server.listen("127.0.0.1:0", { tls: { key: certs.server.key, cert: certs.server.cert } });
    close = () => s.close();
  });
  after(async () => {
    close();
    await certs.remove();
  });

  it("gRPC over TLS with ALPN h2", async () => {
    const channel = createChannel(`127.0.0.1:${port}`, {
      tls: { ca: certs.ca, serverName: TEST_SERVER_NAME },
    });
    try {
      const client = createClient(Echo, channel);
      assert.equal((await client.unary({ message: "tls" }, { timeoutMs: 5000 })).message, "tls");
    } finally {
      channel.close();
    }
  });

  it("grpc-js over TLS", async () => {
    const js = new JsEchoClient(`127.0.0.1:${port}`, grpc.credentials.createSsl(Buffer.from(certs.ca)), {
      "grpc.ssl_target_name_override": TEST_SERVER_NAME,
    });
    try {
      assert.equal((await within(js.unary({ message: "js tls" }).response, 5000, "unary")).message, "js tls");
    } finally {
      js.close();
    }
  });
});

describe("grpc-ts engine: shutdown", () => {
  it("a running call finishes, new ones get UNAVAILABLE, and shutdown resolves after it", async () => {
    const started = deferred();
    const release = deferred();
    const h = await startEcho({
      server: { engine },
      impl: {
        async unary(req) {
          if (req.message === "running") {
            started.resolve();
            await release.promise;
          }
          return { message: req.message };
        },
      },
    });
    try {
      const events: string[] = [];
      const running = h.client.unary({ message: "running" }).then((r) => {
        events.push("call done");
        return r;
      });
      await within(started.promise, 5000, "handler start");
      const shutdown = h.server.shutdown(10_000).then(() => events.push("shutdown resolved"));
      await within(expectRpcError(h.client.unary({ message: "late" }), Code.UNAVAILABLE), 5000, "late call");
      release.resolve();
      assert.equal((await within(running, 5000, "running call")).message, "running");
      await within(shutdown, 5000, "shutdown");
      assert.deepEqual(events, ["call done", "shutdown resolved"]);
    } finally {
      h.close();
    }
  });
});
