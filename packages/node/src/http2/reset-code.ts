/**
 * The gRPC status of a stream the peer reset: the RST_STREAM error code mapped as PROTOCOL-HTTP2.md
 * ("Errors") says. REFUSED_STREAM is UNAVAILABLE (the request was not processed, so it may be
 * retried), CANCEL is CANCELLED, ENHANCE_YOUR_CALM is RESOURCE_EXHAUSTED, INADEQUATE_SECURITY is
 * PERMISSION_DENIED; every other code, those the table lists as INTERNAL and those it does not
 * list, is INTERNAL. The codes are the engine's one table (`ErrorCode`).
 */
import { Code } from "@grpc-ts/core";
import { ErrorCode } from "@grpc-ts/http2";

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
