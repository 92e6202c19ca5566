// What a run measured: the cases, one sample per implementation and repetition, and the summaries
// (median with min–max, and ours ÷ each peer taken within the same repetition).
import { type Spread, spread } from "./stats.js";

export const impls = [
  "ours",
  "ours-engine",
  "ours-engine-node-client",
  "ours-rr",
  "ours-retry",
  "ours-before",
  "grpc-js",
  "connect",
  "raw",
  "grpc-go",
] as const;
export type Impl = (typeof impls)[number];

/**
 * `ours-engine` is the default stack, what users get from `createServer()` and `createChannel()`
 * without options: our server and our client on our own HTTP/2 engine. `ours` is the same code with
 * `engine: "node"` (node:http2). `ours-engine-node-client` exists only in streaming: our server on
 * our engine read by our client on node:http2, so that it differs from `ours` in the server's
 * engine alone.
 */
export const implLabels: Readonly<Record<Impl, string>> = {
  ours: "grpc-ts (ours) on node:http2",
  "ours-engine": "grpc-ts (ours) on its own HTTP/2 engine (default)",
  "ours-engine-node-client": "grpc-ts (ours): server on its own engine, client on node:http2",
  "ours-rr": "grpc-ts (ours), default stack with round_robin over one server",
  "ours-retry": "grpc-ts (ours), default stack with a retry policy (no call fails)",
  "ours-before": "grpc-ts (ours), default stack, at the --baseline checkout",
  "grpc-js": "@grpc/grpc-js",
  connect: "connect-node",
  raw: "raw node:http2",
  "grpc-go": "grpc-go",
};

/**
 * The implementations that the others are compared with ("X ÷ this"): ours on our own HTTP/2
 * engine (the default stack) first, then ours on node:http2. A case that lists neither has no ratios.
 */
export const subjects = ["ours-engine", "ours"] as const;
export type Subject = (typeof subjects)[number];

/** Short names of the subjects for column headers and chart labels. */
export const subjectLabels: Readonly<Record<Subject, string>> = {
  "ours-engine": "default (own engine)",
  ours: "ours on node:http2",
};

export interface ExtraColumn {
  readonly key: string;
  readonly label: string;
  /** Decimal places (default 0). */
  readonly digits?: number;
}

export interface CaseSpec {
  readonly id: string;
  /** The heading the case is grouped under. */
  readonly section: string;
  readonly title: string;
  /** `rate`: a higher-is-better value with ratios; `memory`: columns only. */
  readonly kind: "rate" | "memory";
  /** Unit of the value, e.g. `calls/s`. */
  readonly unit: string;
  /** Decimal places of the value (default 0). */
  readonly digits?: number;
  readonly impls: readonly Impl[];
  readonly extras: readonly ExtraColumn[];
  /** Short name for the chart. */
  readonly short: string;
  /**
   * Extra keys holding CPU µs per call or message of the process(es) that should be CPU-bound in
   * this case (the larger one counts). Throughput on a quiet core is the inverse of that cost, and
   * the cost is hardly touched by other processes taking the core away, so a ratio of costs is a
   * noise-resistant second view of the speed ratio.
   */
  readonly costKeys?: readonly string[];
}

export interface Sample {
  readonly caseId: string;
  readonly impl: Impl;
  readonly rep: number;
  /** The primary value; NaN when the run failed. */
  readonly value: number;
  readonly extra: Readonly<Record<string, number>>;
  readonly error?: string;
  /** The implementation could not run here at all (e.g. Go missing); why, and how to fix it. */
  readonly unavailable?: string;
}

export interface ImplSummary {
  readonly impl: Impl;
  readonly value: Spread;
  readonly extras: Readonly<Record<string, Spread>>;
  /**
   * Per subject S other than this implementation: S ÷ this, per repetition, summarised (rate
   * cases only, and only for the subjects the case lists).
   */
  readonly ratios: Readonly<Partial<Record<Subject, Spread>>>;
  /** CPU cost per call or message (µs, the larger of `costKeys`), over repetitions. */
  readonly cost?: Spread;
  /** Per subject S: this implementation's cost ÷ S's, per repetition (above 1: S is cheaper). */
  readonly costRatios: Readonly<Partial<Record<Subject, Spread>>>;
  readonly errors: readonly string[];
  /** Set when every sample of this implementation was unavailable: the reason. */
  readonly unavailable?: string;
}

export class Results {
  readonly cases: CaseSpec[] = [];
  readonly samples: Sample[] = [];
  /** Warnings to print with the results (unclean exits, failed checks). */
  readonly notes: string[] = [];
  /** Facts that help read the figures (e.g. the memory floor of a child process). */
  readonly context: string[] = [];

  addCase(spec: CaseSpec): void {
    if (!this.cases.some((c) => c.id === spec.id)) this.cases.push(spec);
  }

  add(sample: Sample): void {
    this.samples.push(sample);
  }

  /** Records that `impl` could not run in this repetition, and why (shown instead of figures). */
  addUnavailable(caseId: string, impl: Impl, rep: number, reason: string): void {
    this.samples.push({ caseId, impl, rep, value: Number.NaN, extra: {}, unavailable: reason });
  }

  note(text: string): void {
    this.notes.push(text);
    console.warn(`  ! ${text}`);
  }

  /**
   * Under full load the code under test should keep at least one core busy. When every process
   * named in `shares` (fractions of one core) stayed below 60%, something else limited the run.
   * (Two processes passing work back and forth, each idle while the other works, typically keep
   * 65–85% of a core busy: the CPU % columns show it; only clearly idle runs are flagged.)
   */
  checkSaturated(what: string, shares: Readonly<Record<string, number>>): void {
    const list = Object.entries(shares);
    if (list.length === 0 || list.some(([, v]) => !(v < 0.6))) return;
    const used = list.map(([k, v]) => `${k} ${Math.round(v * 100)}%`).join(", ");
    this.note(
      `${what}: no process kept its core busy (${used}): other processes took the cores, or the run waited ` +
        "(flow control, round trips) rather than computed",
    );
  }

  caseById(id: string): CaseSpec | undefined {
    return this.cases.find((c) => c.id === id);
  }

  /** The CPU cost per call or message of a sample (the larger of the case's `costKeys`), or NaN. */
  private costOf(spec: CaseSpec, s: Sample): number {
    return spec.costKeys === undefined
      ? Number.NaN
      : Math.max(...spec.costKeys.map((k) => s.extra[k] ?? Number.NaN));
  }

  /**
   * `a` ÷ `b` in a rate case, per repetition, summarised; and by CPU cost, `b`'s cost ÷ `a`'s
   * (above 1: `a` is cheaper), when the case has `costKeys`. Undefined when the case is unknown.
   */
  compare(caseId: string, a: Impl, b: Impl): { ratio: Spread; costRatio?: Spread } | undefined {
    const spec = this.caseById(caseId);
    if (spec === undefined) return undefined;
    const samples = this.samples.filter((s) => s.caseId === caseId);
    const ofA = new Map(samples.filter((s) => s.impl === a).map((s) => [s.rep, s]));
    const mine = samples.filter((s) => s.impl === b);
    const ratio = spread(mine.map((s) => (ofA.get(s.rep)?.value ?? Number.NaN) / s.value));
    if (spec.costKeys === undefined) return { ratio };
    const costRatio = spread(
      mine.map((s) => {
        const other = ofA.get(s.rep);
        return other === undefined ? Number.NaN : this.costOf(spec, s) / this.costOf(spec, other);
      }),
    );
    return { ratio, costRatio };
  }

  summarize(caseId: string): ImplSummary[] {
    const spec = this.caseById(caseId);
    if (spec === undefined) return [];
    const samples = this.samples.filter((s) => s.caseId === caseId);
    const listed = subjects.filter((s) => spec.impls.includes(s));
    return spec.impls.map((impl) => {
      const mine = samples.filter((s) => s.impl === impl);
      const extras: Record<string, Spread> = {};
      for (const col of spec.extras)
        extras[col.key] = spread(mine.map((s) => s.extra[col.key] ?? Number.NaN));
      const ratios: Partial<Record<Subject, Spread>> = {};
      const costRatios: Partial<Record<Subject, Spread>> = {};
      if (spec.kind === "rate") {
        for (const subject of listed) {
          if (subject === impl) continue;
          const c = this.compare(caseId, subject, impl)!;
          ratios[subject] = c.ratio;
          if (c.costRatio !== undefined) costRatios[subject] = c.costRatio;
        }
      }
      const unavailable = mine.find((s) => s.unavailable !== undefined)?.unavailable;
      return {
        impl,
        value: spread(mine.map((s) => s.value)),
        extras,
        ratios,
        costRatios,
        errors: mine.flatMap((s) => (s.error === undefined ? [] : [`rep ${s.rep + 1}: ${s.error}`])),
        ...(spec.costKeys === undefined ? {} : { cost: spread(mine.map((s) => this.costOf(spec, s))) }),
        ...(unavailable !== undefined && mine.every((s) => s.unavailable !== undefined)
          ? { unavailable }
          : {}),
      };
    });
  }
}

/** Runs `fn` for each implementation, starting the list one further along in each repetition. */
export function rotate<T>(list: readonly T[], rep: number): T[] {
  const k = rep % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}
