import { Code } from "./code.js";
import { RpcError } from "./rpc-error.js";

/**
 * `grpc-timeout`: at most 8 ASCII digits and a unit (H hours, M minutes, S seconds, m millis,
 * u micros, n nanos), as PROTOCOL-HTTP2.md defines it.
 */
const unitMs: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1 };
/** Sub-millisecond units divide (a multiplication by 0.001 or 0.000001 would round twice). */
const unitsPerMs: Readonly<Record<string, number>> = { u: 1000, n: 1_000_000 };
const maxValue = 99_999_999;

/**
 * Encodes a timeout in milliseconds with the finest unit that fits in 8 digits, rounding up so a
 * server never sees less time than the client will wait. Non-positive timeouts encode as `1n`.
 */
export function encodeTimeout(ms: number): string {
  if (!(ms > 0)) return "1n";
  if (!Number.isFinite(ms)) return `${maxValue}H`;
  const ns = Math.ceil(ms * 1e6);
  if (ns <= maxValue) return `${ns}n`;
  const us = Math.ceil(ms * 1e3);
  if (us <= maxValue) return `${us}u`;
  const whole = Math.ceil(ms);
  if (whole <= maxValue) return `${whole}m`;
  const s = Math.ceil(ms / 1000);
  if (s <= maxValue) return `${s}S`;
  const m = Math.ceil(ms / 60_000);
  if (m <= maxValue) return `${m}M`;
  return `${Math.min(Math.ceil(ms / 3_600_000), maxValue)}H`;
}

/** Decodes `grpc-timeout` into milliseconds; a malformed value throws RpcError INTERNAL. */
export function decodeTimeout(value: string): number {
  const len = value.length;
  if (len < 2 || len > 9) throw invalid(value);
  const unit = unitMs[value[len - 1]!];
  const perMs = unitsPerMs[value[len - 1]!];
  if (unit === undefined && perMs === undefined) throw invalid(value);
  let n = 0;
  for (let i = 0; i < len - 1; i++) {
    const c = value.charCodeAt(i) - 48;
    if (c < 0 || c > 9) throw invalid(value);
    n = n * 10 + c;
  }
  return unit !== undefined ? n * unit : n / perMs!;
}

function invalid(value: string): RpcError {
  return new RpcError(Code.INTERNAL, `malformed grpc-timeout header: ${JSON.stringify(value.slice(0, 32))}`);
}

/** An absolute deadline (ms since the epoch) from an optional timeout and an optional deadline. */
export function resolveDeadline(
  timeoutMs: number | undefined,
  deadline: Date | number | undefined,
): number | undefined {
  const fromTimeout = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  const fromDeadline =
    deadline === undefined ? undefined : typeof deadline === "number" ? deadline : deadline.getTime();
  if (fromTimeout === undefined) return fromDeadline;
  if (fromDeadline === undefined) return fromTimeout;
  return Math.min(fromTimeout, fromDeadline);
}
