// Builds descriptors at test time: `buf build` (from the npm package @bufbuild/buf) compiles the
// test protos to a FileDescriptorSet, and protobuf-es makes a registry of it. The services built
// from it are runtime DescServices, as a server would get from any registry.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createFileRegistry, type FileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** The folder of the test protos (`acme/base/v1`, `acme/shop/v1`). */
export const testProtoDir = fileURLToPath(new URL("./proto", import.meta.url));

/** The path of the `buf` launcher script of @bufbuild/buf (run it with `process.execPath`). */
export function bufScript(): string {
  const manifestPath = require.resolve("@bufbuild/buf/package.json");
  const manifest = require(manifestPath) as { bin: Record<string, string> };
  return join(dirname(manifestPath), manifest.bin.buf!);
}

/** Compiles every .proto under `dir` (default: the test protos) into a file registry. */
export async function buildRegistry(dir = testProtoDir): Promise<FileRegistry> {
  const { stdout } = await run(process.execPath, [bufScript(), "build", dir, "-o", "-"], {
    encoding: "buffer",
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, stdout));
}
