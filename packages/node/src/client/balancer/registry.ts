/**
 * The load-balancing policies a channel can choose from by name (`loadBalancingConfig`): the
 * built-ins, pick_first and round_robin, plus the caller's. A registry is a value passed to the
 * channel, never global state filled by imports.
 */
import type { Clock } from "../clock.js";
import type { LoadBalancerFactory } from "./balancer.js";
import { createPickFirstFactory } from "./pick-first.js";
import { createRoundRobinFactory } from "./round-robin.js";

export type BalancerRegistry = ReadonlyMap<string, LoadBalancerFactory>;

export interface BuiltinBalancerOptions {
  /** For the built-ins' timers (the real clock by default). */
  readonly clock?: Clock;
  /** For pick_first's shuffling and round_robin's first pick (Math.random by default). */
  readonly random?: () => number;
  /** Happy Eyeballs' connection attempt delay (gRFC A61; default 250 ms, bounded to 100..2000). */
  readonly connectionAttemptDelayMs?: number;
}

/**
 * pick_first and round_robin, then `custom` in order: a custom factory with a built-in's name
 * replaces it, and a later custom one replaces an earlier one of the same name.
 */
export function createBalancerRegistry(
  custom: readonly LoadBalancerFactory[] = [],
  options: BuiltinBalancerOptions = {},
): BalancerRegistry {
  const registry = new Map<string, LoadBalancerFactory>();
  for (const factory of [createPickFirstFactory(options), createRoundRobinFactory(options), ...custom]) {
    if (typeof factory.name !== "string" || factory.name === "")
      throw new TypeError("a load-balancing policy needs a name");
    registry.set(factory.name, factory);
  }
  return registry;
}
