import { equal, strictEqual } from "node:assert/strict";
import { describe, it } from "node:test";
import { abortError } from "./abort-error.js";
import { Code } from "./code.js";
import { RpcError } from "./rpc-error.js";

describe("abortError", () => {
  it("an abort with no reason given is CANCELLED, its DOMException the cause", () => {
    const c = new AbortController();
    c.abort();
    const e = abortError(c.signal);
    equal(e.code, Code.CANCELLED);
    strictEqual(e.cause, c.signal.reason);
  });

  it("an RpcError as the reason is the error itself", () => {
    const reason = new RpcError(Code.UNAVAILABLE, "gone");
    strictEqual(abortError(AbortSignal.abort(reason)), reason);
  });

  it("any other reason is the cause of a CANCELLED error", () => {
    const reason = new Error("the user left");
    const e = abortError(AbortSignal.abort(reason));
    equal(e.code, Code.CANCELLED);
    strictEqual(e.cause, reason);
    equal(e.rawMessage, "the user left");
  });

  it("a timeout's signal is DEADLINE_EXCEEDED", () => {
    const e = abortError(AbortSignal.abort(new DOMException("timed out", "TimeoutError")));
    equal(e.code, Code.DEADLINE_EXCEEDED);
  });
});
