// Memory of a server over many calls: RSS (after a full GC) at start, after a warm-up, and after
// `memoryCalls` more unary calls from h2load in five batches. A leak shows as growth after the
// warm-up; the heap after GC is the finer signal. Ours (on our own HTTP/2 engine, the default, and
// on node:http2) and grpc-js, alternating.
//
// The warm-up runs in rounds, as many calls as are then measured (MIN_WARMUP_ROUNDS) and more
// until a round no longer grows the RSS by STEADY_MIB (at most MAX_WARMUP_ROUNDS): V8 grows its
// young generation once, by some 15 MiB, when a process keeps allocating fast, and a fast server
// reached that point only after some tens of thousands of calls, past a short warm-up. Measured
// from before it, that one-time step looked like a leak; a leak, growing every round, still shows
// after the rounds run out.
import { join } from "node:path";
import { type Child, startChild, stopChecked } from "../lib/children.js";
import { runH2load } from "../lib/h2load.js";
import { serverChild } from "../lib/impls.js";
import type { BenchOptions } from "../lib/options.js";
import { rawDir } from "../lib/paths.js";
import type { MemoryStats } from "../lib/protocol.js";
import { type Impl, type Results, rotate } from "../lib/results.js";
import { MEMORY_CASE } from "../lib/targets.js";
import { verifyCall } from "../lib/verify.js";
import { UNARY_PATH, unaryRequestEnvelope, writeRequestFile } from "../lib/wire.js";

const servers: readonly Impl[] = ["ours-engine", "ours", "grpc-js"];
const BATCHES = 5;
const MiB = 1024 * 1024;
const MIN_WARMUP_ROUNDS = 5;
const MAX_WARMUP_ROUNDS = 10;
const STEADY_MIB = 1;

export async function memory(o: BenchOptions, results: Results): Promise<void> {
  const warmupCalls = Math.max(5_000, Math.round(o.memoryCalls / 5));
  results.addCase({
    id: MEMORY_CASE,
    section: "Memory of the server (MiB, after a full GC)",
    title: `unary calls from h2load -c 4 -m 32: rounds of ${warmupCalls.toLocaleString("en-US")} to warm up (at least ${MIN_WARMUP_ROUNDS}, then until a round grows RSS by less than ${STEADY_MIB} MiB, at most ${MAX_WARMUP_ROUNDS}), then ${o.memoryCalls.toLocaleString("en-US")} more`,
    kind: "memory",
    unit: "MiB",
    impls: servers,
    short: "memory",
    extras: [
      { key: "warmupCalls", label: "warm-up calls", digits: 0 },
      { key: "rssStart", label: "RSS at start", digits: 1 },
      { key: "rssWarm", label: "RSS after warm-up", digits: 1 },
      { key: "rssEnd", label: `RSS after ${o.memoryCalls / 1000}k calls`, digits: 1 },
      { key: "rssGrowth", label: "RSS growth", digits: 1 },
      { key: "heapWarm", label: "heap after warm-up", digits: 1 },
      { key: "heapEnd", label: `heap after ${o.memoryCalls / 1000}k calls`, digits: 1 },
      { key: "heapGrowth", label: "heap growth", digits: 2 },
    ],
  });
  await measureFloor(o, results);
  const request = unaryRequestEnvelope();
  const dataFile = writeRequestFile(join(rawDir, "unary-request.bin"), request);
  for (let rep = 0; rep < o.reps; rep++) {
    for (const impl of rotate(servers, rep)) {
      console.log(`  rep ${rep + 1}/${o.reps} ${impl} server`);
      let child: Child | undefined;
      try {
        const launch = serverChild(impl, o.serverCpu, undefined, ["--expose-gc"]);
        if ("unavailable" in launch) throw new Error(launch.unavailable);
        child = await startChild(launch);
        const server = child;
        const mem = async () => (await server.request({ cmd: "memory" }, 30_000)) as MemoryStats;
        const calls = async (n: number) => {
          const r = await runH2load({
            port: server.port,
            path: UNARY_PATH,
            dataFile,
            connections: 4,
            streams: 32,
            requests: n,
            cpu: o.loadCpu,
          });
          if (r.failures > 0 || r.succeeded !== n)
            throw new Error(`h2load: ${r.succeeded} of ${n} calls succeeded`);
          if (r.dataBytes !== n * request.length)
            throw new Error(`h2load: ${r.dataBytes} data bytes for ${n} calls`);
        };
        const start = await mem();
        if (!start.gc) throw new Error("the server was not started with --expose-gc");
        await verifyCall(server.port, { path: UNARY_PATH, request, expected: request });
        const warmSeries: MemoryStats[] = [];
        for (let round = 0; round < MAX_WARMUP_ROUNDS; round++) {
          await calls(warmupCalls);
          warmSeries.push(await mem());
          const before = warmSeries.length > 1 ? warmSeries[warmSeries.length - 2]! : start;
          const grew = (warmSeries[warmSeries.length - 1]!.rss - before.rss) / MiB;
          if (round + 1 >= MIN_WARMUP_ROUNDS && grew < STEADY_MIB) break;
        }
        const warm = warmSeries[warmSeries.length - 1]!;
        const series: MemoryStats[] = [];
        for (let b = 0; b < BATCHES; b++) {
          await calls(Math.round(o.memoryCalls / BATCHES));
          series.push(await mem());
        }
        const end = series[series.length - 1]!;
        const extra = {
          warmupCalls: warmSeries.length * warmupCalls,
          rssStart: start.rss / MiB,
          rssWarm: warm.rss / MiB,
          rssEnd: end.rss / MiB,
          rssGrowth: (end.rss - warm.rss) / MiB,
          heapWarm: warm.heapUsed / MiB,
          heapEnd: end.heapUsed / MiB,
          heapGrowth: (end.heapUsed - warm.heapUsed) / MiB,
        };
        results.add({ caseId: MEMORY_CASE, impl, rep, value: extra.rssEnd, extra });
        console.log(
          `    RSS ${extra.rssStart.toFixed(1)} → warm-up ${warmSeries.map((s) => (s.rss / MiB).toFixed(1)).join(" → ")} → calls ${series.map((s) => (s.rss / MiB).toFixed(1)).join(" → ")} MiB; heap ${extra.heapWarm.toFixed(2)} → ${series.map((s) => (s.heapUsed / MiB).toFixed(2)).join(" → ")} MiB`,
        );
      } catch (e) {
        results.add({ caseId: MEMORY_CASE, impl, rep, value: Number.NaN, extra: {}, error: String(e) });
        results.note(`memory ${impl} rep ${rep + 1}: ${String(e)}`);
      } finally {
        if (child !== undefined) await stopChecked(child, results);
      }
    }
  }
}

/** The RSS of a child that loads only tsx and the harness: the part of every figure that is not the server. */
async function measureFloor(o: BenchOptions, results: Results): Promise<void> {
  let child: Child | undefined;
  try {
    child = await startChild({ impl: "bare", cpu: o.serverCpu, nodeArgs: ["--expose-gc"] });
    const m = (await child.request({ cmd: "memory" }, 30_000)) as MemoryStats;
    results.context.push(
      `A child process with only tsx and the bench harness loaded (no gRPC library) has ${(m.rss / MiB).toFixed(1)} MiB RSS ` +
        `and ${(m.heapUsed / MiB).toFixed(1)} MiB of heap after GC: that floor is inside every memory figure.`,
    );
  } catch (e) {
    results.note(`memory floor: ${String(e)}`);
  } finally {
    if (child !== undefined) await stopChecked(child, results);
  }
}
