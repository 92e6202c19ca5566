// Debian's HAProxy as an HTTP/2 proxy for tests: one process of our own on 127.0.0.1 (a free port),
// `mode http` with HTTP/2 on both sides (`proto h2`), in front of one backend, with a config file
// the test writes. Nothing else runs it (no service): it is started in the foreground, and only the
// process started here is signalled, by its PID. Its own defaults are kept: 100 concurrent streams
// per client connection, 64 KiB stream windows, 16 KiB buffers.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnDaemon } from "./daemon.js";
import { HAPROXY } from "./external-peers.js";
import { freePort } from "./loopback.js";

export interface Haproxy {
  readonly pid: number;
  readonly port: number;
  /** `127.0.0.1:PORT`. */
  readonly address: string;
  /** What it printed. */
  log(): string;
  /** SIGTERM (SIGKILL if it lingers), then removes its folder; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface HaproxyOptions {
  /** The backend's port on 127.0.0.1 (an HTTP/2 server without TLS). */
  readonly backendPort: number;
  /** `timeout client` and `timeout server`, in seconds (an idle side is dropped after it). Default 30. */
  readonly idleTimeoutS?: number;
}

const WAIT_MS = 10_000;

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function config(port: number, options: HaproxyOptions): string {
  const idle = options.idleTimeoutS ?? 30;
  return [
    "global",
    "  log stderr format raw local0 warning",
    "defaults",
    "  mode http",
    "  log global",
    "  timeout connect 5s",
    `  timeout client ${idle}s`,
    `  timeout server ${idle}s`,
    "frontend fe",
    `  bind 127.0.0.1:${port} proto h2`,
    "  default_backend be",
    "backend be",
    `  server s1 127.0.0.1:${options.backendPort} proto h2`,
    "",
  ].join("\n");
}

/** Starts HAProxy (`HAPROXY.path`); check `skipWithout(HAPROXY)` first. */
export async function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  const dir = await mkdtemp(join(tmpdir(), "grpc-ts-haproxy-"));
  const confFile = join(dir, "haproxy.cfg");
  let lastLog = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    await writeFile(confFile, config(port, options));
    // -db: in the foreground, no daemon; -W would add a master process, which is not wanted.
    const started = await spawnDaemon(HAPROXY.path, ["-db", "-f", confFile]);
    if (!("daemon" in started)) {
      lastLog = started.failed;
      continue;
    }
    const { daemon } = started;
    const pid = daemon.pid;
    // Ready once it accepts on its port; it exits at once if the port is taken.
    const deadline = Date.now() + WAIT_MS;
    while (daemon.running() && Date.now() < deadline) {
      if (await accepts(port)) {
        return {
          pid,
          port,
          address: `127.0.0.1:${port}`,
          log: daemon.log,
          async stop() {
            await daemon.stop();
            await rm(dir, { recursive: true, force: true });
          },
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    lastLog = daemon.log();
    await daemon.stop();
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`haproxy did not start:\n${lastLog}`);
}
