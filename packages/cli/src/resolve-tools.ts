import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { GenerateError } from "./generate-error.js";

/** Absolute paths of the two Node scripts `generate` runs (each with `process.execPath`). */
export interface Tools {
  /** `@bufbuild/buf`'s `buf` launcher, which starts the platform's native buf binary. */
  readonly buf: string;
  /** `@bufbuild/protoc-gen-es`'s plugin entry. */
  readonly protocGenEs: string;
}

const require = createRequire(import.meta.url);

/** Finds `buf` and `protoc-gen-es` through the npm packages this package depends on. */
export function resolveTools(): Tools {
  return {
    buf: resolveBin("@bufbuild/buf", "buf"),
    protocGenEs: resolveBin("@bufbuild/protoc-gen-es", "protoc-gen-es"),
  };
}

function resolveBin(packageName: string, binName: string): string {
  let manifestPath: string;
  try {
    manifestPath = require.resolve(`${packageName}/package.json`);
  } catch (cause) {
    throw new GenerateError("tool", `cannot find the npm package ${packageName} (is it installed?)`, {
      cause,
    });
  }
  const manifest: unknown = JSON.parse(readFileSync(manifestPath, "utf8"));
  const bin =
    manifest !== null && typeof manifest === "object" && "bin" in manifest ? manifest.bin : undefined;
  let entry: unknown;
  if (typeof bin === "string") entry = bin;
  else if (bin !== null && typeof bin === "object" && binName in bin)
    entry = (bin as Record<string, unknown>)[binName];
  if (typeof entry !== "string") {
    throw new GenerateError("tool", `the npm package ${packageName} has no "${binName}" executable`);
  }
  return join(dirname(manifestPath), entry);
}
