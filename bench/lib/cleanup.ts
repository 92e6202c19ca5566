// Every process the runner starts is registered here and killed by its PID if it is still alive
// when the runner ends (normally, on an error, or on Ctrl-C).
import type { ChildProcess } from "node:child_process";

const live = new Map<number, string>();
let installed = false;

export function track(proc: ChildProcess, name: string): void {
  install();
  const pid = proc.pid;
  if (pid === undefined) return;
  live.set(pid, name);
  proc.once("exit", () => live.delete(pid));
}

/** Kills every tracked process that has not exited; returns their names. */
export function killAll(): string[] {
  const killed: string[] = [];
  for (const [pid, name] of live) {
    try {
      process.kill(pid, "SIGKILL");
      killed.push(`${name} (pid ${pid})`);
    } catch {
      // already gone
    }
  }
  live.clear();
  return killed;
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once("exit", () => {
    killAll();
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      const killed = killAll();
      if (killed.length > 0) process.stderr.write(`\nkilled ${killed.join(", ")}\n`);
      process.exit(130);
    });
  }
}
