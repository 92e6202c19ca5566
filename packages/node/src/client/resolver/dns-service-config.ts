/**
 * The service config a DNS name publishes (gRFC A2): a TXT record at `_grpc_config.<host>` of the
 * form `grpc_config=<JSON>` (RFC 1464), the JSON being a list of choices. The first choice whose
 * criteria all match this client wins and its `serviceConfig` object is the config:
 *
 * - `clientLanguage`: a list of names, matched case-insensitively. grpc-ts answers to
 *   "typescript" and to "node" (the name grpc-js gives itself: a config written for Node clients
 *   is meant for a Node process, which a grpc-ts client is).
 * - `percentage`: an integer 0–100; each resolver draws its client's place in 0–99 once, so one
 *   client stays on one side of a canary while it lives.
 * - `clientHostname`: a list of names, one of which must equal `os.hostname()` exactly.
 *
 * An absent or empty criterion matches everyone; no matching choice means no config. A choice
 * with an unknown field, a criterion of the wrong type, or a `serviceConfig` that is not an
 * object makes the whole record invalid (A2, A21), as does JSON that does not parse. The value
 * of `serviceConfig` is returned as parsed JSON; the channel validates its contents.
 */

export const CLIENT_LANGUAGES: readonly string[] = ["typescript", "node"];

const PREFIX = "grpc_config=";
const CHOICE_FIELDS = new Set(["clientLanguage", "percentage", "clientHostname", "serviceConfig"]);

export interface ClientIdentity {
  readonly hostname: string;
  /** This client's place for `percentage`, an integer from 0 to 99. */
  readonly percentile: number;
}

/**
 * The config in `records` (each a TXT record as its strings, joined here): undefined when no
 * record is a `grpc_config=` one or no choice matches. A TypeError says what is malformed; two
 * `grpc_config=` records are an error too (DNS gives them in no defined order).
 */
export function serviceConfigFromTxt(
  records: readonly (readonly string[])[],
  client: ClientIdentity,
): object | undefined {
  const configs = records.map((strings) => strings.join("")).filter((r) => r.startsWith(PREFIX));
  if (configs.length === 0) return undefined;
  if (configs.length > 1) throw new TypeError(`${configs.length} grpc_config TXT records (one is allowed)`);
  let choices: unknown;
  try {
    choices = JSON.parse(configs[0]!.slice(PREFIX.length));
  } catch (e) {
    throw new TypeError(`grpc_config is not JSON: ${(e as Error).message}`);
  }
  return selectServiceConfig(choices, client);
}

/** The first matching choice's config from a parsed choice list (see the file's comment). */
export function selectServiceConfig(choices: unknown, client: ClientIdentity): object | undefined {
  if (!Array.isArray(choices)) throw new TypeError("grpc_config is not a JSON list of choices");
  let chosen: object | undefined;
  choices.forEach((choice: unknown, i) => {
    const config = checkChoice(choice, `grpc_config choice ${i}`);
    if (chosen === undefined && matches(config, client)) chosen = config.serviceConfig;
  });
  return chosen;
}

interface Choice {
  readonly clientLanguage?: readonly string[];
  readonly percentage?: number;
  readonly clientHostname?: readonly string[];
  readonly serviceConfig: object;
}

function checkChoice(choice: unknown, where: string): Choice {
  if (!isObject(choice)) throw new TypeError(`${where} is not an object`);
  for (const key of Object.keys(choice))
    if (!CHOICE_FIELDS.has(key)) throw new TypeError(`${where} has an unknown field "${key}"`);
  const { clientLanguage, percentage, clientHostname, serviceConfig } = choice;
  for (const [name, list] of [
    ["clientLanguage", clientLanguage],
    ["clientHostname", clientHostname],
  ] as const) {
    if (list !== undefined && !(Array.isArray(list) && list.every((s) => typeof s === "string")))
      throw new TypeError(`${where}: ${name} is not a list of strings`);
  }
  if (
    percentage !== undefined &&
    !(typeof percentage === "number" && Number.isInteger(percentage) && percentage >= 0 && percentage <= 100)
  )
    throw new TypeError(`${where}: percentage is not an integer from 0 to 100`);
  if (!isObject(serviceConfig)) throw new TypeError(`${where}: serviceConfig is missing or not an object`);
  return choice as unknown as Choice;
}

function matches(choice: Choice, client: ClientIdentity): boolean {
  const languages = choice.clientLanguage ?? [];
  if (languages.length > 0 && !languages.some((l) => CLIENT_LANGUAGES.includes(l.toLowerCase())))
    return false;
  if (choice.percentage !== undefined && !(client.percentile < choice.percentage)) return false;
  const hostnames = choice.clientHostname ?? [];
  return hostnames.length === 0 || hostnames.includes(client.hostname);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
