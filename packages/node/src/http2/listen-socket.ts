import type { Server as NetServer } from "node:net";
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
