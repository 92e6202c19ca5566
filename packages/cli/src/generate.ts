import { copyFile, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { GenerateError } from "./generate-error.js";
import { resolveTools } from "./resolve-tools.js";
import { runProcess } from "./run-process.js";
import { walkFiles } from "./walk-files.js";

/**
 * What protoc-gen-es emits per `.proto` file `foo.proto`:
 * `"ts"` → `foo_pb.ts`; `"js"` → `foo_pb.js`; `"dts"` → `foo_pb.d.ts`.
 * Several may be combined, e.g. `["js", "dts"]` for JavaScript with declarations.
 */
export type Target = "ts" | "js" | "dts";

/** The extension protoc-gen-es puts on relative imports between generated files. */
export type ImportExtension = "js" | "ts" | "none";

export interface GenerateOptions {
  /** Directory holding the `.proto` files (searched recursively by buf), relative to `cwd`. */
  readonly protoDir: string;
  /** Directory the generated files are written to (created if needed), relative to `cwd`. */
  readonly outDir: string;
  /** protoc-gen-es target(s); default `"ts"`. */
  readonly target?: Target | readonly Target[];
  /** Extension of relative imports in generated code; default `"js"` (right for NodeNext ESM). */
  readonly importExtension?: ImportExtension;
  /** Directory `protoDir` and `outDir` are resolved against; default `process.cwd()`. */
  readonly cwd?: string;
}

export interface GenerateResult {
  /** Absolute paths of the files written, sorted. */
  readonly files: string[];
  /** Anything buf or the plugin printed on stderr although generation succeeded (warnings). */
  readonly stderr: string;
}

export const targets: readonly Target[] = ["ts", "js", "dts"];
export const importExtensions: readonly ImportExtension[] = ["js", "ts", "none"];

/**
 * Generates protobuf-es code (messages and `GenService` descriptors) for every `.proto` file in
 * `protoDir`, by running `buf generate` (from the npm package `@bufbuild/buf`) with an inline
 * template whose one local plugin is `protoc-gen-es` (from `@bufbuild/protoc-gen-es`), started with
 * the current Node executable. No `buf.gen.yaml` and no native `protoc` are needed; a `buf.yaml`
 * in `protoDir`, if present, is honoured by buf (module layout, dependencies).
 *
 * buf writes into a private temporary directory first; the files are copied into `outDir` only
 * when generation succeeded, so a failed run leaves `outDir` untouched. Existing files in `outDir`
 * that are not regenerated are left as they are.
 *
 * @throws {GenerateError} `reason: "input"` when `protoDir` is missing or has no `.proto` file,
 *   `"buf"` when buf fails (its report in `stderr`), `"tool"` when buf cannot be found or run.
 */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const protoDir = resolve(cwd, options.protoDir);
  const outDir = resolve(cwd, options.outDir);
  const target = normalizeTarget(options.target ?? "ts");
  const importExtension = options.importExtension ?? "js";
  if (!importExtensions.includes(importExtension)) {
    throw new GenerateError("input", `unknown import extension "${importExtension}" (use js, ts or none)`);
  }
  await checkProtoDir(options.protoDir, protoDir);

  const tools = resolveTools();
  const staging = await mkdtemp(join(tmpdir(), "grpc-ts-generate-"));
  try {
    const template = {
      version: "v2",
      plugins: [
        {
          local: [process.execPath, tools.protocGenEs],
          out: staging,
          opt: [`target=${target.join("+")}`, `import_extension=${importExtension}`],
        },
      ],
    };
    // The proto directory is passed as the user wrote it, so buf reports paths the user knows.
    let result: Awaited<ReturnType<typeof runProcess>>;
    try {
      result = await runProcess(
        process.execPath,
        [tools.buf, "generate", options.protoDir, "--template", JSON.stringify(template)],
        { cwd },
      );
    } catch (cause) {
      throw new GenerateError("tool", `cannot start buf: ${String(cause)}`, { cause });
    }
    if (result.code !== 0) {
      const how =
        result.code === null
          ? `was killed by ${result.signal ?? "a signal"}`
          : `exited with code ${result.code}`;
      throw new GenerateError("buf", `buf generate ${how}`, { stderr: result.stderr });
    }

    const files: string[] = [];
    for await (const relativePath of walkFiles(staging)) {
      const destination = join(outDir, relativePath);
      await mkdir(dirname(destination), { recursive: true });
      await copyFile(join(staging, relativePath), destination);
      files.push(destination);
    }
    return { files, stderr: result.stderr };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function normalizeTarget(target: Target | readonly Target[]): Target[] {
  const list: readonly Target[] = typeof target === "string" ? [target] : target;
  if (list.length === 0) throw new GenerateError("input", "no target given (use ts, js or dts)");
  for (const t of list) {
    if (!targets.includes(t)) throw new GenerateError("input", `unknown target "${t}" (use ts, js or dts)`);
  }
  return targets.filter((t) => list.includes(t));
}

async function checkProtoDir(given: string, absolute: string): Promise<void> {
  const info = await stat(absolute).catch(() => undefined);
  if (info === undefined) {
    throw new GenerateError("input", `proto directory "${given}" does not exist (${absolute})`);
  }
  if (!info.isDirectory()) {
    throw new GenerateError("input", `"${given}" is not a directory (${absolute})`);
  }
  for await (const path of walkFiles(absolute)) {
    if (path.endsWith(".proto")) return;
  }
  throw new GenerateError("input", `no .proto file found in "${given}" (${absolute}), searched recursively`);
}
