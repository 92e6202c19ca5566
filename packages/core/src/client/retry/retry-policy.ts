/**
 * What a call's retries follow (gRFC A6): a retry policy (another attempt after a retryable
 * status, after an exponential backoff) or a hedging policy (further attempts on a timer, before
 * the first fails), with the channel's shared state: the throttle, the buffer for request
 * messages, the timers and the randomness. The service config gives the policies
 * (service-config/); a transport turns them into a `RetryPlan` once per method config.
 */
import type { MethodConfig } from "../../service-config/service-config.js";
import type { RetryBuffer } from "./retry-buffer.js";
import type { RetryThrottle } from "./retry-throttle.js";

/** A6's client-side cap on `maxAttempts` of both policies (a channel option may change it). */
export const DEFAULT_MAX_RETRY_ATTEMPTS = 5;

/** Runs `fn` after `ms` unless cancelled: the retry and hedging timers (a test gives a fake clock). */
export type Schedule = (fn: () => void, ms: number) => { cancel(): void };

export const realSchedule: Schedule = (fn, ms) => {
  const handle = setTimeout(fn, ms);
  return { cancel: () => clearTimeout(handle) };
};

/** The state a channel's calls share: where the throttle and the buffer live. */
export interface RetryContext {
  /** Per server name (the channel's): undefined while the service config sets no `retryThrottling`. */
  throttle: RetryThrottle | undefined;
  readonly buffer: RetryBuffer;
  readonly schedule: Schedule;
  /** Uniform in [0, 1). */
  readonly random: () => number;
}

interface PlanBase {
  /** Attempts in all, the first included: the policy's, capped (2 or more). */
  readonly maxAttempts: number;
  /** Bit `1 << code` set for each retryable (retry) or non-fatal (hedging) status code. */
  readonly codes: number;
  readonly context: RetryContext;
}

export interface RetryPlanRetry extends PlanBase {
  readonly kind: "retry";
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly backoffMultiplier: number;
}

export interface RetryPlanHedge extends PlanBase {
  readonly kind: "hedge";
  readonly hedgingDelayMs: number;
}

export type RetryPlan = RetryPlanRetry | RetryPlanHedge;

/**
 * The plan for a method config's policy (undefined without one): `maxAttempts` above
 * `maxRetryAttempts` (default 5) is treated as that many, as A6 asks.
 */
export function retryPlanOf(
  policy: Pick<MethodConfig, "retryPolicy" | "hedgingPolicy">,
  context: RetryContext,
  maxRetryAttempts: number = DEFAULT_MAX_RETRY_ATTEMPTS,
): RetryPlan | undefined {
  const cap = Math.max(1, Math.floor(maxRetryAttempts));
  const r = policy.retryPolicy;
  if (r !== undefined) {
    const maxAttempts = Math.min(r.maxAttempts, cap);
    if (maxAttempts < 2) return undefined;
    return {
      kind: "retry",
      maxAttempts,
      codes: codeMask(r.retryableStatusCodes),
      context,
      initialBackoffMs: r.initialBackoffMs,
      maxBackoffMs: r.maxBackoffMs,
      backoffMultiplier: r.backoffMultiplier,
    };
  }
  const h = policy.hedgingPolicy;
  if (h !== undefined) {
    const maxAttempts = Math.min(h.maxAttempts, cap);
    if (maxAttempts < 2) return undefined;
    return {
      kind: "hedge",
      maxAttempts,
      codes: codeMask(h.nonFatalStatusCodes),
      context,
      hedgingDelayMs: h.hedgingDelayMs,
    };
  }
  return undefined;
}

function codeMask(codes: readonly number[]): number {
  let mask = 0;
  for (const c of codes) if (c >= 0 && c <= 30) mask |= 1 << c;
  return mask;
}

export function hasCode(plan: RetryPlan, code: number): boolean {
  return (plan.codes & (1 << code)) !== 0;
}

/**
 * The wait before the next retry: `backoffMs` (the current, un-jittered backoff) times a factor
 * uniform in [0.8, 1.2) (A6 as amended).
 */
export function jittered(backoffMs: number, random: () => number): number {
  return backoffMs * (0.8 + 0.4 * random());
}

/** The un-jittered backoff after `backoffMs`: times the multiplier, at most `maxBackoffMs`. */
export function nextBackoff(plan: RetryPlanRetry, backoffMs: number): number {
  return Math.min(backoffMs * plan.backoffMultiplier, plan.maxBackoffMs);
}

/** The server asked for no retry (a negative or malformed `grpc-retry-pushback-ms`). */
export const STOP = -1;

const MAX_PUSHBACK_MS = 2_147_483_647;

/**
 * `grpc-retry-pushback-ms` (A6): undefined when absent, the delay in ms when it is a
 * non-negative decimal integer with no needless leading zeros (within 32 bits), `STOP` otherwise.
 */
export function parsePushback(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^(?:0|[1-9][0-9]{0,9})$/.test(value)) return STOP;
  const ms = Number(value);
  return ms > MAX_PUSHBACK_MS ? STOP : ms;
}
