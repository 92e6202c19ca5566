/**
 * Validates a service config document (service_config.md: the proto3 JSON form of
 * grpc.service_config.ServiceConfig) into a ServiceConfig, or throws a ServiceConfigError naming
 * the first bad field. The rules, and the decisions where the specs leave room:
 *
 * - Field names in lowerCamelCase or in their snake_case originals; `null` is the same as absent;
 *   unknown fields are ignored (newer configs stay readable), known fields of the wrong form are
 *   errors. An empty list is the same as an absent one (proto3 cannot tell them apart).
 * - `loadBalancingConfig`: the first entry whose policy the registry knows wins, and its config
 *   must pass that policy's `parseConfig`; a list that names no known policy is an error. The
 *   deprecated `loadBalancingPolicy` (a policy name in any case) counts only when
 *   `loadBalancingConfig` is absent; its policy gets the config `{}`.
 * - Method names: `{service, method}`, `{service}` (all its methods) or `{}` (the default for all
 *   methods); a method without a service is an error, and so is a name given twice anywhere in
 *   the config. A method config with no names matches nothing (it is still validated).
 * - `retryPolicy` and `hedgingPolicy` as gRFC A6 has them; a method config has at most one.
 *   `maxAttempts` is kept as given: the retry code caps it (at 5 by default, A6).
 * - `retryThrottling.maxTokens` is an integer (the proto's uint32) in 1..1000; `tokenRatio` keeps
 *   3 decimal places (A6), further digits are dropped, so it must be at least 0.001.
 * - `healthCheckConfig.serviceName`: "" asks for the server's overall health; a
 *   `healthCheckConfig` without `serviceName` leaves health checking off.
 */
import {
  childPath,
  fail,
  field,
  indexPath,
  integerOf,
  type JsonObject,
  type Located,
  readBool,
  readDurationMs,
  readFloat,
  readList,
  readObject,
  readStatusCodes,
  readString,
  readUint32,
  requiredField,
} from "./proto-json.js";
import type {
  HedgingPolicy,
  LoadBalancingChoice,
  MethodConfig,
  MethodName,
  RetryPolicy,
  ServiceConfig,
} from "./service-config.js";
import { ServiceConfigError } from "./service-config-error.js";

/** What the parser needs of a load-balancing policy: its name and the parser of its config. */
export interface PolicyConfigParser {
  /** The policy's name (a legacy `loadBalancingPolicy` names it in any case). */
  readonly name: string;
  /** The policy's config, checked; throws (a ServiceConfigError names the field) when invalid. */
  parseConfig(json: unknown): unknown;
}

/** The policies a channel knows, by their `loadBalancingConfig` name. */
export type PolicyLookup = (name: string) => PolicyConfigParser | undefined;

/** Parses `doc` (JSON text or an already-parsed value); throws a ServiceConfigError. */
export function parseServiceConfig(doc: unknown, policies: PolicyLookup): ServiceConfig {
  const root = readObject(typeof doc === "string" ? parseJson(doc) : doc, "");
  const retryThrottling = field(root, "", "retryThrottling");
  const healthCheck = field(root, "", "healthCheckConfig");
  const healthCheckService = healthCheck && readHealthCheck(healthCheck);
  return {
    loadBalancing: readLoadBalancing(root, policies),
    methodConfigs: readMethodConfigs(root),
    ...(retryThrottling && { retryThrottling: readRetryThrottling(retryThrottling) }),
    ...(healthCheckService !== undefined && { healthCheck: { serviceName: healthCheckService } }),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail("", `not JSON: ${e instanceof Error ? e.message : String(e)}`, e);
  }
}

// --- load balancing ---

function readLoadBalancing(root: JsonObject, policies: PolicyLookup): LoadBalancingChoice | undefined {
  const list = field(root, "", "loadBalancingConfig");
  const entries = list === undefined ? [] : readList(list.value, list.path);
  if (list !== undefined && entries.length > 0) return chooseFromList(entries, list.path, policies);
  const legacy = field(root, "", "loadBalancingPolicy");
  if (legacy === undefined) return undefined;
  const name = readString(legacy.value, legacy.path).toLowerCase();
  const factory = policies(name);
  if (factory === undefined) fail(legacy.path, `unknown load-balancing policy "${name}"`);
  return { name: factory.name, config: parsePolicyConfig(factory, {}, legacy.path) };
}

/** Every entry must be a one-key object; the first known policy wins. */
function chooseFromList(
  entries: readonly unknown[],
  path: string,
  policies: PolicyLookup,
): LoadBalancingChoice {
  let chosen: LoadBalancingChoice | undefined;
  const names: string[] = [];
  entries.forEach((entry, i) => {
    const entryPath = indexPath(path, i);
    const keys = Object.keys(readObject(entry, entryPath));
    if (keys.length !== 1) {
      fail(entryPath, `must name exactly one policy (as { "<policy>": { ... } }), not ${keys.length}`);
    }
    const name = keys[0]!;
    const configPath = childPath(entryPath, name);
    const config = readObject((entry as JsonObject)[name], configPath);
    names.push(name);
    if (chosen !== undefined) return;
    const factory = policies(name);
    if (factory !== undefined) chosen = { name, config: parsePolicyConfig(factory, config, configPath) };
  });
  if (chosen === undefined) fail(path, `names no known load-balancing policy (${names.join(", ")})`);
  return chosen;
}

function parsePolicyConfig(factory: PolicyConfigParser, config: unknown, path: string): unknown {
  try {
    return factory.parseConfig(config);
  } catch (e) {
    if (e instanceof ServiceConfigError) fail(e.path === "" ? path : childPath(path, e.path), e.reason, e);
    return fail(path, e instanceof Error ? e.message : String(e), e);
  }
}

// --- method configs ---

function readMethodConfigs(root: JsonObject): readonly MethodConfig[] {
  const list = field(root, "", "methodConfig");
  if (list === undefined) return [];
  /** Where each name was first given, by `service/method`. */
  const seen = new Map<string, string>();
  return readList(list.value, list.path).map((item, i) =>
    readMethodConfig(item, indexPath(list.path, i), seen),
  );
}

function readMethodConfig(value: unknown, path: string, seen: Map<string, string>): MethodConfig {
  const obj = readObject(value, path);
  const names = field(obj, path, "name");
  const timeout = field(obj, path, "timeout");
  const waitForReady = field(obj, path, "waitForReady");
  const maxRequest = field(obj, path, "maxRequestMessageBytes");
  const maxResponse = field(obj, path, "maxResponseMessageBytes");
  const retry = field(obj, path, "retryPolicy");
  const hedging = field(obj, path, "hedgingPolicy");
  if (retry !== undefined && hedging !== undefined) {
    fail(path, `has both ${lastKey(retry.path)} and ${lastKey(hedging.path)}; at most one is allowed`);
  }
  return {
    names: names === undefined ? [] : readNames(names, seen),
    ...(timeout && { timeoutMs: readDurationMs(timeout.value, timeout.path) }),
    ...(waitForReady && { waitForReady: readBool(waitForReady.value, waitForReady.path) }),
    ...(maxRequest && { maxRequestMessageBytes: readUint32(maxRequest.value, maxRequest.path) }),
    ...(maxResponse && { maxResponseMessageBytes: readUint32(maxResponse.value, maxResponse.path) }),
    ...(retry && { retryPolicy: readRetryPolicy(retry.value, retry.path) }),
    ...(hedging && { hedgingPolicy: readHedgingPolicy(hedging.value, hedging.path) }),
  };
}

function lastKey(path: string): string {
  return path.slice(path.lastIndexOf(".") + 1);
}

function readNames(names: Located, seen: Map<string, string>): readonly MethodName[] {
  return readList(names.value, names.path).map((item, i) => {
    const path = indexPath(names.path, i);
    const obj = readObject(item, path);
    const service = field(obj, path, "service");
    const method = field(obj, path, "method");
    const name: MethodName = {
      service: service === undefined ? "" : readString(service.value, service.path),
      method: method === undefined ? "" : readString(method.value, method.path),
    };
    if (name.service === "" && name.method !== "")
      fail(path, `method "${name.method}" given without a service`);
    const key = `${name.service}/${name.method}`;
    const first = seen.get(key);
    if (first !== undefined) fail(path, `${describeName(name)} is already named at ${first}`);
    seen.set(key, path);
    return name;
  });
}

function describeName(name: MethodName): string {
  if (name.service === "") return "the default name (no service, no method)";
  if (name.method === "") return `service "${name.service}"`;
  return `method "${name.service}/${name.method}"`;
}

/** maxAttempts of a retry or hedging policy: an integer of at least 2, kept as given. */
function readMaxAttempts(obj: JsonObject, path: string): number {
  const found = requiredField(obj, path, "maxAttempts");
  const n = integerOf(found.value);
  if (n === undefined || n < 2) fail(found.path, "must be an integer greater than 1");
  return readUint32(n, found.path);
}

function readPositiveDurationMs(obj: JsonObject, path: string, name: string): number {
  const found = requiredField(obj, path, name);
  const ms = readDurationMs(found.value, found.path);
  if (ms <= 0) fail(found.path, "must be greater than 0s");
  return ms;
}

function readRetryPolicy(value: unknown, path: string): RetryPolicy {
  const obj = readObject(value, path);
  const maxAttempts = readMaxAttempts(obj, path);
  const initialBackoffMs = readPositiveDurationMs(obj, path, "initialBackoff");
  const maxBackoffMs = readPositiveDurationMs(obj, path, "maxBackoff");
  const multiplier = requiredField(obj, path, "backoffMultiplier");
  const backoffMultiplier = readFloat(multiplier.value, multiplier.path);
  if (backoffMultiplier <= 0) fail(multiplier.path, "must be greater than 0");
  const codes = requiredField(obj, path, "retryableStatusCodes");
  const retryableStatusCodes = readStatusCodes(codes.value, codes.path);
  if (retryableStatusCodes.length === 0) fail(codes.path, "must name at least one status code");
  return { maxAttempts, initialBackoffMs, maxBackoffMs, backoffMultiplier, retryableStatusCodes };
}

function readHedgingPolicy(value: unknown, path: string): HedgingPolicy {
  const obj = readObject(value, path);
  const maxAttempts = readMaxAttempts(obj, path);
  const delay = field(obj, path, "hedgingDelay");
  const codes = field(obj, path, "nonFatalStatusCodes");
  return {
    maxAttempts,
    hedgingDelayMs: delay === undefined ? 0 : readDurationMs(delay.value, delay.path),
    nonFatalStatusCodes: codes === undefined ? [] : readStatusCodes(codes.value, codes.path),
  };
}

// --- retry throttling, health checking ---

const MAX_TOKENS_LIMIT = 1000;

function readRetryThrottling(found: Located): NonNullable<ServiceConfig["retryThrottling"]> {
  const obj = readObject(found.value, found.path);
  const tokens = requiredField(obj, found.path, "maxTokens");
  const maxTokens = readUint32(tokens.value, tokens.path);
  if (maxTokens < 1 || maxTokens > MAX_TOKENS_LIMIT) {
    fail(tokens.path, `must be greater than 0 and at most ${MAX_TOKENS_LIMIT}`);
  }
  const ratio = requiredField(obj, found.path, "tokenRatio");
  const given = readFloat(ratio.value, ratio.path);
  // Whole thousandths, the digits beyond the third dropped (toPrecision first, so that binary
  // noise such as 1.005 * 1000 = 1004.9999999999999 does not lose a thousandth).
  const thousandths = Math.floor(Number((given * 1000).toPrecision(15)));
  if (thousandths <= 0) fail(ratio.path, "must be at least 0.001 (3 decimal places are kept)");
  return { maxTokens, tokenRatio: thousandths / 1000 };
}

/** The service name to health-check, or undefined when there is none (health checking stays off). */
function readHealthCheck(found: Located): string | undefined {
  const serviceName = field(readObject(found.value, found.path), found.path, "serviceName");
  return serviceName && readString(serviceName.value, serviceName.path);
}
