// gRPC-Web served by the same server on the same port as gRPC (PROTOCOL-WEB.md), checked byte by
// byte with hand-driven HTTP/1.1 and HTTP/2 clients (and curl): content types, the trailer frame,
// trailers-only responses, text mode, -bin metadata, CORS, TLS, and what is refused.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import {
  CURL,
  createEchoService,
  Echo,
  EchoRequestSchema,
  EchoResponseSchema,
  generateTestCerts,
  http1Request,
  rawCall,
  readWebBody,
  type ServerHandle,
  skipWithout,
  startServer,
  type TestCerts,
  webBody,
  webHeaders,
} from "@grpc-ts/testing";
import {
  Code,
  createChannel,
  createClient,
  createServer,
  Metadata,
  RpcError,
  type Server,
} from "../index.js";

const run = promisify(execFile);
const req = (init: MessageInitShape<typeof EchoRequestSchema>) =>
  toBinary(EchoRequestSchema, create(EchoRequestSchema, init));
const res = (bytes: Uint8Array) => fromBinary(EchoResponseSchema, bytes);
const ORIGIN = "http://page.test:8080";

function setup(server: Server): void {
  server.add(Echo, {
    ...createEchoService(),
    async unary(r, ctx) {
      if (r.message === "metadata") {
        ctx.responseHeader.set("x-header", "h");
        ctx.responseTrailer.set("x-trailer", "t");
        ctx.responseTrailer.set("x-trailer-bin", Uint8Array.of(0, 13, 10, 255));
        ctx.responseTrailer.set("x-seen-md", ctx.metadata.get("x-md") ?? "none");
      }
      if (r.failCode !== 0) {
        throw new RpcError(r.failCode as Code, r.failMessage, {
          details: [{ typeUrl: "type.googleapis.com/test.Detail", value: Uint8Array.of(1, 2, 3) }],
          metadata: new Metadata({ "x-error-md": "e" }),
        });
      }
      return { message: r.message, id: r.id };
    },
  });
}

describe("gRPC-Web on the gRPC server", () => {
  let s: ServerHandle;
  let url: string;
  before(async () => {
    s = await startServer({ server: { cors: { allowedOrigins: [ORIGIN] } }, setup });
    url = `http://127.0.0.1:${s.port}`;
  });
  after(() => s.close());

  it("HTTP/1.1 binary unary: response frame, then a 0x80 trailer frame with lower-case header lines", async () => {
    const r = await http1Request(`${url}/grpcts.test.Echo/Unary`, webHeaders(), {
      body: webBody([req({ message: "hi", id: 7n })]),
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "application/grpc-web+proto");
    assert.equal(r.headers["grpc-status"], undefined, "status is in the body, not the headers");
    const body = readWebBody(r.body);
    assert.equal(body.messages.length, 1);
    assert.equal(res(body.messages[0]!).message, "hi");
    assert.equal(res(body.messages[0]!).id, 7n);
    assert.deepEqual(body.trailers, { "grpc-status": "0" });
    const trailerAt = r.body.length - (5 + "grpc-status: 0\r\n".length);
    assert.equal(r.body[trailerAt], 0x80);
    assert.equal(r.body.subarray(trailerAt + 5).toString("latin1"), "grpc-status: 0\r\n");
  });

  it("accepts application/grpc-web, +proto and +json, answering in the same codec", async () => {
    for (const ct of ["application/grpc-web", "application/grpc-web+proto"]) {
      const r = await http1Request(`${url}/grpcts.test.Echo/Unary`, webHeaders({ "content-type": ct }), {
        body: webBody([req({ message: ct })]),
      });
      assert.equal(r.headers["content-type"], "application/grpc-web+proto");
      assert.equal(res(readWebBody(r.body).messages[0]!).message, ct);
    }
    const json = await http1Request(
      `${url}/grpcts.test.Echo/Unary`,
      webHeaders({ "content-type": "application/grpc-web+json" }),
      { body: webBody([new TextEncoder().encode('{"message":"js","id":"5"}')]) },
    );
    assert.equal(json.headers["content-type"], "application/grpc-web+json");
    const body = readWebBody(json.body);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(body.messages[0]!)), { message: "js", id: "5" });
    assert.equal(body.trailers["grpc-status"], "0");
  });

  it("text mode: base64 request, base64 response of padded segments (one per write)", async () => {
    const r = await http1Request(
      `${url}/grpcts.test.Echo/ServerStream`,
      webHeaders({ "content-type": "application/grpc-web-text", accept: "application/grpc-web-text" }),
      { body: webBody([req({ message: "t", count: 3 })], true) },
    );
    assert.equal(r.headers["content-type"], "application/grpc-web-text+proto");
    const text = r.body.toString("latin1");
    assert.match(text, /^[A-Za-z0-9+/=]+$/);
    assert.equal(text.length % 4, 0);
    const body = readWebBody(r.body, true);
    assert.deepEqual(
      body.messages.map((m) => res(m).index),
      [0, 1, 2],
    );
    assert.equal(body.trailers["grpc-status"], "0");
  });

  it("header metadata in headers; trailer metadata (with -bin as base64) in the trailer frame", async () => {
    const r = await http1Request(`${url}/grpcts.test.Echo/Unary`, webHeaders({ "x-md": "from-client" }), {
      body: webBody([req({ message: "metadata" })]),
    });
    assert.equal(r.headers["x-header"], "h");
    const { trailers } = readWebBody(r.body);
    assert.equal(trailers["x-trailer"], "t");
    assert.equal(
      trailers["x-trailer-bin"],
      Buffer.from([0, 13, 10, 255]).toString("base64").replace(/=+$/, ""),
    );
    assert.equal(trailers["x-seen-md"], "from-client");
  });

  it("an error with details: status, message and grpc-status-details-bin in the trailer frame", async () => {
    // The handler fails before any message: trailers-only, the status in the HTTP headers.
    const r = await http1Request(`${url}/grpcts.test.Echo/Unary`, webHeaders(), {
      body: webBody([req({ failCode: Code.NOT_FOUND, failMessage: "no such 🐟" })]),
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "application/grpc-web+proto");
    assert.equal(r.headers["grpc-status"], "5");
    assert.equal(decodeURIComponent(String(r.headers["grpc-message"])), "no such 🐟");
    assert.ok(typeof r.headers["grpc-status-details-bin"] === "string");
    assert.equal(r.headers["x-error-md"], "e");
    assert.equal(r.body.length, 0, "trailers-only: no body");
    // After a message, the status comes in the trailer frame.
    const st = await http1Request(`${url}/grpcts.test.Echo/ServerStream`, webHeaders(), {
      body: webBody([req({ count: 1, failCode: Code.ABORTED, failMessage: "late" })]),
    });
    const body = readWebBody(st.body);
    assert.equal(body.messages.length, 1);
    assert.equal(body.trailers["grpc-status"], "10");
    assert.equal(body.trailers["grpc-message"], "late");
  });

  it("trailers-only for an unknown method, with the gRPC-Web content type", async () => {
    const r = await http1Request(`${url}/grpcts.test.Echo/Nope`, webHeaders(), { body: webBody([]) });
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "application/grpc-web+proto");
    assert.equal(r.headers["grpc-status"], String(Code.UNIMPLEMENTED));
  });

  it("client streaming over HTTP/1.1: the body's messages are the request stream", async () => {
    const r = await http1Request(`${url}/grpcts.test.Echo/ClientStream`, webHeaders(), {
      body: webBody([req({ message: "a" }), req({ message: "b" }), req({ message: "c" })]),
    });
    const body = readWebBody(r.body);
    assert.equal(res(body.messages[0]!).message, "a,b,c");
    assert.equal(res(body.messages[0]!).received, 3);
  });

  it("bidi over HTTP/1.1 is UNIMPLEMENTED (needs HTTP/2); over HTTP/2 gRPC-Web it works", async () => {
    const r = await http1Request(`${url}/grpcts.test.Echo/Bidi`, webHeaders(), {
      body: webBody([req({ message: "a" })]),
    });
    assert.equal(r.headers["grpc-status"], String(Code.UNIMPLEMENTED));
    assert.match(decodeURIComponent(String(r.headers["grpc-message"])), /HTTP\/2/);
    const h2 = await rawCall(
      s.port,
      {
        ":method": "POST",
        ":path": "/grpcts.test.Echo/Bidi",
        "content-type": "application/grpc-web+proto",
        "x-grpc-web": "1",
      },
      { body: [webBody([req({ message: "x" }), req({ message: "y" })])] },
    );
    const body = readWebBody(h2.data);
    assert.deepEqual(
      body.messages.map((m) => res(m).message),
      ["x", "y"],
    );
    assert.equal(body.trailers["grpc-status"], "0");
  });

  it("over HTTP/2: the trailer frame ends the body and no HTTP/2 trailers are sent", async () => {
    for (const text of [false, true]) {
      const r = await rawCall(
        s.port,
        {
          ":method": "POST",
          ":path": "/grpcts.test.Echo/ServerStream",
          "content-type": text ? "application/grpc-web-text" : "application/grpc-web",
          "x-grpc-web": "1",
        },
        { body: [webBody([req({ message: "h2", count: 2 })], text)] },
      );
      assert.equal(r.headers[":status"], 200);
      assert.equal(
        r.headers["content-type"],
        text ? "application/grpc-web-text+proto" : "application/grpc-web+proto",
      );
      assert.equal(
        r.trailers === undefined || Object.keys(r.trailers).length === 0,
        true,
        JSON.stringify(r.trailers),
      );
      const body = readWebBody(r.data, text);
      assert.deepEqual(
        body.messages.map((m) => res(m).index),
        [0, 1],
      );
      assert.equal(body.trailers["grpc-status"], "0");
    }
  });

  it("gRPC itself is unchanged on the same port (HTTP/2 channel)", async () => {
    const channel = createChannel(`127.0.0.1:${s.port}`);
    try {
      const got = await createClient(Echo, channel).unary({ message: "grpc" });
      assert.equal(got.message, "grpc");
    } finally {
      channel.close();
    }
  });

  it("gRPC (not -web) over HTTP/1.1 is refused: HTTP 505 and a status saying gRPC needs HTTP/2", async () => {
    const r = await http1Request(
      `${url}/grpcts.test.Echo/Unary`,
      { "content-type": "application/grpc", te: "trailers" },
      { body: webBody([req({})]) },
    );
    assert.equal(r.status, 505);
    assert.equal(r.headers["grpc-status"], String(Code.INTERNAL));
    assert.match(decodeURIComponent(String(r.headers["grpc-message"])), /requires HTTP\/2/);
  });

  it("a malformed text body is INTERNAL", async () => {
    const r = await http1Request(
      `${url}/grpcts.test.Echo/Unary`,
      webHeaders({ "content-type": "application/grpc-web-text" }),
      { body: "AAA!" },
    );
    assert.equal(r.headers["grpc-status"], String(Code.INTERNAL));
  });

  describe("CORS", () => {
    it("answers a preflight from an allowed origin with methods, requested headers and max-age", async () => {
      const r = await http1Request(
        `${url}/grpcts.test.Echo/Unary`,
        {
          origin: ORIGIN,
          "access-control-request-method": "POST",
          "access-control-request-headers":
            "content-type,x-grpc-web,x-user-agent,grpc-timeout,x-custom-md,x-bin-bin",
        },
        { method: "OPTIONS" },
      );
      assert.equal(r.status, 204);
      assert.equal(r.headers["access-control-allow-origin"], ORIGIN);
      assert.equal(r.headers["access-control-allow-methods"], "POST, OPTIONS");
      const allowed = String(r.headers["access-control-allow-headers"]).split(", ");
      for (const h of [
        "content-type",
        "x-grpc-web",
        "x-user-agent",
        "grpc-timeout",
        "x-custom-md",
        "x-bin-bin",
      ])
        assert.ok(allowed.includes(h), `${h} in ${allowed}`);
      assert.equal(r.headers["access-control-max-age"], "7200");
      assert.match(String(r.headers.vary), /Origin/);
    });

    it("refuses a preflight from another origin (403, no CORS headers)", async () => {
      const r = await http1Request(
        `${url}/grpcts.test.Echo/Unary`,
        { origin: "http://evil.test", "access-control-request-method": "POST" },
        { method: "OPTIONS" },
      );
      assert.equal(r.status, 403);
      assert.equal(r.headers["access-control-allow-origin"], undefined);
    });

    it("exposes grpc-status, grpc-message, details and custom headers to the page", async () => {
      const r = await http1Request(`${url}/grpcts.test.Echo/Unary`, webHeaders({ origin: ORIGIN }), {
        body: webBody([req({ message: "metadata" })]),
      });
      assert.equal(r.headers["access-control-allow-origin"], ORIGIN);
      const exposed = String(r.headers["access-control-expose-headers"]).split(", ");
      for (const h of ["grpc-status", "grpc-message", "grpc-status-details-bin", "x-header"])
        assert.ok(exposed.includes(h), `${h} in ${exposed}`);
      const failed = await http1Request(`${url}/grpcts.test.Echo/Unary`, webHeaders({ origin: ORIGIN }), {
        body: webBody([req({ failCode: 3, failMessage: "x" })]),
      });
      const exposedTo = String(failed.headers["access-control-expose-headers"]).split(", ");
      assert.ok(exposedTo.includes("x-error-md"), "trailers-only metadata is exposed too");
      const other = await http1Request(
        `${url}/grpcts.test.Echo/Unary`,
        webHeaders({ origin: "http://evil.test" }),
        {
          body: webBody([req({})]),
        },
      );
      assert.equal(other.headers["access-control-allow-origin"], undefined);
    });
  });

  it("curl (an independent HTTP/1.1 client): the exact bytes of a text-mode exchange", {
    skip: skipWithout(CURL),
  }, async () => {
    // Request: EchoRequest{message:"curl"} = 0a 04 63 75 72 6c, framed: 00 00000006 ..., in base64.
    const body = Buffer.from([0, 0, 0, 0, 6, 0x0a, 4, 0x63, 0x75, 0x72, 0x6c]).toString("base64");
    assert.equal(body, "AAAAAAYKBGN1cmw=");
    const { stdout } = await run(
      "curl",
      [
        "-sS",
        "--max-time",
        "10",
        "--http1.1",
        "-D",
        "-",
        "-H",
        "content-type: application/grpc-web-text",
        "-H",
        "x-grpc-web: 1",
        "--data-binary",
        body,
        `${url}/grpcts.test.Echo/Unary`,
      ],
      { timeout: 15_000 },
    );
    const [head, payload] = stdout.split("\r\n\r\n");
    assert.match(head!, /^HTTP\/1\.1 200 OK/);
    assert.match(head!, /\r\ncontent-type: application\/grpc-web-text\+proto\r\n/i);
    // EchoResponse{message:"curl"} framed, then the trailer frame "grpc-status: 0\r\n", each its own
    // padded base64 segment.
    const message = Buffer.from([0, 0, 0, 0, 6, 0x0a, 4, 0x63, 0x75, 0x72, 0x6c]).toString("base64");
    const trailer = Buffer.concat([
      Buffer.from([0x80, 0, 0, 0, 16]),
      Buffer.from("grpc-status: 0\r\n"),
    ]).toString("base64");
    assert.equal(payload, `${message}${trailer}`);
    assert.equal(payload, "AAAAAAYKBGN1cmw=gAAAABBncnBjLXN0YXR1czogMA0K");
  });
});

describe("gRPC-Web over TLS (HTTP/1.1 by ALPN, and HTTP/2)", () => {
  let certs: TestCerts;
  let s: ServerHandle;
  before(async () => {
    certs = await generateTestCerts();
    const server = createServer();
    setup(server);
    const port = await server.listen("127.0.0.1:0", {
      tls: { key: certs.server.key, cert: certs.server.cert },
    });
    s = { server, port, target: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
  });
  after(async () => {
    s?.close();
    await certs?.remove();
  });

  it("HTTPS with HTTP/1.1", async () => {
    const r = await http1Request(`https://127.0.0.1:${s.port}/grpcts.test.Echo/Unary`, webHeaders(), {
      body: webBody([req({ message: "tls1" })]),
      ca: certs.ca,
    });
    assert.equal(r.status, 200);
    assert.equal(res(readWebBody(r.body).messages[0]!).message, "tls1");
  });

  it("HTTPS with HTTP/2 (ALPN h2), beside a gRPC channel on the same port", async () => {
    const session = http2.connect(`https://127.0.0.1:${s.port}`, { ca: certs.ca });
    try {
      const data = await new Promise<Buffer>((resolve, reject) => {
        const stream = session.request({
          ":method": "POST",
          ":path": "/grpcts.test.Echo/Unary",
          "content-type": "application/grpc-web-text",
        });
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => resolve(Buffer.concat(chunks)));
        stream.on("error", reject);
        stream.end(webBody([req({ message: "tls2" })], true));
      });
      const body = readWebBody(data, true);
      assert.equal(res(body.messages[0]!).message, "tls2");
      assert.equal(body.trailers["grpc-status"], "0");
    } finally {
      session.close();
    }
    const channel = createChannel(`127.0.0.1:${s.port}`, { tls: { ca: certs.ca } });
    try {
      assert.equal((await createClient(Echo, channel).unary({ message: "g" })).message, "g");
    } finally {
      channel.close();
    }
  });
});

describe("gRPC-Web turned off", () => {
  it("grpcWeb: false answers gRPC-Web content types with 415", async () => {
    const s = await startServer({ server: { grpcWeb: false } });
    try {
      const r = await http1Request(`http://127.0.0.1:${s.port}/grpcts.test.Echo/Unary`, webHeaders(), {
        body: webBody([req({})]),
      });
      assert.equal(r.status, 415);
    } finally {
      s.close();
    }
  });
});
