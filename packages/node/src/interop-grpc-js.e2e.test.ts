/**
 * Cross-implementation tests against the official Node implementation, `@grpc/grpc-js`:
 * its client against our server, and our client against its server, on loopback, with the
 * `grpcts.test.Echo` service loaded by `@grpc/proto-loader` on its side.
 *
 * What grpc-js cannot do, and so is not tested here:
 * - its server cannot compress responses, and does not tell a handler whether the request was
 *   compressed (it strips `grpc-encoding` before the handler sees the metadata), so "our gzip request
 *   was accepted" is shown by a correct answer to a large, compressible request only;
 * - its server sends no `grpc-status-details-bin` of its own: rich details travel only when the
 *   handler puts them in the error's metadata, which is what the test does.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import {
  Code,
  defineService,
  type ErrorDetail,
  type HandlerContext,
  Metadata,
  type RpcError,
} from "@grpc-ts/core";
import { decodeStatusProto, encodeStatusProto } from "@grpc-ts/core/protocol";
import {
  assertRpcError,
  collect,
  createEchoImpl,
  Echo,
  type EchoMethodName,
  expectRpcError,
  generateTestCerts,
  TEST_CLIENT_CN,
  TEST_SERVER_NAME,
  type TestCerts,
  within,
} from "@grpc-ts/testing";
import {
  isServiceError,
  JsEchoClient,
  type JsEchoMethodName,
  type JsEchoResponse,
  type JsEchoServer,
  type JsServerCall,
  nextEvent,
  readAll,
  startJsEchoServer,
} from "@grpc-ts/testing/grpc-js";
import { type Channel, createChannel } from "./client/channel.js";
import { createClient } from "./index.js";
import { createServer, type Server } from "./server/server.js";

/** Every call is bounded by a deadline, and every wait by this, so that nothing hangs. */
const TIMEOUT_MS = 5_000;

const nonAscii = "échec — ✓ 🚀 100% sûr";
const detail: ErrorDetail = {
  typeUrl: "type.googleapis.com/grpcts.test.EchoRequest",
  value: new Uint8Array([0x0a, 0x02, 0x68, 0x69]),
};

/** The grpc-js error of a failed promise. */
async function jsError(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await within(promise, TIMEOUT_MS, "grpc-js call");
  } catch (e) {
    if (isServiceError(e)) return e;
    throw e;
  }
  assert.fail("expected the grpc-js call to fail");
}

/** Our error of a failed promise, bounded in time. */
const rpcError = (promise: Promise<unknown>, code: Code): Promise<RpcError> =>
  within(expectRpcError(promise, code), TIMEOUT_MS, "call");

function deadlineIn(ms: number): grpc.CallOptions {
  return { deadline: Date.now() + ms };
}

/** A compressible payload. */
function bigPayload(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7) % 13;
  return out;
}

// ---------------------------------------------------------------------------------------------

interface SeenCall {
  readonly method: EchoMethodName;
  readonly ctx: HandlerContext;
  /** Resolves with the abort reason when the handler's signal fires. */
  readonly aborted: Promise<unknown>;
}

/** The calls our server saw, and a way to wait for the next one. */
class CallLog {
  readonly calls: SeenCall[] = [];
  /** Runs at the start of every handler; tests set it to shape responses. */
  onCall: ((method: EchoMethodName, ctx: HandlerContext) => void) | undefined;
  #waiters: ((c: SeenCall) => void)[] = [];

  readonly record = (method: EchoMethodName, ctx: HandlerContext): void => {
    const signal = ctx.signal;
    const aborted = new Promise<unknown>((resolve) => {
      if (signal.aborted) resolve(signal.reason);
      else signal.addEventListener("abort", () => resolve(signal.reason), { once: true });
    });
    const seen: SeenCall = { method, ctx, aborted };
    this.calls.push(seen);
    this.onCall?.(method, ctx);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(seen);
  };

  next(): Promise<SeenCall> {
    return within(new Promise((resolve) => this.#waiters.push(resolve)), TIMEOUT_MS, "the handler to start");
  }

  last(): SeenCall {
    const c = this.calls.at(-1);
    assert.ok(c !== undefined, "the server saw no call");
    return c;
  }
}

describe("grpc-js client → grpc-ts server", () => {
  let certs: TestCerts;
  let server: Server;
  let port: number;
  let tlsPort: number;
  let mtlsPort: number;
  const log = new CallLog();
  const clients: JsEchoClient[] = [];

  function jsClient(
    target = `127.0.0.1:${port}`,
    credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
    options: grpc.ClientOptions = {},
  ): JsEchoClient {
    const c = new JsEchoClient(target, credentials, options);
    clients.push(c);
    return c;
  }

  before(async () => {
    certs = await generateTestCerts();
    server = createServer().add(
      Echo,
      createEchoImpl({
        onCall: log.record,
        failDetails: [detail],
      }),
    );
    port = await server.listen("127.0.0.1:0");
    tlsPort = await server.listen("127.0.0.1:0", { tls: { key: certs.server.key, cert: certs.server.cert } });
    mtlsPort = await server.listen("127.0.0.1:0", {
      tls: { key: certs.server.key, cert: certs.server.cert, ca: certs.ca, clientCert: "require" },
    });
  });

  after(async () => {
    for (const c of clients) c.close();
    server?.forceShutdown();
    await certs?.remove();
  });

  test("unary, with bytes and a 64-bit integer", async () => {
    const { response } = jsClient().unary(
      { message: "hello", payload: Buffer.from([0, 1, 2, 255]), id: "9007199254740993" },
      new grpc.Metadata(),
      deadlineIn(TIMEOUT_MS),
    );
    const res = await within(response, TIMEOUT_MS, "unary");
    assert.equal(res.message, "hello");
    assert.deepEqual([...res.payload], [0, 1, 2, 255]);
    assert.equal(res.id, "9007199254740993");
    assert.equal(log.last().ctx.requestEncoding, "identity");
  });

  test("server streaming", async () => {
    const call = jsClient().serverStream(
      { message: "s", count: 5 },
      new grpc.Metadata(),
      deadlineIn(TIMEOUT_MS),
    );
    const out = await within(readAll<JsEchoResponse>(call), TIMEOUT_MS, "server stream");
    assert.deepEqual(
      out.map((r) => [r.message, r.index]),
      [0, 1, 2, 3, 4].map((i) => ["s", i]),
    );
  });

  test("client streaming", async () => {
    const { call, response } = jsClient().clientStream(new grpc.Metadata(), deadlineIn(TIMEOUT_MS));
    for (const m of ["a", "b", "c"]) call.write({ message: m });
    call.end();
    const res = await within(response, TIMEOUT_MS, "client stream");
    assert.equal(res.message, "a,b,c");
    assert.equal(res.received, 3);
  });

  test("bidi streaming, one message at a time", async () => {
    const call = jsClient().bidi(new grpc.Metadata(), deadlineIn(TIMEOUT_MS));
    const got: string[] = [];
    for (const m of ["x", "y", "z"]) {
      const next = nextEvent<JsEchoResponse>(call, "data");
      call.write({ message: m });
      const res = await within(next, TIMEOUT_MS, `echo of ${m}`);
      got.push(`${res.message}${res.index}`);
    }
    const status = nextEvent<grpc.StatusObject>(call, "status");
    call.end();
    call.resume();
    assert.equal((await within(status, TIMEOUT_MS, "bidi status")).code, grpc.status.OK);
    assert.deepEqual(got, ["x0", "y1", "z2"]);
  });

  test("large messages both ways (flow control)", async () => {
    const payload = Buffer.from(bigPayload(1024 * 1024));
    const call = jsClient().bidi(new grpc.Metadata(), deadlineIn(TIMEOUT_MS * 2));
    const read = readAll<JsEchoResponse>(call);
    for (let i = 0; i < 3; i++) call.write({ message: `m${i}`, payload });
    call.end();
    const out = await within(read, TIMEOUT_MS * 2, "large bidi");
    assert.equal(out.length, 3);
    for (const r of out) assert.ok(payload.equals(r.payload));
  });

  test("request metadata, ASCII and binary, reaches our handler", async () => {
    const md = new grpc.Metadata();
    md.add("x-ascii", "hello world");
    md.add("x-multi", "one");
    md.add("x-multi", "two");
    md.add("x-data-bin", Buffer.from([0, 1, 2, 254, 255]));
    md.add("x-multi-bin", Buffer.from([1]));
    md.add("x-multi-bin", Buffer.from([2, 3]));
    const { response } = jsClient().unary({ message: "md" }, md, deadlineIn(TIMEOUT_MS));
    await within(response, TIMEOUT_MS, "unary");
    const seen = log.last().ctx.metadata;
    assert.equal(seen.get("x-ascii"), "hello world");
    // node:http2 joins repeated header fields with ", " on receipt (grpc-js does so itself).
    assert.equal(seen.getAll("x-multi").join(", "), "one, two");
    assert.deepEqual([...(seen.get("x-data-bin") ?? [])], [0, 1, 2, 254, 255]);
    // Binary values arrive joined too, and are split on "," before decoding (PROTOCOL-HTTP2.md).
    assert.deepEqual(
      seen.getAll("x-multi-bin").map((v) => [...v]),
      [[1], [2, 3]],
    );
    assert.match(seen.get("user-agent") ?? "", /grpc-node-js/);
  });

  test("our response headers and trailers reach grpc-js (unary and server streaming)", async () => {
    log.onCall = (_method, ctx) => {
      ctx.responseHeader.set("x-header", "h-value");
      ctx.responseHeader.set("x-header-bin", new Uint8Array([9, 8, 7]));
      ctx.responseTrailer.set("x-trailer", "t-value");
      ctx.responseTrailer.set("x-trailer-bin", new Uint8Array([0, 255]));
    };
    try {
      const client = jsClient();
      const { call, response } = client.unary({ message: "h" }, new grpc.Metadata(), deadlineIn(TIMEOUT_MS));
      const header = nextEvent<grpc.Metadata>(call, "metadata");
      const status = nextEvent<grpc.StatusObject>(call, "status");
      await within(response, TIMEOUT_MS, "unary");
      const h = await within(header, TIMEOUT_MS, "metadata event");
      assert.deepEqual(h.get("x-header"), ["h-value"]);
      assert.deepEqual(h.get("x-header-bin"), [Buffer.from([9, 8, 7])]);
      const s = await within(status, TIMEOUT_MS, "status event");
      assert.equal(s.code, grpc.status.OK);
      assert.deepEqual(s.metadata.get("x-trailer"), ["t-value"]);
      assert.deepEqual(s.metadata.get("x-trailer-bin"), [Buffer.from([0, 255])]);

      const stream = client.serverStream(
        { message: "s", count: 2 },
        new grpc.Metadata(),
        deadlineIn(TIMEOUT_MS),
      );
      const sHeader = nextEvent<grpc.Metadata>(stream, "metadata");
      const sStatus = nextEvent<grpc.StatusObject>(stream, "status");
      assert.equal((await within(readAll(stream), TIMEOUT_MS, "server stream")).length, 2);
      assert.deepEqual((await within(sHeader, TIMEOUT_MS, "metadata event")).get("x-header"), ["h-value"]);
      assert.deepEqual((await within(sStatus, TIMEOUT_MS, "status event")).metadata.get("x-trailer"), [
        "t-value",
      ]);
    } finally {
      log.onCall = undefined;
    }
  });

  test("an error status: code, non-ASCII message, details and trailers", async () => {
    log.onCall = (_method, ctx) => ctx.responseTrailer.set("x-trailer", "with-error");
    try {
      const { response } = jsClient().unary(
        { failCode: Code.FAILED_PRECONDITION, failMessage: nonAscii },
        new grpc.Metadata(),
        deadlineIn(TIMEOUT_MS),
      );
      const err = await jsError(response);
      assert.equal(err.code, grpc.status.FAILED_PRECONDITION);
      assert.equal(err.details, nonAscii);
      assert.deepEqual(err.metadata.get("x-trailer"), ["with-error"]);
      const raw = err.metadata.get("grpc-status-details-bin");
      assert.equal(raw.length, 1);
      assert.ok(Buffer.isBuffer(raw[0]), "grpc-js decodes the -bin value to a Buffer");
      const status = decodeStatusProto(raw[0] as Buffer);
      assert.equal(status.code, Code.FAILED_PRECONDITION);
      assert.equal(status.message, nonAscii);
      assert.equal(status.details.length, 1);
      assert.equal(status.details[0]?.typeUrl, detail.typeUrl);
      assert.deepEqual([...(status.details[0]?.value ?? [])], [...detail.value]);
    } finally {
      log.onCall = undefined;
    }
  });

  test("an error on a stream, after the response headers", async () => {
    const call = jsClient().bidi(new grpc.Metadata(), deadlineIn(TIMEOUT_MS));
    const first = nextEvent<JsEchoResponse>(call, "data");
    call.write({ message: "ok" });
    assert.equal((await within(first, TIMEOUT_MS, "first echo")).message, "ok");
    const failed = jsError(readAll(call));
    call.write({ failCode: Code.RESOURCE_EXHAUSTED, failMessage: "too much" });
    call.end();
    const err = await failed;
    assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.equal(err.details, "too much");
  });

  test("a grpc-js deadline: DEADLINE_EXCEEDED, and our handler's signal fires", async () => {
    const started = log.next();
    const { response } = jsClient().unary(
      { message: "slow", delayMs: 10_000 },
      new grpc.Metadata(),
      deadlineIn(200),
    );
    const seen = await started;
    assert.ok(seen.ctx.deadline !== undefined, "the handler sees the deadline");
    assert.ok(seen.ctx.deadline <= Date.now() + 1_000);
    const err = await jsError(response);
    assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED);
    const reason = await within(seen.aborted, TIMEOUT_MS, "handler signal");
    // grpc-js resets the stream at its deadline, a moment before our timer for the same deadline
    // fires: our server tells the handler DEADLINE_EXCEEDED either way (server-call.ts).
    assertRpcError(reason, Code.DEADLINE_EXCEEDED);
  });

  test("grpc-js cancel() fires our handler's signal (server streaming and bidi)", async () => {
    const client = jsClient();
    let started = log.next();
    const stream = client.serverStream(
      { message: "slow", count: 1, delayMs: 10_000 },
      new grpc.Metadata(),
      deadlineIn(TIMEOUT_MS * 2),
    );
    const streamErr = jsError(readAll(stream));
    let seen = await started;
    stream.cancel();
    assert.equal((await streamErr).code, grpc.status.CANCELLED);
    let reason = await within(seen.aborted, TIMEOUT_MS, "server-stream handler signal");
    assertRpcError(reason, Code.CANCELLED);

    started = log.next();
    const bidi = client.bidi(new grpc.Metadata(), deadlineIn(TIMEOUT_MS * 2));
    const bidiErr = jsError(readAll(bidi));
    // The handler must still be working when the cancel arrives: grpc-js's cancel() (node:http2's
    // stream.close) half-closes before it resets, so an idle echo loop would just finish.
    bidi.write({ message: "first", delayMs: 10_000 });
    seen = await started;
    bidi.cancel();
    assert.equal((await bidiErr).code, grpc.status.CANCELLED);
    reason = await within(seen.aborted, TIMEOUT_MS, "bidi handler signal");
    assertRpcError(reason, Code.CANCELLED);
  });

  test("an unknown method or service: UNIMPLEMENTED", async () => {
    const client = jsClient();
    const identity = (b: Buffer): Buffer => b;
    for (const path of ["/grpcts.test.Echo/Nope", "/grpcts.test.Nope/Unary"]) {
      const err = await jsError(
        new Promise((resolve, reject) =>
          client.raw.makeUnaryRequest(
            path,
            identity,
            identity,
            Buffer.alloc(0),
            new grpc.Metadata(),
            deadlineIn(TIMEOUT_MS),
            (e, r) => (e === null ? resolve(r) : reject(e)),
          ),
        ),
      );
      assert.equal(err.code, grpc.status.UNIMPLEMENTED, `${path}: ${err.details}`);
    }
  });

  test("gzip from grpc-js (grpc.default_compression_algorithm = 2): our handler sees it and answers", async () => {
    const client = jsClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.default_compression_algorithm": 2,
    });
    const payload = Buffer.from(bigPayload(64 * 1024));
    const { response } = client.unary(
      { message: "zipped", payload },
      new grpc.Metadata(),
      deadlineIn(TIMEOUT_MS),
    );
    const res = await within(response, TIMEOUT_MS, "gzip unary");
    assert.equal(res.message, "zipped");
    assert.ok(payload.equals(res.payload));
    assert.equal(log.last().ctx.requestEncoding, "gzip");

    const call = client.bidi(new grpc.Metadata(), deadlineIn(TIMEOUT_MS));
    const read = readAll<JsEchoResponse>(call);
    for (let i = 0; i < 3; i++) call.write({ message: `z${i}`, payload });
    call.end();
    const out = await within(read, TIMEOUT_MS, "gzip bidi");
    assert.deepEqual(
      out.map((r) => r.message),
      ["z0", "z1", "z2"],
    );
    for (const r of out) assert.ok(payload.equals(r.payload));
    assert.equal(log.last().ctx.requestEncoding, "gzip");
  });

  test("a request over our 4 MiB receive limit: RESOURCE_EXHAUSTED at grpc-js", async () => {
    const client = jsClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_send_message_length": 8 * 1024 * 1024,
    });
    const { response } = client.unary(
      { message: "big", payload: Buffer.alloc(5 * 1024 * 1024) },
      new grpc.Metadata(),
      deadlineIn(TIMEOUT_MS),
    );
    assert.equal((await jsError(response)).code, grpc.status.RESOURCE_EXHAUSTED);
  });

  test("our graceful shutdown: a running grpc-js call completes, new ones are refused", async () => {
    const own = createServer().add(Echo, createEchoImpl({ onCall: log.record }));
    const ownPort = await own.listen("127.0.0.1:0");
    try {
      const client = jsClient(`127.0.0.1:${ownPort}`);
      const started = log.next();
      const running = client.unary(
        { message: "finishing", delayMs: 300 },
        new grpc.Metadata(),
        deadlineIn(TIMEOUT_MS),
      );
      await started;
      const stopped = own.shutdown(TIMEOUT_MS);
      assert.equal((await within(running.response, TIMEOUT_MS, "the running call")).message, "finishing");
      await within(stopped, TIMEOUT_MS, "shutdown");
      const late = client.unary({ message: "late" }, new grpc.Metadata(), deadlineIn(TIMEOUT_MS));
      assert.equal((await jsError(late.response)).code, grpc.status.UNAVAILABLE);
    } finally {
      own.forceShutdown();
    }
  });

  test("TLS: grpc-js credentials.createSsl(ca) against our TLS server", async () => {
    // By name: grpc-js would send an IP address as SNI, which Node deprecates (DEP0123).
    const client = jsClient(`localhost:${tlsPort}`, grpc.credentials.createSsl(Buffer.from(certs.ca)));
    const { response } = client.unary({ message: "secure" }, new grpc.Metadata(), deadlineIn(TIMEOUT_MS));
    assert.equal((await within(response, TIMEOUT_MS, "tls unary")).message, "secure");
    const tls = log.last().ctx.tls;
    assert.ok(tls !== undefined);
    assert.equal(tls.authorized, false);

    const overridden = jsClient(`127.0.0.1:${tlsPort}`, grpc.credentials.createSsl(Buffer.from(certs.ca)), {
      "grpc.ssl_target_name_override": TEST_SERVER_NAME,
      "grpc.default_authority": TEST_SERVER_NAME,
    });
    const out = await within(
      readAll<JsEchoResponse>(
        overridden.serverStream({ message: "s", count: 2 }, new grpc.Metadata(), deadlineIn(TIMEOUT_MS)),
      ),
      TIMEOUT_MS,
      "tls server stream",
    );
    assert.equal(out.length, 2);
  });

  test("TLS: grpc-js with an untrusted CA fails with UNAVAILABLE", async () => {
    const client = jsClient(`localhost:${tlsPort}`, grpc.credentials.createSsl(Buffer.from(certs.otherCa)));
    const { response } = client.unary({ message: "x" }, new grpc.Metadata(), deadlineIn(TIMEOUT_MS));
    assert.equal((await jsError(response)).code, grpc.status.UNAVAILABLE);
  });

  test("mutual TLS: grpc-js with a client certificate; without one it is refused", async () => {
    const client = jsClient(
      `localhost:${mtlsPort}`,
      grpc.credentials.createSsl(
        Buffer.from(certs.ca),
        Buffer.from(certs.client.key),
        Buffer.from(certs.client.cert),
      ),
    );
    const { response } = client.unary({ message: "mtls" }, new grpc.Metadata(), deadlineIn(TIMEOUT_MS));
    assert.equal((await within(response, TIMEOUT_MS, "mtls unary")).message, "mtls");
    const tls = log.last().ctx.tls;
    assert.ok(tls !== undefined);
    assert.equal(tls.authorized, true);
    assert.equal(tls.peerSubject?.CN, TEST_CLIENT_CN);

    const before = log.calls.length;
    const anonymous = jsClient(`localhost:${mtlsPort}`, grpc.credentials.createSsl(Buffer.from(certs.ca)));
    const refused = anonymous.unary({ message: "x" }, new grpc.Metadata(), deadlineIn(TIMEOUT_MS));
    assert.equal((await jsError(refused.response)).code, grpc.status.UNAVAILABLE);
    assert.equal(log.calls.length, before, "no handler ran");
  });
});

// ---------------------------------------------------------------------------------------------

interface JsSeenCall {
  readonly method: JsEchoMethodName;
  readonly call: JsServerCall;
  /** Resolves when grpc-js reports the call cancelled. */
  readonly cancelled: Promise<void>;
}

describe("grpc-ts client → grpc-js server", () => {
  let certs: TestCerts;
  let js: JsEchoServer;
  let jsTls: JsEchoServer;
  let jsMtls: JsEchoServer;
  const seen: JsSeenCall[] = [];
  let waiters: ((c: JsSeenCall) => void)[] = [];
  let onCall: ((method: JsEchoMethodName, call: JsServerCall) => void) | undefined;
  let trailer: (() => grpc.Metadata) | undefined;
  let errorMetadata: (() => grpc.Metadata) | undefined;
  const channels: Channel[] = [];

  const hooks = {
    onCall(method: JsEchoMethodName, call: JsServerCall) {
      const cancelled = new Promise<void>((resolve) => {
        if (call.cancelled) resolve();
        else call.once("cancelled", () => resolve());
      });
      const c = { method, call, cancelled };
      seen.push(c);
      onCall?.(method, call);
      const w = waiters;
      waiters = [];
      for (const f of w) f(c);
    },
    trailer: () => trailer?.() ?? new grpc.Metadata(),
    errorMetadata: () => errorMetadata?.() ?? new grpc.Metadata(),
  };

  function nextJsCall(): Promise<JsSeenCall> {
    return within(
      new Promise((resolve) => waiters.push(resolve)),
      TIMEOUT_MS,
      "the grpc-js handler to start",
    );
  }

  function lastJsCall(): JsSeenCall {
    const c = seen.at(-1);
    assert.ok(c !== undefined, "grpc-js saw no call");
    return c;
  }

  function ourClient(target = `127.0.0.1:${js.port}`, options: Parameters<typeof createChannel>[1] = {}) {
    const channel = createChannel(target, options);
    channels.push(channel);
    return createClient(Echo, channel);
  }

  before(async () => {
    certs = await generateTestCerts();
    js = await startJsEchoServer(hooks);
    const keyCert = [
      { private_key: Buffer.from(certs.server.key), cert_chain: Buffer.from(certs.server.cert) },
    ];
    jsTls = await startJsEchoServer(hooks, grpc.ServerCredentials.createSsl(null, keyCert, false));
    jsMtls = await startJsEchoServer(
      hooks,
      grpc.ServerCredentials.createSsl(Buffer.from(certs.ca), keyCert, true),
    );
  });

  after(async () => {
    for (const c of channels) c.close();
    js?.close();
    jsTls?.close();
    jsMtls?.close();
    await certs?.remove();
  });

  test("unary, with bytes and a 64-bit integer", async () => {
    const res = await within(
      ourClient().unary(
        { message: "hello", payload: new Uint8Array([0, 1, 255]), id: 9007199254740993n },
        { timeoutMs: TIMEOUT_MS },
      ),
      TIMEOUT_MS,
      "unary",
    );
    assert.equal(res.message, "hello");
    assert.deepEqual([...res.payload], [0, 1, 255]);
    assert.equal(res.id, 9007199254740993n);
    assert.equal(lastJsCall().method, "Unary");
  });

  test("server streaming", async () => {
    const out = await within(
      collect(ourClient().serverStream({ message: "s", count: 5 }, { timeoutMs: TIMEOUT_MS })),
      TIMEOUT_MS,
      "server stream",
    );
    assert.deepEqual(
      out.map((r) => [r.message, r.index]),
      [0, 1, 2, 3, 4].map((i) => ["s", i]),
    );
  });

  test("client streaming", async () => {
    const res = await within(
      ourClient().clientStream([{ message: "a" }, { message: "b" }, { message: "c" }], {
        timeoutMs: TIMEOUT_MS,
      }),
      TIMEOUT_MS,
      "client stream",
    );
    assert.equal(res.message, "a,b,c");
    assert.equal(res.received, 3);
  });

  test("bidi streaming, one message at a time", async () => {
    let release: (() => void) | undefined;
    const got: string[] = [];
    async function* requests() {
      for (const m of ["x", "y", "z"]) {
        const echoed = new Promise<void>((resolve) => (release = resolve));
        yield { message: m };
        await within(echoed, TIMEOUT_MS, `echo of ${m}`);
      }
    }
    for await (const res of ourClient().bidi(requests(), { timeoutMs: TIMEOUT_MS })) {
      got.push(`${res.message}${res.index}`);
      release?.();
    }
    assert.deepEqual(got, ["x0", "y1", "z2"]);
  });

  test("large messages both ways (flow control)", async () => {
    const payload = bigPayload(1024 * 1024);
    const out = await within(
      collect(
        ourClient().bidi(
          [0, 1, 2].map((i) => ({ message: `m${i}`, payload })),
          { timeoutMs: TIMEOUT_MS * 2 },
        ),
      ),
      TIMEOUT_MS * 2,
      "large bidi",
    );
    assert.equal(out.length, 3);
    for (const r of out) assert.deepEqual(Buffer.from(r.payload), Buffer.from(payload));
  });

  test("metadata both ways: our request metadata, grpc-js headers and trailers", async () => {
    onCall = (_method, call) => {
      const h = new grpc.Metadata();
      h.add("x-header", "h-value");
      h.add("x-header-bin", Buffer.from([9, 8, 7]));
      call.sendMetadata(h);
    };
    trailer = () => {
      const t = new grpc.Metadata();
      t.add("x-trailer", "t-value");
      t.add("x-trailer-bin", Buffer.from([0, 255]));
      return t;
    };
    try {
      const md = new Metadata();
      md.set("x-ascii", "hello world");
      md.append("x-multi", "one");
      md.append("x-multi", "two");
      md.set("x-data-bin", new Uint8Array([0, 1, 2, 254, 255]));
      md.append("x-multi-bin", new Uint8Array([1]));
      md.append("x-multi-bin", new Uint8Array([2, 3]));
      const seen: { header?: Metadata; trailer?: Metadata } = {};
      await within(
        ourClient().unary(
          { message: "md" },
          {
            metadata: md,
            timeoutMs: TIMEOUT_MS,
            onHeader: (h) => (seen.header = h),
            onTrailer: (t) => (seen.trailer = t),
          },
        ),
        TIMEOUT_MS,
        "unary",
      );
      const got = lastJsCall().call.metadata;
      assert.deepEqual(got.get("x-ascii"), ["hello world"]);
      // node:http2 joins repeated header fields with ", " on receipt, and grpc-js keeps them so.
      assert.equal(got.get("x-multi").join(", "), "one, two");
      assert.deepEqual(got.get("x-data-bin"), [Buffer.from([0, 1, 2, 254, 255])]);
      assert.deepEqual(got.get("x-multi-bin"), [Buffer.from([1]), Buffer.from([2, 3])]);
      assert.match(String(got.get("user-agent")[0]), /grpc-ts-node/);
      assert.equal(seen.header?.get("x-header"), "h-value");
      assert.deepEqual([...(seen.header?.get("x-header-bin") ?? [])], [9, 8, 7]);
      assert.equal(seen.trailer?.get("x-trailer"), "t-value");
      assert.deepEqual([...(seen.trailer?.get("x-trailer-bin") ?? [])], [0, 255]);

      // The same on a server stream.
      const streamSeen: { header?: Metadata; trailer?: Metadata } = {};
      const out = await within(
        collect(
          ourClient().serverStream(
            { message: "s", count: 2 },
            {
              timeoutMs: TIMEOUT_MS,
              onHeader: (h) => (streamSeen.header = h),
              onTrailer: (t) => (streamSeen.trailer = t),
            },
          ),
        ),
        TIMEOUT_MS,
        "server stream",
      );
      assert.equal(out.length, 2);
      assert.equal(streamSeen.header?.get("x-header"), "h-value");
      assert.equal(streamSeen.trailer?.get("x-trailer"), "t-value");
    } finally {
      onCall = undefined;
      trailer = undefined;
    }
  });

  test("an error status from grpc-js: code, non-ASCII message, details and metadata", async () => {
    errorMetadata = () => {
      const md = new grpc.Metadata();
      md.add("x-error", "why");
      md.add(
        "grpc-status-details-bin",
        Buffer.from(
          encodeStatusProto({ code: Code.FAILED_PRECONDITION, message: nonAscii, details: [detail] }),
        ),
      );
      return md;
    };
    try {
      for (const call of [
        () =>
          ourClient().unary(
            { failCode: Code.FAILED_PRECONDITION, failMessage: nonAscii },
            { timeoutMs: TIMEOUT_MS },
          ),
        () =>
          collect(
            ourClient().serverStream(
              { failCode: Code.FAILED_PRECONDITION, failMessage: nonAscii },
              { timeoutMs: TIMEOUT_MS },
            ),
          ),
        () =>
          collect(
            ourClient().bidi(
              [{ message: "ok" }, { failCode: Code.FAILED_PRECONDITION, failMessage: nonAscii }],
              {
                timeoutMs: TIMEOUT_MS,
              },
            ),
          ),
      ]) {
        const err = await rpcError(call(), Code.FAILED_PRECONDITION);
        assert.equal(err.rawMessage, nonAscii);
        assert.equal(err.metadata.get("x-error"), "why");
        assert.equal(err.details.length, 1);
        assert.equal(err.details[0]?.typeUrl, detail.typeUrl);
        assert.deepEqual([...(err.details[0]?.value ?? [])], [...detail.value]);
      }
    } finally {
      errorMetadata = undefined;
    }
  });

  test("an unknown method: UNIMPLEMENTED", async () => {
    const bytes = { serialize: (b: Uint8Array) => b, deserialize: (b: Uint8Array) => b };
    const Nope = defineService("grpcts.test.Echo", {
      nope: { kind: "unary", request: bytes, response: bytes },
    });
    const channel = createChannel(`127.0.0.1:${js.port}`);
    channels.push(channel);
    await rpcError(
      createClient(Nope, channel).nope(new Uint8Array(0), { timeoutMs: TIMEOUT_MS }),
      Code.UNIMPLEMENTED,
    );
  });

  test("our deadline: DEADLINE_EXCEEDED, and the grpc-js handler is cancelled", async () => {
    const started = nextJsCall();
    const failed = rpcError(
      ourClient().unary({ message: "slow", delayMs: 10_000 }, { timeoutMs: 200 }),
      Code.DEADLINE_EXCEEDED,
    );
    const c = await started;
    const deadline = c.call.getDeadline();
    assert.ok(deadline instanceof Date || typeof deadline === "number", "grpc-js sees the grpc-timeout");
    assert.ok(Number(deadline) <= Date.now() + 1_000);
    await failed;
    await within(c.cancelled, TIMEOUT_MS, "grpc-js 'cancelled'");
  });

  test("our abort: the grpc-js handler sees 'cancelled' (unary and bidi)", async () => {
    const ac = new AbortController();
    let started = nextJsCall();
    const failed = rpcError(
      ourClient().unary(
        { message: "slow", delayMs: 10_000 },
        { signal: ac.signal, timeoutMs: TIMEOUT_MS * 2 },
      ),
      Code.CANCELLED,
    );
    let c = await started;
    ac.abort();
    await failed;
    await within(c.cancelled, TIMEOUT_MS, "grpc-js 'cancelled' (unary)");
    assert.equal(c.call.cancelled, true);

    const ac2 = new AbortController();
    started = nextJsCall();
    let received = 0;
    async function* requests() {
      yield { message: "one" };
      // Keep the request stream open until the call is aborted.
      await new Promise<void>((resolve) =>
        ac2.signal.addEventListener("abort", () => resolve(), { once: true }),
      );
    }
    const bidi = (async () => {
      for await (const _ of ourClient().bidi(requests(), { signal: ac2.signal, timeoutMs: TIMEOUT_MS * 2 })) {
        received++;
        ac2.abort();
      }
    })();
    c = await started;
    await rpcError(bidi, Code.CANCELLED);
    assert.equal(received, 1);
    await within(c.cancelled, TIMEOUT_MS, "grpc-js 'cancelled' (bidi)");
  });

  test("our abort mid client stream: the grpc-js handler sees 'cancelled'", async () => {
    // (grpc-js also reports `end` on its request stream when the stream is reset, so whether it
    // saw a half-close first cannot be told from here: see http2/client-reset.e2e.test.ts.)
    const ac = new AbortController();
    let firstData: (() => void) | undefined;
    const gotData = new Promise<void>((resolve) => (firstData = resolve));
    onCall = (_method, call) => {
      call.on("data", () => firstData?.());
    };
    try {
      const started = nextJsCall();
      async function* requests() {
        yield { message: "partial" };
        await new Promise<void>((resolve) =>
          ac.signal.addEventListener("abort", () => resolve(), { once: true }),
        );
      }
      const failed = rpcError(
        ourClient().clientStream(requests(), { signal: ac.signal, timeoutMs: TIMEOUT_MS }),
        Code.CANCELLED,
      );
      const c = await started;
      await within(gotData, TIMEOUT_MS, "the first request message at grpc-js");
      ac.abort();
      await failed;
      await within(c.cancelled, TIMEOUT_MS, "grpc-js 'cancelled'");
    } finally {
      onCall = undefined;
    }
  });

  test("our gzip request compression is accepted by grpc-js", async () => {
    const payload = bigPayload(256 * 1024);
    const client = ourClient(`127.0.0.1:${js.port}`, { compression: "gzip" });
    const res = await within(
      client.unary({ message: "zipped", payload }, { timeoutMs: TIMEOUT_MS }),
      TIMEOUT_MS,
      "gzip unary",
    );
    assert.equal(res.message, "zipped");
    assert.deepEqual(Buffer.from(res.payload), Buffer.from(payload));
    const res2 = await within(
      client.clientStream(
        [0, 1, 2].map((i) => ({ message: `z${i}`, payload })),
        { timeoutMs: TIMEOUT_MS, compression: "deflate" },
      ),
      TIMEOUT_MS,
      "deflate client stream",
    );
    assert.equal(res2.message, "z0,z1,z2");
  });

  test("a request over grpc-js's 4 MiB receive limit: RESOURCE_EXHAUSTED", async () => {
    await rpcError(
      ourClient().unary(
        { message: "big", payload: new Uint8Array(5 * 1024 * 1024) },
        { timeoutMs: TIMEOUT_MS },
      ),
      Code.RESOURCE_EXHAUSTED,
    );
  });

  test("a response over our receive limit: RESOURCE_EXHAUSTED", async () => {
    const client = ourClient(`127.0.0.1:${js.port}`, { maxReceiveMessageBytes: 64 * 1024 });
    await rpcError(
      client.unary({ message: "big", payload: new Uint8Array(100 * 1024) }, { timeoutMs: TIMEOUT_MS }),
      Code.RESOURCE_EXHAUSTED,
    );
    // The channel stays usable.
    assert.equal(
      (await within(client.unary({ message: "small" }, { timeoutMs: TIMEOUT_MS }), TIMEOUT_MS, "unary"))
        .message,
      "small",
    );
  });

  test("grpc-js graceful shutdown: our running call completes, new ones are refused", async () => {
    const own = await startJsEchoServer(hooks);
    try {
      const client = ourClient(`127.0.0.1:${own.port}`);
      const started = nextJsCall();
      const running = client.unary({ message: "finishing", delayMs: 300 }, { timeoutMs: TIMEOUT_MS });
      await started;
      const stopped = new Promise<void>((resolve) => own.server.tryShutdown(() => resolve()));
      assert.equal((await within(running, TIMEOUT_MS, "the running call")).message, "finishing");
      await within(stopped, TIMEOUT_MS, "grpc-js tryShutdown");
      await rpcError(client.unary({ message: "late" }, { timeoutMs: TIMEOUT_MS }), Code.UNAVAILABLE);
    } finally {
      own.close();
    }
  });

  test("TLS: our client against a grpc-js TLS server", async () => {
    const res = await within(
      ourClient(`127.0.0.1:${jsTls.port}`, { tls: { ca: certs.ca } }).unary(
        { message: "secure" },
        { timeoutMs: TIMEOUT_MS },
      ),
      TIMEOUT_MS,
      "tls unary",
    );
    assert.equal(res.message, "secure");
    const out = await within(
      collect(
        ourClient(`localhost:${jsTls.port}`, { tls: { ca: certs.ca, serverName: TEST_SERVER_NAME } }).bidi(
          [{ message: "a" }, { message: "b" }],
          { timeoutMs: TIMEOUT_MS },
        ),
      ),
      TIMEOUT_MS,
      "tls bidi",
    );
    assert.equal(out.length, 2);
    await rpcError(
      ourClient(`127.0.0.1:${jsTls.port}`, { tls: { ca: certs.otherCa } }).unary(
        { message: "x" },
        { timeoutMs: TIMEOUT_MS },
      ),
      Code.UNAVAILABLE,
    );
  });

  test("mutual TLS: grpc-js sees our client certificate; without one it refuses us", async () => {
    // grpc-js answers getAuthContext() only while the call runs (it reads the stream's session).
    let auth: ReturnType<JsServerCall["getAuthContext"]> | undefined;
    onCall = (_method, call) => {
      auth = call.getAuthContext();
    };
    try {
      const res = await within(
        ourClient(`127.0.0.1:${jsMtls.port}`, {
          tls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key },
        }).unary({ message: "mtls" }, { timeoutMs: TIMEOUT_MS }),
        TIMEOUT_MS,
        "mtls unary",
      );
      assert.equal(res.message, "mtls");
    } finally {
      onCall = undefined;
    }
    assert.equal(auth?.transportSecurityType, "ssl");
    assert.equal(auth?.sslPeerCertificate?.subject.CN, TEST_CLIENT_CN);

    await rpcError(
      ourClient(`127.0.0.1:${jsMtls.port}`, { tls: { ca: certs.ca } }).unary(
        { message: "x" },
        { timeoutMs: TIMEOUT_MS },
      ),
      Code.UNAVAILABLE,
    );
  });
});
