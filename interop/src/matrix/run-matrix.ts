/**
 * The interop matrix: starts every server (ours, grpc-js, C-core through Python) in plaintext and
 * TLS, runs each client of `pairs` against its server with all the cases, and classifies every
 * case as pass, fail or expected gap. The heavy cases (concurrency, bulk) run once per pair, in the
 * plaintext variant; TLS runs the standard cases with a test CA made for the run and
 * `--server_host_override=foo.test.google.fr`.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CaseName, heavyCases, standardCases } from "../cases.js";
import { generateCerts } from "../certs.js";
import { TLS_SERVER_NAME } from "../constants.js";
import { findGap } from "./gaps.js";
import {
  pairs as allPairs,
  variants as allVariants,
  clientPrograms,
  type Impl,
  type Pair,
  repoRoot,
  serverPrograms,
  systemPython,
  type Variant,
} from "./participants.js";
import { runClient, type StartedServer, startServer, stop } from "./processes.js";

export type Outcome = "pass" | "fail" | "gap" | "stale-gap";

export interface CaseResult {
  readonly client: Impl;
  readonly server: Impl;
  readonly variant: Variant;
  readonly name: CaseName;
  readonly outcome: Outcome;
  /** Why it failed (or, for a gap, what the client said and the listed reason). */
  readonly detail: string | undefined;
}

export interface RunTiming {
  readonly client: Impl;
  readonly server: Impl;
  readonly variant: Variant;
  readonly ms: number;
}

export interface MatrixResult {
  readonly results: readonly CaseResult[];
  readonly timings: readonly RunTiming[];
  readonly passed: number;
  readonly failed: number;
  readonly gaps: number;
  readonly durationMs: number;
}

export interface MatrixOptions {
  readonly pairs?: readonly Pair[];
  readonly variants?: readonly Variant[];
  /** Progress lines (one per client run). */
  readonly log?: (line: string) => void;
}

const SERVER_START_TIMEOUT_MS = 30_000;
const CLIENT_RUN_TIMEOUT_MS = 150_000;

/**
 * What the matrix needs from the machine; each missing piece is an error naming the fix, so the
 * matrix fails loudly instead of passing with nothing run.
 */
export function checkPrerequisites(): string[] {
  const problems: string[] = [];
  const protoRoot = process.env.GRPC_PROTO_DIR ?? "/usr/share/grpc-proto";
  if (!existsSync(join(protoRoot, "grpc", "testing", "test.proto")))
    problems.push(`${protoRoot}/grpc/testing/test.proto is missing: apt-get install grpc-proto`);
  if (!existsSync(join(repoRoot, "interop", "gen", "grpc", "testing", "test_pb.ts")))
    problems.push("interop/gen is missing: run `npm run generate` (after installing grpc-proto)");
  const py = spawnSync(systemPython, ["-c", "import grpc, grpc_tools.protoc"], {
    encoding: "utf8",
    timeout: 30_000,
  });
  if (py.error !== undefined || py.status !== 0)
    problems.push(
      `${systemPython} cannot import grpc and grpc_tools: apt-get install python3-grpcio python3-grpc-tools (${(py.error?.message ?? py.stderr ?? "").trim().split("\n").pop()})`,
    );
  const ssl = spawnSync("openssl", ["version"], { encoding: "utf8", timeout: 10_000 });
  if (ssl.error !== undefined || ssl.status !== 0)
    problems.push("the openssl command is missing: apt-get install openssl");
  return problems;
}

function casesFor(variant: Variant): CaseName[] {
  return variant === "plaintext" ? [...standardCases, ...heavyCases] : [...standardCases];
}

/** Parses `PASS name` / `FAIL name: reason` lines. */
export function parseClientOutput(stdout: string): Map<string, { pass: boolean; reason: string }> {
  const out = new Map<string, { pass: boolean; reason: string }>();
  for (const line of stdout.split("\n")) {
    const pass = /^PASS (\S+)\s*$/.exec(line);
    if (pass !== null) {
      out.set(pass[1]!, { pass: true, reason: "" });
      continue;
    }
    const fail = /^FAIL (\S+?):? (.*)$/.exec(line);
    if (fail !== null) out.set(fail[1]!, { pass: false, reason: fail[2]! });
  }
  return out;
}

export function classify(
  pair: Pair,
  variant: Variant,
  name: CaseName,
  pass: boolean,
  reason: string,
): CaseResult {
  const gap = findGap(pair.client, pair.server, name);
  const base = { client: pair.client, server: pair.server, variant, name };
  if (gap === undefined)
    return { ...base, outcome: pass ? "pass" : "fail", detail: pass ? undefined : reason };
  if (pass)
    return {
      ...base,
      outcome: "stale-gap",
      detail: "passed although listed as an expected gap: remove it from interop/src/matrix/gaps.ts",
    };
  return { ...base, outcome: "gap", detail: `${reason} — expected: ${gap.reason}` };
}

export async function runMatrix(options: MatrixOptions = {}): Promise<MatrixResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const pairs = options.pairs ?? allPairs;
  const variants = options.variants ?? allVariants;
  const results: CaseResult[] = [];
  const timings: RunTiming[] = [];
  const failAll = (pair: Pair, variant: Variant, why: string) => {
    for (const name of casesFor(variant)) results.push(classify(pair, variant, name, false, why));
  };

  const problems = checkPrerequisites();
  if (problems.length > 0) throw new Error(`the interop matrix cannot run:\n  ${problems.join("\n  ")}`);

  const certsDir = await mkdtemp(join(tmpdir(), "grpc-ts-interop-certs-"));
  const servers = new Map<string, StartedServer | Error>();
  try {
    if (variants.includes("tls")) await generateCerts(certsDir);
    // Every server the pairs need, all started at once.
    const wanted = new Set<string>();
    for (const p of pairs) for (const v of variants) wanted.add(`${p.server}/${v}`);
    await Promise.all(
      [...wanted].map(async (key) => {
        const [impl, variant] = key.split("/") as [Impl, Variant];
        const args = [
          "--port=0",
          ...(variant === "tls" ? ["--use_tls=true", `--certs_dir=${certsDir}`] : []),
        ];
        try {
          servers.set(key, await startServer(serverPrograms[impl], args, repoRoot, SERVER_START_TIMEOUT_MS));
        } catch (e) {
          servers.set(key, new Error(`the ${impl} ${variant} server did not start: ${(e as Error).message}`));
        }
      }),
    );

    for (const variant of variants) {
      for (const pair of pairs) {
        const server = servers.get(`${pair.server}/${variant}`);
        if (server === undefined || server instanceof Error) {
          failAll(pair, variant, server?.message ?? "no server");
          continue;
        }
        const cases = casesFor(variant);
        const args = [
          "--server_host=127.0.0.1",
          `--server_port=${server.port}`,
          `--test_case=${cases.join(",")}`,
          ...(variant === "tls"
            ? ["--use_tls=true", `--server_host_override=${TLS_SERVER_NAME}`, `--certs_dir=${certsDir}`]
            : []),
        ];
        const t0 = Date.now();
        const run = await runClient(clientPrograms[pair.client], args, repoRoot, CLIENT_RUN_TIMEOUT_MS);
        const ms = Date.now() - t0;
        timings.push({ ...pair, variant, ms });
        const reported = parseClientOutput(run.stdout);
        const how = run.error
          ? `could not run: ${run.error.message}`
          : run.timedOut
            ? `was killed after ${CLIENT_RUN_TIMEOUT_MS / 1000} s`
            : `exited with ${run.signal ?? `code ${run.code}`}`;
        for (const name of cases) {
          const r = reported.get(name);
          results.push(
            r === undefined
              ? classify(
                  pair,
                  variant,
                  name,
                  false,
                  `no result: the client ${how}${run.stderr ? `; stderr: ${run.stderr}` : ""}`,
                )
              : classify(pair, variant, name, r.pass, r.reason),
          );
        }
        const mine = results.filter(
          (r) => r.client === pair.client && r.server === pair.server && r.variant === variant,
        );
        const count = (o: Outcome) => mine.filter((r) => r.outcome === o).length;
        log(
          `${pair.client} → ${pair.server} (${variant}): ${count("pass")} passed, ${count("fail") + count("stale-gap")} failed, ${count("gap")} expected gaps, ${(ms / 1000).toFixed(1)} s`,
        );
      }
    }
  } finally {
    await Promise.all([...servers.values()].map((s) => (s instanceof Error ? undefined : stop(s.child))));
    await rm(certsDir, { recursive: true, force: true });
  }
  const passed = results.filter((r) => r.outcome === "pass").length;
  const failed = results.filter((r) => r.outcome === "fail" || r.outcome === "stale-gap").length;
  const gaps = results.filter((r) => r.outcome === "gap").length;
  return { results, timings, passed, failed, gaps, durationMs: Date.now() - started };
}
