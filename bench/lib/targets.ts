// The targets, evaluated on a run's results (medians of same-repetition ratios): those of issue 4,
// judged on the default stack (ours on our own HTTP/2 engine, server and client) and, as reference
// rows, on ours on node:http2; and those of our own HTTP/2 engine (against the raw node:http2
// responder, grpc-go, grpc-js and ours on node:http2).
import { type Impl, type ImplSummary, implLabels, type Results, type Subject, subjects } from "./results.js";
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
  /** Whose figure is judged: `ours-engine` is the default stack, `ours` ours on node:http2. */
  readonly subject: Impl;
  /**
   * Ratio target against a peer, or an absolute value of the subject when `peer` is undefined.
   * In the memory case, no RSS or heap growth beyond the limits above (`min` is unused).
   */
  readonly peer?: Impl;
  readonly min: number;
  /** Shown but not one of the targets: ours on node:http2, or a second view of the same quantity. */
  readonly reference?: boolean;
}

/**
 * Issue 4's targets for `subject`. Judged on the default stack (`ours-engine`); on node:http2
 * (`ours`) they are reference rows, every label starting with "(reference, engine: node:http2)".
 */
function issueTargets(subject: Subject): Target[] {
  const node = subject === "ours";
  const tag = (reference: boolean) =>
    node ? "(reference, engine: node:http2) " : reference ? "(reference) " : "";
  const both = node ? "both on node:http2" : "both on our engine, the default stack";
  const list: Omit<Target, "subject">[] = [
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
      label: `Server streaming of 100-byte messages ≥ 1,000,000 messages/s (our client and server, ${both})`,
      caseId: "stream-server-100B",
      min: 1_000_000,
    },
    {
      label: `Server streaming of 100-byte messages ≥ 5× grpc-js (each with its own client; ours ${both})`,
      caseId: "stream-server-100B",
      peer: "grpc-js",
      min: 5,
    },
    {
      label: `No RSS growth over the calls after warm-up beyond noise (RSS ≤ ${RSS_GROWTH_LIMIT_MIB} MiB and heap after GC ≤ ${HEAP_GROWTH_LIMIT_MIB} MiB)`,
      caseId: MEMORY_CASE,
      min: 0,
    },
    {
      label:
        "Server streaming of 100-byte messages, server side alone (h2load reading): ≥ 1,000,000 messages/s",
      caseId: "stream-server-100B-h2load",
      min: 1_000_000,
      reference: true,
    },
    {
      label: "Server streaming of 100-byte messages, server side alone (h2load reading): ≥ 5× grpc-js",
      caseId: "stream-server-100B-h2load",
      peer: "grpc-js",
      min: 5,
      reference: true,
    },
  ];
  return list.map((t) => ({
    ...t,
    label: `${tag(t.reference === true)}${t.label}`,
    subject,
    ...(node || t.reference === true ? { reference: true } : {}),
  }));
}

/** The targets of our own engine (the default), as they were set for it. */
const engineTargets: readonly Target[] = [
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
    label:
      "(reference) the same with our client on node:http2 reading both servers (the server's engine the only difference): our engine ≥ 1× ours on node:http2",
    caseId: "stream-server-64KiB",
    subject: "ours-engine-node-client",
    peer: "ours",
    min: 1,
    reference: true,
  },
];

/**
 * In this order: issue 4's targets on the default stack (no memory growth on our engine, one of
 * our engine's targets, among them), our engine's own targets, then the issue's targets on node:http2.
 */
export const targets: readonly Target[] = [
  ...issueTargets("ours-engine"),
  ...engineTargets,
  ...issueTargets("ours"),
];

/** The targets of a subject alone (not a ratio) in a case, for the chart. */
export function absoluteTargetsFor(caseId: string): { readonly subject: Subject; readonly min: number }[] {
  return subjects.flatMap((subject) => {
    const t = targets.find((x) => x.caseId === caseId && x.peer === undefined && x.subject === subject);
    return t === undefined || caseId === MEMORY_CASE ? [] : [{ subject, min: t.min }];
  });
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

/**
 * The target of `subject` ÷ `peer` in a case, for the chart (reference rows included); the larger
 * one where the issue and our engine set one each.
 */
export function targetFor(caseId: string, subject: Subject, peer: Impl): number | undefined {
  const mins = targets
    .filter((t) => t.caseId === caseId && t.subject === subject && t.peer === peer)
    .map((t) => t.min);
  return mins.length === 0 ? undefined : Math.max(...mins);
}

/** "not run" / "—" / "unavailable" rows have no figures; this makes one. */
function empty(t: Target, measured: string): TargetResult {
  return {
    label: t.label,
    measured,
    verdict: "no data",
    borderline: false,
    reference: t.reference === true,
    byCost: "",
  };
}

function memoryTarget(t: Target, mem: ImplSummary): TargetResult {
  const rss = mem.extras.rssGrowth;
  const heap = mem.extras.heapGrowth;
  if (rss === undefined || heap === undefined || rss.n === 0) return empty(t, mem.unavailable ?? "—");
  const ok = (s: Spread, lim: number) => s.median <= lim;
  return {
    label: t.label,
    measured: `RSS ${fmt(rss.median, 1)} MiB (${fmt(rss.min, 1)}–${fmt(rss.max, 1)}), heap ${fmt(heap.median, 2)} MiB (${fmt(heap.min, 2)}–${fmt(heap.max, 2)})`,
    verdict: ok(rss, RSS_GROWTH_LIMIT_MIB) && ok(heap, HEAP_GROWTH_LIMIT_MIB) ? "met" : "not met",
    borderline:
      rss.min <= RSS_GROWTH_LIMIT_MIB !== rss.max <= RSS_GROWTH_LIMIT_MIB ||
      heap.min <= HEAP_GROWTH_LIMIT_MIB !== heap.max <= HEAP_GROWTH_LIMIT_MIB,
    reference: t.reference === true,
    byCost: "",
  };
}

export function evaluateTargets(results: Results): TargetResult[] {
  return targets.map((t): TargetResult => {
    const summary = results.summarize(t.caseId);
    const ours = summary.find((s) => s.impl === t.subject);
    if (summary.length === 0 || ours === undefined) return empty(t, "not run");
    if (t.caseId === MEMORY_CASE) return memoryTarget(t, ours);
    const reference = t.reference === true;
    if (t.peer === undefined) {
      const v = ours.value;
      const unit = results.caseById(t.caseId)?.unit ?? "";
      if (ours.unavailable !== undefined)
        return empty(t, `unavailable: ${implLabels[t.subject]} did not run here`);
      return {
        label: t.label,
        measured: v.n === 0 ? "—" : `${fmt(v.median, 0)} ${unit} (${fmt(v.min, 0)}–${fmt(v.max, 0)})`,
        ...judge(v, t.min),
        reference,
        byCost: costView(ours.cost === undefined ? undefined : capacity(ours.cost), t.min, 0, ` ${unit}`),
      };
    }
    const peer = summary.find((s) => s.impl === t.peer);
    if (peer === undefined) return empty(t, "not run");
    if (ours.unavailable !== undefined || peer.unavailable !== undefined) {
      const who = ours.unavailable !== undefined ? t.subject : t.peer;
      return empty(t, `unavailable: ${implLabels[who]} did not run here`);
    }
    const c = results.compare(t.caseId, t.subject, t.peer);
    const r = c?.ratio;
    return {
      label: t.label,
      measured:
        r === undefined || r.n === 0
          ? "—"
          : `${fmt(r.median, 2)}× ${implLabels[t.peer]} (${fmt(r.min, 2)}–${fmt(r.max, 2)})`,
      ...judge(r, t.min),
      byCost: costView(c?.costRatio, t.min, 2, "×"),
      reference,
    };
  });
}
