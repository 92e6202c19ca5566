// The targets, evaluated on a run's results (medians of same-repetition ratios): those of issue 4
// (ours on node:http2), and those of our own HTTP/2 engine (ours on @grpc-ts/http2 against the
// raw node:http2 responder, grpc-go, grpc-js and ours on node:http2).
import { type Impl, implLabels, type Results, type Subject } from "./results.js";
import type { Spread } from "./stats.js";

/** The memory scenario's case. */
export const MEMORY_CASE = "memory-unary";
/** RSS growth over the calls after the warm-up that still counts as noise. */
export const RSS_GROWTH_LIMIT_MIB = 5;
/** Heap growth (after GC) over those calls that still counts as noise (about 10 bytes per call). */
export const HEAP_GROWTH_LIMIT_MIB = 1;

export interface Target {
  readonly label: string;
  readonly caseId: string;
  /** Whose figure is judged (default `ours`, our server or client on node:http2). */
  readonly subject?: Subject;
  /** Ratio target against a peer, or an absolute value of ours when `peer` is undefined. */
  readonly peer?: Impl;
  readonly min: number;
  /** Shown but not one of the targets (a second view of the same quantity). */
  readonly reference?: boolean;
}

export const targets: readonly Target[] = [
  {
    label: "Unary server ≥ 0.9× the raw node:http2 responder (h2load -c 4 -m 32)",
    caseId: "server-unary-throughput",
    peer: "raw",
    min: 0.9,
  },
  {
    label: "Unary server ≥ 1.4× grpc-js (h2load -c 4 -m 32)",
    caseId: "server-unary-throughput",
    peer: "grpc-js",
    min: 1.4,
  },
  {
    label: "Unary client at concurrency 64 ≥ 0.85× the raw node:http2 client loop",
    caseId: "client-unary-c64",
    peer: "raw",
    min: 0.85,
  },
  {
    label: "Unary client at concurrency 64 ≥ 2× grpc-js",
    caseId: "client-unary-c64",
    peer: "grpc-js",
    min: 2,
  },
  {
    label: "Server streaming of 100-byte messages ≥ 1,000,000 messages/s (our client and server)",
    caseId: "stream-server-100B",
    min: 1_000_000,
  },
  {
    label: "Server streaming of 100-byte messages ≥ 5× grpc-js (each with its own client)",
    caseId: "stream-server-100B",
    peer: "grpc-js",
    min: 5,
  },
  {
    label: "Unary server on our engine ≥ 5× the raw node:http2 responder (h2load -c 4 -m 32)",
    caseId: "server-unary-throughput",
    subject: "ours-engine",
    peer: "raw",
    min: 5,
  },
  {
    label: "Unary server on our engine ≥ 2× grpc-go (h2load -c 4 -m 32)",
    caseId: "server-unary-throughput",
    subject: "ours-engine",
    peer: "grpc-go",
    min: 2,
  },
  {
    label: "Unary server on our engine ≥ 5× the raw node:http2 responder (h2load -c 16 -m 100)",
    caseId: "server-unary-c16m100",
    subject: "ours-engine",
    peer: "raw",
    min: 5,
  },
  {
    label: "Unary server on our engine ≥ 2× grpc-go (h2load -c 16 -m 100)",
    caseId: "server-unary-c16m100",
    subject: "ours-engine",
    peer: "grpc-go",
    min: 2,
  },
  {
    label: "Unary client on our engine at concurrency 64 ≥ 3× grpc-js",
    caseId: "client-unary-c64",
    subject: "ours-engine",
    peer: "grpc-js",
    min: 3,
  },
  {
    label:
      "Server streaming of 64 KiB messages, server side alone (h2load reading): our engine ≥ 1× ours on node:http2",
    caseId: "stream-server-64KiB-h2load",
    subject: "ours-engine",
    peer: "ours",
    min: 1,
  },
  {
    label: "(reference) the same with our client (on node:http2) reading: our engine ≥ 1× ours on node:http2",
    caseId: "stream-server-64KiB",
    subject: "ours-engine",
    peer: "ours",
    min: 1,
    reference: true,
  },
  {
    label: "(reference) the same, server side alone, h2load reading: ≥ 1,000,000 messages/s",
    caseId: "stream-server-100B-h2load",
    min: 1_000_000,
    reference: true,
  },
  {
    label: "(reference) the same, server side alone, h2load reading: ≥ 5× grpc-js",
    caseId: "stream-server-100B-h2load",
    peer: "grpc-js",
    min: 5,
    reference: true,
  },
];

/** The target of ours alone (not a ratio) for a case, for the chart. */
export function absoluteTargetFor(caseId: string): number | undefined {
  return targets.find(
    (t) =>
      t.caseId === caseId && t.peer === undefined && (t.subject ?? "ours") === "ours" && t.reference !== true,
  )?.min;
}

export type Verdict = "met" | "not met" | "no data";

export interface TargetResult {
  readonly label: string;
  readonly measured: string;
  readonly verdict: Verdict;
  /** The range over repetitions crosses the target. */
  readonly borderline: boolean;
  readonly reference: boolean;
  /**
   * The same target judged by CPU cost per call or message (see CaseSpec.costKeys): the ratio of
   * costs, or for an absolute rate the rate one fully used core would give. Empty when not CPU-bound.
   */
  readonly byCost: string;
}

function fmt(n: number, digits: number): string {
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The rate one fully used core gives at a cost of `cost` µs per unit. */
function capacity(cost: Spread): Spread {
  return { median: 1e6 / cost.median, min: 1e6 / cost.max, max: 1e6 / cost.min, n: cost.n };
}

function costView(s: Spread | undefined, min: number, digits: number, suffix: string): string {
  if (s === undefined || s.n === 0 || !Number.isFinite(s.median)) return "";
  const mark = s.median >= min ? "✅" : "❌";
  return `${fmt(s.median, digits)}${suffix} (${fmt(s.min, digits)}–${fmt(s.max, digits)}) ${mark}`;
}

function judge(s: Spread | undefined, min: number): { verdict: Verdict; borderline: boolean } {
  if (s === undefined || s.n === 0) return { verdict: "no data", borderline: false };
  return { verdict: s.median >= min ? "met" : "not met", borderline: s.min < min && s.max >= min };
}

/** The target of `subject` ÷ `peer` in a case, for the chart. */
export function targetFor(caseId: string, subject: Subject, peer: Impl): number | undefined {
  return targets.find(
    (t) =>
      t.caseId === caseId && (t.subject ?? "ours") === subject && t.peer === peer && t.reference !== true,
  )?.min;
}

export function evaluateTargets(results: Results): TargetResult[] {
  const out: TargetResult[] = [];
  for (const t of targets) {
    const summary = results.summarize(t.caseId);
    if (summary.length === 0) {
      out.push({
        label: t.label,
        measured: "not run",
        verdict: "no data",
        borderline: false,
        reference: t.reference === true,
        byCost: "",
      });
      continue;
    }
    const subject = t.subject ?? "ours";
    const ours = summary.find((s) => s.impl === subject);
    if (t.peer === undefined) {
      const v = ours?.value;
      const unit = results.caseById(t.caseId)?.unit ?? "";
      out.push({
        label: t.label,
        measured:
          v === undefined || v.n === 0
            ? "—"
            : `${fmt(v.median, 0)} ${unit} (${fmt(v.min, 0)}–${fmt(v.max, 0)})`,
        ...judge(v, t.min),
        reference: t.reference === true,
        byCost: costView(ours?.cost === undefined ? undefined : capacity(ours.cost), t.min, 0, ` ${unit}`),
      });
      continue;
    }
    const peer = summary.find((s) => s.impl === t.peer);
    const r = peer?.ratios[subject];
    const missing = ours?.unavailable ?? peer?.unavailable;
    out.push({
      label: t.label,
      measured:
        missing !== undefined
          ? `unavailable: ${implLabels[ours?.unavailable !== undefined ? subject : t.peer]} did not run here`
          : r === undefined || r.n === 0
            ? "—"
            : `${fmt(r.median, 2)}× ${implLabels[t.peer]} (${fmt(r.min, 2)}–${fmt(r.max, 2)})`,
      ...judge(r, t.min),
      byCost: costView(peer?.costRatios[subject], t.min, 2, "×"),
      reference: t.reference === true,
    });
  }
  for (const subject of ["ours", "ours-engine"] as const) {
    const mem = results.summarize(MEMORY_CASE).find((s) => s.impl === subject);
    if (subject === "ours-engine" && mem === undefined) continue;
    const rss = mem?.extras.rssGrowth;
    const heap = mem?.extras.heapGrowth;
    const label = `${subject === "ours" ? "No" : "On our engine: no"} RSS growth over the calls after warm-up beyond noise (RSS ≤ ${RSS_GROWTH_LIMIT_MIB} MiB and heap after GC ≤ ${HEAP_GROWTH_LIMIT_MIB} MiB)`;
    if (rss === undefined || heap === undefined || rss.n === 0) {
      out.push({
        label,
        measured: "not run",
        verdict: "no data",
        borderline: false,
        reference: false,
        byCost: "",
      });
      continue;
    }
    const ok = (s: Spread, lim: number) => s.median <= lim;
    out.push({
      label,
      measured: `RSS ${fmt(rss.median, 1)} MiB (${fmt(rss.min, 1)}–${fmt(rss.max, 1)}), heap ${fmt(heap.median, 2)} MiB (${fmt(heap.min, 2)}–${fmt(heap.max, 2)})`,
      verdict: ok(rss, RSS_GROWTH_LIMIT_MIB) && ok(heap, HEAP_GROWTH_LIMIT_MIB) ? "met" : "not met",
      borderline:
        rss.min <= RSS_GROWTH_LIMIT_MIB !== rss.max <= RSS_GROWTH_LIMIT_MIB ||
        heap.min <= HEAP_GROWTH_LIMIT_MIB !== heap.max <= HEAP_GROWTH_LIMIT_MIB,
      reference: false,
      byCost: "",
    });
  }
  return out;
}
