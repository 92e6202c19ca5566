/**
 * Which HTTP/2 engine a server or channel runs on: `node` is node:http2 (nghttp2 inside), `grpc-ts`
 * is our own (@grpc-ts/http2). An explicit option wins; otherwise the environment variable
 * `GRPC_TS_HTTP2_ENGINE` (`node` or `grpc-ts`) picks the default for the whole process, which is
 * how the test suite runs once per engine; otherwise `DEFAULT_ENGINE`.
 */
import { DEFAULT_MAX_RECEIVE_MESSAGE_BYTES } from "@grpc-ts/core/protocol";
import { allocUnsafe } from "../alloc.js";

export type EngineName = "node" | "grpc-ts";

/**
 * Our own engine: it passes the whole suite that node:http2 passes (CI runs it on both), and it
 * costs a fraction of node:http2's CPU per call (bench/results). node:http2 stays selectable.
 */
export const DEFAULT_ENGINE: EngineName = "grpc-ts";

export const ENGINE_ENV = "GRPC_TS_HTTP2_ENGINE";

let fromEnv: EngineName | undefined | null = null;

function engineFromEnv(): EngineName | undefined {
  if (fromEnv !== null) return fromEnv;
  const value = typeof process === "undefined" ? undefined : process.env[ENGINE_ENV];
  if (value === undefined || value === "") fromEnv = undefined;
  else if (value === "node" || value === "grpc-ts") fromEnv = value;
  else throw new Error(`${ENGINE_ENV} must be "node" or "grpc-ts", not ${JSON.stringify(value)}`);
  return fromEnv;
}

/** The engine to use given an option that may be absent. */
export function resolveEngine(option: EngineName | undefined): EngineName {
  if (option !== undefined) {
    if (option !== "node" && option !== "grpc-ts")
      throw new TypeError(`engine must be "node" or "grpc-ts", not ${JSON.stringify(option)}`);
    return option;
  }
  return engineFromEnv() ?? DEFAULT_ENGINE;
}

/** Milliseconds from the process's start, for our engine's flood budget refill and BDP probes. */
export function now(): number {
  return performance.now();
}

/**
 * Receive flow-control windows (the `flowControlWindow` option of servers and channels):
 * `"adaptive"`, or a fixed window per stream in octets.
 */
export type FlowControlWindow = "adaptive" | number;

const MAX_WINDOW = 2 ** 31 - 1;
const CONNECTION_WINDOW = 4 << 20;

/** Checks a `flowControlWindow` option (undefined: the default, adaptive). */
export function checkFlowControlWindow(option: FlowControlWindow | undefined): void {
  if (option === undefined || option === "adaptive") return;
  if (typeof option !== "number" || !Number.isInteger(option) || option < 65535 || option > MAX_WINDOW)
    throw new RangeError(
      `flowControlWindow must be "adaptive" or an integer in [65535, ${MAX_WINDOW}], not ${String(option)}`,
    );
}

/**
 * A client's stream windows start here in adaptive mode: a response message within the default
 * receive limit (4 MiB) then never waits for a stream WINDOW_UPDATE of ours. It matters behind a
 * peer that stops reading the connection while one of its streams is full (an HTTP/2 proxy such
 * as HAProxy): such a peer reads our WINDOW_UPDATE only after the request DATA sent before it, and
 * may not take that DATA until a response it holds goes out, so a response larger than the window
 * it was given first can stall every call of the connection. The SETTINGS that announces it is our
 * first frame, ahead of any DATA. C-core (grpcio 1.51) announces 4 MiB - 1 in its first SETTINGS. Unread data a stream
 * may hold is bounded by its window either way (adaptive windows grow to 16 MiB).
 */
export const CLIENT_INITIAL_WINDOW = DEFAULT_MAX_RECEIVE_MESSAGE_BYTES;

/**
 * Our engine's connection options for one side: the clock, Node's allocator, and the windows for
 * a `flowControlWindow` option. Adaptive (the default): windows start per stream at 64 KiB on a
 * server and at CLIENT_INITIAL_WINDOW on a client, and at 4 MiB per connection (a client's
 * connection window also keeps twice the windows of its open streams, see the engine's
 * ClientConnection), and grow to the bandwidth-delay product measured with PINGs (as grpc-go and
 * C-core do), so one fast stream is not held to its window per round trip while a connection of
 * many slow streams keeps small windows. A number fixes each stream's window, and the
 * connection's at the larger of it and 4 MiB.
 */
export function engineConnectionOptions(
  option: FlowControlWindow | undefined,
  side: "client" | "server",
): {
  readonly clock: () => number;
  readonly allocate: (n: number) => Uint8Array;
  readonly adaptiveWindow?: boolean;
  readonly initialWindowSize?: number;
  readonly connectionWindowSize?: number;
} {
  checkFlowControlWindow(option);
  // Output buffers from Node's allocator: pooled when small, never zero-filled.
  const base = { clock: now, allocate: allocUnsafe };
  if (option === undefined || option === "adaptive") {
    return side === "client"
      ? { ...base, adaptiveWindow: true, initialWindowSize: CLIENT_INITIAL_WINDOW }
      : { ...base, adaptiveWindow: true };
  }
  return { ...base, initialWindowSize: option, connectionWindowSize: Math.max(option, CONNECTION_WINDOW) };
}

/**
 * A server's SETTINGS_MAX_CONCURRENT_STREAMS from its `maxConcurrentStreams` option, or undefined
 * when there is no limit (none given, or 2^32-1 and more): then none is advertised, as the
 * protocol's initial value is already unlimited (RFC 9113 §6.5.2), and a peer that would open
 * streams up to an advertised 2^32-1 (a conformance checker does) never stops.
 */
export function advertisedStreamLimit(option: number | undefined): number | undefined {
  return option === undefined || option >= 0xffffffff ? undefined : option;
}
