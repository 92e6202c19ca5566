// Parses the arguments of the commands that talk to a server: list, describe and call.

/** The commands that talk to a server. */
export type RemoteKind = "list" | "describe" | "call";

/** How to reach the server, and where the descriptors come from. */
export interface ConnectionArgs {
  /** As given: `host:port`, `dns:…`, `unix:…`, `ipv4:…`, `ipv6:…`, `http://host:port` or `https://host:port`. */
  readonly target: string;
  /** Connect with TLS (also implied by `--cacert`, `--cert`, `--insecure`, `--server-name` and `https://`). */
  readonly tls: boolean;
  readonly cacert: string | undefined;
  readonly cert: string | undefined;
  readonly key: string | undefined;
  readonly insecure: boolean;
  readonly serverName: string | undefined;
  /** Request metadata from `-H 'key: value'`, in order. */
  readonly headers: readonly (readonly [string, string])[];
  /** Per-call deadline from `--timeout`. */
  readonly timeoutMs: number | undefined;
  /** `.proto` files to compile with buf instead of asking the server by reflection. */
  readonly protoFiles: readonly string[];
  /** The import root of `protoFiles` (default: each file's own directory). */
  readonly importPath: string | undefined;
  /** Machine-readable output. */
  readonly json: boolean;
}

export type RemoteCommand =
  | { readonly kind: "list"; readonly connection: ConnectionArgs; readonly service: string | undefined }
  | { readonly kind: "describe"; readonly connection: ConnectionArgs; readonly symbol: string | undefined }
  | {
      readonly kind: "call";
      readonly connection: ConnectionArgs;
      /** `pkg.Service/Method` (or `pkg.Service.Method`). */
      readonly method: string;
      /** The `-d` value: JSON text, `@file`, or `@-` for stdin; undefined when not given. */
      readonly data: string | undefined;
      readonly emitDefaults: boolean;
      readonly verbose: boolean;
    };

export type RemoteParseResult =
  | { readonly ok: true; readonly command: RemoteCommand }
  | { readonly ok: false; readonly message: string }
  | { readonly ok: "help" };

interface OptionSpec {
  readonly names: readonly string[];
  readonly value: boolean;
  readonly commands: readonly RemoteKind[];
}

const all: readonly RemoteKind[] = ["list", "describe", "call"];
const options: readonly OptionSpec[] = [
  { names: ["-d", "--data"], value: true, commands: ["call"] },
  { names: ["-H", "--header"], value: true, commands: all },
  { names: ["--timeout"], value: true, commands: all },
  { names: ["--tls"], value: false, commands: all },
  { names: ["--cacert"], value: true, commands: all },
  { names: ["--cert"], value: true, commands: all },
  { names: ["--key"], value: true, commands: all },
  { names: ["--insecure"], value: false, commands: all },
  { names: ["--server-name"], value: true, commands: all },
  { names: ["--proto"], value: true, commands: all },
  { names: ["-I", "--import-path"], value: true, commands: all },
  { names: ["--json"], value: false, commands: all },
  { names: ["--emit-defaults"], value: false, commands: ["call"] },
  { names: ["--verbose"], value: false, commands: ["call"] },
];

/**
 * Parses `argv` (the arguments after the command name). Options may come anywhere; values follow
 * as the next argument or after `=` (for long options). `--` ends the options.
 */
export function parseRemoteArgs(kind: RemoteKind, argv: readonly string[]): RemoteParseResult {
  const positionals: string[] = [];
  const values = new Map<string, string[]>();
  let optionsEnded = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (optionsEnded || arg === "-" || !arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      optionsEnded = true;
      continue;
    }
    if (arg === "--help" || arg === "-h") return { ok: "help" };
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq !== -1 ? arg.slice(0, eq) : arg;
    const spec = options.find((o) => o.names.includes(name));
    if (spec === undefined || !spec.commands.includes(kind)) return fail(`unknown option "${name}"`);
    const key = spec.names[spec.names.length - 1]!;
    let value = "";
    if (spec.value) {
      if (name !== arg) {
        value = arg.slice(eq + 1);
      } else {
        const next = argv[i + 1];
        // A value may start with "-" only for -d/-H (JSON or a header could); "-d -" is not stdin
        // (that is "@-"), so a lone "-" is still taken as a value.
        if (next === undefined) return fail(`option ${name} needs a value`);
        if (next.startsWith("-") && next !== "-" && key !== "--data" && key !== "--header") {
          return fail(`option ${name} needs a value`);
        }
        value = next;
        i++;
      }
      if (value === "" && key !== "--data") return fail(`option ${name} needs a non-empty value`);
    } else if (name !== arg) {
      return fail(`option ${name} takes no value`);
    }
    const list = values.get(key) ?? [];
    list.push(value);
    values.set(key, list);
  }

  const last = (key: string): string | undefined => values.get(key)?.at(-1);
  const has = (key: string): boolean => values.has(key);

  const headers: (readonly [string, string])[] = [];
  for (const h of values.get("--header") ?? []) {
    const colon = h.indexOf(":");
    const key = colon < 0 ? "" : h.slice(0, colon).trim();
    if (key === "") return fail(`invalid header ${JSON.stringify(h)} (use -H 'key: value')`);
    headers.push([key.toLowerCase(), h.slice(colon + 1).trim()]);
  }

  let timeoutMs: number | undefined;
  const timeout = last("--timeout");
  if (timeout !== undefined) {
    timeoutMs = parseDuration(timeout);
    if (timeoutMs === undefined) {
      return fail(`invalid --timeout "${timeout}" (use e.g. 2.5, 500ms, 10s, 1m; a bare number is seconds)`);
    }
  }

  const cert = last("--cert");
  const key = last("--key");
  if ((cert === undefined) !== (key === undefined)) return fail("--cert and --key go together");

  const [target, second, ...extra] = positionals;
  if (target === undefined) return fail("no target given (e.g. localhost:50051)");
  const connection: ConnectionArgs = {
    target,
    tls:
      has("--tls") ||
      has("--cacert") ||
      cert !== undefined ||
      has("--insecure") ||
      has("--server-name") ||
      target.startsWith("https://"),
    cacert: last("--cacert"),
    cert,
    key,
    insecure: has("--insecure"),
    serverName: last("--server-name"),
    headers,
    timeoutMs,
    protoFiles: values.get("--proto") ?? [],
    importPath: last("--import-path"),
    json: has("--json"),
  };
  if (connection.importPath !== undefined && connection.protoFiles.length === 0) {
    return fail("--import-path goes with --proto");
  }

  switch (kind) {
    case "list":
      if (extra.length > 0) return fail(`unexpected argument "${extra[0]}"`);
      return { ok: true, command: { kind, connection, service: second } };
    case "describe":
      if (extra.length > 0) return fail(`unexpected argument "${extra[0]}"`);
      return { ok: true, command: { kind, connection, symbol: second } };
    case "call":
      if (second === undefined) return fail("no method given (e.g. routeguide.RouteGuide/GetFeature)");
      if (extra.length > 0) return fail(`unexpected argument "${extra[0]}" (request data goes after -d)`);
      return {
        ok: true,
        command: {
          kind,
          connection,
          method: second,
          data: last("--data"),
          emitDefaults: has("--emit-defaults"),
          verbose: has("--verbose"),
        },
      };
  }
}

/** `500ms`, `10s`, `1.5m`, `1h`, or a bare number of seconds → milliseconds (> 0), else undefined. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  const ms = n * (unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000);
  return ms > 0 && Number.isFinite(ms) ? Math.ceil(ms) : undefined;
}

function fail(message: string): RemoteParseResult {
  return { ok: false, message };
}
