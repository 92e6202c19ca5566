// Message bodies: a recognisable pattern of `size` bytes. No imports, so that server children load
// nothing but their own implementation.

/** A body of `size` bytes with a recognisable pattern. */
export function makeBody(size: number): Uint8Array {
  const body = new Uint8Array(size);
  for (let i = 0; i < size; i++) body[i] = 97 + (i % 26);
  return body;
}

/** Largest body a server makes or a client asks for. */
export const MAX_BODY_BYTES = 4 << 20;
/** Bound on the `count` a server accepts for one stream. */
export const MAX_STREAM_COUNT = 10_000_000;

const bodies = new Map<number, Uint8Array>();

/** The body of `size` bytes, made once per process (servers send the same one again and again). */
export function bodyOfSize(size: number): Uint8Array {
  if (!Number.isInteger(size) || size < 0 || size > MAX_BODY_BYTES) throw new Error(`bad size ${size}`);
  let b = bodies.get(size);
  if (b === undefined) {
    b = makeBody(size);
    bodies.set(size, b);
  }
  return b;
}

/** Checks a requested stream length. */
export function checkCount(count: number): number {
  if (!Number.isInteger(count) || count < 0 || count > MAX_STREAM_COUNT)
    throw new Error(`bad count ${count}`);
  return count;
}

/** The `--port=N` argument of a child, or 0. */
export function portArg(): number {
  const arg = process.argv.find((a) => a.startsWith("--port="));
  return arg === undefined ? 0 : Number(arg.slice("--port=".length));
}

/** The `--engine=node|grpc-ts` argument of our server and client children (default `node`). */
export function engineArg(): "node" | "grpc-ts" {
  const arg = process.argv.find((a) => a.startsWith("--engine="));
  const value = arg === undefined ? "node" : arg.slice("--engine=".length);
  if (value !== "node" && value !== "grpc-ts")
    throw new Error(`--engine must be node or grpc-ts, not ${value}`);
  return value;
}
