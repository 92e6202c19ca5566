import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import type { FileRegistry } from "@bufbuild/protobuf";
import { stripAnsi } from "@grpc-ts/testing";
import {
  type DemoServer,
  demoProto,
  demoRegistry,
  lines,
  runCli,
  spawnCli,
  startDemoServer,
} from "../test-support/demo.js";

const timeout = 120_000;
describe("grpc-ts call", () => {
  let registry: FileRegistry;
  let server: DemoServer;
  let bare: DemoServer;
  let tmp: string;

  before(async () => {
    registry = await demoRegistry();
    server = await startDemoServer(registry);
    bare = await startDemoServer(registry, { reflection: "none" });
    tmp = await mkdtemp(join(tmpdir(), "grpc-ts-cli-call-"));
  });

  after(async () => {
    server?.close();
    bare?.close();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  it("makes a unary call with -d JSON and prints the response as one JSON line", { timeout }, async () => {
    const run = await runCli([
      "call",
      server.target,
      "demo.v1.Demo/Unary",
      "-d",
      '{"text": "hi", "mood": "MOOD_HAPPY"}',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '{"text":"hi","mood":"MOOD_HAPPY"}\n');
    assert.equal(run.stderr, "");
  });

  it("accepts the method as pkg.Service.Method and a lower-case method name", { timeout }, async () => {
    const dotted = await runCli(["call", server.target, "demo.v1.Demo.Unary", "-d", '{"text": "a"}']);
    assert.equal(dotted.stdout, '{"text":"a"}\n', dotted.stderr);
    const lower = await runCli(["call", server.target, "/demo.v1.Demo/unary", "-d", '{"text": "b"}']);
    assert.equal(lower.stdout, '{"text":"b"}\n', lower.stderr);
  });

  it("sends an empty request without -d, and prints defaults with --emit-defaults", { timeout }, async () => {
    const run = await runCli(["call", server.target, "demo.v1.Demo/Unary"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "{}\n");
    const defaults = await runCli(["call", server.target, "demo.v1.Demo/Unary", "--emit-defaults"]);
    assert.equal(defaults.stdout, '{"text":"","index":0,"mood":"MOOD_UNSPECIFIED"}\n', defaults.stderr);
  });

  it("reads the request from a file (-d @file) and from stdin (-d @-)", { timeout }, async () => {
    const file = join(tmp, "req.json");
    await writeFile(file, '{\n  "text": "from a file",\n  "at": "2024-01-02T03:04:05Z"\n}\n');
    const fromFile = await runCli(["call", server.target, "demo.v1.Demo/Unary", "-d", `@${file}`]);
    assert.equal(fromFile.stdout, '{"text":"from a file"}\n', fromFile.stderr);
    const relative = await runCli(["call", server.target, "demo.v1.Demo/Unary", "-d", "@req.json"], {
      cwd: tmp,
    });
    assert.equal(relative.stdout, '{"text":"from a file"}\n', relative.stderr);
    const fromStdin = await runCli(["call", server.target, "demo.v1.Demo/Unary", "-d", "@-"], {
      stdin: '{"text": "from stdin"}',
    });
    assert.equal(fromStdin.stdout, '{"text":"from stdin"}\n', fromStdin.stderr);
  });

  it("sends request metadata with -H, binary values in base64", { timeout }, async () => {
    const run = await runCli([
      "call",
      server.target,
      "demo.v1.Demo/Unary",
      "-d",
      '{"text": "t"}',
      "-H",
      "X-Echo: hello there",
      "--header=x-data-bin: AQID",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '{"text":"t|hello there|bin:1,2,3"}\n');
  });

  it("prints each response of a server stream on its own line", { timeout }, async () => {
    const run = await runCli([
      "call",
      server.target,
      "demo.v1.Demo/ServerStream",
      "-d",
      '{"text": "s", "count": 3}',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(lines(run.stdout), ['{"text":"s"}', '{"text":"s","index":1}', '{"text":"s","index":2}']);
  });

  it("sends a client stream from several JSON objects in -d, a file, or stdin", { timeout }, async () => {
    const literal = await runCli([
      "call",
      server.target,
      "demo.v1.Demo/ClientStream",
      "-d",
      '{"text":"a"}{"text":"b"} {"text":"c"}',
    ]);
    assert.equal(literal.stdout, '{"text":"a+b+c","index":3}\n', literal.stderr);
    const none = await runCli(["call", server.target, "demo.v1.Demo/ClientStream"]);
    assert.equal(none.stdout, "{}\n", none.stderr);
    const stdin = await runCli(["call", server.target, "demo.v1.Demo/ClientStream", "-d", "@-"], {
      stdin: '{"text": "x"}\n{"text": "y"}\n',
    });
    assert.equal(stdin.stdout, '{"text":"x+y","index":2}\n', stdin.stderr);
  });

  it("streams a bidi call from stdin as the requests arrive", { timeout }, async () => {
    const child = spawnCli(["call", server.target, "demo.v1.Demo/Bidi", "-d", "@-"]);
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, "SIGKILL"), 60_000);
    const received: string[] = [];
    try {
      child.stdin.write('{"text": "one"}\n');
      for await (const line of createInterface({ input: child.stdout })) {
        received.push(line);
        // Each answer comes before the next request is written: the call is interactive.
        if (received.length === 1) child.stdin.write('{"text": "two"}');
        else if (received.length === 2) child.stdin.end();
      }
      assert.equal(await exited, 0, stderr);
    } finally {
      clearTimeout(timer);
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    }
    assert.deepEqual(received, ['{"text":"one"}', '{"text":"two","index":1}']);
  });

  it("prints response headers and trailers with --verbose", { timeout }, async () => {
    const run = await runCli([
      "call",
      server.target,
      "demo.v1.Demo/Unary",
      "-d",
      '{"text":"v"}',
      "--verbose",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '{"text":"v"}\n');
    assert.match(run.stderr, /^Response headers:\n/);
    assert.match(run.stderr, /\nResponse trailers:\n/);
  });

  it("colours output only when asked to, and never with NO_COLOR or --json", { timeout }, async () => {
    const args = ["call", server.target, "demo.v1.Demo/Unary", "-d", '{"text":"c"}'];
    const plain = await runCli(args);
    assert.ok(!plain.stdout.includes("\u001b["));
    const forced = await runCli(args, { env: { FORCE_COLOR: "1" } });
    assert.ok(forced.stdout.includes("\u001b["));
    assert.equal(stripAnsi(forced.stdout), '{"text":"c"}\n');
    const noColor = await runCli(args, { env: { FORCE_COLOR: "1", NO_COLOR: "1" } });
    assert.equal(noColor.stdout, '{"text":"c"}\n');
    const json = await runCli([...args, "--json"], { env: { FORCE_COLOR: "1" } });
    assert.equal(json.stdout, '{"text":"c"}\n');
  });

  it("prints the status code name, message and details, and exits with 64 + the code", {
    timeout,
  }, async () => {
    const run = await runCli([
      "call",
      server.target,
      "demo.v1.Demo/Fail",
      "-d",
      '{"code": 9, "message": "not now"}',
    ]);
    assert.equal(run.code, 64 + 9);
    assert.equal(run.stdout, "");
    assert.deepEqual(lines(run.stderr), [
      "ERROR:",
      "  Code: FAILED_PRECONDITION (9)",
      "  Message: not now",
      "  Details:",
      '    1) {"@type":"type.googleapis.com/demo.v1.FailDetail","reason":"asked for 9"}',
    ]);
    const json = await runCli([
      "call",
      server.target,
      "demo.v1.Demo/Fail",
      "-d",
      '{"code": 7, "message": "no"}',
      "--json",
    ]);
    assert.equal(json.code, 64 + 7);
    assert.deepEqual(JSON.parse(json.stderr), {
      code: "PERMISSION_DENIED",
      codeNumber: 7,
      message: "no",
      details: [{ "@type": "type.googleapis.com/demo.v1.FailDetail", reason: "asked for 7" }],
    });
  });

  it("ends a call at --timeout with DEADLINE_EXCEEDED", { timeout }, async () => {
    const run = await runCli(["call", server.target, "demo.v1.Demo/Hang", "--timeout", "300ms"]);
    assert.equal(run.code, 64 + 4, run.stderr);
    assert.match(run.stderr, /Code: DEADLINE_EXCEEDED \(4\)/);
  });

  it("calls health and a server without reflection (with --proto)", { timeout }, async () => {
    const health = await runCli([
      "call",
      server.target,
      "grpc.health.v1.Health/Check",
      "-d",
      '{"service":"demo.v1.Demo"}',
    ]);
    assert.equal(health.stdout, '{"status":"SERVING"}\n', health.stderr);
    const proto = await runCli([
      "call",
      bare.target,
      "demo.v1.Demo/ServerStream",
      "-d",
      '{"text":"p","count":2}',
      "--proto",
      demoProto,
    ]);
    assert.equal(proto.code, 0, proto.stderr);
    assert.deepEqual(lines(proto.stdout), ['{"text":"p"}', '{"text":"p","index":1}']);
  });

  it("accepts http:// targets", { timeout }, async () => {
    const run = await runCli(["call", `http://${server.target}`, "demo.v1.Demo/Unary", "-d", '{"text":"u"}']);
    assert.equal(run.stdout, '{"text":"u"}\n', run.stderr);
  });
});
