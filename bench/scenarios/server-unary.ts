// Servers under h2load: unary echo of a small message, -c 4 -m 32 and -c 16 -m 100 (throughput)
// and -c 1 -m 1 (latency). Each server runs alone in its own process on the server core; h2load on
// the other. Ours runs twice, on our own HTTP/2 engine (the default) and on node:http2; grpc-go (built here from
// impl/grpc-go/main.go, GOMAXPROCS=1) is reported unavailable when Go or its packages are missing.
import { join } from "node:path";
import { type Child, startChild, stopChecked } from "../lib/children.js";
import { GRPC_GO_ENV, prepareGrpcGo } from "../lib/grpc-go.js";
import { runH2load } from "../lib/h2load.js";
import { serverChild } from "../lib/impls.js";
import type { BenchOptions } from "../lib/options.js";
import { rawDir } from "../lib/paths.js";
import { type Impl, type Results, rotate } from "../lib/results.js";
import { verifyCall } from "../lib/verify.js";
import { UNARY_PATH, unaryRequestEnvelope, writeRequestFile } from "../lib/wire.js";

const servers: readonly Impl[] = ["ours-engine", "ours", "grpc-js", "connect", "raw", "grpc-go"];

const configs = [
  {
    id: "server-unary-throughput",
    title: "h2load -c 4 -m 32 (throughput)",
    short: "unary server c4 m32",
    c: 4,
    m: 32,
    // Under -c 4 -m 32 the server is CPU-bound: its CPU per call is the noise-resistant view.
    costKeys: ["cpuUsPerCall"],
  },
  {
    id: "server-unary-c16m100",
    title: "h2load -c 16 -m 100 (throughput, many streams)",
    short: "unary server c16 m100",
    c: 16,
    m: 100,
    costKeys: ["cpuUsPerCall"],
  },
  {
    id: "server-unary-latency",
    title: "h2load -c 1 -m 1 (latency)",
    short: "unary server c1 m1",
    c: 1,
    m: 1,
    costKeys: undefined,
  },
] as const;

export async function serverUnary(o: BenchOptions, results: Results): Promise<void> {
  const request = unaryRequestEnvelope();
  const dataFile = writeRequestFile(join(rawDir, "unary-request.bin"), request);
  for (const cfg of configs) {
    results.addCase({
      id: cfg.id,
      section: "Unary server under h2load (small message echo)",
      title: cfg.title,
      kind: "rate",
      unit: "calls/s",
      impls: servers,
      short: cfg.short,
      ...(cfg.costKeys === undefined ? {} : { costKeys: cfg.costKeys }),
      extras: [
        { key: "p50Us", label: "p50 µs" },
        { key: "p99Us", label: "p99 µs" },
        { key: "cpuUsPerCall", label: "server CPU µs/call", digits: 1 },
        { key: "serverCpu", label: "server CPU %" },
        { key: "loadGenCpu", label: "h2load CPU %" },
      ],
    });
  }
  const grpcGo = prepareGrpcGo();
  if (grpcGo.available) {
    results.context.push(
      `grpc-go: our Go server of bench.proto (bench/impl/grpc-go/main.go), ${grpcGo.version}, built in GOPATH mode against Debian's sources; ` +
        `run with ${Object.entries(GRPC_GO_ENV)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")} and pinned to core ${o.serverCpu} like the other servers.`,
    );
    console.log(`  grpc-go: ${grpcGo.version}${grpcGo.built ? " (built)" : " (cached build)"}`);
  } else {
    console.log(`  grpc-go ${grpcGo.reason}`);
  }
  for (let rep = 0; rep < o.reps; rep++) {
    for (const impl of rotate(servers, rep)) {
      const launch = serverChild(impl, o.serverCpu, grpcGo);
      if ("unavailable" in launch) {
        for (const cfg of configs) results.addUnavailable(cfg.id, impl, rep, launch.unavailable);
        continue;
      }
      console.log(`  rep ${rep + 1}/${o.reps} ${impl} server`);
      let child: Child | undefined;
      try {
        child = await startChild(launch);
        await verifyCall(child.port, { path: UNARY_PATH, request, expected: request });
        for (const cfg of configs) {
          try {
            const r = await runH2load({
              port: child.port,
              path: UNARY_PATH,
              dataFile,
              connections: cfg.c,
              streams: cfg.m,
              durationS: o.durationS,
              warmupS: o.warmupS,
              logFile: join(rawDir, `h2load-${cfg.id}-${impl}.log`),
              cpu: o.loadCpu,
              serverPid: child.pid,
            });
            const cpu = r.server!;
            if (r.failures > 0 || r.succeeded === 0) throw new Error(`h2load: ${r.failures} failed requests`);
            // Warm-up responses are in the byte count too, so this is a lower bound: it catches
            // trailers-only (error) responses, which carry no DATA.
            if (r.dataBytes < r.succeeded * request.length) {
              throw new Error(`h2load received ${r.dataBytes} data bytes for ${r.succeeded} responses`);
            }
            const serverShare = cpu.cpu / cpu.wall;
            results.add({
              caseId: cfg.id,
              impl,
              rep,
              value: r.requestsPerSecond,
              extra: {
                p50Us: r.latency?.p50Us ?? Number.NaN,
                p99Us: r.latency?.p99Us ?? Number.NaN,
                cpuUsPerCall: (serverShare * 1e6) / r.requestsPerSecond,
                serverCpu: serverShare * 100,
                loadGenCpu: r.loadGenCpu * 100,
              },
            });
            if (cfg.m > 1) {
              results.checkSaturated(`${cfg.id} ${impl} rep ${rep + 1}`, {
                server: serverShare,
                h2load: r.loadGenCpu,
              });
            }
            console.log(
              `    ${cfg.short}: ${Math.round(r.requestsPerSecond)} calls/s, server CPU ${Math.round(serverShare * 100)}%`,
            );
          } catch (e) {
            results.add({ caseId: cfg.id, impl, rep, value: Number.NaN, extra: {}, error: String(e) });
            results.note(`${cfg.id} ${impl} rep ${rep + 1}: ${String(e)}`);
          }
        }
      } catch (e) {
        for (const cfg of configs)
          results.add({ caseId: cfg.id, impl, rep, value: Number.NaN, extra: {}, error: String(e) });
        results.note(`server-unary ${impl} rep ${rep + 1}: ${String(e)}`);
      } finally {
        if (child !== undefined) await stopChecked(child, results);
      }
    }
  }
}
