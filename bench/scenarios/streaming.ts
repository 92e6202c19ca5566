// Streaming, each implementation's client against its own server ("stack against stack"): server
// in its own process on the server core, client in its own process on the other. Server and client
// streaming of 100-byte and 64 KiB messages, and bidi ping-pong. Before the client starts, the same
// server also streams to h2load (an independent C consumer), which shows the server side alone.
// Ours runs as three stacks: the default one (server and client on our own HTTP/2 engine), the
// same on node:http2, and our server on our engine read by our client on node:http2, which differs
// from the node:http2 stack in the server's engine alone.
import { join } from "node:path";
import { type Child, startChild, stopChecked } from "../lib/children.js";
import { runH2load } from "../lib/h2load.js";
import { clientChild, serverChild } from "../lib/impls.js";
import type { BenchOptions } from "../lib/options.js";
import { rawDir } from "../lib/paths.js";
import { cpuWindow } from "../lib/proc.js";
import type { Command, ProbeResult, StreamResult } from "../lib/protocol.js";
import { type Impl, type Results, rotate } from "../lib/results.js";
import {
  payloadEnvelopeLength,
  SERVER_STREAM_PATH,
  streamRequestEnvelope,
  writeRequestFile,
} from "../lib/wire.js";

/** Each stack is a server and its own client (impls.ts starts the right engine for each). */
const stacks: readonly Impl[] = ["ours-engine", "ours-engine-node-client", "ours", "grpc-js", "connect"];
/** The stacks with a server of their own: h2load reads each of these servers once per repetition. */
const h2loadServers: readonly Impl[] = stacks.filter((i) => i !== "ours-engine-node-client");
const SMALL = 100;
const LARGE = 64 * 1024;

interface PairCase {
  readonly id: string;
  readonly title: string;
  readonly short: string;
  readonly unit: "messages/s" | "MB/s" | "round trips/s";
  readonly command: (o: BenchOptions) => Command;
}

const ms = (s: number) => s * 1000;

const pairCases: readonly PairCase[] = [
  {
    id: "stream-server-100B",
    title: "server streaming, 100-byte messages (20,000 per call)",
    short: "server stream 100 B",
    unit: "messages/s",
    command: (o) => ({
      cmd: "server-stream",
      count: 20_000,
      size: SMALL,
      warmupMs: ms(o.warmupS),
      durationMs: ms(o.durationS),
    }),
  },
  {
    id: "stream-server-64KiB",
    title: "server streaming, 64 KiB messages (200 per call)",
    short: "server stream 64 KiB",
    unit: "MB/s",
    command: (o) => ({
      cmd: "server-stream",
      count: 200,
      size: LARGE,
      warmupMs: ms(o.warmupS),
      durationMs: ms(o.durationS),
    }),
  },
  {
    id: "stream-client-100B",
    title: "client streaming, 100-byte messages (20,000 per call)",
    short: "client stream 100 B",
    unit: "messages/s",
    command: (o) => ({
      cmd: "client-stream",
      count: 20_000,
      size: SMALL,
      warmupMs: ms(o.warmupS),
      durationMs: ms(o.durationS),
    }),
  },
  {
    id: "stream-client-64KiB",
    title: "client streaming, 64 KiB messages (200 per call)",
    short: "client stream 64 KiB",
    unit: "MB/s",
    command: (o) => ({
      cmd: "client-stream",
      count: 200,
      size: LARGE,
      warmupMs: ms(o.warmupS),
      durationMs: ms(o.durationS),
    }),
  },
  {
    id: "stream-bidi-pingpong",
    title: "bidi ping-pong, 100-byte messages, one call",
    short: "bidi ping-pong",
    unit: "round trips/s",
    command: (o) => ({ cmd: "bidi", size: SMALL, warmupMs: ms(o.warmupS), durationMs: ms(o.durationS) }),
  },
];

interface H2loadStreamCase {
  readonly id: string;
  readonly title: string;
  readonly short: string;
  readonly unit: "messages/s" | "MB/s";
  readonly count: number;
  readonly size: number;
}

const h2loadCases: readonly H2loadStreamCase[] = [
  {
    id: "stream-server-100B-h2load",
    title: "server streaming to h2load, 100-byte messages (20,000 per call)",
    short: "server stream 100 B (h2load)",
    unit: "messages/s",
    count: 20_000,
    size: SMALL,
  },
  {
    id: "stream-server-64KiB-h2load",
    title: "server streaming to h2load, 64 KiB messages (200 per call)",
    short: "server stream 64 KiB (h2load)",
    unit: "MB/s",
    count: 200,
    size: LARGE,
  },
];

export async function streaming(o: BenchOptions, results: Results): Promise<void> {
  results.context.push(
    "Streaming: the default stack (ours on its own HTTP/2 engine) is our server and our client both on @grpc-ts/http2, " +
      "what users get without options; the row of ours on node:http2 is both on node:http2; the row with the server on our " +
      "engine and the client on node:http2 differs from the latter in the server's engine alone (h2load reads its server " +
      "in the default stack's row).",
  );
  for (const c of h2loadCases) {
    results.addCase({
      id: c.id,
      section: "Server streaming, server side alone (h2load -c 1 -m 1 reads the stream)",
      title: c.title,
      kind: "rate",
      unit: c.unit,
      digits: c.unit === "MB/s" ? 1 : 0,
      impls: h2loadServers,
      short: c.short,
      costKeys: ["cpuUsPerMessage"],
      extras: [
        { key: "cpuUsPerMessage", label: "server CPU µs/msg", digits: 2 },
        { key: "serverCpu", label: "server CPU %" },
        { key: "loadGenCpu", label: "h2load CPU %" },
      ],
    });
  }
  for (const c of pairCases) {
    results.addCase({
      id: c.id,
      section: "Streaming, each client against its own server (separate processes, pinned)",
      title: c.title,
      kind: "rate",
      unit: c.unit,
      digits: c.unit === "MB/s" ? 1 : 0,
      impls: stacks,
      short: c.short,
      // The slower side bounds a stream; ping-pong waits for round trips and has no such bound.
      ...(c.unit === "round trips/s" ? {} : { costKeys: ["serverUsPerMessage", "clientUsPerMessage"] }),
      extras: [
        { key: "serverUsPerMessage", label: "server CPU µs/msg", digits: 2 },
        { key: "clientUsPerMessage", label: "client CPU µs/msg", digits: 2 },
        { key: "serverCpu", label: "server CPU %" },
        { key: "clientCpu", label: "client CPU %" },
      ],
    });
  }
  for (let rep = 0; rep < o.reps; rep++) {
    for (const impl of rotate(stacks, rep)) {
      console.log(`  rep ${rep + 1}/${o.reps} ${impl} client + server`);
      let server: Child | undefined;
      let client: Child | undefined;
      const failAll = (ids: readonly string[], e: unknown) => {
        for (const id of ids) {
          if (!results.samples.some((s) => s.caseId === id && s.impl === impl && s.rep === rep)) {
            results.add({ caseId: id, impl, rep, value: Number.NaN, extra: {}, error: String(e) });
          }
        }
        results.note(`streaming ${impl} rep ${rep + 1}: ${String(e)}`);
      };
      try {
        const launch = serverChild(impl, o.serverCpu);
        if ("unavailable" in launch) throw new Error(launch.unavailable);
        server = await startChild(launch);
        for (const c of h2loadServers.includes(impl) ? h2loadCases : []) {
          try {
            await h2loadStream(o, results, server, impl, rep, c);
          } catch (e) {
            failAll([c.id], e);
          }
        }
        client = await startChild(clientChild(impl, o.loadCpu, server.port));
        // Our client on our engine needs a build that honours the channel's `engine` option.
        const probe = (await client.request({ cmd: "probe" }, 30_000)) as ProbeResult;
        if (probe.unavailable !== undefined) {
          for (const c of pairCases) results.addUnavailable(c.id, impl, rep, probe.unavailable);
          console.log(`    ${probe.unavailable}`);
          continue;
        }
        for (const c of pairCases) {
          try {
            await pair(o, results, server, client, impl, rep, c);
          } catch (e) {
            failAll([c.id], e);
          }
        }
      } catch (e) {
        failAll(
          [...(h2loadServers.includes(impl) ? h2loadCases : []), ...pairCases].map((c) => c.id),
          e,
        );
      } finally {
        if (client !== undefined) await stopChecked(client, results);
        if (server !== undefined) await stopChecked(server, results);
      }
    }
  }
}

async function pair(
  o: BenchOptions,
  results: Results,
  server: Child,
  client: Child,
  impl: Impl,
  rep: number,
  c: PairCase,
): Promise<void> {
  const window = cpuWindow(server.pid);
  const r = (await client.request(c.command(o), ms(o.warmupS + o.durationS) + 180_000)) as StreamResult;
  const cpu = window.stop();
  const serverShare = cpu.cpu / cpu.wall;
  const perSecond = r.messages / r.seconds;
  const value = c.unit === "MB/s" ? r.bytes / r.seconds / 1e6 : perSecond;
  if (c.unit !== "round trips/s") {
    results.checkSaturated(`${c.id} ${impl} rep ${rep + 1}`, {
      server: serverShare,
      client: (r.cpuUsPerMessage * perSecond) / 1e6,
    });
  }
  results.add({
    caseId: c.id,
    impl,
    rep,
    value,
    extra: {
      serverUsPerMessage: (serverShare * 1e6) / perSecond,
      clientUsPerMessage: r.cpuUsPerMessage,
      serverCpu: serverShare * 100,
      clientCpu: (r.cpuUsPerMessage * perSecond) / 1e4,
    },
  });
  console.log(`    ${c.short}: ${value.toFixed(c.unit === "MB/s" ? 1 : 0)} ${c.unit} (${r.calls} calls)`);
}

/**
 * Count-based h2load runs (so that the byte count can be checked exactly): warm-up runs until the
 * warm-up time has passed, then one run sized from the warm-up rate to last about the duration.
 */
async function h2loadStream(
  o: BenchOptions,
  results: Results,
  server: Child,
  impl: Impl,
  rep: number,
  c: H2loadStreamCase,
): Promise<void> {
  const dataFile = writeRequestFile(
    join(rawDir, `stream-request-${c.count}x${c.size}.bin`),
    streamRequestEnvelope(c.count, c.size),
  );
  const perMessage = payloadEnvelopeLength(c.size);
  const run = async (requests: number) => {
    const window = cpuWindow(server.pid);
    const r = await runH2load({
      port: server.port,
      path: SERVER_STREAM_PATH,
      dataFile,
      connections: 1,
      streams: 1,
      requests,
      cpu: o.loadCpu,
    });
    const cpu = window.stop();
    const expected = requests * c.count * perMessage;
    if (r.failures > 0 || r.succeeded !== requests)
      throw new Error(`h2load: ${r.succeeded} of ${requests} streams succeeded`);
    if (r.dataBytes !== expected)
      throw new Error(`h2load received ${r.dataBytes} data bytes, expected ${expected}`);
    return { r, cpu, messagesPerSecond: (requests * c.count) / r.finishedSeconds };
  };
  const warmEnd = performance.now() + ms(o.warmupS);
  let rate = (await run(1)).messagesPerSecond;
  for (let i = 0; i < 100 && performance.now() < warmEnd; i++) rate = (await run(2)).messagesPerSecond;
  const requests = Math.max(2, Math.min(10_000, Math.ceil((rate * o.durationS) / c.count)));
  const { r, cpu, messagesPerSecond } = await run(requests);
  const serverShare = cpu.cpu / cpu.wall;
  const value = c.unit === "MB/s" ? (messagesPerSecond * c.size) / 1e6 : messagesPerSecond;
  results.checkSaturated(`${c.id} ${impl} rep ${rep + 1}`, { server: serverShare, h2load: r.loadGenCpu });
  results.add({
    caseId: c.id,
    impl,
    rep,
    value,
    extra: {
      cpuUsPerMessage: (serverShare * 1e6) / messagesPerSecond,
      serverCpu: serverShare * 100,
      loadGenCpu: r.loadGenCpu * 100,
    },
  });
  console.log(`    ${c.short}: ${value.toFixed(c.unit === "MB/s" ? 1 : 0)} ${c.unit} (${requests} calls)`);
}
