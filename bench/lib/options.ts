// Command-line options of `npm run bench` (see bench/README.md).
import { join } from "node:path";
import { rawDir, resultsDir } from "./paths.js";

export const scenarioNames = ["server-unary", "client-unary", "streaming", "memory"] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export interface BenchOptions {
  readonly quick: boolean;
  readonly reps: number;
  readonly only: readonly ScenarioName[];
  /** Measured seconds per run (after its warm-up). */
  readonly durationS: number;
  readonly warmupS: number;
  /** Calls between the warm-up and the last memory reading. */
  readonly memoryCalls: number;
  /** Where results.md and ratios.svg go. */
  readonly outDir: string;
  /** Core of the server under test / of the load generator or client. */
  readonly serverCpu: number;
  readonly loadCpu: number;
  /** Load our packages from their TypeScript sources instead of dist/ (iteration only; see children.ts). */
  readonly source: boolean;
  /**
   * A checkout of grpc-ts (installed and built) whose client runs beside ours as `ours-before`:
   * today's client and the one before a change, measured in the same run.
   */
  readonly baseline?: string;
  /** Measure nothing: write results.md and ratios.svg again from a raw run-*.json. */
  readonly report?: string;
}

export const usage = `usage: npm run bench -- [options]
  --quick            one short repetition of everything (results under bench/results/raw/quick)
  --reps=N           repetitions of each scenario (default 3; quick 1)
  --only=A,B         scenarios: ${scenarioNames.join(", ")} (default all)
  --duration=S       measured seconds per run (default 5; quick 1.5)
  --warmup=S         warm-up seconds before each measured run (default 1; quick 0.5)
  --memory-calls=N   calls after the warm-up in the memory scenario (default 100000; quick 20000)
  --out=DIR          where results.md and ratios.svg go (default bench/results)
  --server-cpu=N     core for servers (default 0)
  --load-cpu=N       core for h2load and clients (default 1)
  --source           load our packages from src/ through tsx instead of dist/ (quick iteration only:
                     tsx's transform adds overhead to our code that the peers do not pay)
  --baseline=DIR     a built checkout of grpc-ts whose client is measured beside ours in
                     client-unary (the row "ours-before"): before and after a change, in one run
  --report=FILE      measure nothing; write the results again from a raw run-*.json (with --out)`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  const values = new Map<string, string>();
  for (const arg of argv) {
    if (arg === "--help" || arg === "-h") {
      console.log(usage);
      process.exit(0);
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (m === null) throw new Error(`unknown argument ${arg}\n${usage}`);
    values.set(m[1]!, m[2] ?? "true");
  }
  const known = [
    "quick",
    "reps",
    "only",
    "duration",
    "warmup",
    "memory-calls",
    "out",
    "server-cpu",
    "load-cpu",
    "source",
    "report",
    "baseline",
  ];
  for (const k of values.keys()) if (!known.includes(k)) throw new Error(`unknown option --${k}\n${usage}`);
  const quick = values.get("quick") === "true";
  const number = (key: string, fallback: number, min: number): number => {
    const raw = values.get(key);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${key} must be a number ≥ ${min}`);
    return n;
  };
  const only = (values.get("only") ?? scenarioNames.join(",")).split(",").map((s) => s.trim());
  for (const s of only) {
    if (!(scenarioNames as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}\n${usage}`);
  }
  return {
    quick,
    reps: Math.round(number("reps", quick ? 1 : 3, 1)),
    only: only as ScenarioName[],
    durationS: number("duration", quick ? 1.5 : 5, 0.2),
    warmupS: number("warmup", quick ? 0.5 : 1, 0.1),
    memoryCalls: Math.round(number("memory-calls", quick ? 20_000 : 100_000, 1000)),
    outDir: values.get("out") ?? (quick ? join(rawDir, "quick") : resultsDir),
    serverCpu: number("server-cpu", 0, 0),
    loadCpu: number("load-cpu", 1, 0),
    source: values.get("source") === "true",
    ...(values.has("report") ? { report: values.get("report")! } : {}),
    ...(values.has("baseline") ? { baseline: values.get("baseline")! } : {}),
  };
}
