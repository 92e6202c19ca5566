// Where things are: the repository root (children run there), the bench folder, its outputs.
import { fileURLToPath } from "node:url";

export const benchDir = fileURLToPath(new URL("..", import.meta.url));
export const rootDir = fileURLToPath(new URL("../..", import.meta.url));
export const protoPath = fileURLToPath(new URL("../proto/bench.proto", import.meta.url));
export const resultsDir = fileURLToPath(new URL("../results", import.meta.url));
/** Raw data, quick runs, h2load logs, profiles: gitignored. */
export const rawDir = fileURLToPath(new URL("../results/raw", import.meta.url));

/** A child script of bench/impl by name, e.g. `ours-server`. */
export function implScript(name: string): string {
  return fileURLToPath(new URL(`../impl/${name}.ts`, import.meta.url));
}
