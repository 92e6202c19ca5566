import { readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * Yields the paths (relative to `root`, with the platform's separator) of every regular file
 * under `root`, depth first, in name order. Symbolic links are not followed.
 */
export async function* walkFiles(root: string, prefix = ""): AsyncGenerator<string> {
  const entries = await readdir(join(root, prefix), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = prefix === "" ? entry.name : join(prefix, entry.name);
    if (entry.isDirectory()) yield* walkFiles(root, path);
    else if (entry.isFile()) yield path;
  }
}
