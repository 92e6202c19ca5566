import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FileRegistry } from "@bufbuild/protobuf";
import { createServer } from "@grpc-ts/node";
import { type DemoServer, demoRegistry, lines, runCli, startDemoServer } from "../test-support/demo.js";

const timeout = 120_000;

describe("grpc-ts call and list with bad input", () => {
  let registry: FileRegistry;
  let server: DemoServer;
  let closedPort: number;

  before(async () => {
    registry = await demoRegistry();
    server = await startDemoServer(registry);
    // A port that was just free: nothing listens there.
    const probe = createServer();
    closedPort = await probe.listen("127.0.0.1:0");
    await probe.shutdown(0);
  });

  after(() => server?.close());

  it("an unknown method: exit 1, naming the methods there are", { timeout }, async () => {
    const run = await runCli(["call", server.target, "demo.v1.Demo/Nope", "-d", "{}"]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.equal(
      run.stderr,
      "grpc-ts call: unknown method demo.v1.Demo/Nope; demo.v1.Demo has: Unary, ServerStream, ClientStream, Bidi, Fail, Hang\n",
    );
  });

  it("an unknown service: exit 1, naming the services there are", { timeout }, async () => {
    const run = await runCli(["call", server.target, "demo.v1.Nope/Unary"]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^grpc-ts call: unknown service demo\.v1\.Nope; available: demo\.v1\.Demo, grpc\.health\.v1\.Health/,
    );
    const notService = await runCli(["call", server.target, "demo.v1.EchoRequest/Unary"]);
    assert.equal(notService.code, 1);
    assert.match(notService.stderr, /demo\.v1\.EchoRequest is not a service/);
  });

  it("malformed JSON: exit 2, before any call", { timeout }, async () => {
    const cases: [string, RegExp][] = [
      ['{"text": "a"', /malformed JSON in request 1: the input ends inside the object/],
      ['{"text": }', /malformed JSON in request 1: .*(Unexpected token|JSON)/],
      ["[1, 2]", /malformed JSON in request 1: expected an object/],
      ["text", /malformed JSON in request 1: expected an object/],
      ['{"text": "a"} {"text": "b"}', /Unary takes one request, got 2 JSON objects/],
      ['{"txt": "a"}', /invalid request 1 for demo\.v1\.EchoRequest: .*key "txt" is unknown/],
      ['{"count": "many"}', /invalid request 1 for demo\.v1\.EchoRequest: .*count/],
    ];
    for (const [data, message] of cases) {
      const run = await runCli(["call", server.target, "demo.v1.Demo/Unary", "-d", data]);
      assert.equal(run.code, 2, `${data}: ${run.stderr}`);
      assert.equal(run.stdout, "");
      assert.match(run.stderr, message, data);
    }
  });

  it("malformed JSON in the middle of a stream from stdin: exit 2, the call cancelled", {
    timeout,
  }, async () => {
    const run = await runCli(["call", server.target, "demo.v1.Demo/ClientStream", "-d", "@-"], {
      stdin: '{"text": "ok"}\n{"text": oops}\n{"text": "never"}\n',
    });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /^grpc-ts call: malformed JSON in request 2: /);
  });

  it("a missing -d file: exit 2", { timeout }, async () => {
    const run = await runCli(["call", server.target, "demo.v1.Demo/Unary", "-d", "@/no/such/file.json"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /cannot read \/no\/such\/file\.json/);
  });

  it("an unreachable server: UNAVAILABLE, exit 78", { timeout }, async () => {
    const call = await runCli(["call", `127.0.0.1:${closedPort}`, "demo.v1.Demo/Unary", "-d", "{}"]);
    assert.equal(call.code, 64 + 14, call.stderr);
    assert.match(call.stderr, /^ERROR:\n {2}Code: UNAVAILABLE \(14\)\n {2}Message: .*ECONNREFUSED/);
    const list = await runCli(["list", `127.0.0.1:${closedPort}`, "--json"]);
    assert.equal(list.code, 64 + 14);
    assert.equal((JSON.parse(list.stderr) as { code: string }).code, "UNAVAILABLE");
  });

  it("an invalid target: exit 2", { timeout }, async () => {
    const cases: [string, RegExp][] = [
      ["localhost:abc", /invalid target "localhost:abc": .*invalid port "abc"/],
      ["ftp://localhost:21", /invalid target "ftp:\/\/localhost:21": use host:port/],
      ["http://", /invalid target "http:\/\/": no host/],
      ["[::1", /invalid target "\[::1"/],
      [":50051", /invalid target ":50051": .*no host/],
    ];
    for (const [target, message] of cases) {
      const run = await runCli(["call", target, "demo.v1.Demo/Unary"]);
      assert.equal(run.code, 2, `${target}: ${run.stderr}`);
      assert.match(run.stderr, message, target);
    }
  });

  it("invalid arguments: exit 2 with the usage", { timeout }, async () => {
    const cases: [string[], RegExp][] = [
      [["call"], /no target given/],
      [["call", server.target], /no method given/],
      [["call", server.target, "Demo"], /invalid method "Demo"/],
      [["call", server.target, "demo.v1.Demo/Unary", "extra"], /unexpected argument "extra"/],
      [["call", server.target, "demo.v1.Demo/Unary", "--bogus"], /unknown option "--bogus"/],
      [["list", server.target, "-d", "{}"], /unknown option "-d"/],
      [["call", server.target, "demo.v1.Demo/Unary", "--timeout", "soon"], /invalid --timeout "soon"/],
      [["call", server.target, "demo.v1.Demo/Unary", "--cert", "c.pem"], /--cert and --key go together/],
      [["call", server.target, "demo.v1.Demo/Unary", "-H", "no colon"], /invalid header "no colon"/],
      [
        ["call", server.target, "demo.v1.Demo/Unary", "-H", "grpc-timeout: 1S"],
        /invalid header "grpc-timeout"/,
      ],
      [["call", server.target, "demo.v1.Demo/Unary", "-I", "protos"], /--import-path goes with --proto/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, message, args.join(" "));
    }
    const usage = await runCli(["call", server.target, "demo.v1.Demo/Unary", "--bogus"]);
    assert.match(usage.stderr, /Usage: grpc-ts call <target>/);
  });

  it("help for each command exits 0", { timeout }, async () => {
    for (const command of ["list", "describe", "call"]) {
      const run = await runCli([command, "--help"]);
      assert.equal(run.code, 0);
      assert.match(run.stdout, new RegExp(`^Usage: grpc-ts ${command} <target>`));
      assert.match(run.stdout, /Exit codes:/);
    }
    const help = await runCli(["help", "call"]);
    assert.equal(help.code, 0);
    assert.match(lines(help.stdout)[0]!, /^Usage: grpc-ts call/);
  });
});
