#!/usr/bin/env node
// The npm registry reachable here serves only the Linux builds of packages that ship one binary
// package per platform (@biomejs/cli-*, @bufbuild/buf-*). npm then leaves the other platforms'
// optional packages out of package-lock.json, and `npm ci` rejects the lockfile as out of sync.
// This adds an optional entry for each such package, so `npm ci` accepts the lockfile and skips
// what does not fit the machine. Run it after every `npm install` that rewrites the lockfile.
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;
let added = 0;
for (const meta of Object.values(packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (packages[key] !== undefined) continue;
    packages[key] = { version, ...(meta.dev ? { dev: true } : {}), optional: true };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lockfile-stubs: added ${added} optional platform entries`);
