/**
 * Which method config applies to a call (service_config.proto, MethodConfig.name): the one naming
 * the exact service and method, else the one naming the service, else the default (the empty
 * name), else none. The channel asks on every call, so a config is indexed once: after a path's
 * first lookup, the answer is one Map read with nothing allocated.
 */
import type { MethodConfig, ServiceConfig } from "./service-config.js";

/** The method config for a call's path (`/pkg.Service/Method`), or undefined. */
export type MethodConfigLookup = (path: string) => MethodConfig | undefined;

/** Paths whose answers are kept; past this many, further paths are looked up each time. */
const MAX_REMEMBERED_PATHS = 4096;

const none: MethodConfigLookup = () => undefined;

/** Indexes `config`'s method configs; where a name is given twice (parsed configs never do), the first wins. */
export function createMethodConfigIndex(config: ServiceConfig): MethodConfigLookup {
  const byMethod = new Map<string, MethodConfig>(); // by path, "/service/method"
  const byService = new Map<string, MethodConfig>();
  let fallback: MethodConfig | undefined;
  for (const methodConfig of config.methodConfigs) {
    for (const { service, method } of methodConfig.names) {
      if (service === "") {
        fallback ??= methodConfig;
      } else if (method === "") {
        if (!byService.has(service)) byService.set(service, methodConfig);
      } else {
        const path = `/${service}/${method}`;
        if (!byMethod.has(path)) byMethod.set(path, methodConfig);
      }
    }
  }
  if (byMethod.size === 0 && byService.size === 0) {
    if (fallback === undefined) return none;
    const always = fallback;
    return () => always;
  }

  const resolve = (path: string): MethodConfig | undefined => {
    const exact = byMethod.get(path);
    if (exact !== undefined) return exact;
    const slash = path.indexOf("/", 1);
    if (path.startsWith("/") && slash > 1) {
      const forService = byService.get(path.slice(1, slash));
      if (forService !== undefined) return forService;
    }
    return fallback;
  };
  // null: known to have no method config.
  const remembered = new Map<string, MethodConfig | null>();
  return (path) => {
    const known = remembered.get(path);
    if (known !== undefined) return known ?? undefined;
    const found = resolve(path);
    if (remembered.size < MAX_REMEMBERED_PATHS) remembered.set(path, found ?? null);
    return found;
  };
}

const indexes = new WeakMap<ServiceConfig, MethodConfigLookup>();

/** The method config for `path` in `config`, through an index made on the config's first lookup. */
export function findMethodConfig(config: ServiceConfig, path: string): MethodConfig | undefined {
  let lookup = indexes.get(config);
  if (lookup === undefined) {
    lookup = createMethodConfigIndex(config);
    indexes.set(config, lookup);
  }
  return lookup(path);
}
