/**
 * The service config (service_config.md; the JSON form of grpc's service_config.proto): which
 * load-balancing policy a channel uses, per-method settings, retry throttling, and client-side
 * health checking. Parsed and validated on arrival (parse-service-config.ts); a config that fails
 * validation is an error naming the field, never a partial config.
 */

/** `initialBackoff` etc. as gRFC A6 has them (durations in ms here). */
export interface RetryPolicy {
  /** At least 2, as the config gives it: the retry code caps it (at 5 by default, A6). */
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly backoffMultiplier: number;
  /** Status codes (numbers) that are retried. */
  readonly retryableStatusCodes: readonly number[];
}

export interface HedgingPolicy {
  /** At least 2, as the config gives it: the hedging code caps it (at 5 by default, A6). */
  readonly maxAttempts: number;
  readonly hedgingDelayMs: number;
  readonly nonFatalStatusCodes: readonly number[];
}

/** A method config's `name` entry: both set, the service only (all its methods), or neither (all). */
export interface MethodName {
  readonly service: string;
  readonly method: string;
}

export interface MethodConfig {
  readonly names: readonly MethodName[];
  /** Fractional when the Duration is not a whole number of milliseconds (`"0.0000005s"`). */
  readonly timeoutMs?: number;
  readonly waitForReady?: boolean;
  readonly maxRequestMessageBytes?: number;
  readonly maxResponseMessageBytes?: number;
  readonly retryPolicy?: RetryPolicy;
  readonly hedgingPolicy?: HedgingPolicy;
}

/** The policy chosen from `loadBalancingConfig` (or `loadBalancingPolicy`), with its parsed config. */
export interface LoadBalancingChoice {
  readonly name: string;
  readonly config: unknown;
}

export interface ServiceConfig {
  /** Undefined when the config names none: the channel's default (pick_first). */
  readonly loadBalancing: LoadBalancingChoice | undefined;
  readonly methodConfigs: readonly MethodConfig[];
  /** `maxTokens` an integer in 1..1000; `tokenRatio` in whole thousandths (A6). */
  readonly retryThrottling?: { readonly maxTokens: number; readonly tokenRatio: number };
  /** Client-side health checking (A17): on when present; "" is the server's overall health. */
  readonly healthCheck?: { readonly serviceName: string };
}
