import { type DescEnum, type DescFile, type DescMessage, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/** One `.proto` file as reflection serves it. */
export interface IndexedFile {
  /** The file's name, e.g. `grpc/health/v1/health.proto`. */
  readonly name: string;
  /** The names of the files it imports. */
  readonly dependencies: readonly string[];
  /** The serialized `google.protobuf.FileDescriptorProto` (encoded once, on first use). */
  bytes(): Uint8Array;
}

/** The lookups server reflection answers, over a closed set of files (each with all its imports). */
export interface DescriptorIndex {
  /** Fully qualified names of the services to list, in order. */
  readonly services: readonly string[];
  /** A file by name. */
  file(name: string): IndexedFile | undefined;
  /**
   * The file declaring a fully qualified symbol: a message, enum, enum value, field, oneof,
   * extension, service or method (a method as `pkg.Service.Method`).
   */
  fileContainingSymbol(symbol: string): IndexedFile | undefined;
  /** The file declaring extension `number` of message type `extendee`. */
  fileContainingExtension(extendee: string, number: number): IndexedFile | undefined;
  /** The extension numbers of a message type, ascending; undefined for an unknown message type. */
  extensionNumbers(messageType: string): number[] | undefined;
}

/**
 * Indexes `files` and every file they import, transitively. A symbol declared twice keeps the
 * first file it was found in.
 */
export function createDescriptorIndex(
  services: readonly string[],
  files: Iterable<DescFile>,
): DescriptorIndex {
  const byName = new Map<string, IndexedFile>();
  const symbols = new Map<string, IndexedFile>();
  const messages = new Set<string>();
  const extensions = new Map<string, Map<number, IndexedFile>>();

  function addSymbol(symbol: string, file: IndexedFile): void {
    if (!symbols.has(symbol)) symbols.set(symbol, file);
  }

  function addEnum(desc: DescEnum, file: IndexedFile): void {
    addSymbol(desc.typeName, file);
    // Enum values are scoped as siblings of their enum (as in C++), e.g. `pkg.Status.OK` → `pkg.OK`.
    const dot = desc.typeName.lastIndexOf(".");
    const scope = dot < 0 ? "" : `${desc.typeName.slice(0, dot)}.`;
    for (const value of desc.values) addSymbol(scope + value.name, file);
  }

  function addExtension(extendee: DescMessage, number: number, file: IndexedFile): void {
    let numbers = extensions.get(extendee.typeName);
    if (numbers === undefined) {
      numbers = new Map();
      extensions.set(extendee.typeName, numbers);
    }
    if (!numbers.has(number)) numbers.set(number, file);
  }

  function addMessage(desc: DescMessage, file: IndexedFile): void {
    addSymbol(desc.typeName, file);
    messages.add(desc.typeName);
    for (const field of desc.fields) addSymbol(`${desc.typeName}.${field.name}`, file);
    for (const oneof of desc.oneofs) addSymbol(`${desc.typeName}.${oneof.name}`, file);
    for (const nested of desc.nestedMessages) addMessage(nested, file);
    for (const nested of desc.nestedEnums) addEnum(nested, file);
    for (const ext of desc.nestedExtensions) {
      addSymbol(ext.typeName, file);
      addExtension(ext.extendee, ext.number, file);
    }
  }

  function addFile(desc: DescFile): void {
    const name = desc.proto.name;
    if (byName.has(name)) return;
    let encoded: Uint8Array | undefined;
    const file: IndexedFile = {
      name,
      dependencies: desc.dependencies.map((d) => d.proto.name),
      bytes: () => {
        encoded ??= toBinary(FileDescriptorProtoSchema, desc.proto);
        return encoded;
      },
    };
    byName.set(name, file);
    for (const message of desc.messages) addMessage(message, file);
    for (const e of desc.enums) addEnum(e, file);
    for (const ext of desc.extensions) {
      addSymbol(ext.typeName, file);
      addExtension(ext.extendee, ext.number, file);
    }
    for (const service of desc.services) {
      addSymbol(service.typeName, file);
      for (const method of service.methods) addSymbol(`${service.typeName}.${method.name}`, file);
    }
    for (const dep of desc.dependencies) addFile(dep);
  }

  for (const file of files) addFile(file);

  return {
    services,
    file: (name) => byName.get(name),
    fileContainingSymbol: (symbol) => symbols.get(stripDot(symbol)),
    fileContainingExtension: (extendee, number) => extensions.get(stripDot(extendee))?.get(number),
    extensionNumbers(messageType) {
      const name = stripDot(messageType);
      if (!messages.has(name)) return undefined;
      return [...(extensions.get(name)?.keys() ?? [])].sort((a, b) => a - b);
    },
  };
}

function stripDot(name: string): string {
  return name.startsWith(".") ? name.slice(1) : name;
}
