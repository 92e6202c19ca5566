import { readFileSync } from "node:fs";

/**
 * The version of `@grpc-ts/cli`, read from its package.json (one level above both `src/` and
 * `dist/`, so this works from the sources and from the build).
 */
export function version(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  if (manifest !== null && typeof manifest === "object" && "version" in manifest) {
    const v = manifest.version;
    if (typeof v === "string") return v;
  }
  return "unknown";
}
