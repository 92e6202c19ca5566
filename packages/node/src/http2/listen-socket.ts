import type { Server as NetServer, Socket } from "node:net";
import type { ListenTarget } from "./node-server.js";

/**
 * Binds a listening socket (any engine's) to a TCP address or a unix path; resolves with the bound
 * port (0 for a unix socket), rejects with the bind error (address in use, ...).
 */
export function bindListener(listener: NetServer, target: ListenTarget): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    listener.once("error", onError);
    const done = () => {
      listener.off("error", onError);
      // Later errors concern single connections, which each engine handles.
      listener.on("error", () => {});
      const addr = listener.address();
      resolve(typeof addr === "object" && addr !== null ? addr.port : 0);
    };
    if ("path" in target) listener.listen(target.path, done);
    else listener.listen(target.port, target.host, done);
  });
}

/** Stops accepting connections; resolves once the listener (and every connection) is closed. */
export function closeListener(listener: NetServer): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!listener.listening) resolve();
    else listener.close(() => resolve());
  });
}

/**
 * A server's `maxConnections`: the connections open at once over all its listeners (HTTP/2 and
 * HTTP/1.1 alike, either engine). One over the limit is closed as soon as it is accepted (a FIN,
 * before any byte is read or written, before TLS too): the client's connection attempt fails
 * before the server's HTTP/2 preface, so gRPC clients report UNAVAILABLE and back off before they
 * try again, as for a server they cannot reach (C-core's limit on incoming connections, and
 * net.Server's `maxConnections`, refuse the same way). An HTTP/2 GOAWAY instead would first make
 * the connection look established, after which clients reconnect at once, without backoff.
 */
export class ConnectionLimit {
  readonly max: number;
  private open = 0;

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`maxConnections must be a positive integer, not ${String(max)}`);
    this.max = max;
  }

  /** Connections counted now. */
  get count(): number {
    return this.open;
  }

  /** Counts the connections `listener` accepts, and closes those over the limit at once. */
  guard(listener: NetServer): void {
    // Before the engine's own handler (and before a TLS server wraps the socket).
    listener.prependListener("connection", (socket: Socket) => {
      if (this.open >= this.max) {
        socket.destroy();
        return;
      }
      this.open++;
      socket.once("close", () => this.open--);
    });
  }
}
