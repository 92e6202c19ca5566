/**
 * A channel's resolvers, by scheme: the built-ins (dns, ipv4, ipv6, unix, unix-abstract,
 * passthrough) and the application's own. The registry is a value the channel is given; nothing
 * registers itself on import.
 */
import { realClock } from "../clock.js";
import { dnsResolverFactory } from "./dns-resolver.js";
import { ipv4ResolverFactory, ipv6ResolverFactory } from "./ip-resolver.js";
import { passthroughResolverFactory } from "./passthrough.js";
import type { ResolverFactory, ResolverOptions } from "./resolver.js";
import { unixAbstractResolverFactory, unixResolverFactory } from "./unix-resolver.js";

/** Factories by scheme (lower case). */
export type ResolverRegistry = ReadonlyMap<string, ResolverFactory>;

export const BUILT_IN_RESOLVERS: readonly ResolverFactory[] = [
  dnsResolverFactory,
  ipv4ResolverFactory,
  ipv6ResolverFactory,
  unixResolverFactory,
  unixAbstractResolverFactory,
  passthroughResolverFactory,
];

const SCHEME_NAME = /^[a-z][a-z0-9+.-]*$/;

/**
 * The built-in resolvers plus `custom`; a custom factory replaces the built-in one of its scheme.
 * A TypeError for a scheme that is not a URI scheme, or for two custom factories of one scheme.
 */
export function createResolverRegistry(custom: readonly ResolverFactory[] = []): ResolverRegistry {
  const registry = new Map<string, ResolverFactory>();
  for (const factory of BUILT_IN_RESOLVERS) registry.set(factory.scheme, factory);
  const seen = new Set<string>();
  for (const factory of custom) {
    const scheme = factory.scheme.toLowerCase();
    if (!SCHEME_NAME.test(scheme))
      throw new TypeError(
        `resolver scheme "${factory.scheme}" is not a URI scheme (a letter, then a-z 0-9 + - .)`,
      );
    if (seen.has(scheme)) throw new TypeError(`two custom resolvers for the scheme "${scheme}"`);
    seen.add(scheme);
    registry.set(scheme, factory);
  }
  return registry;
}

/** The options of gRPC's defaults: re-resolve at most every 30 s, only when asked; no TXT lookup. */
export function defaultResolverOptions(overrides: Partial<ResolverOptions> = {}): ResolverOptions {
  return {
    clock: overrides.clock ?? realClock,
    dnsMinResolutionIntervalMs: overrides.dnsMinResolutionIntervalMs ?? 30_000,
    dnsPeriodicResolutionMs: overrides.dnsPeriodicResolutionMs,
    dnsServiceConfig: overrides.dnsServiceConfig ?? false,
  };
}
