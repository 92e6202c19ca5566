// Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and sums the time per function: self time
// (the function itself on top of the stack) and total time (anywhere on the stack).
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { rootDir } from "./paths.js";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  /** Microseconds, CLOCK_MONOTONIC on Linux (the clock of process.hrtime). */
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface FunctionTime {
  readonly name: string;
  /** Where it is: a path under the repository, `node:…`, or a package. */
  readonly where: string;
  readonly group: string;
  readonly selfMs: number;
  readonly totalMs: number;
}

export interface ProfileSummary {
  /** Sampled milliseconds in the window, idle excluded. */
  readonly busyMs: number;
  readonly idleMs: number;
  readonly samples: number;
  readonly functions: readonly FunctionTime[];
  /** Self time by group (ours, node:http2 and other node internals, dependencies, GC, …). */
  readonly groups: readonly { readonly group: string; readonly selfMs: number }[];
  /** Self time by source file. */
  readonly files: readonly { readonly where: string; readonly group: string; readonly selfMs: number }[];
}

function locate(url: string): { where: string; group: string } {
  if (url === "") return { where: "", group: "V8 / native" };
  if (url.startsWith("node:")) {
    return { where: url, group: url.includes("http2") ? "node:http2 (internals)" : "node internals" };
  }
  let path = url;
  if (url.startsWith("file://")) path = fileURLToPath(url);
  const rel = relative(rootDir, path);
  const nm = rel.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = rel.slice(nm + "node_modules/".length);
    const parts = rest.split("/");
    const pkg = parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
    return { where: rest, group: `dependency ${pkg}` };
  }
  if (rel.startsWith("packages/")) return { where: rel, group: `ours (${rel.split("/")[1]})` };
  if (rel.startsWith("bench/")) return { where: rel, group: "bench harness / handler" };
  return { where: rel, group: "other" };
}

const special: Record<string, string> = {
  "(garbage collector)": "GC",
  "(program)": "V8 / native",
  "(idle)": "idle",
  "(root)": "V8 / native",
};

/**
 * Sums a profile. With a window [fromUs, toUs] on the profile's clock, only the samples inside it
 * count (used to leave out start-up and warm-up).
 */
export function summarizeProfile(
  profile: CpuProfile,
  window?: { fromUs: number; toUs: number },
): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const key = (f: CallFrame) => `${f.functionName}\u0000${f.url}\u0000${f.lineNumber}`;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const frameOf = new Map<string, CallFrame>();
  let busy = 0;
  let idle = 0;
  let count = 0;
  let t = profile.startTime;
  const n = profile.samples.length;
  for (let i = 0; i < n; i++) {
    t += profile.timeDeltas[i]!;
    // A sample stands for the time until the next one.
    const dt = (i + 1 < n ? profile.timeDeltas[i + 1]! : (profile.timeDeltas[i] ?? 0)) / 1000;
    if (window !== undefined && (t < window.fromUs || t > window.toUs)) continue;
    const node = byId.get(profile.samples[i]!);
    if (node === undefined) continue;
    count++;
    if (node.callFrame.functionName === "(idle)") {
      idle += dt;
      continue;
    }
    busy += dt;
    const k = key(node.callFrame);
    frameOf.set(k, node.callFrame);
    self.set(k, (self.get(k) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      const fk = key(f);
      if (seen.has(fk)) continue;
      seen.add(fk);
      frameOf.set(fk, f);
      total.set(fk, (total.get(fk) ?? 0) + dt);
    }
  }
  const functions: FunctionTime[] = [];
  for (const [k, f] of frameOf) {
    const loc = locate(f.url);
    const group = special[f.functionName] ?? loc.group;
    functions.push({
      name: f.functionName === "" ? "(anonymous)" : f.functionName,
      where: loc.where === "" ? "" : `${loc.where}:${f.lineNumber + 1}`,
      group,
      selfMs: self.get(k) ?? 0,
      totalMs: total.get(k) ?? 0,
    });
  }
  functions.sort((a, b) => b.selfMs - a.selfMs);
  const groups = new Map<string, number>();
  const files = new Map<string, { group: string; selfMs: number }>();
  for (const f of functions) {
    groups.set(f.group, (groups.get(f.group) ?? 0) + f.selfMs);
    const file = f.where.replace(/:\d+$/, "") || f.name;
    const e = files.get(file) ?? { group: f.group, selfMs: 0 };
    e.selfMs += f.selfMs;
    files.set(file, e);
  }
  return {
    busyMs: busy,
    idleMs: idle,
    samples: count,
    functions,
    groups: [...groups].map(([group, selfMs]) => ({ group, selfMs })).sort((a, b) => b.selfMs - a.selfMs),
    files: [...files]
      .map(([where, e]) => ({ where, group: e.group, selfMs: e.selfMs }))
      .sort((a, b) => b.selfMs - a.selfMs),
  };
}

function pct(ms: number, of: number): string {
  return `${((100 * ms) / of).toFixed(1).padStart(5)}%`;
}

/** A plain-text report: groups, files, and the top functions by self time (and ours by total time). */
export function formatSummary(s: ProfileSummary, top: number): string {
  const lines: string[] = [];
  lines.push(`busy ${s.busyMs.toFixed(0)} ms sampled (idle ${s.idleMs.toFixed(0)} ms), ${s.samples} samples`);
  lines.push("", "self time by group:");
  for (const g of s.groups)
    lines.push(`  ${pct(g.selfMs, s.busyMs)}  ${g.selfMs.toFixed(0).padStart(7)} ms  ${g.group}`);
  lines.push("", `self time by file (top ${top}):`);
  for (const f of s.files.slice(0, top)) {
    lines.push(
      `  ${pct(f.selfMs, s.busyMs)}  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.where}  [${f.group}]`,
    );
  }
  lines.push("", `top ${top} functions by self time:`);
  for (const f of s.functions.slice(0, top)) {
    lines.push(
      `  ${pct(f.selfMs, s.busyMs)}  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}  ${f.where}  [${f.group}]`,
    );
  }
  const ours = s.functions.filter((f) => f.group.startsWith("ours")).sort((a, b) => b.totalMs - a.totalMs);
  if (ours.length > 0) {
    lines.push("", `our functions by total time (self + callees, top ${top}):`);
    for (const f of ours.slice(0, top)) {
      lines.push(
        `  ${pct(f.totalMs, s.busyMs)} total ${pct(f.selfMs, s.busyMs)} self  ${f.name}  ${f.where}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
