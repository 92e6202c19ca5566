import { create, createFileRegistry, type DescFile, type FileRegistry, fromBinary } from "@bufbuild/protobuf";
import {
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  file_google_protobuf_any,
  file_google_protobuf_api,
  file_google_protobuf_descriptor,
  file_google_protobuf_duration,
  file_google_protobuf_empty,
  file_google_protobuf_field_mask,
  file_google_protobuf_source_context,
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  file_google_protobuf_type,
  file_google_protobuf_wrappers,
} from "@bufbuild/protobuf/wkt";
import {
  type CallOptions,
  Code,
  createClient,
  createWritableIterable,
  RpcError,
  type Transport,
  type WritableIterable,
} from "@grpc-ts/core";
import { ServerReflection as ServerReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";

/** A version of the reflection protocol. */
export type ReflectionVersion = "v1" | "v1alpha";

export interface ReflectionClientOptions {
  /**
   * `"auto"` (default) uses v1 and, when the server answers the first query with UNIMPLEMENTED,
   * v1alpha; `"v1"` or `"v1alpha"` use only that version.
   */
  readonly version?: ReflectionVersion | "auto";
  /** Options of the reflection call: `timeoutMs`, `metadata`, `signal`, ... */
  readonly callOptions?: CallOptions;
  /** Sent as the `host` of each request (default ""). */
  readonly host?: string;
}

/**
 * A client of server reflection over one stream (opened on the first query): the queries of the
 * protocol, plus `registryFor` which fetches whole descriptor sets.
 */
export interface ReflectionClient {
  /** The version in use; undefined before the first query was answered. */
  readonly version: ReflectionVersion | undefined;
  /** The fully qualified names of the services the server lists. */
  listServices(): Promise<string[]>;
  /** A file by name, with those of its transitive imports not sent on this stream before. */
  fileByFilename(name: string): Promise<FileDescriptorProto[]>;
  /** The file declaring a symbol, with those of its transitive imports not sent before. */
  fileContainingSymbol(symbol: string): Promise<FileDescriptorProto[]>;
  /** The file declaring an extension, with those of its transitive imports not sent before. */
  fileContainingExtension(containingType: string, extensionNumber: number): Promise<FileDescriptorProto[]>;
  /** The extension numbers of a message type. */
  allExtensionNumbersOfType(messageType: string): Promise<number[]>;
  /**
   * A registry with the files declaring `symbols` and all the files they import, fetching what
   * this client has not received yet. A symbol the server does not know is looked up through its
   * parent (a method through its service, a field through its message). Well-known types the
   * server does not send come from `@bufbuild/protobuf`.
   * Rejects with NOT_FOUND when a symbol is unknown.
   */
  registryFor(symbols: readonly string[]): Promise<FileRegistry>;
  /** Ends the stream. The client can be used again (a new stream opens). */
  close(): void;
}

type Query =
  | { case: "fileByFilename"; value: string }
  | { case: "fileContainingSymbol"; value: string }
  | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
  | { case: "allExtensionNumbersOfType"; value: string }
  | { case: "listServices"; value: string };

interface RequestInit {
  host: string;
  messageRequest: Query;
}

/** A response of either version, as far as reading it goes. */
interface AnyResponse {
  readonly messageResponse:
    | {
        readonly case: "fileDescriptorResponse";
        readonly value: { readonly fileDescriptorProto: Uint8Array[] };
      }
    | {
        readonly case: "allExtensionNumbersResponse";
        readonly value: { readonly baseTypeName: string; readonly extensionNumber: number[] };
      }
    | {
        readonly case: "listServicesResponse";
        readonly value: { readonly service: { readonly name: string }[] };
      }
    | {
        readonly case: "errorResponse";
        readonly value: { readonly errorCode: number; readonly errorMessage: string };
      }
    | { readonly case: undefined; readonly value?: undefined };
}

interface Stream {
  readonly version: ReflectionVersion;
  readonly requests: WritableIterable<RequestInit>;
  readonly responses: AsyncIterator<AnyResponse>;
  readonly abort: AbortController;
}

const wellKnownFiles: readonly DescFile[] = [
  file_google_protobuf_any,
  file_google_protobuf_api,
  file_google_protobuf_descriptor,
  file_google_protobuf_duration,
  file_google_protobuf_empty,
  file_google_protobuf_field_mask,
  file_google_protobuf_source_context,
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  file_google_protobuf_type,
  file_google_protobuf_wrappers,
];

/** Creates a reflection client over any transport (a `@grpc-ts/node` channel, a gRPC-Web transport). */
export function createReflectionClient(
  transport: Transport,
  options: ReflectionClientOptions = {},
): ReflectionClient {
  const mode = options.version ?? "auto";
  const host = options.host ?? "";
  const v1 = createClient(ServerReflectionV1, transport);
  const v1alpha = createClient(ServerReflectionV1alpha, transport);
  let version: ReflectionVersion | undefined = mode === "auto" ? undefined : mode;
  let stream: Stream | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const files = new Map<string, FileDescriptorProto>();

  function open(): Stream {
    if (stream !== undefined) return stream;
    const use: ReflectionVersion = version ?? "v1";
    const abort = new AbortController();
    const outer = options.callOptions?.signal;
    const signal = outer === undefined ? abort.signal : AbortSignal.any([outer, abort.signal]);
    const requests = createWritableIterable<RequestInit>();
    const callOptions: CallOptions = { ...options.callOptions, signal };
    const responses: AsyncIterable<AnyResponse> =
      use === "v1"
        ? v1.serverReflectionInfo(requests, callOptions)
        : v1alpha.serverReflectionInfo(requests, callOptions);
    stream = { version: use, requests, responses: responses[Symbol.asyncIterator](), abort };
    return stream;
  }

  function discard(s: Stream): void {
    if (stream === s) stream = undefined;
    s.requests.close();
    s.abort.abort();
  }

  async function ask(query: Query): Promise<AnyResponse["messageResponse"]> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const s = open();
      try {
        await s.requests.write({ host, messageRequest: query });
        const next = await s.responses.next();
        if (next.done === true) {
          throw new RpcError(Code.UNAVAILABLE, "the reflection stream ended without an answer");
        }
        version = s.version;
        return next.value.messageResponse;
      } catch (e) {
        discard(s);
        const err = RpcError.from(e);
        if (
          err.code === Code.UNIMPLEMENTED &&
          mode === "auto" &&
          version === undefined &&
          s.version === "v1"
        ) {
          version = "v1alpha";
          continue;
        }
        throw err;
      }
    }
    throw new RpcError(Code.UNIMPLEMENTED, "the server implements neither reflection v1 nor v1alpha");
  }

  /** Queries one at a time on the stream: each response answers the request before it. */
  function query(q: Query): Promise<AnyResponse["messageResponse"]> {
    const result = queue.then(() => ask(q));
    queue = result.catch(() => {});
    return result;
  }

  async function fileQuery(q: Query): Promise<FileDescriptorProto[]> {
    const res = await query(q);
    if (res.case === "errorResponse") throw errorOf(res.value);
    if (res.case !== "fileDescriptorResponse") throw unexpected(res.case, "file_descriptor_response");
    const out = res.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
    for (const file of out) if (!files.has(file.name)) files.set(file.name, file);
    return out;
  }

  async function fetchSymbol(symbol: string): Promise<void> {
    let name = symbol.startsWith(".") ? symbol.slice(1) : symbol;
    let first: unknown;
    // Tries the symbol, then each enclosing scope: one more query per name component at most.
    for (;;) {
      try {
        await fileQuery({ case: "fileContainingSymbol", value: name });
        return;
      } catch (e) {
        first ??= e;
        const dot = name.lastIndexOf(".");
        if (!(e instanceof RpcError) || e.code !== Code.NOT_FOUND) throw e;
        if (dot <= 0) throw first;
        name = name.slice(0, dot);
      }
    }
  }

  async function fetchMissingImports(): Promise<void> {
    // Each round fetches at least one file or stops, so this ends after at most as many rounds
    // as there are files.
    for (let round = 0; round < 10_000; round++) {
      const missing = [...files.values()]
        .flatMap((f) => f.dependency)
        .find((dep) => !files.has(dep) && wellKnown(dep) === undefined);
      if (missing === undefined) return;
      await fileQuery({ case: "fileByFilename", value: missing });
      if (!files.has(missing)) {
        throw new RpcError(Code.NOT_FOUND, `the server did not send ${missing}, which another file imports`);
      }
    }
  }

  return {
    get version() {
      return version;
    },
    async listServices() {
      const res = await query({ case: "listServices", value: "" });
      if (res.case === "errorResponse") throw errorOf(res.value);
      if (res.case !== "listServicesResponse") throw unexpected(res.case, "list_services_response");
      return res.value.service.map((s) => s.name);
    },
    fileByFilename: (name) => fileQuery({ case: "fileByFilename", value: name }),
    fileContainingSymbol: (symbol) => fileQuery({ case: "fileContainingSymbol", value: symbol }),
    fileContainingExtension: (containingType, extensionNumber) =>
      fileQuery({ case: "fileContainingExtension", value: { containingType, extensionNumber } }),
    async allExtensionNumbersOfType(messageType) {
      const res = await query({ case: "allExtensionNumbersOfType", value: messageType });
      if (res.case === "errorResponse") throw errorOf(res.value);
      if (res.case !== "allExtensionNumbersResponse")
        throw unexpected(res.case, "all_extension_numbers_response");
      return res.value.extensionNumber;
    },
    async registryFor(symbols) {
      for (const symbol of symbols) await fetchSymbol(symbol);
      await fetchMissingImports();
      return registryOf(files);
    },
    close() {
      if (stream !== undefined) discard(stream);
    },
  };
}

/**
 * A registry of `files` (each of whose imports must be among them or be a well-known type),
 * ordered so that every file comes after the files it imports.
 */
export function registryOf(files: ReadonlyMap<string, FileDescriptorProto>): FileRegistry {
  const ordered: FileDescriptorProto[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (file: FileDescriptorProto): void => {
    const s = state.get(file.name);
    if (s === "done") return;
    if (s === "visiting") throw new RpcError(Code.INTERNAL, `import cycle through ${file.name}`);
    state.set(file.name, "visiting");
    for (const dep of file.dependency) {
      const found = files.get(dep) ?? wellKnown(dep)?.proto;
      if (found === undefined)
        throw new RpcError(Code.NOT_FOUND, `${file.name} imports ${dep}, which is missing`);
      visit(found);
    }
    state.set(file.name, "done");
    ordered.push(file);
  };
  for (const file of files.values()) visit(file);
  return createFileRegistry(create(FileDescriptorSetSchema, { file: ordered }));
}

function wellKnown(name: string): DescFile | undefined {
  return wellKnownFiles.find((f) => f.proto.name === name);
}

function errorOf(e: { readonly errorCode: number; readonly errorMessage: string }): RpcError {
  return new RpcError(e.errorCode as Code, e.errorMessage);
}

function unexpected(got: string | undefined, want: string): RpcError {
  return new RpcError(Code.INTERNAL, `the server answered with ${got ?? "nothing"} instead of ${want}`);
}
