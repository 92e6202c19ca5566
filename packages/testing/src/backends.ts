// Echo backends on chosen loopback hosts (127.0.0.1, 127.0.0.2, ...), each counting the calls it
// answers, that a test can kill and start again on the same address: for the channel's
// load-balancing, health-checking and name-resolution tests.
import type { HandlerContext } from "@grpc-ts/core";
import { createServer, type Server, type ServerOptions } from "@grpc-ts/node";
import { createEchoService } from "./echo-service.js";
import { Echo } from "./gen/echo_pb.js";

export interface Backend {
  readonly host: string;
  /** The bound port; a restart binds the same one. */
  readonly port: number;
  /** `host:port`. */
  readonly address: string;
  /** Unary calls this backend answered (a test may reset it to 0). */
  calls: number;
  /** The deadline (`grpc-timeout`) of each unary call, as the handler saw it. */
  readonly deadlines: (number | undefined)[];
  /** The server while it runs. */
  readonly server: Server | undefined;
  /** Starts it (again) on its address. */
  start(): Promise<void>;
  /** Ends every call and connection at once (`forceShutdown`); `start` brings it back. */
  kill(): void;
}

export interface BackendOptions {
  /** Default 0 (a free port). */
  readonly port?: number;
  readonly server?: ServerOptions;
  /** Adds more services (health, say) to each server this backend starts. */
  readonly setup?: (server: Server) => void;
}

/**
 * An Echo server on `host` whose unary method answers with the host's address as its message
 * (so the client sees who answered) after the standard echo's `delay_ms` and `fail_code`.
 */
export async function startBackend(host: string, options: BackendOptions = {}): Promise<Backend> {
  const echo = createEchoService();
  const echoUnary = echo.unary!;
  let port = options.port ?? 0;
  let server: Server | undefined;
  const backend: Backend = {
    host,
    get port() {
      return port;
    },
    get address() {
      return `${host}:${port}`;
    },
    calls: 0,
    deadlines: [],
    get server() {
      return server;
    },
    async start() {
      if (server !== undefined) throw new Error(`${backend.address} is already running`);
      const s = createServer(options.server);
      s.add(Echo, {
        ...echo,
        async unary(req, ctx: HandlerContext) {
          backend.calls++;
          backend.deadlines.push(ctx.deadline);
          const res = await echoUnary(req, ctx);
          return { ...res, message: `${host}:${port}` };
        },
      });
      options.setup?.(s);
      try {
        port = await s.listen(`${host}:${port}`);
      } catch (e) {
        s.forceShutdown();
        throw e;
      }
      server = s;
    },
    kill() {
      server?.forceShutdown();
      server = undefined;
    },
  };
  await backend.start();
  return backend;
}

/**
 * One backend on each host, all on the same port (as the addresses of one DNS name are): the
 * port is chosen free on the first host and tried on the others, with a few tries on a clash.
 */
export async function startBackends(
  hosts: readonly string[],
  options: Omit<BackendOptions, "port"> = {},
): Promise<Backend[]> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const started: Backend[] = [];
    try {
      const first = await startBackend(hosts[0]!, options);
      started.push(first);
      for (const host of hosts.slice(1))
        started.push(await startBackend(host, { ...options, port: first.port }));
      return started;
    } catch (e) {
      lastError = e;
      for (const b of started) b.kill();
    }
  }
  throw lastError;
}
