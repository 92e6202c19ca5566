// Listening on loopback for servers a test builds itself (node:net, node:http, node:http2, TLS):
// a free port, and a close that does not wait for connections the test left open.
import { createServer, type Server, type Socket } from "node:net";

/** Listens on a free port of `host` (default 127.0.0.1) and resolves with the port. */
export function listenLoopback(server: Server, host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : 0);
    });
  });
}

/** A loopback port that nothing listens on (bound, then released). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const server = createServer();
  const port = await listenLoopback(server, host);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Tracks the server's connections from now on; the returned function destroys those still open and
 * resolves once the server has closed (`server.close` alone waits for every connection).
 */
export function closerOf(server: Server): () => Promise<void> {
  const open = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
  });
  return () =>
    new Promise<void>((resolve) => {
      for (const socket of open) socket.destroy();
      server.close(() => resolve());
    });
}
