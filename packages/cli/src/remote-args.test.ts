import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDuration, parseRemoteArgs, type RemoteCommand } from "./remote-args.js";

function parsed(kind: "list" | "describe" | "call", argv: string[]): RemoteCommand {
  const r = parseRemoteArgs(kind, argv);
  assert.ok(
    r.ok === true,
    `expected ${JSON.stringify(argv)} to parse: ${r.ok === false ? r.message : "help"}`,
  );
  return r.command;
}

function failure(kind: "list" | "describe" | "call", argv: string[]): string {
  const r = parseRemoteArgs(kind, argv);
  assert.ok(r.ok === false, `expected ${JSON.stringify(argv)} to be rejected`);
  return r.message;
}

describe("parseRemoteArgs", () => {
  it("parses a bare list with the defaults", () => {
    assert.deepEqual(parsed("list", ["localhost:50051"]), {
      kind: "list",
      service: undefined,
      connection: {
        target: "localhost:50051",
        tls: false,
        cacert: undefined,
        cert: undefined,
        key: undefined,
        insecure: false,
        serverName: undefined,
        headers: [],
        timeoutMs: undefined,
        protoFiles: [],
        importPath: undefined,
        json: false,
      },
    });
  });

  it("parses call with every option, in any order, with a space or =", () => {
    const c = parsed("call", [
      "-d",
      '{"a":1}',
      "h:1",
      "--header=X-A: b: c",
      "-H",
      "k:v",
      "pkg.S/M",
      "--timeout=1.5",
      "--cacert",
      "ca.pem",
      "--cert",
      "c.pem",
      "--key=k.pem",
      "--server-name",
      "example.com",
      "--proto",
      "a.proto",
      "--proto=b.proto",
      "-I",
      "protos",
      "--json",
      "--emit-defaults",
      "--verbose",
    ]);
    assert.equal(c.kind, "call");
    if (c.kind !== "call") return;
    assert.equal(c.method, "pkg.S/M");
    assert.equal(c.data, '{"a":1}');
    assert.equal(c.emitDefaults, true);
    assert.equal(c.verbose, true);
    assert.deepEqual(c.connection.headers, [
      ["x-a", "b: c"],
      ["k", "v"],
    ]);
    assert.equal(c.connection.timeoutMs, 1500);
    assert.equal(c.connection.tls, true, "--cacert implies TLS");
    assert.deepEqual(
      [c.connection.cacert, c.connection.cert, c.connection.key],
      ["ca.pem", "c.pem", "k.pem"],
    );
    assert.equal(c.connection.serverName, "example.com");
    assert.deepEqual(c.connection.protoFiles, ["a.proto", "b.proto"]);
    assert.equal(c.connection.importPath, "protos");
    assert.equal(c.connection.json, true);
  });

  it("takes -d @- and -d @file, and JSON starting with - is still a value of -d", () => {
    const c = parsed("call", ["t", "p.S/M", "-d", "@-"]);
    assert.equal(c.kind === "call" && c.data, "@-");
    const empty = parsed("call", ["t", "p.S/M", "--data="]);
    assert.equal(empty.kind === "call" && empty.data, "");
  });

  it("turns TLS on for https:// targets and the TLS options", () => {
    assert.equal(parsed("list", ["https://h:1"]).connection.tls, true);
    assert.equal(parsed("list", ["h:1", "--insecure"]).connection.tls, true);
    assert.equal(parsed("list", ["h:1", "--server-name", "x"]).connection.tls, true);
    assert.equal(parsed("list", ["h:1", "--tls"]).connection.tls, true);
    assert.equal(parsed("list", ["http://h:1"]).connection.tls, false);
  });

  it("asks for help", () => {
    assert.deepEqual(parseRemoteArgs("call", ["-h"]), { ok: "help" });
    assert.deepEqual(parseRemoteArgs("list", ["x", "--help"]), { ok: "help" });
  });

  it("rejects what it does not understand", () => {
    assert.match(failure("list", []), /no target given/);
    assert.match(failure("call", ["t"]), /no method given/);
    assert.match(failure("list", ["t", "s", "x"]), /unexpected argument "x"/);
    assert.match(failure("list", ["t", "--data", "{}"]), /unknown option "--data"/);
    assert.match(failure("describe", ["t", "--verbose"]), /unknown option "--verbose"/);
    assert.match(failure("call", ["t", "m", "--timeout"]), /--timeout needs a value/);
    assert.match(failure("call", ["t", "m", "--timeout", "--json"]), /--timeout needs a value/);
    assert.match(failure("call", ["t", "m", "--timeout", "0"]), /invalid --timeout "0"/);
    assert.match(failure("call", ["t", "m", "--json=yes"]), /--json takes no value/);
    assert.match(failure("call", ["t", "m", "--key", "k"]), /--cert and --key go together/);
    assert.match(failure("call", ["t", "m", "-H", ": v"]), /invalid header/);
    assert.match(failure("call", ["t", "m", "--cacert="]), /needs a non-empty value/);
  });
});

describe("parseDuration", () => {
  it("reads units, and a bare number as seconds", () => {
    assert.equal(parseDuration("250ms"), 250);
    assert.equal(parseDuration("2s"), 2000);
    assert.equal(parseDuration("1.5"), 1500);
    assert.equal(parseDuration(".5s"), 500);
    assert.equal(parseDuration("2m"), 120_000);
    assert.equal(parseDuration("1h"), 3_600_000);
    for (const bad of ["", "0", "-1", "1d", "s", "1 s", "NaN"])
      assert.equal(parseDuration(bad), undefined, bad);
  });
});
