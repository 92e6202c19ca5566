// npm start: starts the RouteGuide server on a free loopback port, runs the client against it over
// a real socket, prints what each of the four calls returned, and exits.
import { createChannel, createServer } from "@grpc-ts/node";
import { runRouteGuideClient } from "./client.js";
import { createRouteGuideService, RouteGuide } from "./service.js";

const server = createServer().add(RouteGuide, createRouteGuideService());
const port = await server.listen("127.0.0.1:0");
console.log(`RouteGuide server listening on 127.0.0.1:${port}`);
const channel = createChannel(`127.0.0.1:${port}`);
try {
  await runRouteGuideClient(channel);
  console.log("all four calls completed");
} finally {
  channel.close();
  await server.shutdown(2000);
}
