/**
 * Which HTTP/2 engine a server or channel runs on: `node` is node:http2 (nghttp2 inside), `grpc-ts`
 * is our own (@grpc-ts/http2). An explicit option wins; otherwise the environment variable
 * `GRPC_TS_HTTP2_ENGINE` (`node` or `grpc-ts`) picks the default for the whole process, which is
 * how the test suite runs once per engine; otherwise `DEFAULT_ENGINE`.
 */
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
