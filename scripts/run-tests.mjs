#!/usr/bin/env node
// Runs every *.test.ts under the given folders (default: packages, examples, interop) with Node's test
// runner through tsx, resolving workspace packages to their TypeScript sources.
// Node 20 does not expand quoted globs, so the file list is collected here, and an empty list
// is an error rather than a silent pass.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const roots = args.length > 0 ? args : ["packages", "examples", "interop"];

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) collect(path, out);
    else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const files = [];
for (const r of roots) {
  const abs = join(root, r);
  if (statSync(abs, { throwIfNoEntry: false })?.isDirectory()) collect(abs, files);
  else if (abs.endsWith(".test.ts")) files.push(abs);
}
if (files.length === 0) {
  console.error(`run-tests: no *.test.ts files found under ${roots.join(", ")}`);
  process.exit(1);
}
files.sort();
const concurrency = process.env.TEST_CONCURRENCY ?? "2";
const result = spawnSync(
  process.execPath,
  [
    "--conditions=source",
    "--import",
    "tsx",
    "--test",
    `--test-concurrency=${concurrency}`,
    "--test-timeout=120000",
    ...files.map((f) => relative(root, f)),
  ],
  { cwd: root, stdio: "inherit" },
);
process.exit(result.status ?? 1);
