// The measuring side of every client child: closed loops of unary calls, repeated streaming calls
// and bidi ping-pong, driven through the small `BenchClient` interface that each implementation's
// client script provides. Every response is checked; every loop is bounded in time and count.
import { makeBody, portArg } from "../lib/body.js";
import { runChild } from "../lib/child-main.js";
import type {
  Command,
  PingPongCommand,
  ProbeResult,
  StreamCommand,
  StreamResult,
  UnaryLoopCommand,
  UnaryLoopResult,
} from "../lib/protocol.js";
import { quantile } from "../lib/stats.js";
import { UNARY_BODY_BYTES } from "../lib/wire.js";

export interface Counted {
  readonly messages: number;
  readonly bytes: number;
}

/** One implementation's client, as the driver uses it. Streaming methods may be missing (raw client). */
export interface BenchClient {
  /** One unary call; resolves with the length of the echoed body. */
  unary(body: Uint8Array): Promise<number>;
  /** Reads a whole server stream of `count` messages of `size` bytes. */
  serverStream?(count: number, size: number): Promise<Counted>;
  /** Sends `count` messages with `body`; resolves with the server's count. */
  clientStream?(count: number, body: Uint8Array): Promise<Counted>;
  /**
   * One bidi call: sends `body`, waits for the echo, and again, until `shouldStop()` says so;
   * resolves with the number of round trips.
   */
  pingPong?(body: Uint8Array, shouldStop: () => boolean): Promise<number>;
  /** Checks that the client runs as asked (see ProbeCommand); without it, it always does. */
  probe?(): Promise<ProbeResult>;
  close(): Promise<void> | void;
}

/** Bound on the calls of one loop, whatever the duration. */
const MAX_CALLS = 50_000_000;
/** Bound on the latencies kept (a few seconds at the highest rates seen here). */
const MAX_SAMPLES = 4_000_000;

const now = () => performance.now();
const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function unaryLoop(client: BenchClient, c: UnaryLoopCommand): Promise<UnaryLoopResult> {
  const body = makeBody(UNARY_BODY_BYTES);
  const start = now();
  const measureFrom = start + c.warmupMs;
  const end = measureFrom + c.durationMs;
  const latencies = new Float64Array(MAX_SAMPLES);
  let kept = 0;
  let calls = 0;
  let measured = 0;
  let errors = 0;
  let firstError: string | undefined;
  let cpuAtStart: number | undefined;
  const cpuTimer = setTimeout(() => {
    cpuAtStart = cpuMicros();
  }, c.warmupMs);

  async function worker(): Promise<void> {
    while (calls < MAX_CALLS) {
      const t0 = now();
      if (t0 >= end) return;
      calls++;
      try {
        const len = await client.unary(body);
        if (len !== body.length) throw new Error(`echo of ${body.length} bytes came back with ${len}`);
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? e.message : String(e);
        if (errors > 100) return;
        continue;
      }
      const t1 = now();
      if (t1 >= measureFrom && t1 < end) {
        measured++;
        if (t0 >= measureFrom && kept < MAX_SAMPLES) latencies[kept++] = t1 - t0;
      }
    }
  }

  await Promise.all(Array.from({ length: c.concurrency }, worker));
  clearTimeout(cpuTimer);
  const cpu = cpuMicros() - (cpuAtStart ?? cpuMicros());
  const lat = latencies.subarray(0, kept);
  return {
    calls: measured,
    seconds: c.durationMs / 1000,
    p50Us: quantile(lat, 0.5) * 1000,
    p99Us: quantile(lat, 0.99) * 1000,
    cpuUsPerCall: measured > 0 ? cpu / measured : Number.NaN,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/** Repeats a call that moves `count` messages until the warm-up, then the measured time, is over. */
async function repeatStreams(c: StreamCommand, once: () => Promise<Counted>): Promise<StreamResult> {
  const expected = { messages: c.count, bytes: c.count * c.size };
  const check = (r: Counted) => {
    if (r.messages !== expected.messages || r.bytes !== expected.bytes) {
      throw new Error(
        `expected ${expected.messages} messages / ${expected.bytes} bytes, got ${r.messages} / ${r.bytes}`,
      );
    }
  };
  const warmEnd = now() + c.warmupMs;
  for (let i = 0; i < 100_000 && now() < warmEnd; i++) check(await once());
  const cpu0 = cpuMicros();
  const t0 = now();
  const end = t0 + c.durationMs;
  let calls = 0;
  while (calls < 100_000 && (calls === 0 || now() < end)) {
    check(await once());
    calls++;
  }
  const seconds = (now() - t0) / 1000;
  const messages = calls * c.count;
  return {
    messages,
    bytes: messages * c.size,
    seconds,
    calls,
    cpuUsPerMessage: (cpuMicros() - cpu0) / messages,
  };
}

async function pingPong(client: BenchClient, c: PingPongCommand): Promise<StreamResult> {
  const run = client.pingPong;
  if (run === undefined) throw new Error("this client has no bidi");
  const body = makeBody(c.size);
  const warmEnd = now() + c.warmupMs;
  await run.call(client, body, () => now() >= warmEnd);
  const cpu0 = cpuMicros();
  const t0 = now();
  const end = t0 + c.durationMs;
  const rounds = await run.call(client, body, () => now() >= end);
  const seconds = (now() - t0) / 1000;
  return {
    messages: rounds,
    bytes: rounds * c.size,
    seconds,
    calls: 1,
    cpuUsPerMessage: (cpuMicros() - cpu0) / rounds,
  };
}

async function handle(
  client: BenchClient,
  command: Command,
): Promise<UnaryLoopResult | StreamResult | ProbeResult> {
  switch (command.cmd) {
    case "probe":
      return client.probe === undefined ? {} : client.probe();
    case "unary":
      return unaryLoop(client, command);
    case "server-stream": {
      const run = client.serverStream;
      if (run === undefined) throw new Error("this client has no server streaming");
      return repeatStreams(command, () => run.call(client, command.count, command.size));
    }
    case "client-stream": {
      const run = client.clientStream;
      if (run === undefined) throw new Error("this client has no client streaming");
      const body = makeBody(command.size);
      return repeatStreams(command, () => run.call(client, command.count, body));
    }
    case "bidi":
      return pingPong(client, command);
    default:
      throw new Error(`unexpected command ${command.cmd}`);
  }
}

/** Runs a client child: `--port=N` names the server on 127.0.0.1. */
export function runClientChild(create: (port: number) => BenchClient): void {
  const port = portArg();
  if (!Number.isInteger(port) || port <= 0) throw new Error("client child: --port=N is required");
  const client = create(port);
  runChild({ port: 0, handle: (command) => handle(client, command), close: () => client.close() });
}

/**
 * A semaphore of one slot for ping-pong request streams: the response loop `release`s, the request
 * generator `acquire`s before it sends the next message. A release before the acquire is kept.
 */
export function createTurn(): { acquire(): Promise<void>; release(): void } {
  let permits = 0;
  let waiter: (() => void) | undefined;
  return {
    acquire() {
      if (permits > 0) {
        permits--;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        waiter = resolve;
      });
    },
    release() {
      const w = waiter;
      if (w !== undefined) {
        waiter = undefined;
        w();
      } else permits++;
    },
  };
}
