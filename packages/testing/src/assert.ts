// Assertions the end-to-end tests share: an RpcError of one code, and equal bytes.
import assert from "node:assert/strict";
import { type Code, codeName, RpcError } from "@grpc-ts/core";
import { rejection } from "./async.js";

/** Asserts an RpcError with the code (by name in the failure message) and, optionally, message text. */
export function assertRpcError(e: unknown, code: Code, message?: string | RegExp): asserts e is RpcError {
  assert.ok(e instanceof RpcError, `expected an RpcError, got ${String(e)}`);
  assert.equal(codeName(e.code), codeName(code), `unexpected code; message: ${e.rawMessage}`);
  if (typeof message === "string")
    assert.ok(
      e.rawMessage.includes(message),
      `message ${JSON.stringify(e.rawMessage)} lacks ${JSON.stringify(message)}`,
    );
  else if (message !== undefined) assert.match(e.rawMessage, message);
}

/** Awaits a call expected to fail with an RpcError of the code, and returns the error. */
export async function expectRpcError(
  promise: Promise<unknown>,
  code: Code,
  message?: string | RegExp,
): Promise<RpcError> {
  const e = await rejection(promise);
  assertRpcError(e, code, message);
  return e;
}

/**
 * Asserts equal bytes. Received `bytes` fields may be Buffers (views of the received chunk), so the
 * comparison is by content, with a short message rather than a megabyte-long diff.
 */
export function assertBytes(actual: Uint8Array, expected: Uint8Array, what = "bytes"): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.length);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.length);
  assert.ok(a.equals(b), `${what}: content differs`);
}

/**
 * A validation function for `assert.throws` and `assert.rejects`: passes for an RpcError with the
 * code (and message text), and otherwise fails with assertRpcError's message.
 */
export function isRpcError(code: Code, message?: string | RegExp): (e: unknown) => true {
  return (e) => {
    assertRpcError(e, code, message);
    return true;
  };
}
