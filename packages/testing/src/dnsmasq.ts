// A real DNS server for tests: Debian's dnsmasq on 127.0.0.1 (a free port), answering from a hosts
// file (and a config file, for TXT records) that the test writes; `reload` (SIGHUP) makes it read
// them again. Only the process started here is signalled, by its PID.
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { promises as dns } from "node:dns";
import { once } from "node:events";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

async function stopChild(child: ChildProcess, pid: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  process.kill(pid, "SIGTERM");
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, "SIGKILL");
  }, 5000);
  await exited;
  clearTimeout(timer);
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
    const child = spawn(
      DNSMASQ.path,
      [
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
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let log = "";
    const append = (d: Buffer) => {
      log += d.toString();
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    const exited = once(child, "exit");
    await Promise.race([once(child, "spawn"), exited]);
    if (child.pid === undefined || child.exitCode !== null) {
      await exited;
      lastLog = log;
      continue;
    }
    const pid = child.pid;
    // Ready once it answers; it exits at once if the port is taken.
    const probe = new dns.Resolver({ timeout: 200, tries: 1 });
    probe.setServers([`127.0.0.1:${port}`]);
    const deadline = Date.now() + WAIT_MS;
    while (child.exitCode === null && Date.now() < deadline) {
      try {
        await probe.resolve4(options.probe);
        return {
          pid,
          port,
          hostsFile,
          log: () => log,
          async reload(hosts) {
            await writeFile(hostsFile, hosts);
            process.kill(pid, "SIGHUP");
          },
          async stop() {
            await stopChild(child, pid);
            await rm(dir, { recursive: true, force: true });
          },
        };
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    lastLog = log;
    await stopChild(child, pid);
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`dnsmasq did not start:\n${lastLog}`);
}
