import { Code, codeName, isCode } from "./code.js";
import { type ErrorDetail, type ErrorDetailInput, toErrorDetail } from "./error-detail.js";
import { Metadata } from "./metadata.js";

const brand = Symbol.for("@grpc-ts/core/RpcError");

export interface RpcErrorOptions {
  /** Trailing metadata to send with (server) or received with (client) the status. */
  readonly metadata?: Metadata;
  /** Rich error details, sent as `grpc-status-details-bin` (a `google.rpc.Status`). */
  readonly details?: readonly ErrorDetailInput[];
  /** The underlying error, never sent over the wire. */
  readonly cause?: unknown;
}

/**
 * The one error type of grpc-ts: a gRPC status code, a message, metadata and details.
 * `instanceof RpcError` holds across duplicate copies of this package.
 */
export class RpcError extends Error {
  override readonly name = "RpcError";
  readonly code: Code;
  /** The status message as sent on the wire (without the code prefix that `message` carries). */
  readonly rawMessage: string;
  readonly metadata: Metadata;
  readonly details: readonly ErrorDetail[];

  constructor(code: Code, message = "", options: RpcErrorOptions = {}) {
    super(prefixed(isCode(code) ? code : Code.UNKNOWN, message), { cause: options.cause });
    this.code = isCode(code) ? code : Code.UNKNOWN;
    this.rawMessage = message;
    this.metadata = options.metadata ?? new Metadata();
    this.details = (options.details ?? []).map(toErrorDetail);
    Object.defineProperty(this, brand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }

  /**
   * An RpcError for anything thrown: an RpcError is returned as it is; an abort becomes CANCELLED
   * (or DEADLINE_EXCEEDED for a timeout); anything else becomes `fallback` (UNKNOWN) with the
   * original as `cause` and its message (as other gRPC implementations send it). The stack is never
   * part of the message, so it never reaches a peer.
   */
  static from(reason: unknown, fallback: Code = Code.UNKNOWN): RpcError {
    if (reason instanceof RpcError) return reason;
    if (isAbortLike(reason)) {
      const timeout = (reason as { name?: unknown }).name === "TimeoutError";
      return new RpcError(
        timeout ? Code.DEADLINE_EXCEEDED : Code.CANCELLED,
        timeout ? "deadline exceeded" : "operation was aborted",
        {
          cause: reason,
        },
      );
    }
    const message = reason instanceof Error ? reason.message : String(reason);
    return new RpcError(fallback, message, { cause: reason });
  }
}

function prefixed(code: Code, message: string): string {
  return message === "" ? `[${codeName(code)}]` : `[${codeName(code)}] ${message}`;
}

function isAbortLike(reason: unknown): boolean {
  if (typeof reason !== "object" || reason === null) return false;
  const name = (reason as { name?: unknown }).name;
  return name === "AbortError" || name === "TimeoutError";
}
