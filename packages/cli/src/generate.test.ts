import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { generate } from "./generate.js";
import { GenerateError } from "./generate-error.js";
import { runProcess } from "./run-process.js";

// The repository root; generated code that must resolve @bufbuild/protobuf is placed under its
// git-ignored .tmp/ folder, so that node_modules resolution finds the workspace's copy.
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const binPath = fileURLToPath(new URL("./bin.ts", import.meta.url));
const tsxLoader = import.meta.resolve("tsx");
const tscPath = join(repoRoot, "node_modules", ".bin", "tsc");

const timeout = 60_000;

const messagesProto = `syntax = "proto3";
package test.echo.v1;

import "google/protobuf/timestamp.proto";

message EchoRequest {
  string text = 1;
  google.protobuf.Timestamp sent_at = 2;
}

message EchoResponse {
  string text = 1;
}
`;

const serviceProto = `syntax = "proto3";
package test.echo.v1;

import "test/echo/v1/messages.proto";

service EchoService {
  rpc Unary(EchoRequest) returns (EchoResponse);
  rpc ServerStream(EchoRequest) returns (stream EchoResponse);
  rpc ClientStream(stream EchoRequest) returns (EchoResponse);
  rpc Bidi(stream EchoRequest) returns (stream EchoResponse);
}
`;

/** Writes the two test protos under `<dir>/proto/test/echo/v1/` and returns `<dir>/proto`. */
async function writeProtos(dir: string): Promise<string> {
  const protoDir = join(dir, "proto");
  await mkdir(join(protoDir, "test", "echo", "v1"), { recursive: true });
  await writeFile(join(protoDir, "test", "echo", "v1", "messages.proto"), messagesProto);
  await writeFile(join(protoDir, "test", "echo", "v1", "echo_service.proto"), serviceProto);
  return protoDir;
}

/** Runs the bin from its TypeScript source, in `cwd`. */
function runBin(args: string[], cwd: string) {
  return runProcess(process.execPath, ["--conditions=source", "--import", tsxLoader, binPath, ...args], {
    cwd,
  });
}

describe("generate", () => {
  let tmp: string;
  let inRepo: string;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "grpc-ts-cli-test-"));
    await mkdir(join(repoRoot, ".tmp"), { recursive: true });
    inRepo = await mkdtemp(join(repoRoot, ".tmp", "cli-test-"));
  });

  after(async () => {
    await rm(tmp, { recursive: true, force: true });
    await rm(inRepo, { recursive: true, force: true });
  });

  it("generates a GenService with all four method kinds, keeping the directory layout", {
    timeout,
  }, async () => {
    const dir = await mkdtemp(join(tmp, "ts-"));
    await writeProtos(dir);
    const result = await generate({ protoDir: "proto", outDir: "out", cwd: dir });

    const out = join(dir, "out", "test", "echo", "v1");
    assert.deepEqual(result.files, [join(out, "echo_service_pb.ts"), join(out, "messages_pb.ts")]);
    const service = await readFile(join(out, "echo_service_pb.ts"), "utf8");
    assert.match(service, /export const EchoService: GenService<\{/);
    for (const kind of ["unary", "server_streaming", "client_streaming", "bidi_streaming"]) {
      assert.match(service, new RegExp(`methodKind: "${kind}";`));
    }
    assert.match(service, /from "\.\/messages_pb\.js"/, "relative imports end in .js by default");
    const messages = await readFile(join(out, "messages_pb.ts"), "utf8");
    assert.match(messages, /export const EchoRequestSchema/);
    assert.match(messages, /from "@bufbuild\/protobuf\/wkt"/);
  });

  it("emits code that type-checks under NodeNext and strict", { timeout }, async () => {
    const dir = await mkdtemp(join(inRepo, "typecheck-"));
    await writeProtos(dir);
    await generate({ protoDir: "proto", outDir: "gen", cwd: dir });
    await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
    await writeFile(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          exactOptionalPropertyTypes: true,
          verbatimModuleSyntax: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        include: ["*.ts", "gen"],
      }),
    );
    // Uses the generated types, so a wrong method kind or schema type fails the check.
    await writeFile(
      join(dir, "use.ts"),
      `import { create } from "@bufbuild/protobuf";
import { EchoService } from "./gen/test/echo/v1/echo_service_pb.js";
import { EchoRequestSchema } from "./gen/test/echo/v1/messages_pb.js";

export const kinds: ["unary", "server_streaming", "client_streaming", "bidi_streaming"] = [
  EchoService.method.unary.methodKind,
  EchoService.method.serverStream.methodKind,
  EchoService.method.clientStream.methodKind,
  EchoService.method.bidi.methodKind,
];
export const request = create(EchoRequestSchema, { text: "hi", sentAt: { seconds: 1n, nanos: 0 } });
export const text: string = request.text;
`,
    );
    const tsc = await runProcess(tscPath, ["-p", "tsconfig.json"], { cwd: dir });
    assert.equal(tsc.code, 0, `tsc failed:\n${tsc.stdout}${tsc.stderr}`);
  });

  it("with target js+dts emits .js and .d.ts that load and carry the descriptors", { timeout }, async () => {
    const dir = await mkdtemp(join(inRepo, "js-"));
    await writeProtos(dir);
    await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
    const result = await generate({ protoDir: "proto", outDir: "gen", target: ["js", "dts"], cwd: dir });
    const out = join(dir, "gen", "test", "echo", "v1");
    assert.deepEqual(
      result.files.map((f) => relative(out, f)),
      ["echo_service_pb.d.ts", "echo_service_pb.js", "messages_pb.d.ts", "messages_pb.js"],
    );
    const mod: unknown = await import(pathToFileURL(join(out, "echo_service_pb.js")).href);
    assert.ok(mod !== null && typeof mod === "object" && "EchoService" in mod);
    const service = mod.EchoService as { typeName: string; method: Record<string, { methodKind: string }> };
    assert.equal(service.typeName, "test.echo.v1.EchoService");
    assert.deepEqual(
      Object.fromEntries(Object.entries(service.method).map(([name, m]) => [name, m.methodKind])),
      {
        unary: "unary",
        serverStream: "server_streaming",
        clientStream: "client_streaming",
        bidi: "bidi_streaming",
      },
    );
  });

  it("emits only .js for target js and only .d.ts for target dts", { timeout }, async () => {
    const dir = await mkdtemp(join(tmp, "targets-"));
    await writeProtos(dir);
    const js = await generate({ protoDir: "proto", outDir: "js", target: "js", cwd: dir });
    assert.deepEqual(
      js.files.map((f) => relative(join(dir, "js"), f)),
      [join("test", "echo", "v1", "echo_service_pb.js"), join("test", "echo", "v1", "messages_pb.js")],
    );
    const dts = await generate({ protoDir: "proto", outDir: "dts", target: "dts", cwd: dir });
    assert.deepEqual(
      dts.files.map((f) => relative(join(dir, "dts"), f)),
      [join("test", "echo", "v1", "echo_service_pb.d.ts"), join("test", "echo", "v1", "messages_pb.d.ts")],
    );
  });

  it("honours importExtension none", { timeout }, async () => {
    const dir = await mkdtemp(join(tmp, "ext-"));
    await writeProtos(dir);
    const result = await generate({ protoDir: "proto", outDir: "gen", importExtension: "none", cwd: dir });
    const service = readFileSync(result.files[0]!, "utf8");
    assert.match(service, /from "\.\/messages_pb"/);
  });

  it("rejects a missing or proto-less directory, and leaves the output untouched on failure", async () => {
    const dir = await mkdtemp(join(tmp, "input-"));
    await assert.rejects(generate({ protoDir: "nope", outDir: "gen", cwd: dir }), (error: unknown) => {
      assert.ok(error instanceof GenerateError);
      assert.equal(error.reason, "input");
      assert.match(error.message, /proto directory "nope" does not exist/);
      return true;
    });
    await mkdir(join(dir, "empty", "nested"), { recursive: true });
    await writeFile(join(dir, "empty", "nested", "README.txt"), "no protos here\n");
    await assert.rejects(generate({ protoDir: "empty", outDir: "gen", cwd: dir }), (error: unknown) => {
      assert.ok(error instanceof GenerateError);
      assert.equal(error.reason, "input");
      assert.match(error.message, /no \.proto file found in "empty"/);
      return true;
    });
    assert.equal(existsSync(join(dir, "gen")), false);
  });

  it("reports buf's errors for an invalid .proto and writes nothing", { timeout }, async () => {
    const dir = await mkdtemp(join(tmp, "bad-"));
    await mkdir(join(dir, "proto"));
    await writeFile(join(dir, "proto", "bad.proto"), 'syntax = "proto3";\nmessage A { int32 a = }\n');
    await assert.rejects(generate({ protoDir: "proto", outDir: "gen", cwd: dir }), (error: unknown) => {
      assert.ok(error instanceof GenerateError);
      assert.equal(error.reason, "buf");
      assert.match(error.stderr, /bad\.proto:2:/);
      return true;
    });
    assert.equal(existsSync(join(dir, "gen")), false);
  });
});

describe("grpc-ts bin", () => {
  let tmp: string;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "grpc-ts-cli-bin-test-"));
  });

  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("generates from ./proto into ./gen by default", { timeout }, async () => {
    const dir = await mkdtemp(join(tmp, "defaults-"));
    await writeProtos(dir);
    const run = await runBin(["generate"], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /wrote 2 files to gen/);
    assert.match(run.stdout, new RegExp(join("gen", "test", "echo", "v1", "echo_service_pb.ts")));
    assert.ok(existsSync(join(dir, "gen", "test", "echo", "v1", "echo_service_pb.ts")));
  });

  it("takes the proto directory and --out, --target, --import-extension", { timeout }, async () => {
    const dir = await mkdtemp(join(tmp, "options-"));
    await writeProtos(dir);
    await mkdir(join(dir, "sub"));
    const run = await runBin(
      ["generate", "../proto", "--out", "../lib", "--target", "js+dts", "--import-extension=none"],
      join(dir, "sub"),
    );
    assert.equal(run.code, 0, run.stderr);
    const js = readFileSync(join(dir, "lib", "test", "echo", "v1", "echo_service_pb.js"), "utf8");
    assert.match(js, /from "\.\/messages_pb"/);
    assert.ok(existsSync(join(dir, "lib", "test", "echo", "v1", "echo_service_pb.d.ts")));
  });

  it("exits 2 with a clear message when the proto directory is missing", { timeout }, async () => {
    const dir = await mkdtemp(join(tmp, "missing-"));
    const run = await runBin(["generate"], dir);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, "");
    const lines = run.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /^grpc-ts generate: proto directory "proto" does not exist/);
    assert.match(lines[0]!, /defaults: protoDir "proto", --out "gen"/);
  });

  it("exits 2 when the directory has no .proto file", { timeout }, async () => {
    const dir = await mkdtemp(join(tmp, "empty-"));
    await mkdir(join(dir, "protos", "deeper"), { recursive: true });
    await writeFile(join(dir, "protos", "deeper", "notes.txt"), "x\n");
    const run = await runBin(["generate", "protos"], dir);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^grpc-ts generate: no \.proto file found in "protos"/);
  });

  it("exits 1 and shows buf's error for a syntax error", { timeout }, async () => {
    const dir = await mkdtemp(join(tmp, "syntax-"));
    await mkdir(join(dir, "proto"));
    await writeFile(join(dir, "proto", "broken.proto"), 'syntax = "proto3";\n\nmessage A { int32 a = }\n');
    const run = await runBin(["generate"], dir);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /proto[/\\]broken\.proto:3:\d+:/);
    assert.match(run.stderr, /grpc-ts generate: buf generate exited with code \d+/);
    assert.equal(existsSync(join(dir, "gen")), false);
  });

  it("exits 2 with the usage for an unknown command or option", { timeout }, async () => {
    const unknownCommand = await runBin(["genrate"], tmp);
    assert.equal(unknownCommand.code, 2);
    assert.match(unknownCommand.stderr, /unknown command "genrate"/);
    assert.match(unknownCommand.stderr, /Usage: grpc-ts <command>/);

    const unknownOption = await runBin(["generate", "--outdir", "x"], tmp);
    assert.equal(unknownOption.code, 2);
    assert.match(unknownOption.stderr, /unknown option "--outdir"/);
    assert.match(unknownOption.stderr, /Usage: grpc-ts generate/);

    const none = await runBin([], tmp);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Usage: grpc-ts <command>/);
  });

  it("prints help and the version", { timeout }, async () => {
    const help = await runBin(["--help"], tmp);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: grpc-ts <command>/);

    const generateHelp = await runBin(["generate", "--help"], tmp);
    assert.equal(generateHelp.code, 0);
    assert.match(generateHelp.stdout, /--import-extension/);

    const manifest = JSON.parse(readFileSync(join(dirname(binPath), "..", "package.json"), "utf8")) as {
      version: string;
    };
    const version = await runBin(["--version"], tmp);
    assert.equal(version.code, 0);
    assert.equal(version.stdout, `${manifest.version}\n`);
  });
});
