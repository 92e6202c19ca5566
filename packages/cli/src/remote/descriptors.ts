import type {
  DescEnum,
  DescEnumValue,
  DescExtension,
  DescField,
  DescMessage,
  DescMethod,
  DescService,
  FileRegistry,
} from "@bufbuild/protobuf";
import { type CallOptions, type Channel, Code, RpcError } from "@grpc-ts/node";
import { createReflectionClient } from "@grpc-ts/services";
import type { ConnectionArgs } from "../remote-args.js";
import { CliFailure, EXIT_FAILURE } from "./failure.js";
import { buildProtoFiles } from "./proto-files.js";

/** Where a command learns the services: server reflection, or `.proto` files. */
export interface DescriptorSource {
  /** The fully qualified names of the services. */
  listServices(): Promise<string[]>;
  /**
   * A registry holding the given symbols (services, methods, types) and all they depend on.
   * Throws a CliFailure (exit 1) naming the first symbol that is not known.
   */
  registryFor(symbols: readonly string[]): Promise<FileRegistry>;
  close(): void;
}

/** Reflection over `channel`, or the `--proto` files when given. */
export async function openDescriptorSource(
  args: ConnectionArgs,
  channel: Channel,
  callOptions: CallOptions,
  cwd: string,
): Promise<DescriptorSource> {
  if (args.protoFiles.length > 0) {
    const { registry, fileNames } = await buildProtoFiles(args.protoFiles, args.importPath, cwd);
    return {
      async listServices() {
        return fileNames.flatMap((name) => registry.getFile(name)?.services.map((s) => s.typeName) ?? []);
      },
      async registryFor(symbols) {
        for (const symbol of symbols) {
          if (!knows(registry, symbol)) {
            throw new CliFailure(
              EXIT_FAILURE,
              `${symbol} is not declared in ${args.protoFiles.join(", ")} or their imports`,
            );
          }
        }
        return registry;
      },
      close() {},
    };
  }

  const client = createReflectionClient(channel, { callOptions });
  const explain = (e: unknown): unknown => {
    if (e instanceof RpcError && e.code === Code.UNIMPLEMENTED) {
      return new RpcError(
        e.code,
        `the server does not support server reflection (${e.rawMessage}); give the service's .proto with --proto`,
        { metadata: e.metadata, details: e.details },
      );
    }
    return e;
  };
  return {
    async listServices() {
      try {
        return await client.listServices();
      } catch (e) {
        throw explain(e);
      }
    },
    async registryFor(symbols) {
      try {
        return await client.registryFor(symbols);
      } catch (e) {
        if (e instanceof RpcError && e.code === Code.NOT_FOUND) {
          throw new CliFailure(EXIT_FAILURE, `not found on the server: ${e.rawMessage}`);
        }
        throw explain(e);
      }
    },
    close() {
      client.close();
    },
  };
}

/** Whether the registry declares `symbol` (as a type, service, method or field). */
function knows(registry: FileRegistry, symbol: string): boolean {
  return findSymbol(registry, symbol) !== undefined;
}

export type FoundSymbol =
  | { readonly kind: "service"; readonly desc: DescService }
  | { readonly kind: "method"; readonly desc: DescMethod }
  | { readonly kind: "message"; readonly desc: DescMessage }
  | { readonly kind: "enum"; readonly desc: DescEnum }
  | { readonly kind: "extension"; readonly desc: DescExtension }
  | { readonly kind: "field"; readonly desc: DescField }
  | { readonly kind: "enum value"; readonly desc: DescEnumValue };

/**
 * Finds a fully qualified symbol (a leading dot is allowed): a service, a method (`pkg.Svc.Method`
 * or `pkg.Svc/Method`), a message, an enum, an extension, a field (`pkg.Msg.field`) or an enum
 * value (`pkg.Enum.VALUE`).
 */
export function findSymbol(registry: FileRegistry, symbol: string): FoundSymbol | undefined {
  const name = (symbol.startsWith(".") ? symbol.slice(1) : symbol).replace("/", ".");
  const desc = registry.get(name);
  if (desc !== undefined) {
    switch (desc.kind) {
      case "service":
        return { kind: "service", desc };
      case "message":
        return { kind: "message", desc };
      case "enum":
        return { kind: "enum", desc };
      case "extension":
        return { kind: "extension", desc };
    }
  }
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return undefined;
  const parent = registry.get(name.slice(0, dot));
  const member = name.slice(dot + 1);
  if (parent?.kind === "service") {
    const method = parent.methods.find((m) => m.name === member);
    return method === undefined ? undefined : { kind: "method", desc: method };
  }
  if (parent?.kind === "message") {
    const field = parent.fields.find((f) => f.name === member);
    return field === undefined ? undefined : { kind: "field", desc: field };
  }
  if (parent?.kind === "enum") {
    const value = parent.values.find((v) => v.name === member);
    return value === undefined ? undefined : { kind: "enum value", desc: value };
  }
  // Enum values are also scoped as siblings of their enum (as protoc sees them): pkg.VALUE.
  const scope = name.slice(0, dot);
  for (const type of registry) {
    if (type.kind !== "enum" || type.typeName.slice(0, type.typeName.lastIndexOf(".")) !== scope) continue;
    const value = type.values.find((v) => v.name === member);
    if (value !== undefined) return { kind: "enum value", desc: value };
  }
  return undefined;
}
