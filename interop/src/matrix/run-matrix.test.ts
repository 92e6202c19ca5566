import assert from "node:assert/strict";
import { test } from "node:test";
import { formatReport } from "./report.js";
import { type CaseResult, classify, type MatrixResult, parseClientOutput } from "./run-matrix.js";

test("client output: PASS and FAIL lines, reasons with colons, other lines ignored", () => {
  const out = parseClientOutput(
    "PASS empty_unary\nsome noise\nFAIL large_unary: INTERNAL: boom: again\nFAIL ping_pong: timed out after 90 s\n",
  );
  assert.deepEqual(out.get("empty_unary"), { pass: true, reason: "" });
  assert.deepEqual(out.get("large_unary"), { pass: false, reason: "INTERNAL: boom: again" });
  assert.deepEqual(out.get("ping_pong"), { pass: false, reason: "timed out after 90 s" });
  assert.equal(out.size, 3);
});

test("classification: listed gaps count as gaps when they fail and as failures when they pass", () => {
  const pair = { client: "ours", server: "grpc-js" } as const;
  assert.equal(classify(pair, "plaintext", "server_compressed_unary", false, "no flag").outcome, "gap");
  const stale = classify(pair, "tls", "server_compressed_unary", true, "");
  assert.equal(stale.outcome, "stale-gap");
  assert.match(stale.detail ?? "", /gaps\.ts/);
  assert.equal(classify(pair, "plaintext", "large_unary", false, "boom").outcome, "fail");
  assert.equal(classify(pair, "plaintext", "large_unary", true, "").outcome, "pass");
  // The same case is no gap for another pair.
  assert.equal(
    classify({ client: "ours", server: "ours" }, "plaintext", "server_compressed_unary", false, "x").outcome,
    "fail",
  );
});

test("report: a table row per client, failures listed, and the final totals line", () => {
  const r = (name: CaseResult["name"], outcome: CaseResult["outcome"]): CaseResult => ({
    client: "ours",
    server: "ours",
    variant: "plaintext",
    name,
    outcome,
    detail: outcome === "pass" ? undefined : "why",
  });
  const result: MatrixResult = {
    results: [r("empty_unary", "pass"), r("large_unary", "fail")],
    timings: [{ client: "ours", server: "ours", variant: "plaintext", ms: 1200 }],
    passed: 1,
    failed: 1,
    gaps: 0,
    durationMs: 1500,
  };
  const lines = formatReport(result, [{ client: "ours", server: "ours" }]);
  assert.equal(lines.at(-1), "1 passed, 1 failed");
  assert.ok(lines.some((l) => l.includes("plaintext 1 pass 1 FAIL")));
  assert.ok(lines.includes("FAIL ours → ours (plaintext) large_unary: why"));
});
