// An Echo server in its own process, for tests that kill a server abruptly:
//   node --conditions=source --import tsx child-echo-server.ts [PORT [FLOW_CONTROL_WINDOW]]
// Listens on 127.0.0.1:PORT (default 0), prints "LISTENING <port>" once ready, and serves until it
// is killed or its parent goes away (stdin closes).
import { createServer } from "@grpc-ts/node";
import { createEchoService } from "./echo-service.js";
import { Echo } from "./gen/echo_pb.js";

const window = process.argv[3];
const server = createServer(window === undefined ? {} : { flowControlWindow: Number(window) }).add(
  Echo,
  createEchoService(),
);
const port = await server.listen(`127.0.0.1:${process.argv[2] ?? "0"}`);
process.stdout.write(`LISTENING ${port}\n`);
// Never outlive the test that started it.
process.stdin.on("end", () => {
  server.forceShutdown();
  process.exit(0);
});
process.stdin.resume();
