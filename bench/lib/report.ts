// The results as markdown: run facts, the targets, and one table per case.
import type { BenchOptions } from "./options.js";
import type { MachineInfo } from "./proc.js";
import { type CaseSpec, implLabels, type Results, subjectLabels, subjects } from "./results.js";
import type { Spread } from "./stats.js";
import type { TargetResult } from "./targets.js";

export interface RunInfo {
  readonly started: string;
  readonly seconds: number;
  readonly commit: string;
  readonly options: BenchOptions;
  readonly before: MachineInfo;
  readonly after: MachineInfo;
  readonly h2load: string;
  /** Package versions of the peers and of the protobuf runtime. */
  readonly versions: Readonly<Record<string, string>>;
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return "—";
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function range(s: Spread, digits = 0, suffix = ""): string {
  if (s.n === 0) return "—";
  if (s.n === 1) return `${fmt(s.median, digits)}${suffix}`;
  return `${fmt(s.median, digits)}${suffix} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

function caseTable(results: Results, spec: CaseSpec): string[] {
  const rows = results.summarize(spec.id);
  const lines: string[] = [];
  if (spec.kind === "rate") {
    const byCost = spec.costKeys !== undefined;
    const listed = subjects.filter((s) => spec.impls.includes(s));
    const head = ["", spec.unit, ...spec.extras.map((e) => e.label)];
    for (const s of listed) {
      head.push(`${subjectLabels[s]} ÷ this`);
      if (byCost) head.push(`${subjectLabels[s]} ÷ this by CPU cost`);
    }
    lines.push(`| ${head.join(" | ")} |`);
    lines.push(`|${" --- |".repeat(head.length)}`);
    for (const r of rows) {
      if (r.unavailable !== undefined) {
        lines.push(
          `| ${[implLabels[r.impl], "unavailable", ...Array(head.length - 2).fill("")].join(" | ")} |`,
        );
        continue;
      }
      const cells = [
        implLabels[r.impl],
        range(r.value, spec.digits ?? 0),
        ...spec.extras.map((e) => fmt(r.extras[e.key]?.median ?? Number.NaN, e.digits ?? 0)),
      ];
      for (const s of listed) {
        const ratio = r.ratios[s];
        cells.push(ratio === undefined ? "—" : range(ratio, 2, "×"));
        if (byCost) {
          const cost = r.costRatios[s];
          cells.push(cost === undefined ? "—" : range(cost, 2, "×"));
        }
      }
      lines.push(`| ${cells.join(" | ")} |`);
    }
  } else {
    lines.push(`| ${["", ...spec.extras.map((e) => e.label)].join(" | ")} |`);
    lines.push(`|${" --- |".repeat(1 + spec.extras.length)}`);
    for (const r of rows) {
      if (r.unavailable !== undefined) {
        lines.push(
          `| ${[implLabels[r.impl], "unavailable", ...Array(spec.extras.length - 1).fill("")].join(" | ")} |`,
        );
        continue;
      }
      const cells = [implLabels[r.impl], ...spec.extras.map((e) => range(r.extras[e.key]!, e.digits ?? 0))];
      lines.push(`| ${cells.join(" | ")} |`);
    }
  }
  for (const r of rows) {
    if (r.unavailable !== undefined) lines.push("", `- ${implLabels[r.impl]}: ${r.unavailable}`);
    for (const e of r.errors) lines.push("", `- ${implLabels[r.impl]} failed in ${e}`);
  }
  return lines;
}

export function renderMarkdown(
  info: RunInfo,
  results: Results,
  verdicts: readonly TargetResult[],
  chartFile: string | undefined,
  context: readonly string[],
): string {
  const o = info.options;
  const out: string[] = [];
  out.push("# grpc-ts benchmark results", "");
  out.push(
    `Run of ${info.started.slice(0, 16).replace("T", " ")} UTC (${Math.round(info.seconds / 60)} min), commit ${info.commit}; ` +
      `${o.quick ? "**quick mode**, " : ""}${o.reps} repetition${o.reps === 1 ? "" : "s"} of ${o.durationS} s after ${o.warmupS} s of warm-up per measurement.`,
  );
  out.push("");
  out.push(
    `Node ${info.before.node}, ${info.h2load}, ${info.before.cpuModel} × ${info.before.cores} cores; load average ${info.before.loadavg.join(" ")} before, ${info.after.loadavg.join(" ")} after. ` +
      `Peers: ${Object.entries(info.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}.`,
  );
  out.push("");
  out.push(
    `Servers run pinned to core ${o.serverCpu}, h2load and clients to core ${o.loadCpu} (taskset), each implementation in its own process, ` +
      "ours and the peers alternating within each repetition. Each figure is the median over the repetitions with the min–max in parentheses. " +
      `**The default stack** is the rows "${implLabels["ours-engine"]}": our server and our client on our own HTTP/2 engine (@grpc-ts/http2), ` +
      "what `createServer()` and `createChannel()` give without options (in streaming, our server and our client both on it); the targets are judged on it. " +
      `The rows "${implLabels.ours}" are the same code with \`engine: "node"\`, kept for reference (their targets are marked "(reference, engine: node:http2)"); ` +
      `in streaming, "${implLabels["ours-engine-node-client"]}" differs from them in the server's engine alone. ` +
      `"${subjectLabels["ours-engine"]} ÷ this" divides the default stack by the row's implementation within each repetition, then takes the median (above 1: ours is faster); ` +
      `"${subjectLabels.ours} ÷ this" does the same for ours on node:http2. ` +
      (o.source
        ? "**Our packages ran from their TypeScript sources through tsx (`--source`), which adds overhead to our code only: not for comparison.**"
        : "Our packages run from their built `dist/` (as users get them), the peers from node_modules; the bench scripts themselves through tsx."),
  );
  if (chartFile !== undefined) out.push("", `![ours ÷ each peer](${chartFile})`);
  out.push("", "## Targets", "");
  out.push(
    "| target | measured (median, min–max) | | by CPU cost per call or message |",
    "| --- | --- | --- | --- |",
  );
  for (const v of verdicts) {
    const mark = v.verdict === "met" ? "✅ met" : v.verdict === "not met" ? "❌ not met" : "— no data";
    out.push(
      `| ${v.label} | ${v.measured} | ${mark}${v.borderline ? " (range crosses the target)" : ""} | ${v.byCost} |`,
    );
  }
  out.push(
    "",
    "The issue's targets come first, judged on the default stack, then those of our engine, then the issue's targets judged on ours on node:http2 (reference rows). " +
      "The last column judges the same target by CPU time per call or message of the CPU-bound side (server, client, " +
      "or the busier of the two for streams), measured in the same runs: peer's cost ÷ ours, or for a rate the rate one fully " +
      "used core would give. It is hardly affected by other processes taking the cores, so on a busy machine it is the " +
      "steadier figure; it assumes the run was CPU-bound (not waiting on flow control or round trips).",
  );
  let section = "";
  for (const spec of results.cases) {
    if (spec.section !== section) {
      section = spec.section;
      out.push("", `## ${section}`);
    }
    out.push("", `### ${spec.title}`, "", ...caseTable(results, spec));
  }
  if (context.length > 0) out.push("", "## Context", "", ...context.map((c) => `- ${c}`));
  if (results.notes.length > 0)
    out.push("", "## Warnings", "", ...results.notes.map((n) => `- ${n.replace(/\n/g, " ")}`));
  return `${out.join("\n")}\n`;
}
