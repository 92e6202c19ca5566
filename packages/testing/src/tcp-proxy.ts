// A TCP proxy on loopback that counts the connections through it: what a test uses to see a
// client's connections open and close on the wire (the server's own API does not show them), and
// that can black-hole them (`stall`): a peer that went away without a FIN, for keepalive tests.
import { createConnection, createServer, type Socket } from "node:net";
import { listenLoopback } from "./loopback.js";

export interface TcpProxy {
  readonly port: number;
  /** `127.0.0.1:PORT`. */
  readonly address: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  /**
   * The connections open now stop carrying anything, both ways, for good: what each side sends
   * is dropped, and neither side learns of it (no FIN, no reset), as when a network path dies.
   * Connections accepted later are forwarded as usual.
   */
  stall(): void;
  /** Resolves once `check()` holds, checked after each connection opens or closes. */
  when(check: (proxy: TcpProxy) => boolean): Promise<void>;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** Forwards each connection on a free port of 127.0.0.1 to `host:port`. */
export async function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const pairs = new Set<readonly [Socket, Socket]>();
  let accepted = 0;
  let open = 0;
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const w of [...waiters]) w();
  };
  const server = createServer((client) => {
    accepted++;
    open++;
    const upstream = createConnection({ host, port });
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const pair = [client, upstream] as const;
    pairs.add(pair);
    let closed = false;
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      pairs.delete(pair);
      if (!closed) {
        closed = true;
        open--;
        changed();
      }
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", end);
    upstream.on("error", end);
    changed();
  });
  const listenPort = await listenLoopback(server);
  const proxy: TcpProxy = {
    port: listenPort,
    address: `127.0.0.1:${listenPort}`,
    get accepted() {
      return accepted;
    },
    get open() {
      return open;
    },
    stall() {
      for (const [a, b] of pairs) {
        a.unpipe(b);
        b.unpipe(a);
        // Read and drop: nothing reaches the other side, and neither side is held back.
        for (const s of [a, b]) {
          s.on("data", () => {});
          s.resume();
        }
      }
      pairs.clear();
    },
    when(check) {
      if (check(proxy)) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const w = () => {
          if (!check(proxy)) return;
          waiters.delete(w);
          resolve();
        };
        waiters.add(w);
      });
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
