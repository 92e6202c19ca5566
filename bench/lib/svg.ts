// The chart: one horizontal bar per (case, peer) with ours ÷ peer on a log scale, the min–max over
// repetitions as a whisker, and the issue's target as a mark. Hand-written SVG, no dependency.
import { type Impl, implLabels, type Results, type Subject, subjects } from "./results.js";
import { absoluteTargetsFor, targetFor } from "./targets.js";

interface Row {
  readonly label: string;
  /** The same ratio by CPU cost, when the case has one. */
  readonly byCost?: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly target?: number;
  readonly first: boolean;
  /** Shown instead of a bar (e.g. an implementation that could not run here). */
  readonly note?: string;
}

/** Subject names in chart labels (shorter than the table's). */
const chartSubject: Readonly<Record<Subject, string>> = {
  "ours-engine": "default",
  ours: "ours on node:http2",
};

/** Peer names in chart labels (shorter than the table's). */
function peerLabel(impl: Impl): string {
  switch (impl) {
    case "ours":
      return "ours on node:http2";
    case "ours-engine":
      return "default";
    case "ours-engine-node-client":
      return "engine server + node client";
    default:
      return implLabels[impl];
  }
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The largest 1, 2 or 5 × 10^k at or below v. */
function niceBelow(v: number): number {
  const e = 10 ** Math.floor(Math.log10(v));
  return [5, 2, 1].map((m) => m * e).find((c) => c <= v) ?? e;
}

/** The smallest 1, 2 or 5 × 10^k at or above v. */
function niceAbove(v: number): number {
  const e = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * e).find((c) => c >= v) ?? 10 * e;
}

function ticksBetween(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(Number(v.toPrecision(3)));
    }
  }
  return out;
}

export function renderSvg(results: Results, title: string): string {
  const rows: Row[] = [];
  for (const spec of results.cases) {
    if (spec.kind !== "rate") continue;
    let first = true;
    const summary = results.summarize(spec.id);
    const unavailableRow = (label: string, who: string) => {
      rows.push({
        label,
        median: Number.NaN,
        min: Number.NaN,
        max: Number.NaN,
        first,
        note: `${who}: unavailable here (see results.md)`,
      });
      first = false;
    };
    for (const subject of subjects) {
      if (summary.find((x) => x.impl === subject)?.unavailable !== undefined) {
        unavailableRow(`${spec.short} — ${chartSubject[subject]}`, chartSubject[subject]);
        continue;
      }
      for (const s of summary) {
        // ours on node:http2 ÷ the default is the inverse of the default ÷ ours, which is shown.
        if (subject === "ours" && s.impl === "ours-engine") continue;
        const ratio = s.ratios[subject];
        if (ratio === undefined) continue;
        const label = `${spec.short} — ${chartSubject[subject]} vs ${peerLabel(s.impl)}`;
        if (ratio.n === 0) {
          if (s.unavailable !== undefined) unavailableRow(label, peerLabel(s.impl));
          continue;
        }
        const target = targetFor(spec.id, subject, s.impl);
        const costRatio = s.costRatios[subject];
        rows.push({
          label,
          ...(costRatio !== undefined && costRatio.n > 0 ? { byCost: costRatio.median } : {}),
          median: ratio.median,
          min: ratio.min,
          max: ratio.max,
          ...(target === undefined ? {} : { target }),
          first,
        });
        first = false;
      }
    }
    for (const { subject, min } of absoluteTargetsFor(spec.id)) {
      const mine = summary.find((x) => x.impl === subject);
      if (mine === undefined || mine.value.n === 0) continue;
      rows.push({
        label: `${spec.short} — ${chartSubject[subject]} ÷ ${min.toLocaleString("en-US")} ${spec.unit}`,
        ...(mine.cost !== undefined && mine.cost.n > 0 ? { byCost: 1e6 / mine.cost.median / min } : {}),
        median: mine.value.median / min,
        min: mine.value.min / min,
        max: mine.value.max / min,
        target: 1,
        first,
      });
      first = false;
    }
  }
  const values = rows
    .flatMap((r) => [r.min, r.max, r.target ?? 1, r.byCost ?? 1])
    .filter((v) => v > 0 && Number.isFinite(v));
  const lo = niceBelow(Math.min(0.5, ...values) * 0.9);
  const hi = niceAbove(Math.max(2, ...values) * 1.1);
  const width = 1120;
  const labelW = 470;
  const x0 = labelW + 10;
  const x1 = width - 150;
  const rowH = 22;
  const top = 96;
  const height = top + rows.length * rowH + 44;
  const x = (v: number) =>
    x0 + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (x1 - x0);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="12" y="42" fill="#444">default = our server and client on our own HTTP/2 engine, what users get; ours on node:http2 = the same with engine: "node"; node client = ours on node:http2.</text>`,
    `<text x="12" y="58" fill="#444">Subject ÷ peer within the same repetition: bar = median, whisker = min–max; log scale; right of 1× = ours faster. ◇ = the same ratio by CPU cost per call or message.</text>`,
    `<text x="12" y="74" fill="#444">Green: at or above the target (black mark; on node:http2 rows the issue's target, for reference), or above 1× where there is none; red: below.</text>`,
  );
  for (const t of ticksBetween(lo, hi)) {
    const tx = x(t).toFixed(1);
    parts.push(
      `<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${top + rows.length * rowH}" stroke="${t === 1 ? "#333" : "#ddd"}" stroke-width="${t === 1 ? 1.5 : 1}"/>`,
      `<text x="${tx}" y="${top + rows.length * rowH + 16}" text-anchor="middle" fill="#444">${t}×</text>`,
    );
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const cy = y + rowH / 2;
    if (r.first && i > 0)
      parts.push(`<line x1="8" y1="${y}" x2="${width - 8}" y2="${y}" stroke="#bbb" stroke-dasharray="2,3"/>`);
    parts.push(`<text x="${labelW}" y="${cy + 4}" text-anchor="end">${esc(r.label)}</text>`);
    if (r.note !== undefined)
      parts.push(`<text x="${x0 + 6}" y="${cy + 4}" fill="#777" font-style="italic">${esc(r.note)}</text>`);
    if (!(r.median > 0)) return;
    const good = r.target !== undefined ? r.median >= r.target : r.median >= 1;
    const a = x(Math.min(1, r.median));
    const b = x(Math.max(1, r.median));
    parts.push(
      `<rect x="${a.toFixed(1)}" y="${y + 4}" width="${Math.max(1, b - a).toFixed(1)}" height="${rowH - 8}" fill="${good ? "#3a9d5d" : "#d0573f"}" opacity="0.85"/>`,
    );
    if (r.max > r.min) {
      parts.push(
        `<line x1="${x(r.min).toFixed(1)}" y1="${cy}" x2="${x(r.max).toFixed(1)}" y2="${cy}" stroke="#222" stroke-width="1"/>`,
        `<line x1="${x(r.min).toFixed(1)}" y1="${cy - 4}" x2="${x(r.min).toFixed(1)}" y2="${cy + 4}" stroke="#222"/>`,
        `<line x1="${x(r.max).toFixed(1)}" y1="${cy - 4}" x2="${x(r.max).toFixed(1)}" y2="${cy + 4}" stroke="#222"/>`,
      );
    }
    if (r.target !== undefined) {
      const tx = x(r.target).toFixed(1);
      parts.push(
        `<line x1="${tx}" y1="${y + 1}" x2="${tx}" y2="${y + rowH - 1}" stroke="#000" stroke-width="3"/>`,
      );
    }
    if (r.byCost !== undefined && r.byCost > 0) {
      const dx = x(r.byCost);
      parts.push(
        `<path d="M${dx.toFixed(1)},${cy - 6} l6,6 l-6,6 l-6,-6 z" fill="#ffffff" stroke="#1f4e9c" stroke-width="1.5"/>`,
      );
    }
    const vx =
      Math.max(
        b,
        x(r.max),
        r.target === undefined ? 0 : x(r.target),
        r.byCost === undefined ? 0 : x(r.byCost) + 6,
      ) + 6;
    parts.push(
      `<text x="${vx.toFixed(1)}" y="${cy + 4}" fill="#222">${r.median.toFixed(2)}×${r.byCost !== undefined ? ` ◇ ${r.byCost.toFixed(2)}×` : ""}${r.target !== undefined ? ` (target ${r.target}×)` : ""}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
