import type { DescFile } from "@bufbuild/protobuf";
import { Code, type ServiceDefinition, type ServiceImpl, type ServiceLike } from "@grpc-ts/core";
import { toServiceDefinition } from "@grpc-ts/core/protocol";
import type { ServerReflection as ServerReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import type { ServerReflection as ServerReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { createDescriptorIndex, type DescriptorIndex, type IndexedFile } from "./descriptor-index.js";

export interface ReflectionOptions {
  /**
   * The services to list and describe. Default (with `addReflection`): every service added to the
   * server, read again at the start of each reflection stream, so services added later are included.
   * Services without a protobuf descriptor (hand-written with `defineService`) are left out.
   */
  readonly services?: () => Iterable<ServiceLike>;
  /**
   * More files to describe, with their imports: e.g. files declaring extensions, or message types
   * that travel inside `google.protobuf.Any`. A protobuf-es `FileRegistry` gives them as `registry.files`.
   */
  readonly files?: Iterable<DescFile>;
}

/** The handlers of both reflection services; see `addReflection` for the one-call setup. */
export interface Reflection {
  /** For `server.add(ServerReflectionV1, reflection.v1)` (`grpc.reflection.v1.ServerReflection`). */
  readonly v1: ServiceImpl<typeof ServerReflectionV1>;
  /** For `server.add(ServerReflectionV1alpha, reflection.v1alpha)` (the older name, same protocol). */
  readonly v1alpha: ServiceImpl<typeof ServerReflectionV1alpha>;
}

/** A request of either version, as far as answering it goes. */
interface AnyRequest {
  readonly host: string;
  readonly messageRequest:
    | { readonly case: "fileByFilename"; readonly value: string }
    | { readonly case: "fileContainingSymbol"; readonly value: string }
    | {
        readonly case: "fileContainingExtension";
        readonly value: { readonly containingType: string; readonly extensionNumber: number };
      }
    | { readonly case: "allExtensionNumbersOfType"; readonly value: string }
    | { readonly case: "listServices"; readonly value: string }
    | { readonly case: undefined; readonly value?: undefined };
}

type AnswerBody =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/**
 * Creates the handlers of `grpc.reflection.v1.ServerReflection` and its `v1alpha` twin, answering
 * from the descriptors of `options.services()` and `options.files`, with all their imports.
 *
 * On each stream, a file query answers with the file asked for and those of its transitive
 * imports that were not sent on that stream before. A query that cannot be answered gets an
 * `error_response` (NOT_FOUND for an unknown file, symbol, extension or type; INVALID_ARGUMENT for
 * a request with no query), and the stream goes on.
 */
export function createReflection(
  options: ReflectionOptions & { readonly services: () => Iterable<ServiceLike> },
): Reflection {
  let cached: { readonly key: readonly unknown[]; readonly index: DescriptorIndex } | undefined;

  function currentIndex(): DescriptorIndex {
    const defs: ServiceDefinition[] = [];
    for (const s of options.services()) {
      const def = toServiceDefinition(s);
      if (def.desc !== undefined) defs.push(def);
    }
    const key = defs.map((d) => d.desc);
    if (cached !== undefined && sameItems(cached.key, key)) return cached.index;
    const files: DescFile[] = defs.map((d) => d.desc!.file);
    if (options.files !== undefined) files.push(...options.files);
    const index = createDescriptorIndex(
      defs.map((d) => d.typeName),
      files,
    );
    cached = { key, index };
    return index;
  }

  async function* serve<R extends AnyRequest>(requests: AsyncIterable<R>) {
    const index = currentIndex();
    const sent = new Set<string>();
    for await (const request of requests) {
      yield {
        validHost: request.host,
        originalRequest: request,
        messageResponse: answer(index, sent, request),
      };
    }
  }

  return {
    v1: { serverReflectionInfo: (requests) => serve(requests) },
    v1alpha: { serverReflectionInfo: (requests) => serve(requests) },
  };
}

function answer(index: DescriptorIndex, sent: Set<string>, request: AnyRequest): AnswerBody {
  const q = request.messageRequest;
  switch (q.case) {
    case "fileByFilename":
      return files(index, index.file(q.value), sent, `file ${JSON.stringify(q.value)} not found`);
    case "fileContainingSymbol":
      return files(
        index,
        index.fileContainingSymbol(q.value),
        sent,
        `symbol ${JSON.stringify(q.value)} not found`,
      );
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = q.value;
      return files(
        index,
        index.fileContainingExtension(containingType, extensionNumber),
        sent,
        `extension ${extensionNumber} of ${JSON.stringify(containingType)} not found`,
      );
    }
    case "allExtensionNumbersOfType": {
      const numbers = index.extensionNumbers(q.value);
      if (numbers === undefined)
        return error(Code.NOT_FOUND, `message type ${JSON.stringify(q.value)} not found`);
      const name = q.value.startsWith(".") ? q.value.slice(1) : q.value;
      return { case: "allExtensionNumbersResponse", value: { baseTypeName: name, extensionNumber: numbers } };
    }
    case "listServices":
      return { case: "listServicesResponse", value: { service: index.services.map((name) => ({ name })) } };
    default:
      return error(Code.INVALID_ARGUMENT, "the request has no query (message_request is not set)");
  }
}

/** The file, then its transitive imports that this stream has not sent yet (breadth first). */
function files(
  index: DescriptorIndex,
  file: IndexedFile | undefined,
  sent: Set<string>,
  notFound: string,
): AnswerBody {
  if (file === undefined) return error(Code.NOT_FOUND, notFound);
  const out: Uint8Array[] = [];
  const seen = new Set<string>([file.name]);
  const queue: IndexedFile[] = [file];
  out.push(file.bytes());
  sent.add(file.name);
  for (let i = 0; i < queue.length; i++) {
    for (const name of queue[i]!.dependencies) {
      if (seen.has(name)) continue;
      seen.add(name);
      const dep = index.file(name);
      if (dep === undefined) continue;
      if (!sent.has(name)) {
        sent.add(name);
        out.push(dep.bytes());
      }
      queue.push(dep);
    }
  }
  return { case: "fileDescriptorResponse", value: { fileDescriptorProto: out } };
}

function error(code: number, message: string): AnswerBody {
  return { case: "errorResponse", value: { errorCode: code, errorMessage: message } };
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
