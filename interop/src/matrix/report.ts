/** The matrix's summary: a client × server table, the failures, the gaps met, and the totals. */
import { expectedGaps } from "./gaps.js";
import { pairs as allPairs, type Impl, implLabel, type Pair, type Variant } from "./participants.js";
import type { CaseResult, MatrixResult } from "./run-matrix.js";

const impls: readonly Impl[] = ["ours", "grpc-js", "c-core"];

function cell(results: readonly CaseResult[], variants: readonly Variant[]): string {
  const parts: string[] = [];
  for (const v of variants) {
    const rs = results.filter((r) => r.variant === v);
    if (rs.length === 0) continue;
    const pass = rs.filter((r) => r.outcome === "pass").length;
    const fail = rs.filter((r) => r.outcome === "fail" || r.outcome === "stale-gap").length;
    const gap = rs.filter((r) => r.outcome === "gap").length;
    parts.push(`${v} ${pass} pass${gap > 0 ? ` ${gap} gap` : ""}${fail > 0 ? ` ${fail} FAIL` : ""}`);
  }
  return parts.join(", ");
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) => `| ${r.map((s, c) => s.padEnd(widths[c]!)).join(" | ")} |`;
  return [line(rows[0]!), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.slice(1).map(line)];
}

export function formatReport(result: MatrixResult, pairs: readonly Pair[] = allPairs): string[] {
  const variants = [...new Set(result.results.map((r) => r.variant))];
  const rows: string[][] = [["client \\ server", ...impls.map((i) => implLabel[i])]];
  for (const client of impls) {
    if (!pairs.some((p) => p.client === client)) continue;
    rows.push([
      implLabel[client],
      ...impls.map((server) => {
        if (!pairs.some((p) => p.client === client && p.server === server)) return "—";
        return cell(
          result.results.filter((r) => r.client === client && r.server === server),
          variants,
        );
      }),
    ]);
  }
  const out = ["", "== interop matrix (rows: client, columns: server)", ...table(rows)];
  const failures = result.results.filter((r) => r.outcome === "fail" || r.outcome === "stale-gap");
  if (failures.length > 0) {
    out.push("", "== failures");
    for (const f of failures)
      out.push(`FAIL ${f.client} → ${f.server} (${f.variant}) ${f.name}: ${f.detail ?? ""}`);
  }
  const met = expectedGaps.filter((g) =>
    result.results.some(
      (r) => r.outcome === "gap" && r.client === g.client && r.server === g.server && r.name === g.case,
    ),
  );
  if (met.length > 0) {
    out.push("", "== expected gaps (interop/src/matrix/gaps.ts; run, failed as expected, not counted)");
    for (const g of met) out.push(`gap  ${g.client} → ${g.server} ${g.case}: ${g.reason}`);
  }
  out.push("", "== time per client run");
  for (const t of result.timings)
    out.push(`${t.client} → ${t.server} (${t.variant}): ${(t.ms / 1000).toFixed(1)} s`);
  out.push(
    "",
    `matrix took ${(result.durationMs / 1000).toFixed(1)} s; ${result.gaps} expected gaps`,
    `${result.passed} passed, ${result.failed} failed`,
  );
  return out;
}
