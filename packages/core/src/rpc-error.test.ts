import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "./code.js";
import { Metadata } from "./metadata.js";
import { RpcError } from "./rpc-error.js";

describe("RpcError", () => {
  it("prefixes the message with the code name and keeps the raw message", () => {
    const err = new RpcError(Code.NOT_FOUND, "no such feature");
    assert.equal(err.message, "[NOT_FOUND] no such feature");
    assert.equal(err.rawMessage, "no such feature");
    assert.equal(err.code, Code.NOT_FOUND);
    assert.equal(err.name, "RpcError");
    assert.ok(err instanceof Error);
    assert.ok(err instanceof RpcError);
    assert.match(String(err), /^RpcError: \[NOT_FOUND\] no such feature$/);
  });

  it("has only the prefix for an empty message", () => {
    const err = new RpcError(Code.CANCELLED);
    assert.equal(err.message, "[CANCELLED]");
    assert.equal(err.rawMessage, "");
  });

  it("defaults to empty metadata and no details", () => {
    const err = new RpcError(Code.INTERNAL, "x");
    assert.ok(err.metadata instanceof Metadata);
    assert.equal(err.metadata.size, 0);
    assert.deepEqual(err.details, []);
    assert.equal(err.cause, undefined);
  });

  it("keeps metadata, details (ready and from a schema) and cause", () => {
    const metadata = new Metadata({ "retry-after": "5" });
    const cause = new Error("root");
    const ready = { typeUrl: "type.googleapis.com/x.Y", value: Uint8Array.of(1, 2, 3) };
    const err = new RpcError(Code.UNAVAILABLE, "later", {
      metadata,
      cause,
      details: [ready, { desc: DurationSchema, value: { seconds: 1n } }],
    });
    assert.equal(err.metadata, metadata);
    assert.equal(err.cause, cause);
    assert.equal(err.details.length, 2);
    assert.deepEqual(err.details[0], ready);
    // Duration{seconds: 1}: field 1 varint 1.
    assert.deepEqual(err.details[1], {
      typeUrl: "type.googleapis.com/google.protobuf.Duration",
      value: Uint8Array.of(0x08, 0x01),
    });
  });

  it("turns a number that is not a code into UNKNOWN, in the code and in the message", () => {
    const err = new RpcError(42 as Code, "odd");
    assert.equal(err.code, Code.UNKNOWN);
    assert.equal(err.message, "[UNKNOWN] odd");
    assert.equal(err.rawMessage, "odd");
  });
});

describe("RpcError.from", () => {
  it("returns an RpcError as it is", () => {
    const err = new RpcError(Code.ABORTED, "conflict");
    assert.equal(RpcError.from(err), err);
    assert.equal(RpcError.from(err, Code.INTERNAL), err);
  });

  it("turns an AbortError into CANCELLED with the abort as cause", () => {
    const abort = new DOMException("This operation was aborted", "AbortError");
    const err = RpcError.from(abort);
    assert.equal(err.code, Code.CANCELLED);
    assert.equal(err.cause, abort);
    const controller = new AbortController();
    controller.abort();
    assert.equal(RpcError.from(controller.signal.reason).code, Code.CANCELLED);
    // Any object named AbortError counts (e.g. from another realm or library).
    const plain = Object.assign(new Error("x"), { name: "AbortError" });
    assert.equal(RpcError.from(plain).code, Code.CANCELLED);
  });

  it("turns a TimeoutError into DEADLINE_EXCEEDED with the timeout as cause", () => {
    const timeout = new DOMException("The operation timed out", "TimeoutError");
    const err = RpcError.from(timeout);
    assert.equal(err.code, Code.DEADLINE_EXCEEDED);
    assert.equal(err.cause, timeout);
    assert.equal(RpcError.from(timeout, Code.INTERNAL).code, Code.DEADLINE_EXCEEDED);
  });

  it("turns an Error into UNKNOWN with the error as cause", () => {
    const e = new TypeError("boom");
    const err = RpcError.from(e);
    assert.ok(err instanceof RpcError);
    assert.equal(err.code, Code.UNKNOWN);
    assert.equal(err.cause, e);
    assert.equal(err.rawMessage, "boom");
    assert.deepEqual(err.details, []);
    assert.equal(err.metadata.size, 0);
  });

  it("turns a string or any other value into UNKNOWN with it as cause", () => {
    const s = RpcError.from("went wrong");
    assert.equal(s.code, Code.UNKNOWN);
    assert.equal(s.cause, "went wrong");
    assert.equal(s.rawMessage, "went wrong");
    const n = RpcError.from(undefined);
    assert.equal(n.code, Code.UNKNOWN);
    assert.equal(n.cause, undefined);
    const o = { name: "Other" };
    assert.equal(RpcError.from(o).cause, o);
  });

  it("uses the fallback code for a non-RpcError", () => {
    const e = new Error("x");
    assert.equal(RpcError.from(e, Code.INTERNAL).code, Code.INTERNAL);
    assert.equal(RpcError.from("x", Code.DATA_LOSS).code, Code.DATA_LOSS);
  });
});

describe("RpcError across duplicate copies of the package", () => {
  it("is instanceof both ways, and from() keeps a foreign RpcError as it is", async () => {
    // A second, distinct module instance of the same source file (the query makes it a new module).
    const specifier = "./rpc-error.js?copy";
    const copy = (await import(specifier)) as typeof import("./rpc-error.js");
    const Other = copy.RpcError;
    assert.notEqual(Other, RpcError, "the two classes must be different objects");

    const foreign = new Other(Code.NOT_FOUND, "x");
    const local = new RpcError(Code.NOT_FOUND, "x");
    assert.equal(Object.getPrototypeOf(foreign) === RpcError.prototype, false);
    assert.ok(foreign instanceof RpcError);
    assert.ok(local instanceof Other);
    assert.ok(foreign instanceof Other);
    assert.equal(RpcError.from(foreign), foreign);
    assert.equal(Other.from(local), local);
  });

  it("is not fooled by lookalikes", () => {
    assert.equal(new Error("x") instanceof RpcError, false);
    assert.equal({ code: 2, message: "x", name: "RpcError" } instanceof RpcError, false);
    assert.equal((null as unknown) instanceof RpcError, false);
    assert.equal(("RpcError" as unknown) instanceof RpcError, false);
  });
});
