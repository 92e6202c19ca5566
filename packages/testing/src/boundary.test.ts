// The toolkit stays a test-only package: private (never published), in no package's dependencies,
// and imported by no source a package ships or runs (only by tests and test-only helpers).
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { REPO_ROOT } from "./child-process.js";

/** Folders of tests and test-only helpers (and the toolkit itself), where the import is expected. */
const TEST_ONLY = [/\.test\.ts$/, /(^|\/)test-support\//, /^packages\/testing\//, /\/http2\/conformance\//];

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name === "gen" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (/\.(ts|mts|js|mjs)$/.test(name)) out.push(relative(REPO_ROOT, path));
  }
  return out;
}

function manifests(): { path: string; json: Record<string, unknown> }[] {
  const dirs = [
    ...readdirSync(join(REPO_ROOT, "packages")).map((d) => join("packages", d)),
    "examples",
    "interop",
  ];
  return dirs
    .map((d) => join(d, "package.json"))
    .filter((p) => statSync(join(REPO_ROOT, p), { throwIfNoEntry: false })?.isFile())
    .map((path) => ({ path, json: JSON.parse(readFileSync(join(REPO_ROOT, path), "utf8")) }));
}

describe("@grpc-ts/testing is for tests only", () => {
  it("is private", () => {
    const own = manifests().find((m) => m.json.name === "@grpc-ts/testing");
    assert.ok(own !== undefined);
    assert.equal(own.json.private, true);
  });

  it("is in no package's dependencies (devDependencies only)", () => {
    const deps = manifests()
      .filter((m) => Object.hasOwn((m.json.dependencies as object | undefined) ?? {}, "@grpc-ts/testing"))
      .map((m) => m.path);
    assert.deepEqual(deps, []);
  });

  it("is imported by no non-test source", () => {
    const roots = ["packages", "examples", "interop", "bench", "scripts"];
    const files = roots.flatMap((r) =>
      statSync(join(REPO_ROOT, r), { throwIfNoEntry: false })?.isDirectory()
        ? sources(join(REPO_ROOT, r))
        : [],
    );
    assert.ok(files.length > 100, `only ${files.length} sources found`);
    const offenders = files
      .filter((f) => !TEST_ONLY.some((re) => re.test(f)))
      .filter((f) => readFileSync(join(REPO_ROOT, f), "utf8").includes("@grpc-ts/testing"));
    assert.deepEqual(offenders, []);
  });
});
