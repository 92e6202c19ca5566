// An external program a test runs as its own foreground process (dnsmasq, HAProxy): spawned with
// its output kept for error messages, and stopped by its PID (SIGTERM, then SIGKILL after 5 s).
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";

const MAX_LOG = 64 * 1024;

export interface Daemon {
  readonly pid: number;
  /** What it printed so far (the first 64 KiB). */
  log(): string;
  /** Still running. */
  running(): boolean;
  stop(): Promise<void>;
}

/**
 * Starts `command`: the daemon once it spawned and did not exit at once, otherwise the output it
 * left (a port taken, a bad config).
 */
export async function spawnDaemon(
  command: string,
  args: readonly string[],
): Promise<{ readonly daemon: Daemon } | { readonly failed: string }> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const append = (d: Buffer) => {
    if (log.length < MAX_LOG) log += d.toString();
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = once(child, "exit");
  await Promise.race([once(child, "spawn"), exited]);
  if (child.pid === undefined || child.exitCode !== null) {
    await exited;
    return { failed: log };
  }
  const pid = child.pid;
  return {
    daemon: {
      pid,
      log: () => log,
      running: () => child.exitCode === null && child.signalCode === null,
      stop: () => stopChild(child, pid),
    },
  };
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
