/**
 * The service config (service_config.md; the JSON form of grpc's service_config.proto): which
 * load-balancing policy a channel uses, per-method settings, retry throttling, and client-side
 * health checking. Parsed and validated on arrival (parse-service-config.ts); a config that fails
 * validation is an error naming the field, never a partial config.
 */

/** `initialBackoff` etc. as gRFC A6 has them (durations in ms here). */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly backoffMultiplier: number;
  /** Status codes (numbers) that are retried. */
  readonly retryableStatusCodes: readonly number[];
}

export interface HedgingPolicy {
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
  readonly retryThrottling?: { readonly maxTokens: number; readonly tokenRatio: number };
  readonly healthCheck?: { readonly serviceName: string };
}
