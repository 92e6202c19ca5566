#!/usr/bin/env node
// Type-checks the whole repository: everything against the sources (tests included), the core
// and web packages against no Node types at all (they must stay runtime-neutral), and interop/,
// whose code is generated from Debian's grpc-proto files: checked whenever that code exists, and
// always in CI (where a missing generation is an error). The private test toolkit (packages/testing)
// is also checked as its own project, against the other packages' built declarations.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const tsc = `${root}node_modules/typescript/bin/tsc`;
const projects = ["tsconfig.json", "packages/core/tsconfig.neutral.json", "packages/testing/tsconfig.json"];
if (existsSync(`${root}packages/web/tsconfig.neutral.json`))
  projects.push("packages/web/tsconfig.neutral.json");
if (existsSync(`${root}interop/gen`) || process.env.CI) projects.push("interop/tsconfig.json");
else
  console.log(
    "typecheck: interop/ skipped: interop/gen is missing (apt-get install -y grpc-proto, then npm run generate)",
  );

let failed = false;
for (const project of projects) {
  const r = spawnSync(process.execPath, [tsc, "-p", project, "--noEmit"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
