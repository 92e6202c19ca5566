/**
 * The error of a call cancelled through the caller's `AbortSignal`, the same on every transport.
 * An `RpcError` given as the reason is the error itself; any other reason becomes the cause, through
 * `RpcError.from` with CANCELLED as the code (so an abort's own reason, a `DOMException` named
 * "AbortError", reads as CANCELLED, and one named "TimeoutError", from `AbortSignal.timeout`, as
 * DEADLINE_EXCEEDED).
 */
import { Code } from "./code.js";
import { RpcError } from "./rpc-error.js";

export function abortError(signal: AbortSignal): RpcError {
  const reason: unknown = signal.reason;
  if (reason instanceof RpcError) return reason;
  return RpcError.from(reason ?? new DOMException("aborted", "AbortError"), Code.CANCELLED);
}
