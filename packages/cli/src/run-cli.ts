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
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
};

/**
 * Runs the `grpc-ts` command with `argv` (the arguments after the program name) and resolves to
 * the exit code: 0 on success, 1 when buf fails (its report is printed), 2 for a usage error
 * (unknown command or option, missing or empty proto directory).
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
