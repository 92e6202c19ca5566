// Clients against one fast server: the raw node:http2 responder on the server core; each client in
// its own process on the other core, a closed loop of unary calls at concurrency 1 and 64. Ours runs
// twice: on our own HTTP/2 engine (the default stack) and on node:http2; the former is "unavailable"
// (checked by the child at run time) when the built package has no client engine.
import { type Child, startChild, stopChecked } from "../lib/children.js";
import { clientChild } from "../lib/impls.js";
import type { BenchOptions } from "../lib/options.js";
import { cpuWindow } from "../lib/proc.js";
import type { ProbeResult, UnaryLoopResult } from "../lib/protocol.js";
import { type Impl, type Results, rotate } from "../lib/results.js";
import { verifyCall } from "../lib/verify.js";
import { UNARY_PATH, unaryRequestEnvelope } from "../lib/wire.js";

const baseClients: readonly Impl[] = [
  "ours-engine",
  "ours-rr",
  "ours-retry",
  "ours",
  "grpc-js",
  "connect",
  "raw",
];
const concurrencies = [1, 64] as const;
/** Run order: 64 first, so that its many calls warm the JIT before the slower loop at 1 is measured. */
const runOrder = [64, 1] as const;
const caseId = (c: number) => `client-unary-c${c}`;

export async function clientUnary(o: BenchOptions, results: Results): Promise<void> {
  const clients: readonly Impl[] = o.baseline === undefined ? baseClients : [...baseClients, "ours-before"];
  for (const c of concurrencies) {
    results.addCase({
      id: caseId(c),
      section: "Unary clients against the raw node:http2 responder (closed loop)",
      title: `concurrency ${c}`,
      kind: "rate",
      unit: "calls/s",
      impls: clients,
      short: `unary client c${c}`,
      // At 64 in flight the client is CPU-bound; at 1 it mostly waits for round trips.
      ...(c > 1 ? { costKeys: ["cpuUsPerCall"] } : {}),
      extras: [
        { key: "p50Us", label: "p50 µs" },
        { key: "p99Us", label: "p99 µs" },
        { key: "cpuUsPerCall", label: "client CPU µs/call", digits: 1 },
        { key: "clientCpu", label: "client CPU %" },
        { key: "serverCpu", label: "server CPU %" },
      ],
    });
  }
  const request = unaryRequestEnvelope();
  for (let rep = 0; rep < o.reps; rep++) {
    let server: Child | undefined;
    try {
      server = await startChild({ impl: "raw-server", cpu: o.serverCpu });
      await verifyCall(server.port, { path: UNARY_PATH, request, expected: request });
      for (const impl of rotate(clients, rep)) {
        console.log(`  rep ${rep + 1}/${o.reps} ${impl} client`);
        await runClient(o, results, server, impl, rep);
      }
    } catch (e) {
      results.note(`client-unary rep ${rep + 1}: ${String(e)}`);
    } finally {
      if (server !== undefined) await stopChecked(server, results);
    }
  }
}

async function runClient(
  o: BenchOptions,
  results: Results,
  server: Child,
  impl: Impl,
  rep: number,
): Promise<void> {
  let client: Child | undefined;
  try {
    client = await startChild(clientChild(impl, o.loadCpu, server.port, o.baseline));
    const probe = (await client.request({ cmd: "probe" }, 30_000)) as ProbeResult;
    if (probe.unavailable !== undefined) {
      for (const c of concurrencies) results.addUnavailable(caseId(c), impl, rep, probe.unavailable);
      console.log(`    ${probe.unavailable}`);
      return;
    }
    for (const concurrency of runOrder) {
      const window = cpuWindow(server.pid);
      const r = (await client.request(
        { cmd: "unary", concurrency, warmupMs: o.warmupS * 1000, durationMs: o.durationS * 1000 },
        (o.warmupS + o.durationS) * 1000 + 60_000,
      )) as UnaryLoopResult;
      const cpu = window.stop();
      if (r.errors > 0 || r.calls === 0) {
        const error = `${r.errors} failed calls (${r.firstError ?? "none completed"})`;
        results.add({ caseId: caseId(concurrency), impl, rep, value: Number.NaN, extra: {}, error });
        results.note(`${caseId(concurrency)} ${impl} rep ${rep + 1}: ${error}`);
        continue;
      }
      const rate = r.calls / r.seconds;
      if (concurrency > 1) {
        results.checkSaturated(`${caseId(concurrency)} ${impl} rep ${rep + 1}`, {
          client: (r.cpuUsPerCall * rate) / 1e6,
          server: cpu.cpu / cpu.wall,
        });
      }
      if (cpu.cpu / cpu.wall > 0.9) {
        results.note(
          `${caseId(concurrency)} ${impl} rep ${rep + 1}: the raw responder used ${Math.round((100 * cpu.cpu) / cpu.wall)}% of its core, so it may have limited this client`,
        );
      }
      results.add({
        caseId: caseId(concurrency),
        impl,
        rep,
        value: rate,
        extra: {
          p50Us: r.p50Us,
          p99Us: r.p99Us,
          cpuUsPerCall: r.cpuUsPerCall,
          clientCpu: (r.cpuUsPerCall * rate) / 1e4,
          serverCpu: (100 * cpu.cpu) / cpu.wall,
        },
      });
      console.log(
        `    c=${concurrency}: ${Math.round(rate)} calls/s, p50 ${Math.round(r.p50Us)} µs, p99 ${Math.round(r.p99Us)} µs, server CPU ${Math.round((100 * cpu.cpu) / cpu.wall)}%`,
      );
    }
  } catch (e) {
    for (const c of concurrencies) {
      if (!results.samples.some((s) => s.caseId === caseId(c) && s.impl === impl && s.rep === rep)) {
        results.add({ caseId: caseId(c), impl, rep, value: Number.NaN, extra: {}, error: String(e) });
      }
    }
    results.note(`client-unary ${impl} rep ${rep + 1}: ${String(e)}`);
  } finally {
    if (client !== undefined) await stopChecked(client, results);
  }
}
