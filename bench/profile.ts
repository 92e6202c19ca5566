// `npm run bench:profile`: one server (ours by default) under `node --cpu-prof`, loaded by h2load,
// then a summary of where its CPU time went (self time by group, file and function). The
// .cpuprofile opens in Chrome DevTools or VS Code for the full picture.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Child, startChild, useSources } from "./lib/children.js";
import { killAll } from "./lib/cleanup.js";
import { type CpuProfile, formatSummary, summarizeProfile } from "./lib/cpuprofile.js";
import { runH2load } from "./lib/h2load.js";
import { serverChild } from "./lib/impls.js";
import { acquireBenchLock } from "./lib/lock.js";
import { rawDir } from "./lib/paths.js";
import { cpuWindow } from "./lib/proc.js";
import type { Impl } from "./lib/results.js";
import { verifyCall } from "./lib/verify.js";
import {
  payloadEnvelopeLength,
  SERVER_STREAM_PATH,
  streamRequestEnvelope,
  UNARY_PATH,
  unaryRequestEnvelope,
  writeRequestFile,
} from "./lib/wire.js";

const usage = `usage: npm run bench:profile -- [options]
  --impl=NAME        server to profile: ours (default; on node:http2), ours-engine (ours on our own
                     HTTP/2 engine), grpc-js, connect, raw
  --scenario=NAME    unary (default; h2load -c 4 -m 32) or server-stream (h2load -c 1 -m 1, --count messages of --size bytes per call)
  --duration=S       seconds of load after the warm-up (default 10)
  --warmup=S         seconds of load before the profile counts (default 2)
  --count=N --size=B server-stream only (default 20000 messages of 100 bytes)
  --interval=US      sampling interval in microseconds (default 250)
  --top=N            lines per list (default 30)
  --out=DIR          where the .cpuprofile and the summary go (default bench/results/raw/profile)
  --source           load our packages from src/ through tsx instead of dist/ (tsx's transform changes
                     the code that runs: line numbers are lost and keepNames adds calls)`;

const args = new Map<string, string>();
for (const a of process.argv.slice(2)) {
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
  if (m === null || a === "--help") {
    console.log(usage);
    process.exit(a === "--help" ? 0 : 2);
  }
  args.set(m[1]!, m[2] ?? "true");
}
useSources(args.get("source") === "true");
const impl = args.get("impl") ?? "ours";
const scenario = args.get("scenario") ?? "unary";
if (
  !["ours", "ours-engine", "grpc-js", "connect", "raw"].includes(impl) ||
  !["unary", "server-stream"].includes(scenario)
) {
  console.log(usage);
  process.exit(2);
}
const num = (k: string, d: number) => Number(args.get(k) ?? d);
const durationS = num("duration", 10);
const warmupS = num("warmup", 2);
const count = num("count", 20_000);
const size = num("size", 100);
const top = num("top", 30);
const outDir = args.get("out") ?? join(rawDir, "profile");
const name = `${impl}-${scenario}`;
mkdirSync(outDir, { recursive: true });
const profileDir = join(outDir, `${name}.tmp`);
rmSync(profileDir, { recursive: true, force: true });

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

await acquireBenchLock();
let child: Child | undefined;
try {
  const launch = serverChild(impl as Impl, 0, undefined, [
    "--cpu-prof",
    `--cpu-prof-dir=${profileDir}`,
    `--cpu-prof-interval=${num("interval", 250)}`,
  ]);
  if ("unavailable" in launch) throw new Error(launch.unavailable);
  child = await startChild(launch);
  const unary = scenario === "unary";
  const request = unary ? unaryRequestEnvelope() : streamRequestEnvelope(count, size);
  if (unary) await verifyCall(child.port, { path: UNARY_PATH, request, expected: request });
  const dataFile = writeRequestFile(join(outDir, `${name}-request.bin`), request);
  console.log(
    `profiling ${impl} server (pid ${child.pid}, core 0) under h2load on core 1: ${scenario}, ${warmupS}+${durationS} s`,
  );
  const t0 = nowUs();
  const cpu = cpuWindow(child.pid);
  const r = await runH2load({
    port: child.port,
    path: unary ? UNARY_PATH : SERVER_STREAM_PATH,
    dataFile,
    connections: unary ? 4 : 1,
    streams: unary ? 32 : 1,
    durationS,
    warmupS,
    cpu: 1,
  });
  const window = { fromUs: t0 + warmupS * 1e6 + 100_000, toUs: nowUs() };
  const used = cpu.stop();
  const rate = unary
    ? `${Math.round(r.requestsPerSecond)} calls/s`
    : `${Math.round(r.requestsPerSecond * count)} messages/s (${Math.round((r.requestsPerSecond * count * (payloadEnvelopeLength(size) - 5)) / 1e6)} MB/s of payload messages)`;
  console.log(`load: ${rate}, ${r.failures} failed; server CPU ${Math.round((100 * used.cpu) / used.wall)}%`);
  const exit = await child.stop(30_000);
  if (!exit.clean)
    console.warn(`the server did not exit cleanly (${exit.code ?? exit.signal}); the profile may be missing`);
  const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
  if (file === undefined) throw new Error(`no .cpuprofile in ${profileDir}`);
  const profileText = readFileSync(join(profileDir, file), "utf8");
  const profilePath = join(outDir, `${name}.cpuprofile`);
  writeFileSync(profilePath, profileText);
  rmSync(profileDir, { recursive: true, force: true });
  const profile = JSON.parse(profileText) as CpuProfile;
  let summary = summarizeProfile(profile, window);
  let scope = "the measured load only (warm-up and start-up left out)";
  if (summary.samples === 0) {
    summary = summarizeProfile(profile);
    scope = "the whole process (the load window did not match the profile's clock)";
  }
  const header = `${impl} server, ${scenario}: ${rate}\nprofile: ${profilePath}\ncounted: ${scope}\n\n`;
  const text = header + formatSummary(summary, top);
  const summaryPath = join(outDir, `${name}-summary.txt`);
  writeFileSync(summaryPath, text);
  console.log(`\n${text}\nwritten: ${profilePath}\n         ${summaryPath}`);
} finally {
  if (child !== undefined) await child.stop(5_000);
  killAll();
}
