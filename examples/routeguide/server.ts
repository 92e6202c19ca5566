// Runs the RouteGuide server until interrupted: npm run example:server -- --port=50051
import { createServer } from "@grpc-ts/node";
import { addHealth, addReflection } from "@grpc-ts/services";
import { createRouteGuideService, RouteGuide } from "./service.js";

const portArg = process.argv.find((a) => a.startsWith("--port="));
const hostArg = process.argv.find((a) => a.startsWith("--host="));
const port = portArg === undefined ? 50051 : Number(portArg.slice("--port=".length));
const host = hostArg === undefined ? "127.0.0.1" : hostArg.slice("--host=".length);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port: ${portArg}`);
  process.exit(2);
}

const server = createServer().add(RouteGuide, createRouteGuideService());
// Health checking (grpc.health.v1) and server reflection, so that tools such as `grpc-ts list`,
// `buf curl --reflect` and grpcurl can discover and call RouteGuide without its .proto.
const health = addHealth(server);
health.setStatus(RouteGuide.typeName, "SERVING");
addReflection(server);
const bound = await server.listen(`${host.includes(":") ? `[${host}]` : host}:${port}`);
console.log(`RouteGuide server listening on ${host}:${bound}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.log("shutting down");
    void server.shutdown(5000).then(() => process.exit(0));
  });
}
