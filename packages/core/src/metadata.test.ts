import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "./code.js";
import { isBinaryKey, isReservedKey, Metadata } from "./metadata.js";
import { RpcError } from "./rpc-error.js";

function assertRejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RpcError, `expected an RpcError, got ${String(e)}`);
    assert.equal(e.code, Code.INTERNAL);
    assert.match(e.rawMessage, pattern);
    return true;
  });
}

describe("Metadata basics", () => {
  it("is case-insensitive and stores keys lower-cased", () => {
    const md = new Metadata();
    md.set("X-Request-ID", "abc");
    assert.equal(md.get("x-request-id"), "abc");
    assert.equal(md.get("X-REQUEST-ID"), "abc");
    assert.equal(md.has("X-Request-Id"), true);
    assert.deepEqual([...md.keys()], ["x-request-id"]);
    md.append("x-REQUEST-id", "def");
    assert.deepEqual(md.getAll("X-Request-ID"), ["abc", "def"]);
    assert.equal(md.size, 1);
  });

  it("keeps several values per key in order; set replaces them all", () => {
    const md = new Metadata();
    md.append("k", "1").append("k", "2").append("k", "3");
    assert.equal(md.get("k"), "1");
    assert.deepEqual(md.getAll("k"), ["1", "2", "3"]);
    md.set("k", "only");
    assert.deepEqual(md.getAll("k"), ["only"]);
  });

  it("getAll returns a copy", () => {
    const md = new Metadata({ k: ["a", "b"] });
    const all = md.getAll("k");
    all.push("c");
    assert.deepEqual(md.getAll("k"), ["a", "b"]);
  });

  it("reports absent keys", () => {
    const md = new Metadata();
    assert.equal(md.get("nope"), undefined);
    assert.deepEqual(md.getAll("nope"), []);
    assert.equal(md.has("nope"), false);
    assert.equal(md.delete("nope"), false);
  });

  it("deletes case-insensitively and clears", () => {
    const md = new Metadata({ a: "1", b: "2" });
    assert.equal(md.delete("A"), true);
    assert.equal(md.has("a"), false);
    assert.equal(md.size, 1);
    md.clear();
    assert.equal(md.size, 0);
    assert.deepEqual([...md], []);
  });

  it("counts distinct keys in size and iterates one pair per value, in insertion order", () => {
    const bin = Uint8Array.of(1, 2);
    const md = new Metadata();
    md.append("b", "1");
    md.append("a", "x");
    md.append("b", "2");
    md.set("c-bin", bin);
    assert.equal(md.size, 3);
    assert.deepEqual(
      [...md],
      [
        ["b", "1"],
        ["b", "2"],
        ["a", "x"],
        ["c-bin", bin],
      ],
    );
  });

  it("is built from a record (arrays for several values), from pairs, and from another Metadata", () => {
    const fromRecord = new Metadata({ One: "1", many: ["a", "b"], "x-bin": Uint8Array.of(9) });
    assert.equal(fromRecord.get("one"), "1");
    assert.deepEqual(fromRecord.getAll("many"), ["a", "b"]);
    assert.deepEqual(fromRecord.get("x-bin"), Uint8Array.of(9));

    const fromPairs = new Metadata([
      ["k", "1"],
      ["K", "2"],
    ]);
    assert.deepEqual(fromPairs.getAll("k"), ["1", "2"]);
    const fromMap = new Metadata(new Map([["m", "v"]]));
    assert.equal(fromMap.get("m"), "v");

    const copy = new Metadata(fromRecord);
    copy.append("many", "c");
    assert.deepEqual(fromRecord.getAll("many"), ["a", "b"], "the copy does not share value lists");
    assert.deepEqual(copy.getAll("many"), ["a", "b", "c"]);
  });

  it("validates entries given to the constructor", () => {
    assertRejects(() => new Metadata({ "content-type": "x" }), /reserved/);
    assertRejects(() => new Metadata([["bad key", "x"]]), /not valid/);
    assertRejects(() => new Metadata({ "x-bin": "text" }), /Uint8Array/);
  });

  it("merges by appending values", () => {
    const a = new Metadata({ k: "1", only: "a" });
    const b = new Metadata({ k: ["2", "3"], other: "b" });
    assert.equal(a.merge(b), a);
    assert.deepEqual(a.getAll("k"), ["1", "2", "3"]);
    assert.equal(a.get("only"), "a");
    assert.equal(a.get("other"), "b");
    // The merged lists are not shared with the source.
    b.append("other", "c");
    assert.deepEqual(a.getAll("other"), ["b"]);
  });

  it("clones deeply enough that changes do not leak either way", () => {
    const a = new Metadata({ k: "1" });
    const c = a.clone();
    assert.notEqual(c, a);
    c.append("k", "2");
    a.set("n", "x");
    assert.deepEqual(a.getAll("k"), ["1"]);
    assert.equal(c.has("n"), false);
    assert.deepEqual(c.getAll("k"), ["1", "2"]);
  });

  it("toJSON gives strings, arrays for several values, base64 (padded) for bytes", () => {
    const md = new Metadata({ a: "1", b: ["x", "y"], "c-bin": Uint8Array.of(0xff) });
    md.append("d-bin", Uint8Array.of(1, 2, 3)).append("d-bin", Uint8Array.of(0xfb));
    assert.deepEqual(md.toJSON(), { a: "1", b: ["x", "y"], "c-bin": "/w==", "d-bin": ["AQID", "+w=="] });
    assert.equal(JSON.stringify(new Metadata({ z: "q" })), '{"z":"q"}');
  });
});

describe("Metadata validation (PROTOCOL-HTTP2.md Custom-Metadata)", () => {
  it("accepts keys of 0-9 a-z _ - . and lower-cases upper-case input", () => {
    const md = new Metadata();
    md.set("abc-123_x.y", "v");
    md.set("UPPER.Case_KEY-9", "v");
    assert.deepEqual([...md.keys()], ["abc-123_x.y", "upper.case_key-9"]);
  });

  it("rejects keys with other characters, and the empty key", () => {
    for (const key of ["", "a b", "a:b", "a/b", "ä", "a@b", "k\n", "a\u0000", "tab\t", "é-bin"]) {
      assertRejects(() => new Metadata().set(key, "v"), /not valid/);
      assertRejects(() => new Metadata().append(key, "v"), /not valid/);
    }
  });

  it("rejects the keys the protocol owns, in any case", () => {
    for (const key of [
      "content-type",
      "Content-Type",
      "te",
      "host",
      "connection",
      "keep-alive",
      "proxy-connection",
      "transfer-encoding",
      "upgrade",
      "grpc-timeout",
      "grpc-encoding",
      "grpc-accept-encoding",
      "grpc-message-type",
      "grpc-status",
      "GRPC-STATUS",
      "grpc-message",
    ]) {
      assertRejects(() => new Metadata().set(key, "v"), /reserved/);
    }
    assertRejects(() => new Metadata().set("grpc-status-details-bin", Uint8Array.of(1)), /reserved/);
    // Pseudo-headers fail the key syntax first.
    assertRejects(() => new Metadata().set(":path", "/x"), /not valid|reserved/);
  });

  it("allows grpc- keys the protocol does not own, such as grpc-trace-bin", () => {
    const md = new Metadata();
    md.set("grpc-trace-bin", Uint8Array.of(0, 1, 2));
    md.set("grpc-tags-bin", Uint8Array.of(3));
    assert.deepEqual(md.get("grpc-trace-bin"), Uint8Array.of(0, 1, 2));
  });

  it("isReservedKey and isBinaryKey", () => {
    assert.equal(isReservedKey(":path"), true);
    assert.equal(isReservedKey(":authority"), true);
    assert.equal(isReservedKey("grpc-status"), true);
    assert.equal(isReservedKey("te"), true);
    assert.equal(isReservedKey("grpc-trace-bin"), false);
    assert.equal(isReservedKey("authorization"), false);
    assert.equal(isReservedKey("user-agent"), false);
    assert.equal(isBinaryKey("x-bin"), true);
    assert.equal(isBinaryKey("x-binary"), false);
    assert.equal(isBinaryKey("bin"), false);
  });

  it("requires a Uint8Array for -bin keys", () => {
    assertRejects(() => new Metadata().set("x-bin", "text" as unknown as Uint8Array), /Uint8Array/);
    assertRejects(() => new Metadata().append("X-BIN", "text"), /Uint8Array/);
    new Metadata().set("x-bin", new Uint8Array(0));
  });

  it("requires printable ASCII text (0x20-0x7E) for other keys", () => {
    const md = new Metadata();
    md.set("ok", " !~ printable ");
    md.set("empty", "");
    for (const bad of ["new\nline", "tab\t", "del\u007f", "é", "日本", "nul\u0000", "cr\r"]) {
      assertRejects(() => new Metadata().set("k", bad), /printable ASCII/);
    }
    assertRejects(() => new Metadata().set("k", Uint8Array.of(1) as unknown as string), /printable ASCII/);
  });
});

describe("Metadata.writeHeaders", () => {
  it("writes text as is, bytes as unpadded base64, several values as an array", () => {
    const md = new Metadata();
    md.set("a", "1");
    md.append("multi", "x").append("multi", "y");
    md.set("one-bin", Uint8Array.of(0xff)); // "/w=="
    md.set("two-bin", Uint8Array.of(0xfb, 0xff)); // "+/8="
    md.set("three-bin", Uint8Array.of(1, 2, 3)); // "AQID"
    md.append("many-bin", Uint8Array.of(0xff)).append("many-bin", new Uint8Array(0));
    const target: Record<string, string | string[]> = { ":path": "/keep" };
    md.writeHeaders(target);
    assert.deepEqual(target, {
      ":path": "/keep",
      a: "1",
      multi: ["x", "y"],
      "one-bin": "/w",
      "two-bin": "+/8",
      "three-bin": "AQID",
      "many-bin": ["/w", ""],
    });
  });

  it("writes nothing for empty metadata", () => {
    const target: Record<string, string | string[]> = {};
    new Metadata().writeHeaders(target);
    assert.deepEqual(target, {});
  });
});

describe("Metadata.fromHeaders", () => {
  it("drops pseudo-headers and reserved keys, keeps custom metadata", () => {
    const md = Metadata.fromHeaders({
      ":status": "200",
      ":path": "/a.B/C",
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-status": "0",
      "grpc-message": "x",
      "grpc-encoding": "gzip",
      "grpc-accept-encoding": "gzip",
      "grpc-timeout": "1S",
      "grpc-status-details-bin": "AAAA",
      "user-agent": "grpc-ts/1",
      "x-custom": "yes",
    });
    assert.deepEqual(md.toJSON(), { "user-agent": "grpc-ts/1", "x-custom": "yes" });
  });

  it("drops reserved keys however they are cased", () => {
    const md = Metadata.fromHeaders({
      "Content-Type": "application/grpc",
      "GRPC-Status": "0",
      "X-Keep": "k",
    });
    assert.deepEqual(md.toJSON(), { "x-keep": "k" });
  });

  it("decodes -bin values padded, unpadded, URL-safe and comma-joined", () => {
    const md = Metadata.fromHeaders({
      "padded-bin": "AQID/w==",
      "unpadded-bin": "AQID/w",
      "urlsafe-bin": "-_8",
      "joined-bin": "AQ==,Ag, Aw",
      "grpc-trace-bin": "AAEC",
    });
    assert.deepEqual(md.get("padded-bin"), Uint8Array.of(1, 2, 3, 255));
    assert.deepEqual(md.get("unpadded-bin"), Uint8Array.of(1, 2, 3, 255));
    assert.deepEqual(md.get("urlsafe-bin"), Uint8Array.of(0xfb, 0xff));
    assert.deepEqual(md.getAll("joined-bin"), [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]);
    assert.deepEqual(md.get("grpc-trace-bin"), Uint8Array.of(0, 1, 2));
  });

  it("takes array values as several values, for text and -bin keys", () => {
    const md = Metadata.fromHeaders({ multi: ["a", "b"], "m-bin": ["AQ", "Ag==,Aw"] });
    assert.deepEqual(md.getAll("multi"), ["a", "b"]);
    assert.deepEqual(md.getAll("m-bin"), [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]);
  });

  it("lower-cases keys and turns numbers into text", () => {
    const md = Metadata.fromHeaders({ "X-Mixed": "v", "content-length": 42 });
    assert.equal(md.get("x-mixed"), "v");
    assert.equal(md.get("content-length"), "42");
  });

  it("drops invalid entries without failing", () => {
    const md = Metadata.fromHeaders({
      "bad key": "v",
      "bad/key": "v",
      "x-nonascii": "caf\u00e9",
      "x-control": "a\u0001b",
      "x-undefined": undefined,
      "bad-bin": "!!!",
      "mixed-bin": "AQ,%%,Ag",
      "x-mixed-values": ["ok", "not\u0007ok"],
      "x-good": "good",
    });
    assert.deepEqual(md.toJSON(), {
      "mixed-bin": ["AQ==", "Ag=="],
      "x-mixed-values": "ok",
      "x-good": "good",
    });
  });

  it("round-trips with writeHeaders", () => {
    const md = new Metadata();
    md.set("a", "1")
      .append("a", "2")
      .set("b-bin", Uint8Array.of(0, 1, 2, 3, 4))
      .append("b-bin", Uint8Array.of(7));
    const headers: Record<string, string | string[]> = {};
    md.writeHeaders(headers);
    assert.deepEqual([...Metadata.fromHeaders(headers)], [...md]);
  });
});
