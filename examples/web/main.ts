// npm run example:web -- [--port=8080] [--grpc-port=50051] [--format=text]
// Serves a page that calls RouteGuide from the browser over gRPC-Web; open the printed URL.
import { startWebExample } from "./serve.js";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const port = Number(arg("port") ?? 8080);
const grpcPort = Number(arg("grpc-port") ?? 50051);
const format = arg("format") === "text" ? "text" : "binary";
for (const [name, value] of [
  ["port", port],
  ["grpc-port", grpcPort],
] as const) {
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    console.error(`invalid --${name}`);
    process.exit(2);
  }
}

const example = await startWebExample({ port, grpcPort, format });
console.log(`RouteGuide gRPC server (gRPC and gRPC-Web) on ${example.grpcUrl}`);
console.log(`open ${example.pageUrl} in a browser`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void example.close().then(() => process.exit(0));
  });
}
