// CPU time of other processes from /proc (all threads, user + system), and facts about the machine.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU seconds a live process has used so far, or undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clockTicks();
}

/** A CPU meter over a window: `start()` then `stop()` gives CPU seconds and the wall seconds between. */
export function cpuWindow(pid: number): { stop(): { cpu: number; wall: number } } {
  const c0 = cpuSeconds(pid) ?? 0;
  const t0 = performance.now();
  return {
    stop() {
      return { cpu: (cpuSeconds(pid) ?? c0) - c0, wall: (performance.now() - t0) / 1000 };
    },
  };
}

/**
 * Samples a process that ends by itself (h2load) every `intervalMs`, keeping the last reading: its
 * CPU seconds are known to within one interval when it ends.
 */
export function cpuSampler(pid: number, intervalMs = 50): { stop(): number } {
  let last = cpuSeconds(pid) ?? 0;
  const timer = setInterval(() => {
    const c = cpuSeconds(pid);
    if (c !== undefined) last = c;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return last;
    },
  };
}

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly node: string;
  readonly loadavg: readonly number[];
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model ?? "unknown",
    cores: list.length,
    node: process.version,
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
