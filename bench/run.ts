// `npm run bench`: every scenario, ours and the peers alternating, several repetitions; prints the
// tables and writes bench/results/results.md and ratios.svg (see README.md).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { useSources } from "./lib/children.js";
import { killAll } from "./lib/cleanup.js";
import { grpcGoVersion } from "./lib/grpc-go.js";
import { acquireBenchLock } from "./lib/lock.js";
import { parseOptions, type ScenarioName } from "./lib/options.js";
import { rawDir, rootDir } from "./lib/paths.js";
import { machineInfo } from "./lib/proc.js";
import { type RunInfo, renderMarkdown } from "./lib/report.js";
import { Results } from "./lib/results.js";
import { renderSvg } from "./lib/svg.js";
import { evaluateTargets } from "./lib/targets.js";
import { clientUnary } from "./scenarios/client-unary.js";
import { memory } from "./scenarios/memory.js";
import { serverUnary } from "./scenarios/server-unary.js";
import { streaming } from "./scenarios/streaming.js";

const options = parseOptions(process.argv.slice(2));
useSources(options.source);

function run(command: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync(command, args, {
      encoding: "utf8",
      cwd: rootDir,
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return undefined;
  }
}

const h2load = run("h2load", ["--version"]);
if (h2load === undefined) {
  console.error(
    "bench: h2load is missing; install it with `apt-get install -y nghttp2-client` (see bench/README.md)",
  );
  process.exit(2);
}
if (
  run("taskset", ["-c", String(options.serverCpu), "true"]) === undefined ||
  run("taskset", ["-c", String(options.loadCpu), "true"]) === undefined
) {
  console.error(
    `bench: \`taskset -c ${options.serverCpu}\` / \`-c ${options.loadCpu}\` failed; taskset (util-linux) and two cores are needed`,
  );
  process.exit(2);
}
mkdirSync(rawDir, { recursive: true });
mkdirSync(options.outDir, { recursive: true });

function version(pkg: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(rootDir, "node_modules", pkg, "package.json"), "utf8")) as {
        version: string;
      }
    ).version;
  } catch {
    return "?";
  }
}

const scenarios: Record<ScenarioName, (r: Results) => Promise<void>> = {
  "server-unary": (r) => serverUnary(options, r),
  "client-unary": (r) => clientUnary(options, r),
  streaming: (r) => streaming(options, r),
  memory: (r) => memory(options, r),
};

/** Writes results.md, ratios.svg (and the raw JSON of a new run), and prints the markdown. */
function writeResults(info: RunInfo, results: Results, rawFile: string | undefined): void {
  const verdicts = evaluateTargets(results);
  const chartTitle = `grpc-ts against its peers — ${info.started.slice(0, 10)}, commit ${info.commit}${info.options.quick ? " (quick mode)" : ""}`;
  const markdown = renderMarkdown(info, results, verdicts, "ratios.svg", results.context);
  writeFileSync(join(options.outDir, "results.md"), markdown);
  writeFileSync(join(options.outDir, "ratios.svg"), renderSvg(results, chartTitle));
  if (rawFile !== undefined) writeFileSync(rawFile, JSON.stringify({ info, verdicts, results }, null, 2));
  console.log(`\n${markdown.replace(/^!\[.*\n/m, "")}`);
  console.log(
    `written: ${join(options.outDir, "results.md")}, ${join(options.outDir, "ratios.svg")}${rawFile === undefined ? "" : `, ${rawFile}`}`,
  );
}

if (options.report !== undefined) {
  const raw = JSON.parse(readFileSync(options.report, "utf8")) as {
    info: RunInfo;
    results: Pick<Results, "cases" | "samples" | "notes" | "context">;
  };
  // Runs before the default stack was measured in streaming: their streaming row of ours on our
  // engine was our server on our engine read by our client on node:http2, a row that is now
  // `ours-engine-node-client`; it is relabelled so, and the default stack shows as not run.
  const relabelled = new Set(
    raw.results.cases
      .filter(
        (c) =>
          c.id.startsWith("stream-") &&
          !c.id.endsWith("-h2load") &&
          c.impls.includes("ours-engine") &&
          !c.impls.includes("ours-engine-node-client"),
      )
      .map((c) => c.id),
  );
  const results = new Results();
  for (const c of raw.results.cases) {
    results.addCase(
      relabelled.has(c.id)
        ? { ...c, impls: c.impls.map((i) => (i === "ours-engine" ? "ours-engine-node-client" : i)) }
        : c,
    );
  }
  for (const s of raw.results.samples) {
    results.add(
      relabelled.has(s.caseId) && s.impl === "ours-engine" ? { ...s, impl: "ours-engine-node-client" } : s,
    );
  }
  results.notes.push(...raw.results.notes);
  results.context.push(...raw.results.context);
  writeResults(raw.info, results, undefined);
  process.exit(0);
}

await acquireBenchLock();
// What is measured is the tree when the run starts (dist/ was built just before): its commit, and
// whether our packages, the bench or the dependencies had uncommitted changes. Others may commit
// while the run goes on; the header says so.
const measured = [
  "packages/core",
  "packages/http2",
  "packages/node",
  "bench",
  "package.json",
  "package-lock.json",
];
const treeState = () => {
  const head = run("git", ["rev-parse", "--short", "HEAD"]) ?? "?";
  const dirty =
    (run("git", ["status", "--porcelain", "--untracked-files=no", "--", ...measured]) ?? "") !== "";
  return { head, dirty };
};
const atStart = treeState();

const results = new Results();
const before = machineInfo();
const started = new Date();
console.log(
  `bench: ${options.only.join(", ")}; ${options.reps} repetition(s) of ${options.durationS} s (+${options.warmupS} s warm-up); load average ${before.loadavg.join(" ")}`,
);
try {
  for (const name of options.only) {
    console.log(`\n== ${name}`);
    await scenarios[name](results);
  }
} finally {
  const killed = killAll();
  if (killed.length > 0) results.note(`killed leftover processes: ${killed.join(", ")}`);
}

const atEnd = treeState();
const info: RunInfo = {
  started: started.toISOString(),
  seconds: (Date.now() - started.getTime()) / 1000,
  commit: `${atStart.head}${atStart.dirty ? " with uncommitted changes" : ""}${atEnd.head !== atStart.head ? ` (HEAD moved to ${atEnd.head} during the run)` : ""}`,
  options,
  before,
  after: machineInfo(),
  h2load,
  versions: {
    "@grpc/grpc-js": version("@grpc/grpc-js"),
    "@grpc/proto-loader": version("@grpc/proto-loader"),
    "@connectrpc/connect-node": version("@connectrpc/connect-node"),
    "@bufbuild/protobuf": version("@bufbuild/protobuf"),
    ...(options.only.includes("server-unary") ? { "grpc-go": grpcGoVersion() ?? "unavailable" } : {}),
  },
};
writeResults(info, results, join(rawDir, `run-${info.started.replace(/[:.]/g, "-")}.json`));
