/**
 * The long fuzzing run of the HTTP/2 engine (see fuzz.ts for the inputs and the invariants):
 *
 *   npm run fuzz:http2 -- [--seconds=60] [--target=parser|connection|both] [--seed=N]
 *   npm run fuzz:http2 -- --replay=INPUT_SEED [--target=connection]
 *
 * Runs until the time is up or an invariant breaks; prints the seed of the run first, and, on a
 * failure, the seed of the failing input and its octets. `--replay` runs one input again and
 * prints what happened. Exits 1 on a failure. The heap is sampled as it goes: it must stay flat.
 */
import { performance } from "node:perf_hooks";
import { type FuzzTarget, fuzz, inputOf, runConnectionInput, runParserInput, seedExchanges } from "./fuzz.js";
import { toHex } from "./hex.js";

function arg(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

function parseSeed(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`bad seed ${text}`);
  return n >>> 0;
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
const targetArg = arg("target") ?? "both";
if (!["parser", "connection", "both"].includes(targetArg)) throw new Error(`bad --target ${targetArg}`);
const targets: FuzzTarget[] = targetArg === "both" ? ["parser", "connection"] : [targetArg as FuzzTarget];

const replay = arg("replay");
if (replay !== undefined) {
  const inputSeed = parseSeed(replay);
  const input = inputOf(inputSeed);
  console.log(`input ${hex(inputSeed)}: ${input.length} octets\n${toHex(input)}`);
  for (const target of targets) {
    const trace: string[] = [];
    const outcome =
      target === "parser"
        ? runParserInput(inputSeed, seedExchanges())
        : runConnectionInput(inputSeed, seedExchanges(), trace);
    for (const line of trace) console.log(line.slice(0, 300));
    console.log(`${target}: ${outcome.failure === undefined ? "ok" : `FAILED: ${outcome.failure}`}`);
    if (outcome.error !== undefined) console.log(`  connection error: ${outcome.error}`);
    if (outcome.failure !== undefined) process.exitCode = 1;
  }
} else {
  const seconds = Number(arg("seconds") ?? "60");
  if (!(seconds > 0)) throw new Error("--seconds must be positive");
  const seed = arg("seed") === undefined ? (Math.random() * 0x100000000) >>> 0 : parseSeed(arg("seed")!);
  console.log(`fuzz:http2 seed ${hex(seed)}, ${seconds} s, targets ${targets.join(", ")}`);
  const deadline = performance.now() + seconds * 1000;
  const baseline = process.memoryUsage().heapUsed;
  let maxHeap = baseline;
  let round = 0;
  const totals = new Map<FuzzTarget, { inputs: number; octets: number; errors: number }>();
  // rounds of a few seconds each, alternating targets, each round its own seed
  while (performance.now() < deadline && process.exitCode === undefined) {
    for (const target of targets) {
      const roundSeed = (seed + Math.imul(round, 0x85ebca6b)) >>> 0;
      // each target gets its share of what is left, and at most 2.5 s a round
      const ms = Math.min(2500, Math.max(0, deadline - performance.now()) / targets.length);
      if (ms <= 0) break;
      const r = fuzz({
        target,
        seed: roundSeed,
        maxInputs: Number.MAX_SAFE_INTEGER,
        maxMs: ms,
        now: () => performance.now(),
      });
      const t = totals.get(target) ?? { inputs: 0, octets: 0, errors: 0 };
      t.inputs += r.inputs;
      t.octets += r.octets;
      t.errors += r.connectionErrors;
      totals.set(target, t);
      for (const f of r.failures) {
        console.log(
          `FAILED (${target}), round seed ${hex(roundSeed)}, input seed ${hex(f.inputSeed)}: ${f.message}`,
        );
        console.log(`  input: ${toHex(inputOf(f.inputSeed)).slice(0, 4000)}`);
        console.log(`  replay: npm run fuzz:http2 -- --target=${target} --replay=${hex(f.inputSeed)}`);
        process.exitCode = 1;
      }
      if (process.exitCode !== undefined) break;
    }
    round++;
    (globalThis as { gc?: () => void }).gc?.(); // with --expose-gc: the heap without garbage
    const heap = process.memoryUsage().heapUsed;
    maxHeap = Math.max(maxHeap, heap);
    if (round % 6 === 0) {
      const parts = [...totals].map(([t, v]) => `${t} ${v.inputs} inputs (${v.errors} connection errors)`);
      console.log(
        `  ${Math.round((seconds * 1000 - (deadline - performance.now())) / 1000)} s: ${parts.join(", ")}; heap ${Math.round(heap / 1e6)} MB`,
      );
    }
    if (heap - baseline > 512e6) {
      console.log(`FAILED: the heap grew by ${Math.round((heap - baseline) / 1e6)} MB`);
      process.exitCode = 1;
    }
  }
  for (const [t, v] of totals) {
    console.log(
      `${t}: ${v.inputs} inputs, ${Math.round(v.octets / 1e6)} MB, ${v.errors} ended by a connection error`,
    );
  }
  console.log(`heap: ${Math.round(baseline / 1e6)} MB at the start, at most ${Math.round(maxHeap / 1e6)} MB`);
  console.log(process.exitCode === undefined ? "no failure" : "FAILED");
}
