import type { HelpTopic } from "./args.js";
import { defaultOutDir, defaultProtoDir } from "./args.js";

const mainUsage = `Usage: grpc-ts <command> [options]

Commands:
  generate [protoDir]   generate TypeScript from .proto files (protoc-gen-es through buf)
  help [command]        show help

Options:
  -h, --help            show help
  -v, --version         show the version

Run "grpc-ts generate --help" for the options of generate.
`;

const generateUsage = `Usage: grpc-ts generate [protoDir] [options]

Generates protobuf-es code (messages and GenService descriptors, usable with
createClient and server.add) for every .proto file under protoDir, using the buf
and protoc-gen-es executables from npm. No configuration file is needed; a
buf.yaml in protoDir, if present, is honoured.

Arguments:
  protoDir                      directory with .proto files, searched recursively
                                (default: ${defaultProtoDir})

Options:
  -o, --out <dir>               output directory, created if needed (default: ${defaultOutDir})
  --target <ts|js|dts>          what to emit: .ts, .js or .d.ts files; combine with +,
                                e.g. js+dts (default: ts)
  --import-extension <js|ts|none>
                                extension of relative imports in generated code
                                (default: js, right for "module": "NodeNext")
  -h, --help                    show this help

Example:
  grpc-ts generate proto --out src/gen
`;

/** The usage text for `topic`, ending with a newline. */
export function usage(topic: HelpTopic): string {
  return topic === "generate" ? generateUsage : mainUsage;
}
