import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Command } from "./args.js";
import { parseArgs } from "./args.js";

function command(argv: string[]): Command {
  const result = parseArgs(argv);
  assert.ok(result.ok, `expected ${JSON.stringify(argv)} to parse, got: ${result.ok ? "" : result.message}`);
  return result.command;
}

function failure(argv: string[]): { message: string; topic: string } {
  const result = parseArgs(argv);
  assert.ok(!result.ok, `expected ${JSON.stringify(argv)} to be rejected`);
  return { message: result.message, topic: result.topic };
}

describe("parseArgs", () => {
  it("uses the defaults for a bare generate", () => {
    assert.deepEqual(command(["generate"]), {
      kind: "generate",
      protoDir: "proto",
      outDir: "gen",
      target: ["ts"],
      importExtension: "js",
    });
  });

  it("takes the proto directory and all options, in any order, with a space or =", () => {
    assert.deepEqual(
      command(["generate", "--out", "src/gen", "protos", "--target=js+dts", "--import-extension", "none"]),
      {
        kind: "generate",
        protoDir: "protos",
        outDir: "src/gen",
        target: ["js", "dts"],
        importExtension: "none",
      },
    );
    assert.deepEqual(command(["generate", "-o", "x", "--out=y", "--target", "dts"]), {
      kind: "generate",
      protoDir: "proto",
      outDir: "y",
      target: ["dts"],
      importExtension: "js",
    });
  });

  it("keeps an option value containing = intact", () => {
    const c = command(["generate", "--out=a=b"]);
    assert.equal(c.kind === "generate" && c.outDir, "a=b");
  });

  it("treats arguments after -- as positionals", () => {
    const c = command(["generate", "--", "--weird-dir"]);
    assert.equal(c.kind === "generate" && c.protoDir, "--weird-dir");
  });

  it("deduplicates a repeated target part", () => {
    const c = command(["generate", "--target", "ts+ts"]);
    assert.deepEqual(c.kind === "generate" && c.target, ["ts"]);
  });

  it("recognises help and version", () => {
    assert.deepEqual(command(["--help"]), { kind: "help", topic: "main" });
    assert.deepEqual(command(["-h"]), { kind: "help", topic: "main" });
    assert.deepEqual(command(["help"]), { kind: "help", topic: "main" });
    assert.deepEqual(command(["help", "generate"]), { kind: "help", topic: "generate" });
    assert.deepEqual(command(["generate", "--help"]), { kind: "help", topic: "generate" });
    assert.deepEqual(command(["generate", "protos", "-h"]), { kind: "help", topic: "generate" });
    assert.deepEqual(command(["--version"]), { kind: "version" });
    assert.deepEqual(command(["-v"]), { kind: "version" });
  });

  it("rejects a missing or unknown command", () => {
    assert.deepEqual(failure([]), { message: "no command given", topic: "main" });
    assert.deepEqual(failure(["gen"]), { message: 'unknown command "gen"', topic: "main" });
    assert.deepEqual(failure(["--verbose"]), { message: 'unknown option "--verbose"', topic: "main" });
    assert.equal(failure(["help", "lst"]).topic, "main");
  });

  it("rejects unknown options of generate", () => {
    assert.deepEqual(failure(["generate", "--output", "x"]), {
      message: 'unknown option "--output"',
      topic: "generate",
    });
    assert.deepEqual(failure(["generate", "--outx=y"]), {
      message: 'unknown option "--outx"',
      topic: "generate",
    });
  });

  it("rejects an option without a value", () => {
    assert.match(failure(["generate", "--out"]).message, /--out needs a value/);
    assert.match(failure(["generate", "--out", "--target", "ts"]).message, /--out needs a value/);
    assert.match(failure(["generate", "--target="]).message, /--target needs a non-empty value/);
  });

  it("rejects invalid target and import extension values", () => {
    assert.match(failure(["generate", "--target", "python"]).message, /invalid --target "python"/);
    assert.match(failure(["generate", "--target", "js+"]).message, /invalid --target/);
    assert.match(failure(["generate", "--import-extension", ".js"]).message, /invalid --import-extension/);
  });

  it("rejects more than one proto directory", () => {
    assert.match(failure(["generate", "a", "b"]).message, /at most one proto directory, got 2: a b/);
  });
});
