import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { create, createFileRegistry, type FileRegistry, fromBinary } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { GenerateError } from "../generate-error.js";
import { resolveTools } from "../resolve-tools.js";
import { CliFailure, EXIT_FAILURE, usageError } from "./failure.js";

/** The descriptors of `.proto` files given with `--proto`. */
export interface ProtoFiles {
  readonly registry: FileRegistry;
  /** The names (import paths) of the files given, e.g. `routeguide/route_guide.proto`. */
  readonly fileNames: readonly string[];
}

/**
 * Compiles `files` with `buf build` (the binary from the npm package @bufbuild/buf) into one
 * registry holding them and everything they import. A file's import root is `importPath` when
 * given (every file must be under it), else the file's own directory; a `buf.yaml` there is
 * honoured. Throws a usage error for a missing file, and a failure (exit 1) with buf's report
 * when buf fails.
 */
export async function buildProtoFiles(
  files: readonly string[],
  importPath: string | undefined,
  cwd: string,
): Promise<ProtoFiles> {
  const byRoot = new Map<string, string[]>();
  const fileNames: string[] = [];
  for (const file of files) {
    const absolute = resolve(cwd, file);
    const info = await stat(absolute).catch(() => undefined);
    if (info === undefined || !info.isFile()) throw usageError(`--proto ${file}: no such file`);
    const root = importPath === undefined ? dirname(absolute) : resolve(cwd, importPath);
    const name = relative(root, absolute);
    if (name.startsWith("..") || isAbsolute(name)) {
      throw usageError(`--proto ${file} is not under --import-path ${importPath ?? ""}`);
    }
    const importName = name.split(sep).join("/");
    byRoot.set(root, [...(byRoot.get(root) ?? []), importName]);
    fileNames.push(importName);
  }

  let buf: string;
  try {
    buf = resolveTools().buf;
  } catch (e) {
    throw new CliFailure(EXIT_FAILURE, e instanceof GenerateError ? e.message : String(e));
  }
  // Each root's image lists every file after the files it imports; merging the images in order,
  // keeping the first copy of a file, keeps that order.
  const merged = new Map<string, FileDescriptorProto>();
  for (const [root, names] of byRoot) {
    const set = fromBinary(FileDescriptorSetSchema, await bufBuild(buf, root, names));
    for (const file of set.file) if (!merged.has(file.name)) merged.set(file.name, file);
  }
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: [...merged.values()] }));
  return { registry, fileNames };
}

function bufBuild(buf: string, root: string, names: readonly string[]): Promise<Uint8Array> {
  const args = [buf, "build", ".", ...names.flatMap((n) => ["--path", n]), "-o", "-"];
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: root, encoding: "buffer", maxBuffer: 256 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error === null) {
          resolvePromise(stdout);
          return;
        }
        const report = stderr.toString("utf8");
        reject(
          new CliFailure(
            EXIT_FAILURE,
            `buf build failed for ${names.join(", ")} (import root ${root})`,
            report.endsWith("\n") || report === "" ? report : `${report}\n`,
          ),
        );
      },
    );
  });
}
