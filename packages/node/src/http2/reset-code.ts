/**
 * The gRPC status of a stream the peer reset: the RST_STREAM error code mapped as PROTOCOL-HTTP2.md
 * ("Errors") says. REFUSED_STREAM is UNAVAILABLE (the request was not processed, so it may be
 * retried), CANCEL is CANCELLED, ENHANCE_YOUR_CALM is RESOURCE_EXHAUSTED, INADEQUATE_SECURITY is
 * PERMISSION_DENIED; every other code, those the table lists as INTERNAL and those it does not
 * list, is INTERNAL. The codes are the engine's one table (`ErrorCode`).
 */
import { Code, RpcError } from "@grpc-ts/core";
import { ErrorCode, errorCodeName } from "@grpc-ts/http2";

export function codeFromResetCode(errorCode: number): Code {
  switch (errorCode) {
    case ErrorCode.REFUSED_STREAM:
      return Code.UNAVAILABLE;
    case ErrorCode.CANCEL:
      return Code.CANCELLED;
    case ErrorCode.ENHANCE_YOUR_CALM:
      return Code.RESOURCE_EXHAUSTED;
    case ErrorCode.INADEQUATE_SECURITY:
      return Code.PERMISSION_DENIED;
    default:
      return Code.INTERNAL;
  }
}

/**
 * Why a client stream ended without its response, as the core's `ClientStreamListener.onClose`
 * takes it: a lost connection is UNAVAILABLE; a reset by the server has the status its code maps
 * to; a stream that ended with NO_ERROR (or normally) has no error of its own.
 */
export function closeError(rstCode: number, connectionError: Error | undefined): RpcError | undefined {
  if (connectionError !== undefined)
    return new RpcError(Code.UNAVAILABLE, `the connection was lost: ${connectionError.message}`, {
      cause: connectionError,
    });
  if (rstCode === ErrorCode.NO_ERROR) return undefined;
  return new RpcError(
    codeFromResetCode(rstCode),
    `the server reset the stream with HTTP/2 error ${errorCodeName(rstCode)}`,
  );
}
