/**
 * Real HTTP/2 clients that are not ours, against our engine: nghttp and h2load (nghttp2's C
 * library; nghttp also sends PRIORITY frames for idle streams) and curl with HTTP/2 prior
 * knowledge, each making gRPC unary calls with a request body of one length-prefixed message.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  CURL,
  createEchoService,
  Echo,
  EchoRequestSchema,
  EchoResponseSchema,
  H2LOAD,
  NGHTTP,
  runToEnd,
  type ServerHandle,
  skipWithout,
  startServer,
} from "@grpc-ts/testing";

const engine = "grpc-ts" as const;
const PATH = "/grpcts.test.Echo/Unary";

function lengthPrefixed(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

describe("nghttp, curl and h2load against the grpc-ts engine", {
  skip: skipWithout(NGHTTP, H2LOAD, CURL),
}, () => {
  let server: ServerHandle;
  let dir: string;
  let bodyFile: string;
  let unaryCalls = 0;
  before(async () => {
    server = await startServer({
      server: { engine },
      setup: (s) =>
        s.add(Echo, {
          ...createEchoService(),
          async unary(req) {
            unaryCalls++;
            return { message: req.message, id: req.id };
          },
        }),
    });
    dir = await mkdtemp(join(tmpdir(), "grpc-ts-peers-"));
    bodyFile = join(dir, "request.bin");
    await writeFile(
      bodyFile,
      lengthPrefixed(toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "peer", id: 9n }))),
    );
  });
  after(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const url = () => `http://127.0.0.1:${server.port}${PATH}`;
  const grpcHeaders = ["-H", "content-type: application/grpc", "-H", "te: trailers"];

  it("nghttp: 4 unary calls on one connection, each answered with grpc-status 0 in the trailers", async () => {
    const before = unaryCalls;
    const r = await runToEnd(NGHTTP.path, ["-v", "-n", "-m", "4", "-d", bodyFile, ...grpcHeaders, url()], {
      cwd: dir,
      timeoutMs: 20_000,
    });
    assert.equal(r.code, 0, `nghttp exited with ${r.code}: ${r.stderr}\n${r.stdout.slice(-2000)}`);
    // -v prints every frame; the trailers are the HEADERS with END_STREAM, carrying grpc-status
    const statuses = [...r.stdout.matchAll(/recv \(stream_id=(\d+)\) grpc-status: (\d+)/g)];
    assert.equal(statuses.length, 4, r.stdout.slice(-2000));
    for (const m of statuses) assert.equal(m[2], "0");
    assert.equal([...r.stdout.matchAll(/recv \(stream_id=\d+\) :status: 200/g)].length, 4);
    assert.doesNotMatch(r.stdout, /recv (GOAWAY|RST_STREAM) frame/);
    assert.equal(unaryCalls - before, 4);
  });

  it("curl --http2-prior-knowledge: a unary call, the message echoed, grpc-status 0 in the trailers", async () => {
    const headersFile = join(dir, "curl-headers.txt");
    const outFile = join(dir, "curl-body.bin");
    const r = await runToEnd(
      CURL.path,
      [
        "-sS",
        "--http2-prior-knowledge",
        "-X",
        "POST",
        "--data-binary",
        `@${bodyFile}`,
        ...grpcHeaders,
        "-D",
        headersFile,
        "-o",
        outFile,
        "-w",
        "%{http_code} %{http_version}",
        url(),
      ],
      { cwd: dir, timeoutMs: 20_000 },
    );
    assert.equal(r.code, 0, `curl exited with ${r.code}: ${r.stderr}`);
    assert.equal(r.stdout, "200 2");
    // curl writes the trailers after the response headers in its header dump
    const dump = (await readFile(headersFile, "latin1")).split("\r\n\r\n");
    assert.match(dump[0]!, /^HTTP\/2 200/);
    assert.match(dump[0]!, /content-type: application\/grpc/);
    assert.match(dump[1] ?? "", /^grpc-status: 0$/m);
    const body = await readFile(outFile);
    assert.equal(body.readUInt32BE(1), body.length - 5);
    const res = fromBinary(EchoResponseSchema, body.subarray(5));
    assert.equal(res.message, "peer");
    assert.equal(res.id, 9n);
  });

  it("h2load: 400 unary calls on 2 connections, 10 streams at a time, all succeeded", async () => {
    const before = unaryCalls;
    const n = 400;
    const r = await runToEnd(
      H2LOAD.path,
      ["-n", String(n), "-c", "2", "-m", "10", "-d", bodyFile, ...grpcHeaders, url()],
      { cwd: dir, timeoutMs: 60_000 },
    );
    assert.equal(r.code, 0, `h2load exited with ${r.code}: ${r.stderr}\n${r.stdout}`);
    const m =
      /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(
        r.stdout,
      );
    assert.ok(m !== null, r.stdout);
    assert.deepEqual(m.slice(1).map(Number), [n, n, n, n, 0, 0], r.stdout);
    assert.match(r.stdout, new RegExp(`status codes: ${n} 2xx`));
    // h2load does not read gRPC trailers: the handler counts the calls that reached it instead
    assert.equal(unaryCalls - before, n);
  });
});
