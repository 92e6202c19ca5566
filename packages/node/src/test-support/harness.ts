// Starts real servers and channels on loopback for the end-to-end tests, and cleans them up.
import assert from "node:assert/strict";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  type Channel,
  type ChannelOptions,
  type Client,
  type ClientOptions,
  type Code,
  codeName,
  createChannel,
  createClient,
  createServer,
  RpcError,
  type Server,
  type ServerOptions,
  type ServiceImpl,
} from "../index.js";
import { createEchoService } from "./echo-service.js";
import { Echo, type EchoRequestSchema } from "./gen/echo_pb.js";

/** What a client may send as an EchoRequest. */
export type EchoRequestInit = MessageInitShape<typeof EchoRequestSchema>;

export interface ServerHandle {
  readonly server: Server;
  readonly port: number;
  /** `127.0.0.1:PORT` (or the unix target) for `createChannel`. */
  readonly target: string;
  /** Ends every call and connection at once. */
  close(): void;
}

export interface StartServerOptions {
  readonly server?: ServerOptions;
  /** Default `127.0.0.1:0`. */
  readonly address?: string;
  /** Adds the services; default: the Echo service. */
  readonly setup?: (server: Server) => void;
}

/** A server listening on a free loopback port (or the given address). */
export async function startServer(options: StartServerOptions = {}): Promise<ServerHandle> {
  const server = createServer(options.server);
  if (options.setup !== undefined) options.setup(server);
  else server.add(Echo, createEchoService());
  const address = options.address ?? "127.0.0.1:0";
  let port: number;
  try {
    port = await server.listen(address);
  } catch (e) {
    server.forceShutdown();
    throw e;
  }
  const target = address.startsWith("unix:") ? address : `127.0.0.1:${port}`;
  return { server, port, target, close: () => server.forceShutdown() };
}

export interface EchoHarness extends ServerHandle {
  readonly channel: Channel;
  readonly client: Client<typeof Echo>;
  /** Closes the channel and force-shuts the server. */
  close(): void;
}

export interface StartEchoOptions extends StartServerOptions {
  /** Replaces some Echo methods (the others are the standard echo). */
  readonly impl?: ServiceImpl<typeof Echo>;
  readonly channel?: ChannelOptions;
  readonly client?: ClientOptions;
}

/** An Echo server and a client for it over one channel. */
export async function startEcho(options: StartEchoOptions = {}): Promise<EchoHarness> {
  const handle = await startServer({
    ...options,
    setup:
      options.setup ??
      ((server) => {
        server.add(Echo, { ...createEchoService(), ...options.impl });
      }),
  });
  const channel = createChannel(handle.target, options.channel);
  const client = createClient(Echo, channel, options.client);
  return {
    ...handle,
    channel,
    client,
    close() {
      channel.close();
      handle.close();
    },
  };
}

/** What `deferred()` returns. */
export interface Deferred<T = void> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
}

/** A promise with its resolve function, for signalling between a handler and a test. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves with the signal's reason once it fires. */
export function aborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(signal.reason), { once: true }),
  );
}

/** Races a promise against a generous time bound, so that a hang fails the test instead of stalling it. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Awaits a promise expected to reject, and returns the rejection. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error("expected the promise to reject, but it resolved");
}

/** Drains an async iterable into an array. */
export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of source) out.push(v);
  return out;
}

/** Asserts an RpcError with the code (by name in the failure message) and, optionally, message text. */
export function assertRpcError(e: unknown, code: Code, message?: string | RegExp): asserts e is RpcError {
  assert.ok(e instanceof RpcError, `expected an RpcError, got ${String(e)}`);
  assert.equal(codeName(e.code), codeName(code), `unexpected code; message: ${e.rawMessage}`);
  if (typeof message === "string")
    assert.ok(
      e.rawMessage.includes(message),
      `message ${JSON.stringify(e.rawMessage)} lacks ${JSON.stringify(message)}`,
    );
  else if (message !== undefined) assert.match(e.rawMessage, message);
}

/** Awaits a call expected to fail with an RpcError of the code, and returns the error. */
export async function expectRpcError(
  promise: Promise<unknown>,
  code: Code,
  message?: string | RegExp,
): Promise<RpcError> {
  const e = await rejection(promise);
  assertRpcError(e, code, message);
  return e;
}

/**
 * Asserts equal bytes. Received `bytes` fields may be Buffers (views of the received chunk), so the
 * comparison is by content, with a short message rather than a megabyte-long diff.
 */
export function assertBytes(actual: Uint8Array, expected: Uint8Array, what = "bytes"): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.length);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.length);
  assert.ok(a.equals(b), `${what}: content differs`);
}
