import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FileRegistry } from "@bufbuild/protobuf";
import {
  type DemoServer,
  demoProto,
  demoRegistry,
  legacyProto,
  lines,
  runCli,
  startDemoServer,
} from "../test-support/demo.js";

const timeout = 120_000;

describe("grpc-ts list and describe", () => {
  let registry: FileRegistry;
  let server: DemoServer;
  let alphaOnly: DemoServer;
  let bare: DemoServer;

  before(async () => {
    registry = await demoRegistry();
    server = await startDemoServer(registry);
    alphaOnly = await startDemoServer(registry, { reflection: "v1alpha" });
    bare = await startDemoServer(registry, { reflection: "none" });
  });

  after(() => {
    server?.close();
    alphaOnly?.close();
    bare?.close();
  });

  it("lists the services, one per line", { timeout }, async () => {
    const run = await runCli(["list", server.target]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(lines(run.stdout), [
      "demo.v1.Demo",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
    ]);
    assert.equal(run.stderr, "");
  });

  it("lists with --json, and the methods of a service", { timeout }, async () => {
    const json = await runCli(["list", server.target, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), {
      services: [
        "demo.v1.Demo",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ],
    });
    const methods = await runCli(["list", server.target, "grpc.health.v1.Health"]);
    assert.equal(methods.code, 0, methods.stderr);
    assert.deepEqual(lines(methods.stdout), [
      "grpc.health.v1.Health/Check",
      "grpc.health.v1.Health/List",
      "grpc.health.v1.Health/Watch",
    ]);
    const methodsJson = await runCli(["list", server.target, "demo.v1.Demo", "--json"]);
    const parsed = JSON.parse(methodsJson.stdout) as { methods: { name: string; kind: string }[] };
    assert.deepEqual(
      parsed.methods.map((m) => [m.name, m.kind]),
      [
        ["Unary", "unary"],
        ["ServerStream", "server_streaming"],
        ["ClientStream", "client_streaming"],
        ["Bidi", "bidi_streaming"],
        ["Fail", "unary"],
        ["Hang", "unary"],
      ],
    );
  });

  it("falls back to reflection v1alpha", { timeout }, async () => {
    const run = await runCli(["list", alphaOnly.target]);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(lines(run.stdout).includes("demo.v1.Demo"), run.stdout);
  });

  it("describes a service in .proto syntax", { timeout }, async () => {
    const run = await runCli(["describe", server.target, "demo.v1.Demo"]);
    assert.equal(run.code, 0, run.stderr);
    const out = lines(run.stdout);
    assert.equal(out[0], "demo.v1.Demo is a service (demo/v1/demo.proto):");
    assert.equal(out[1], "service Demo {");
    assert.ok(out.includes("  rpc Unary(demo.v1.EchoRequest) returns (demo.v1.EchoReply);"), run.stdout);
    assert.ok(out.includes("  rpc ServerStream(demo.v1.EchoRequest) returns (stream demo.v1.EchoReply);"));
    assert.ok(out.includes("  rpc ClientStream(stream demo.v1.EchoRequest) returns (demo.v1.EchoReply);"));
    assert.ok(out.includes("  rpc Bidi(stream demo.v1.EchoRequest) returns (stream demo.v1.EchoReply);"));
    assert.equal(out.at(-1), "}");
  });

  it("describes a method with its messages, a message, an enum and a field", { timeout }, async () => {
    const method = await runCli(["describe", server.target, "demo.v1.Demo/Unary"]);
    assert.equal(method.code, 0, method.stderr);
    assert.equal(
      method.stdout,
      [
        "demo.v1.Demo.Unary is a method (demo/v1/demo.proto):",
        "rpc Unary(demo.v1.EchoRequest) returns (demo.v1.EchoReply);",
        "",
        "message EchoRequest {",
        "  string text = 1;",
        "  int32 count = 2;",
        "  google.protobuf.Timestamp at = 3;",
        "  demo.v1.Mood mood = 4;",
        "  repeated string tags = 5;",
        "  map<string, int32> scores = 6;",
        "  oneof extra {",
        "    string note = 7;",
        "    int64 big = 8;",
        "  }",
        "}",
        "",
        "message EchoReply {",
        "  string text = 1;",
        "  int32 index = 2;",
        "  demo.v1.Mood mood = 3;",
        "}",
        "",
      ].join("\n"),
    );
    const e = await runCli(["describe", server.target, ".demo.v1.Mood"]);
    assert.equal(e.code, 0, e.stderr);
    assert.deepEqual(lines(e.stdout), [
      "demo.v1.Mood is an enum (demo/v1/demo.proto):",
      "enum Mood {",
      "  MOOD_UNSPECIFIED = 0;",
      "  MOOD_HAPPY = 1;",
      "}",
    ]);
    const field = await runCli(["describe", server.target, "demo.v1.EchoRequest.at"]);
    assert.equal(field.code, 0, field.stderr);
    assert.deepEqual(lines(field.stdout), [
      "demo.v1.EchoRequest.at is a field (demo/v1/demo.proto):",
      "google.protobuf.Timestamp at = 3;",
    ]);
    const wkt = await runCli(["describe", server.target, "google.protobuf.Timestamp"]);
    assert.equal(wkt.code, 0, wkt.stderr);
    assert.match(
      wkt.stdout,
      /^google\.protobuf\.Timestamp is a message \(google\/protobuf\/timestamp\.proto\):\nmessage Timestamp \{\n {2}int64 seconds = 1;\n {2}int32 nanos = 2;\n\}\n$/,
    );
  });

  it("describes every service without a symbol, and as JSON descriptors with --json", {
    timeout,
  }, async () => {
    const all = await runCli(["describe", server.target]);
    assert.equal(all.code, 0, all.stderr);
    for (const s of ["demo.v1.Demo", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]) {
      assert.match(all.stdout, new RegExp(`^${s.replaceAll(".", "\\.")} is a service`, "m"));
    }
    const json = await runCli(["describe", server.target, "demo.v1.FailRequest", "--json"]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), {
      name: "demo.v1.FailRequest",
      kind: "message",
      file: "demo/v1/demo.proto",
      descriptor: {
        name: "FailRequest",
        field: [
          { name: "code", number: 1, label: "LABEL_OPTIONAL", type: "TYPE_INT32", jsonName: "code" },
          { name: "message", number: 2, label: "LABEL_OPTIONAL", type: "TYPE_STRING", jsonName: "message" },
        ],
      },
    });
  });

  it("describes proto2 definitions from --proto: labels, extension ranges, extensions, enum values", {
    timeout,
  }, async () => {
    const describeLegacy = (symbol: string) =>
      runCli(["describe", bare.target, symbol, "--proto", legacyProto]);
    const message = await describeLegacy("legacy.v1.Old");
    assert.equal(message.code, 0, message.stderr);
    assert.deepEqual(lines(message.stdout), [
      "legacy.v1.Old is a message (legacy.proto):",
      "message Old {",
      "  required string id = 1;",
      "  optional int32 n = 2;",
      "  repeated legacy.v1.Old children = 3;",
      "  extensions 100 to max;",
      "}",
    ]);
    const extension = await describeLegacy("legacy.v1.note");
    assert.deepEqual(lines(extension.stdout), [
      "legacy.v1.note is an extension (legacy.proto):",
      "extend legacy.v1.Old { optional string note = 100; }",
    ]);
    for (const symbol of ["legacy.v1.LEVEL_HIGH", "legacy.v1.Level.LEVEL_HIGH"]) {
      const value = await describeLegacy(symbol);
      assert.deepEqual(lines(value.stdout), [
        `${symbol} is an enum value (legacy.proto):`,
        "LEVEL_HIGH = 1;",
      ]);
    }
  });

  it("fails with exit code 1 for an unknown symbol", { timeout }, async () => {
    const run = await runCli(["describe", server.target, "demo.v1.Nope"]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /^grpc-ts describe: not found on the server: .*demo\.v1\.Nope/);
    const service = await runCli(["list", server.target, "demo.v1.EchoRequest"]);
    assert.equal(service.code, 1);
    assert.match(service.stderr, /demo\.v1\.EchoRequest is not a service/);
  });

  it("tells how to go on when the server has no reflection, and works with --proto", {
    timeout,
  }, async () => {
    const run = await runCli(["list", bare.target]);
    assert.equal(run.code, 64 + 12, run.stderr);
    assert.match(run.stderr, /Code: UNIMPLEMENTED \(12\)/);
    assert.match(run.stderr, /does not support server reflection.*--proto/);

    const list = await runCli(["list", bare.target, "--proto", demoProto]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(lines(list.stdout), ["demo.v1.Demo"]);
    const rooted = await runCli(
      ["describe", bare.target, "demo.v1.Demo.Bidi", "--proto", "demo/v1/demo.proto", "-I", "."],
      {
        cwd: demoProto.slice(0, -"demo/v1/demo.proto".length),
      },
    );
    assert.equal(rooted.code, 0, rooted.stderr);
    assert.match(rooted.stdout, /^demo\.v1\.Demo\.Bidi is a method \(demo\/v1\/demo\.proto\):/);
    const missing = await runCli(["list", bare.target, "--proto", "nope.proto"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--proto nope\.proto: no such file/);
  });
});
