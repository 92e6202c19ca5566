#!/usr/bin/env node
// Generates interop/gen/grpc/testing/{empty,messages,test}_pb.ts from the standard interop protos
// that Debian's `grpc-proto` package installs under /usr/share/grpc-proto (GRPC_PROTO_DIR overrides).
// Only those three files are generated (the folder holds many more), so they are copied to a
// scratch folder first and `grpc-ts generate` runs there.
// Without grpc-proto this prints why and exits 0, so `npm ci` works on any machine; the interop
// code then does not type-check and the interop tests fail, saying what to install.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const here = new URL("..", import.meta.url).pathname;
const root = join(here, "..");
const protoRoot = process.env.GRPC_PROTO_DIR ?? "/usr/share/grpc-proto";
const files = ["empty.proto", "messages.proto", "test.proto"];
const source = join(protoRoot, "grpc", "testing");

const missing = files.filter((f) => !existsSync(join(source, f)));
if (missing.length > 0) {
  console.warn(
    `interop: skipping code generation: ${missing.map((f) => join(source, f)).join(", ")} not found.\n` +
      "interop: install Debian's grpc-proto (apt-get install grpc-proto, as .ci/run does);\n" +
      "interop: until then the interop code does not type-check and the interop tests fail.",
  );
  process.exit(0);
}

const scratch = join(here, ".tmp", "proto");
rmSync(scratch, { recursive: true, force: true });
mkdirSync(join(scratch, "grpc", "testing"), { recursive: true });
for (const f of files) copyFileSync(join(source, f), join(scratch, "grpc", "testing", f));

const cli = join(root, "packages", "cli", "dist", "bin.js");
const result = spawnSync(process.execPath, [cli, "generate", scratch, "--out", join(here, "gen")], {
  stdio: "inherit",
});
rmSync(scratch, { recursive: true, force: true });
process.exit(result.status ?? 1);
