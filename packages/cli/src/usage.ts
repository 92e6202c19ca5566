import type { HelpTopic } from "./args.js";
import { defaultOutDir, defaultProtoDir } from "./args.js";

const mainUsage = `Usage: grpc-ts <command> [options]

Commands:
  generate [protoDir]             generate TypeScript from .proto files (protoc-gen-es through buf)
  list <target> [service]         list the services of a server, or the methods of one service
  describe <target> [symbol]      show the definition of a service, method, message or enum
  call <target> <Service/Method>  call a method with JSON request(s) and print the response(s)
  help [command]                  show help

Options:
  -h, --help            show help
  -v, --version         show the version

list, describe and call learn the server's services by server reflection, or from .proto
files with --proto. Run "grpc-ts <command> --help" for the options of a command.
`;

const connectionOptions = `Connection options:
  --tls                         connect with TLS, trusting the system's CAs (also implied
                                by the options below and by an https:// target)
  --cacert <file>               trust the CA certificates in this PEM file
  --cert <file> --key <file>    client certificate and key (PEM) for mutual TLS
  --insecure                    TLS without verifying the server's certificate (testing only)
  --server-name <name>          the name to verify the server's certificate against
  -H, --header 'key: value'     request metadata, repeatable (values of -bin keys are base64)
  --timeout <duration>          deadline of each call: 500ms, 10s, 1m; a bare number is seconds

Descriptor options:
  --proto <file>                use this .proto file (compiled with buf) instead of server
                                reflection; repeatable
  -I, --import-path <dir>       the import root of the --proto files (default: the directory
                                of each file)

Output options:
  --json                        machine-readable output: compact JSON, one value per line
  -h, --help                    show this help

Target: host:port, dns:host:port, ipv4:addr:port, ipv6:[addr]:port, unix:path,
http://host:port or https://host:port.
`;

const exitCodes = `Exit codes: 0 success; 1 not found (service, method, symbol) or descriptors not loaded;
2 usage error (options, target, malformed JSON); 64 + the gRPC status code when a call fails
(e.g. 69 NOT_FOUND, 78 UNAVAILABLE, 76 UNIMPLEMENTED, 68 DEADLINE_EXCEEDED).
`;

const listUsage = `Usage: grpc-ts list <target> [service] [options]

Lists the services of the server (by server reflection, v1 or else v1alpha), or the methods of
one service as Service/Method paths, ready for "grpc-ts call".

${connectionOptions}
Examples:
  grpc-ts list localhost:50051
  grpc-ts list localhost:50051 routeguide.RouteGuide

${exitCodes}`;

const describeUsage = `Usage: grpc-ts describe <target> [symbol] [options]

Shows the definition of a service, method, message, enum or field, in .proto syntax, and the
file that declares it. A method is shown with its request and response messages. Without a
symbol, every service is described. With --json, prints the descriptor as JSON.

${connectionOptions}
Examples:
  grpc-ts describe localhost:50051 routeguide.RouteGuide
  grpc-ts describe localhost:50051 routeguide.RouteGuide.GetFeature
  grpc-ts describe localhost:50051 routeguide.Point --json

${exitCodes}`;

const callUsage = `Usage: grpc-ts call <target> <pkg.Service/Method> [-d JSON | -d @file | -d @-] [options]

Calls a method. The request is JSON (the protobuf JSON mapping). For client- and
bidi-streaming methods, give several JSON objects one after another; with -d @- they are
read from stdin as they come, so a bidi call can be driven interactively. Without -d, a
unary or server-streaming call sends an empty request ({}), a streaming call no message.

Each response is printed as JSON: indented (and coloured) on a terminal, one per line when
piped or with --json. A failed call prints its status code name, message and details on
stderr (as one JSON line with --json) and exits with 64 + the status code.

Call options:
  -d, --data <JSON|@file|@->    the request(s): JSON text, a file, or stdin
  --emit-defaults               print fields that have their default value too
  --verbose                     print the response headers and trailers on stderr

${connectionOptions}
Examples:
  grpc-ts call localhost:50051 routeguide.RouteGuide/GetFeature -d '{"latitude": 409146138, "longitude": -746188906}'
  grpc-ts call localhost:50051 routeguide.RouteGuide/RecordRoute -d @points.json
  echo '{"message": "hi"}' | grpc-ts call localhost:50051 routeguide.RouteGuide/RouteChat -d @-
  grpc-ts call localhost:50051 grpc.health.v1.Health/Check --timeout 2s

${exitCodes}`;

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
  switch (topic) {
    case "generate":
      return generateUsage;
    case "list":
      return listUsage;
    case "describe":
      return describeUsage;
    case "call":
      return callUsage;
    default:
      return mainUsage;
  }
}
