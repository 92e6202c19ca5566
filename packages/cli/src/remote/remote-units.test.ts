import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stripAnsi } from "@grpc-ts/testing";
import { splitMethod } from "./call.js";
import { channelTarget } from "./connect.js";
import { CliFailure } from "./failure.js";
import { JsonObjectSplitter, parseJsonObjects } from "./json-input.js";
import { formatJson } from "./json-text.js";
import { colourEnabled, createStyle } from "./style.js";

function usage(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof CliFailure && e.exitCode === 2 && message.test(e.message));
}

describe("JsonObjectSplitter", () => {
  it("splits objects across chunks, with or without whitespace, strings holding braces and escapes", () => {
    const s = new JsonObjectSplitter();
    assert.deepEqual(s.push('{"a": "}{\\"'), []);
    assert.deepEqual(s.push('", "b": [1, {"c": 2}]}{"d"'), [{ a: '}{"', b: [1, { c: 2 }] }]);
    assert.deepEqual(s.push(":3}\n\n  {}"), [{ d: 3 }, {}]);
    s.end();
    assert.equal(s.count, 3);
  });

  it("reports bad input with the request's number", () => {
    usage(() => parseJsonObjects('{"a":1} 5'), /request 2: expected an object/);
    usage(() => parseJsonObjects('{"a":1} {"b":'), /request 2: the input ends inside the object/);
    usage(() => parseJsonObjects('{"a" 1}'), /request 1: /);
    usage(() => parseJsonObjects("{]"), /request 1: /);
    assert.deepEqual(parseJsonObjects(" \n"), []);
  });
});

describe("formatJson", () => {
  const value = { a: [1, "x", true, null], b: {}, c: [] };
  it("is JSON.stringify without indentation and colour", () => {
    assert.equal(formatJson(value, false, createStyle(false)), JSON.stringify(value));
  });
  it("indents by two spaces", () => {
    assert.equal(formatJson(value, true, createStyle(false)), JSON.stringify(value, null, 2));
  });
  it("colours keys, strings, numbers and literals, and only adds colour codes", () => {
    const coloured = formatJson(value, true, createStyle(true));
    assert.ok(coloured.includes('\u001b[34m"a"\u001b[39m'));
    assert.ok(coloured.includes('\u001b[32m"x"\u001b[39m'));
    assert.ok(coloured.includes("\u001b[33m1\u001b[39m"));
    assert.equal(stripAnsi(coloured), JSON.stringify(value, null, 2));
  });
});

describe("colourEnabled", () => {
  it("follows the terminal, NO_COLOR, FORCE_COLOR and TERM=dumb", () => {
    assert.equal(colourEnabled(true, {}), true);
    assert.equal(colourEnabled(false, {}), false);
    assert.equal(colourEnabled(true, { NO_COLOR: "1" }), false);
    assert.equal(colourEnabled(true, { NO_COLOR: "" }), true);
    assert.equal(colourEnabled(false, { FORCE_COLOR: "1" }), true);
    assert.equal(colourEnabled(false, { FORCE_COLOR: "0" }), false);
    assert.equal(colourEnabled(true, { NO_COLOR: "x", FORCE_COLOR: "1" }), false);
    assert.equal(colourEnabled(true, { TERM: "dumb" }), false);
  });
});

describe("channelTarget", () => {
  it("maps http(s) URLs to host:port and keeps other targets", () => {
    assert.equal(channelTarget("http://localhost:8080"), "localhost:8080");
    assert.equal(channelTarget("http://localhost:8080/"), "localhost:8080");
    assert.equal(channelTarget("https://example.com"), "example.com:443");
    assert.equal(channelTarget("http://example.com"), "example.com:80");
    assert.equal(channelTarget("http://[::1]:9"), "[::1]:9");
    assert.equal(channelTarget("https://[::1]"), "[::1]:443");
    for (const t of ["localhost:1", "dns:///localhost:1", "unix:/tmp/s.sock", "ipv4:127.0.0.1:1"]) {
      assert.equal(channelTarget(t), t);
    }
  });
  it("rejects what the channel cannot parse", () => {
    usage(() => channelTarget("h:x"), /invalid target "h:x"/);
    usage(() => channelTarget("ws://h:1"), /use host:port/);
    usage(() => channelTarget("http://h:1/path"), /invalid target/);
  });
});

describe("splitMethod", () => {
  it("takes Service/Method, Service.Method and a leading slash or dot", () => {
    const want = { service: "a.b.S", method: "M" };
    for (const s of ["a.b.S/M", "a.b.S.M", "/a.b.S/M", ".a.b.S.M"]) assert.deepEqual(splitMethod(s), want, s);
  });
  it("rejects names without a service or a method", () => {
    for (const s of ["M", "S/", "/M", "a/b/c", ""]) usage(() => splitMethod(s), /invalid method/);
  });
});
