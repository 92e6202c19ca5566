// Runs h2load (nghttp2's C load generator) pinned to a core and parses what it prints.
import { closeSync, openSync, readSync, rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { spawnPinned } from "./children.js";
import { cpuSampler, cpuWindow } from "./proc.js";
import { quantile } from "./stats.js";

export interface H2loadOptions {
  readonly port: number;
  readonly path: string;
  /** The request body file (one enveloped gRPC message). */
  readonly dataFile: string;
  readonly connections: number;
  /** Concurrent streams per connection (`-m`). */
  readonly streams: number;
  /** Timing-based run: main duration and warm-up (`-D`, `--warm-up-time`). */
  readonly durationS?: number;
  readonly warmupS?: number;
  /** Count-based run (`-n`), when no duration is given. */
  readonly requests?: number;
  /** Per-request log for latency percentiles (`--log-file`). */
  readonly logFile?: string;
  readonly cpu: number;
  /**
   * A process (the server) whose CPU time is measured over h2load's run exactly, from its start
   * to its exit: not over the parsing of the log that follows, which at our engine's rates takes
   * seconds and would dilute the server's share.
   */
  readonly serverPid?: number;
}

export interface Latency {
  readonly p50Us: number;
  readonly p99Us: number;
  readonly samples: number;
}

export interface H2loadResult {
  /** Requests per second over the measured phase, as h2load computes it. */
  readonly requestsPerSecond: number;
  /** Wall time h2load reports ("finished in"), warm-up included. */
  readonly finishedSeconds: number;
  readonly total: number;
  readonly succeeded: number;
  /** failed + errored + timeout. */
  readonly failures: number;
  /** DATA frame payload bytes received (warm-up included in timing-based runs). */
  readonly dataBytes: number;
  /** Share of one core h2load itself used (to show the load generator was not the limit). */
  readonly loadGenCpu: number;
  readonly latency?: Latency;
  /** CPU seconds of `serverPid` and the wall seconds they were measured over (h2load's run). */
  readonly server?: { readonly cpu: number; readonly wall: number };
  readonly output: string;
}

function num(re: RegExp, text: string, what: string): number {
  const m = re.exec(text);
  if (m === null) throw new Error(`h2load: cannot find ${what} in its output:\n${text}`);
  return Number(m[1]);
}

/** "finished in 4.00s" / "230.17ms" / "950us" as seconds. */
function seconds(text: string): number {
  const m = /finished in ([\d.]+)(s|ms|us)\b/.exec(text);
  if (m === null) throw new Error(`h2load: cannot find the duration in its output:\n${text}`);
  return Number(m[1]) / (m[2] === "s" ? 1 : m[2] === "ms" ? 1e3 : 1e6);
}

export function parseH2load(text: string): Omit<H2loadResult, "loadGenCpu" | "latency" | "output"> {
  const reqs =
    /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      text,
    );
  if (reqs === null) throw new Error(`h2load: no request counts in its output:\n${text}`);
  return {
    finishedSeconds: seconds(text),
    requestsPerSecond: num(/finished in [\d.]+\w+, ([\d.]+) req\/s/, text, "req/s"),
    total: Number(reqs[1]),
    succeeded: Number(reqs[2]),
    failures: Number(reqs[3]) + Number(reqs[4]) + Number(reqs[5]),
    dataBytes: num(/traffic: .*?, [\d.]+\w*B \((\d+)\) data/, text, "the data bytes"),
  };
}

/**
 * p50/p99 from h2load's per-request log (start, status, duration in µs per line), read in chunks:
 * at our engine's rates a 6 s run logs over 500 MB, more than one string may hold. The log is
 * removed once read.
 */
function latencyFromLog(path: string): Latency {
  const times: number[] = [];
  const fd = openSync(path, "r");
  try {
    const chunk = Buffer.allocUnsafe(16 << 20);
    let rest = "";
    for (let reads = 0; reads < 1_000_000; reads++) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      const lines = (rest + chunk.toString("latin1", 0, n)).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) addLogLine(times, line);
    }
    addLogLine(times, rest);
  } finally {
    closeSync(fd);
  }
  rmSync(path, { force: true });
  return { p50Us: quantile(times, 0.5), p99Us: quantile(times, 0.99), samples: times.length };
}

function addLogLine(times: number[], line: string): void {
  const cols = line.split("\t");
  if (cols.length >= 3) times.push(Number(cols[2]));
}

export async function runH2load(o: H2loadOptions): Promise<H2loadResult> {
  const args = ["h2load", "-t", "1", "-c", String(o.connections), "-m", String(o.streams)];
  let boundMs: number;
  if (o.durationS !== undefined) {
    const ms = (seconds: number) => `${Math.round(seconds * 1000)}ms`;
    args.push("-D", ms(o.durationS), "--warm-up-time", ms(o.warmupS ?? 1));
    boundMs = (o.durationS + (o.warmupS ?? 1)) * 1000 + 30_000;
  } else {
    args.push("-n", String(o.requests ?? 1));
    boundMs = 300_000;
  }
  if (o.logFile !== undefined) args.push(`--log-file=${o.logFile}`);
  args.push(
    "-d",
    o.dataFile,
    "-H",
    "content-type: application/grpc",
    "-H",
    "te: trailers",
    `http://127.0.0.1:${o.port}${o.path}`,
  );
  const server = o.serverPid === undefined ? undefined : cpuWindow(o.serverPid);
  const t0 = performance.now();
  const proc = spawnPinned("h2load", o.cpu, args);
  const sampler = cpuSampler(proc.pid!);
  const out: string[] = [];
  createInterface({ input: proc.stdout! }).on("line", (l) => out.push(l));
  createInterface({ input: proc.stderr! }).on("line", (l) => out.push(l));
  const timer = setTimeout(() => proc.kill("SIGKILL"), boundMs);
  const code = await new Promise<number | null>((resolve) => proc.once("close", (c) => resolve(c)));
  clearTimeout(timer);
  const serverCpu = server?.stop();
  const cpu = sampler.stop();
  const wall = (performance.now() - t0) / 1000;
  const text = out.join("\n");
  if (code !== 0) throw new Error(`h2load exited with ${code}:\n${text}`);
  const parsed = parseH2load(text);
  const result: H2loadResult = {
    ...parsed,
    loadGenCpu: cpu / wall,
    ...(serverCpu === undefined ? {} : { server: serverCpu }),
    output: text,
    ...(o.logFile === undefined ? {} : { latency: latencyFromLog(o.logFile) }),
  };
  return result;
}
