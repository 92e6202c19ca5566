/**
 * What the round_robin interop test (interop/round-robin.test.ts) needs on our side: grpc-ts
 * backends of grpc.testing.TestService that say who answered, and our round_robin client's run
 * over several backends. Both speak the same identity as the Python peers
 * (interop/peers/python/rr_server.py, rr_client.py): `server_id` in SimpleResponse when the request
 * sets fill_server_id, `hostname`, and the trailing metadata `x-server-id`.
 */
import {
  type Channel,
  createClient,
  createServer,
  RpcError,
  type Server,
  type ServiceImpl,
} from "@grpc-ts/node";
import { TestService } from "../gen/grpc/testing/test_pb.js";
import { zeros } from "./constants.js";

export const SERVER_ID_KEY = "x-server-id";

export interface Backend {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** UnaryCalls it answered. */
  readonly calls: () => number;
  readonly server: Server;
}

function backendImpl(id: string, count: () => void): ServiceImpl<typeof TestService> {
  return {
    emptyCall(_request, ctx) {
      ctx.responseTrailer.set(SERVER_ID_KEY, id);
      return {};
    },
    unaryCall(request, ctx) {
      count();
      ctx.responseTrailer.set(SERVER_ID_KEY, id);
      return {
        serverId: request.fillServerId ? id : "",
        hostname: id,
        ...(request.responseSize > 0 ? { payload: { body: zeros(request.responseSize) } } : {}),
      };
    },
  };
}

/** A grpc-ts TestService backend on `host` (any free port) answering as `id`. */
export async function startBackend(host: string, id: string): Promise<Backend> {
  let calls = 0;
  const server = createServer().add(
    TestService,
    backendImpl(id, () => {
      calls++;
    }),
  );
  const port = await server.listen(`${host}:0`);
  return { id, host, port, calls: () => calls, server };
}

/** `ipv4:h1:p1,h2:p2,...` (naming.md). */
export function ipv4Target(backends: readonly { readonly host: string; readonly port: number }[]): string {
  return `ipv4:${backends.map((b) => `${b.host}:${b.port}`).join(",")}`;
}

export interface SpreadRun {
  /** Calls made until every backend had answered at least once. */
  readonly warmupCalls: number;
  /** The measured calls' backends, in order. */
  readonly sequence: readonly string[];
  /** Backend → measured calls. */
  readonly counts: Readonly<Record<string, number>>;
  /** Answers whose `server_id` and `x-server-id` trailer differ: [server_id, trailer]. */
  readonly mismatches: readonly (readonly [string, string | undefined])[];
}

export function countOf(sequence: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of sequence) counts[id] = (counts[id] ?? 0) + 1;
  return counts;
}

export interface RunOptions {
  /** Distinct backends to hear from before measuring. */
  readonly servers: number;
  readonly calls: number;
  /** Bound on the whole run (warm-up included). */
  readonly timeoutMs: number;
  readonly waitForReady?: boolean;
  /** Start the measured calls all at once (their order is then the order they were started). */
  readonly concurrent?: boolean;
}

/**
 * Our client's side of the spread: UnaryCalls with fill_server_id on `channel`, one after another,
 * until `servers` distinct backends have answered (our round_robin, like C-core's, reports READY
 * once one backend is and rotates over the READY ones), then `calls` more (one after another, or
 * all at once).
 */
export async function runSpread(channel: Channel, options: RunOptions): Promise<SpreadRun> {
  const client = createClient(TestService, channel);
  const end = Date.now() + options.timeoutMs;
  const mismatches: [string, string | undefined][] = [];
  const one = async (): Promise<string> => {
    let trailer: string | undefined;
    const response = await client.unaryCall(
      { fillServerId: true },
      {
        deadline: end,
        ...(options.waitForReady === undefined ? {} : { waitForReady: options.waitForReady }),
        onTrailer: (t) => {
          const v = t.get(SERVER_ID_KEY);
          trailer = typeof v === "string" ? v : undefined;
        },
      },
    );
    if (response.serverId !== trailer) mismatches.push([response.serverId, trailer]);
    return response.serverId;
  };
  const seen = new Set<string>();
  let warmupCalls = 0;
  while (seen.size < options.servers) {
    if (Date.now() > end)
      throw new Error(
        `heard from only ${[...seen].join(", ") || "none"} of ${options.servers} backends after ${warmupCalls} calls`,
      );
    seen.add(await one());
    warmupCalls++;
  }
  const sequence: string[] = [];
  if (options.concurrent === true)
    sequence.push(...(await Promise.all(Array.from({ length: options.calls }, () => one()))));
  else for (let i = 0; i < options.calls; i++) sequence.push(await one());
  return { warmupCalls, sequence, counts: countOf(sequence), mismatches };
}

/**
 * `count` UnaryCalls with fill_server_id, one after another, each either the backend that
 * answered or the call's error.
 */
export async function tryCalls(
  channel: Channel,
  count: number,
  options: { readonly timeoutMs: number; readonly waitForReady: boolean },
): Promise<(string | RpcError)[]> {
  const client = createClient(TestService, channel);
  const out: (string | RpcError)[] = [];
  for (let i = 0; i < count; i++) {
    try {
      const r = await client.unaryCall({ fillServerId: true }, options);
      out.push(r.serverId);
    } catch (e) {
      out.push(RpcError.from(e));
    }
  }
  return out;
}

/** Whether `sequence` is one fixed order of its backends, repeated (strict rotation). */
export function isStrictRotation(sequence: readonly string[], servers: number): boolean {
  const cycle = sequence.slice(0, servers);
  if (new Set(cycle).size !== servers) return false;
  return sequence.every((id, i) => id === cycle[i % servers]);
}
