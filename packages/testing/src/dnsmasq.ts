// A real DNS server for tests: Debian's dnsmasq on 127.0.0.1 (a free port), answering from a hosts
// file (and a config file, for TXT records) that the test writes; `reload` (SIGHUP) makes it read
// them again. Only the process started here is signalled, by its PID.
import { createSocket } from "node:dgram";
import { promises as dns } from "node:dns";
import { once } from "node:events";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnDaemon } from "./daemon.js";
import { DNSMASQ } from "./external-peers.js";

export interface Dnsmasq {
  readonly pid: number;
  readonly port: number;
  /** The hosts file it answers A/AAAA queries from. */
  readonly hostsFile: string;
  /** What it printed (its log goes to stderr). */
  log(): string;
  /** Writes the hosts file and sends SIGHUP (it reads the file again after the signal). */
  reload(hosts: string): Promise<void>;
  /** SIGTERM (SIGKILL if it lingers), then removes its folder; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface DnsmasqOptions {
  /** The hosts file's text (`127.0.0.2 svc.test` lines). */
  readonly hosts: string;
  /** More config lines (`txt-record=...`). */
  readonly conf?: string;
  /** A name in the hosts file, asked until it answers (the server is then ready). */
  readonly probe: string;
  /** Names under this domain that it does not know are NXDOMAIN (default "test"). */
  readonly localDomain?: string;
}

const WAIT_MS = 10_000;

/** A free UDP port on 127.0.0.1 (dnsmasq binds it for UDP and TCP; a clash is retried). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  const { port } = socket.address();
  socket.close();
  return port;
}

/** Starts dnsmasq (`DNSMASQ.path`); check `skipWithout(DNSMASQ)` first. */
export async function startDnsmasq(options: DnsmasqOptions): Promise<Dnsmasq> {
  const dir = await mkdtemp(join(tmpdir(), "grpc-ts-dnsmasq-"));
  // dnsmasq reads its files again, on SIGHUP, as the unprivileged user it switches to.
  await chmod(dir, 0o755);
  const hostsFile = join(dir, "hosts");
  const confFile = join(dir, "dnsmasq.conf");
  await writeFile(hostsFile, options.hosts, { mode: 0o644 });
  await writeFile(confFile, `${options.conf ?? ""}\n`, { mode: 0o644 });
  let lastLog = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeUdpPort();
    const started = await spawnDaemon(DNSMASQ.path, [
      "--keep-in-foreground",
      "--no-resolv",
      "--no-hosts",
      `--addn-hosts=${hostsFile}`,
      "--bind-interfaces",
      "--listen-address=127.0.0.1",
      `--port=${port}`,
      "--pid-file=",
      `--conf-file=${confFile}`,
      // Names it does not have are NXDOMAIN (not REFUSED, as with no upstream).
      `--local=/${options.localDomain ?? "test"}/`,
      "--log-facility=-",
    ]);
    if (!("daemon" in started)) {
      lastLog = started.failed;
      continue;
    }
    const { daemon } = started;
    const pid = daemon.pid;
    // Ready once it answers; it exits at once if the port is taken.
    const probe = new dns.Resolver({ timeout: 200, tries: 1 });
    probe.setServers([`127.0.0.1:${port}`]);
    const deadline = Date.now() + WAIT_MS;
    while (daemon.running() && Date.now() < deadline) {
      try {
        await probe.resolve4(options.probe);
        return {
          pid,
          port,
          hostsFile,
          log: daemon.log,
          async reload(hosts) {
            await writeFile(hostsFile, hosts);
            process.kill(pid, "SIGHUP");
          },
          async stop() {
            await daemon.stop();
            await rm(dir, { recursive: true, force: true });
          },
        };
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    lastLog = daemon.log();
    await daemon.stop();
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`dnsmasq did not start:\n${lastLog}`);
}
