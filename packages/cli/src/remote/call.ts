import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  type DescMessage,
  type DescMethod,
  type DescService,
  type FileRegistry,
  fromJson,
  type JsonValue,
  toJson,
} from "@bufbuild/protobuf";
import { type CallOptions, type Channel, createClient } from "@grpc-ts/node";
import type { RemoteCommand } from "../remote-args.js";
import type { CliIo } from "../run-cli.js";
import type { DescriptorSource } from "./descriptors.js";
import { CliFailure, EXIT_FAILURE, EXIT_OK, usageError } from "./failure.js";
import { JsonObjectSplitter, parseJsonObjects } from "./json-input.js";
import { type Output, printMetadata } from "./output.js";

type CallCommand = Extract<RemoteCommand, { kind: "call" }>;

/** What the caller needs after a failure: the registry, to decode error details. */
export interface CallContext {
  registry: FileRegistry | undefined;
}

type UnaryFn = (request: unknown, options: CallOptions) => Promise<unknown>;
type StreamFn = (request: unknown, options: CallOptions) => AsyncIterable<unknown>;

/**
 * `grpc-ts call <target> <pkg.Service/Method> [-d ...]`: sends the JSON request(s) and prints each
 * response as JSON. A request that is not valid JSON, or not valid for the method's input type,
 * is a usage error (exit 2), also when it comes in the middle of a stream from stdin: the call is
 * then cancelled.
 */
export async function call(
  command: CallCommand,
  channel: Channel,
  source: DescriptorSource,
  callOptions: CallOptions,
  io: CliIo,
  output: Output,
  context: CallContext,
): Promise<number> {
  const { service: serviceName, method: methodName } = splitMethod(command.method);
  const registry = await serviceRegistry(source, serviceName);
  context.registry = registry;
  const service = registry.getService(serviceName);
  if (service === undefined) throw new CliFailure(EXIT_FAILURE, `${serviceName} is not a service`);
  const method = findMethod(service, methodName);
  const requestStream = method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
  const responseStream = method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming";

  const toMessage = (json: JsonValue, n: number) => {
    try {
      return fromJson(method.input, json, { registry });
    } catch (e) {
      throw usageError(
        `invalid request ${n} for ${method.input.typeName}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  };

  const abort = new AbortController();
  const input: StdinState = { error: undefined, stopped: false };
  let stopStdin = (): void => {};
  let request: unknown;
  if (requestStream && command.data === "@-") {
    const stdin = io.stdin?.() ?? emptyInput();
    stopStdin = () => {
      input.stopped = true;
      destroy(stdin);
    };
    request = streamFromStdin(stdin, toMessage, input, abort);
  } else {
    const text = await readRequestText(command.data, io);
    const objects = text === undefined ? [] : parseJsonObjects(text);
    if (requestStream) {
      request = objects.map((o, i) => toMessage(o, i + 1));
    } else {
      if (objects.length > 1) {
        throw usageError(`${method.name} takes one request, got ${objects.length} JSON objects`);
      }
      request = toMessage(objects[0] ?? {}, 1);
    }
  }

  const options: CallOptions = {
    ...callOptions,
    signal: abort.signal,
    ...(command.verbose
      ? {
          onHeader: (h) => printMetadata(output, "Response headers", h),
          onTrailer: (t) => printMetadata(output, "Response trailers", t),
        }
      : {}),
  };
  const client = createClient(service, channel) as unknown as Readonly<Record<string, unknown>>;
  const fn = client[method.localName];
  const print = (message: unknown): void =>
    output.value(printable(method.output, message, registry, command.emitDefaults));
  try {
    if (responseStream) {
      for await (const message of (fn as StreamFn)(request, options)) print(message);
    } else {
      print(await (fn as UnaryFn)(request, options));
    }
  } catch (e) {
    throw input.error ?? e;
  } finally {
    stopStdin();
  }
  if (input.error !== undefined) throw input.error;
  return EXIT_OK;
}

/** `pkg.Service/Method`, `pkg.Service.Method` or `/pkg.Service/Method` → service and method names. */
export function splitMethod(spec: string): { service: string; method: string } {
  let s = spec.startsWith("/") ? spec.slice(1) : spec;
  if (s.startsWith(".")) s = s.slice(1);
  const slash = s.lastIndexOf("/");
  const at = slash >= 0 ? slash : s.lastIndexOf(".");
  if (at <= 0 || at === s.length - 1 || s.slice(0, at).includes("/")) {
    throw usageError(`invalid method "${spec}" (use pkg.Service/Method)`);
  }
  return { service: s.slice(0, at), method: s.slice(at + 1) };
}

async function serviceRegistry(source: DescriptorSource, service: string): Promise<FileRegistry> {
  try {
    return await source.registryFor([service]);
  } catch (e) {
    if (!(e instanceof CliFailure)) throw e;
    let offered = "";
    try {
      const names = await source.listServices();
      if (names.length > 0) offered = `; available: ${names.join(", ")}`;
    } catch {
      // The list is only a hint.
    }
    throw new CliFailure(EXIT_FAILURE, `unknown service ${service}${offered}`);
  }
}

function findMethod(service: DescService, name: string): DescMethod {
  const lower = name.toLowerCase();
  const method =
    service.methods.find((m) => m.name === name) ??
    service.methods.find((m) => m.name.toLowerCase() === lower || m.localName.toLowerCase() === lower);
  if (method === undefined) {
    throw new CliFailure(
      EXIT_FAILURE,
      `unknown method ${service.typeName}/${name}; ${service.typeName} has: ${service.methods.map((m) => m.name).join(", ")}`,
    );
  }
  return method;
}

/** The `-d` text: literal JSON, a file's content (`@file`), or all of stdin (`@-`); undefined without -d. */
async function readRequestText(data: string | undefined, io: CliIo): Promise<string | undefined> {
  if (data === undefined) return undefined;
  if (data === "@-") {
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of io.stdin?.() ?? emptyInput()) {
      text += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    }
    return text + decoder.decode();
  }
  if (data.startsWith("@")) {
    try {
      return await readFile(resolve(io.cwd, data.slice(1)), "utf8");
    } catch (e) {
      throw usageError(`cannot read ${data.slice(1)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return data;
}

interface StdinState {
  /** Why reading the requests failed, if it did. */
  error: unknown;
  /** Set once the call is over: later errors (from closing stdin) do not count. */
  stopped: boolean;
}

/**
 * Requests parsed from stdin as they arrive. A bad one is kept in `input.error`, the call is
 * cancelled, and the stream ends.
 */
async function* streamFromStdin(
  stdin: AsyncIterable<string | Uint8Array>,
  toMessage: (json: JsonValue, n: number) => unknown,
  input: StdinState,
  abort: AbortController,
): AsyncGenerator<unknown> {
  const splitter = new JsonObjectSplitter();
  const decoder = new TextDecoder();
  let n = 0;
  try {
    for await (const chunk of stdin) {
      for (const json of splitter.push(
        typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }),
      )) {
        yield toMessage(json, ++n);
      }
    }
    for (const json of splitter.push(decoder.decode())) yield toMessage(json, ++n);
    splitter.end();
  } catch (e) {
    if (input.stopped) return;
    input.error = e;
    abort.abort();
  }
}

function printable(
  schema: DescMessage,
  message: unknown,
  registry: FileRegistry,
  emitDefaults: boolean,
): JsonValue {
  return toJson(schema, message as Parameters<typeof toJson>[1], {
    registry,
    alwaysEmitImplicit: emitDefaults,
  });
}

function destroy(stream: AsyncIterable<string | Uint8Array>): void {
  const d = (stream as { destroy?: unknown }).destroy;
  if (typeof d === "function") d.call(stream);
}

async function* emptyInput(): AsyncGenerator<string> {}
