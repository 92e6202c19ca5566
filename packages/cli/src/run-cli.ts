import { relative } from "node:path";
import { defaultOutDir, defaultProtoDir, parseArgs } from "./args.js";
import { generate } from "./generate.js";
import { GenerateError } from "./generate-error.js";
import { usage } from "./usage.js";
import { version } from "./version.js";

/** Where the command writes, and the directory it runs in. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  /** Standard input, read by `call -d @-`; without it, `@-` reads nothing. */
  readonly stdin?: () => AsyncIterable<string | Uint8Array>;
  /** Whether stdout is a terminal: responses are indented and coloured (default false). */
  readonly stdoutIsTTY?: boolean;
  /** Whether stderr is a terminal: errors are coloured (default false). */
  readonly stderrIsTTY?: boolean;
  /** Environment read for colour choices: NO_COLOR, FORCE_COLOR, TERM (default: none). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  stdin: () => process.stdin,
  stdoutIsTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
  env: process.env,
};

/**
 * Runs the `grpc-ts` command with `argv` (the arguments after the program name) and resolves to
 * the exit code: 0 on success, 1 when buf fails (its report is printed) or what was asked for is
 * not found, 2 for a usage error (unknown command or option, missing or empty proto directory,
 * invalid target, malformed JSON), and 64 + the gRPC status code when a call fails.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    io.stderr(`grpc-ts: ${parsed.message}\n\n${usage(parsed.topic)}`);
    return 2;
  }
  const command = parsed.command;
  switch (command.kind) {
    case "help":
      io.stdout(usage(command.topic));
      return 0;
    case "version":
      io.stdout(`${version()}\n`);
      return 0;
    case "list":
    case "describe":
    case "call": {
      // Loaded on demand: generate needs none of the gRPC stack.
      const { runRemote } = await import("./remote/run-remote.js");
      return runRemote(command, io);
    }
    case "generate":
      try {
        const result = await generate({
          protoDir: command.protoDir,
          outDir: command.outDir,
          target: command.target,
          importExtension: command.importExtension,
          cwd: io.cwd,
        });
        if (result.stderr !== "") io.stderr(result.stderr);
        const count = result.files.length;
        io.stdout(`grpc-ts generate: wrote ${count} file${count === 1 ? "" : "s"} to ${command.outDir}\n`);
        for (const file of result.files) io.stdout(`  ${relative(io.cwd, file)}\n`);
        return 0;
      } catch (error) {
        if (!(error instanceof GenerateError)) throw error;
        if (error.reason === "input") {
          io.stderr(
            `grpc-ts generate: ${error.message}; usage: grpc-ts generate [protoDir] [--out dir] ` +
              `(defaults: protoDir "${defaultProtoDir}", --out "${defaultOutDir}")\n`,
          );
          return 2;
        }
        if (error.stderr !== "") io.stderr(error.stderr.endsWith("\n") ? error.stderr : `${error.stderr}\n`);
        io.stderr(`grpc-ts generate: ${error.message}\n`);
        return 1;
      }
  }
}
