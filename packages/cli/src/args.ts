import type { ImportExtension, Target } from "./generate.js";
import { importExtensions, targets } from "./generate.js";
import { parseRemoteArgs, type RemoteCommand, type RemoteKind } from "./remote-args.js";

/** Default proto directory of `grpc-ts generate`, relative to the current directory. */
export const defaultProtoDir = "proto";
/** Default output directory of `grpc-ts generate`, relative to the current directory. */
export const defaultOutDir = "gen";

/** Which usage text to show. */
export type HelpTopic = "main" | "generate" | RemoteKind;

const topics: readonly HelpTopic[] = ["main", "generate", "list", "describe", "call"];

/** What the command line asks for. */
export type Command =
  | { readonly kind: "help"; readonly topic: HelpTopic }
  | { readonly kind: "version" }
  | {
      readonly kind: "generate";
      readonly protoDir: string;
      readonly outDir: string;
      readonly target: readonly Target[];
      readonly importExtension: ImportExtension;
    }
  | RemoteCommand;

/** The parsed command, or why the command line is not valid (with the usage to show). */
export type ParseResult =
  | { readonly ok: true; readonly command: Command }
  | { readonly ok: false; readonly message: string; readonly topic: HelpTopic };

/**
 * Parses the arguments after `grpc-ts` (i.e. `process.argv.slice(2)`).
 *
 * ```
 * grpc-ts --help | -h | help [generate]
 * grpc-ts --version | -v
 * grpc-ts generate [protoDir] [--out|-o dir] [--target ts|js|dts|js+dts] [--import-extension js|ts|none]
 * grpc-ts list <target> [service] [options]
 * grpc-ts describe <target> [symbol] [options]
 * grpc-ts call <target> <pkg.Service/Method> [-d JSON|@file|@-] [options]
 * ```
 * Option values may follow as the next argument or after `=`; `--` ends the options.
 * A repeated option takes its last value.
 */
export function parseArgs(argv: readonly string[]): ParseResult {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      return fail("no command given", "main");
    case "--help":
    case "-h":
      return ok({ kind: "help", topic: "main" });
    case "help":
      if (rest.length === 0) return ok({ kind: "help", topic: "main" });
      if (rest.length === 1) {
        const topic = topics.find((t) => t !== "main" && t === rest[0]);
        if (topic !== undefined) return ok({ kind: "help", topic });
      }
      return fail(`no help for "${rest.join(" ")}"`, "main");
    case "--version":
    case "-v":
      return ok({ kind: "version" });
    case "generate":
      return parseGenerate(rest);
    case "list":
    case "describe":
    case "call": {
      const result = parseRemoteArgs(command, rest);
      if (result.ok === "help") return ok({ kind: "help", topic: command });
      return result.ok ? ok(result.command) : fail(result.message, command);
    }
    default:
      return command.startsWith("-")
        ? fail(`unknown option "${command}"`, "main")
        : fail(`unknown command "${command}"`, "main");
  }
}

function parseGenerate(argv: readonly string[]): ParseResult {
  const positionals: string[] = [];
  let outDir = defaultOutDir;
  let target: readonly Target[] = ["ts"];
  let importExtension: ImportExtension = "js";
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
    if (arg === "--help" || arg === "-h") return ok({ kind: "help", topic: "generate" });

    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq !== -1 ? arg.slice(0, eq) : arg;
    if (name !== "--out" && name !== "-o" && name !== "--target" && name !== "--import-extension") {
      return fail(`unknown option "${name}"`, "generate");
    }
    let value: string;
    if (name !== arg) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("-") && next !== "-")) {
        return fail(`option ${name} needs a value`, "generate");
      }
      value = next;
      i++;
    }
    if (value === "") return fail(`option ${name} needs a non-empty value`, "generate");

    if (name === "--out" || name === "-o") {
      outDir = value;
    } else if (name === "--target") {
      const parsed = parseTarget(value);
      if (parsed === undefined) {
        return fail(
          `invalid --target "${value}" (use ts, js or dts, or a combination such as js+dts)`,
          "generate",
        );
      }
      target = parsed;
    } else {
      const ext = importExtensions.find((e) => e === value);
      if (ext === undefined)
        return fail(`invalid --import-extension "${value}" (use js, ts or none)`, "generate");
      importExtension = ext;
    }
  }

  if (positionals.length > 1) {
    return fail(
      `expected at most one proto directory, got ${positionals.length}: ${positionals.join(" ")}`,
      "generate",
    );
  }
  return ok({
    kind: "generate",
    protoDir: positionals[0] ?? defaultProtoDir,
    outDir,
    target,
    importExtension,
  });
}

function parseTarget(value: string): Target[] | undefined {
  const parts = value.split("+");
  const result: Target[] = [];
  for (const part of parts) {
    const t = targets.find((candidate) => candidate === part);
    if (t === undefined) return undefined;
    if (!result.includes(t)) result.push(t);
  }
  return result;
}

function ok(command: Command): ParseResult {
  return { ok: true, command };
}

function fail(message: string, topic: HelpTopic): ParseResult {
  return { ok: false, message, topic };
}
