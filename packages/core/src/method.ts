import {
  create,
  createRegistry,
  type DescMessage,
  type DescMethod,
  type DescService,
  fromBinary,
  fromJsonString,
  type MessageInitShape,
  type MessageShape,
  toBinary,
  toJsonString,
} from "@bufbuild/protobuf";
import { Code } from "./code.js";
import { RpcError } from "./rpc-error.js";

export type MethodKind = "unary" | "server_streaming" | "client_streaming" | "bidi_streaming";

/** Turns a value into bytes and back. Throwing from `deserialize` fails the call with INVALID_ARGUMENT/INTERNAL. */
export interface Serializer<T> {
  serialize(value: T): Uint8Array;
  deserialize(bytes: Uint8Array): T;
}

/** The serializers of one method under one codec (`proto`, `json`, ...). */
export interface MethodCodec<I, O> {
  readonly request: Serializer<I>;
  readonly response: Serializer<O>;
}

/**
 * Everything the runtime needs to know about one RPC method. Produced from protobuf-es `GenService`
 * descriptors, or written by hand with any serialization (see `defineService`).
 * `I`/`O` are what is received; `IInit`/`OInit` what may be sent (protobuf-es init shapes).
 */
export interface MethodDefinition<
  I = unknown,
  O = unknown,
  K extends MethodKind = MethodKind,
  IInit = I,
  OInit = O,
> {
  readonly kind: K;
  /** Fully qualified service name, e.g. `routeguide.RouteGuide`. */
  readonly service: string;
  /** The method's name in the .proto, e.g. `GetFeature`. */
  readonly name: string;
  /** The HTTP/2 `:path`, e.g. `/routeguide.RouteGuide/GetFeature`. */
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  /** Serializers by codec name; `proto` is required and is the default. */
  readonly codecs: { readonly proto: MethodCodec<IInit | I, OInit | O> } & {
    readonly [codec: string]: MethodCodec<IInit | I, OInit | O> | undefined;
  };
  /** The protobuf-es descriptor, when the method came from one. */
  readonly desc?: DescMethod;
  /** Idempotency level from the .proto options, when known. */
  readonly idempotency?: "no_side_effects" | "idempotent";
  /** Phantom fields that carry the types; never set at run time. */
  readonly _types?: { readonly i: I; readonly o: O; readonly iInit: IInit; readonly oInit: OInit };
}

// biome-ignore lint/suspicious/noExplicitAny: variance escape hatch for heterogeneous method maps
export type AnyMethod = MethodDefinition<any, any, MethodKind, any, any>;

/** A service as the runtime sees it: a name and its methods keyed by their local (camelCase) name. */
export interface ServiceDefinition<
  M extends Readonly<Record<string, AnyMethod>> = Readonly<Record<string, AnyMethod>>,
> {
  readonly typeName: string;
  readonly methods: M;
  readonly desc?: DescService;
}

/** What `createClient` and `server.add` accept: a protobuf-es service or a hand-written definition. */
export type ServiceLike = DescService | ServiceDefinition;

/** A hand-written method for `defineService`. */
export interface MethodSpec<I, O, K extends MethodKind> {
  readonly kind: K;
  /** The method name in the .proto; defaults to the key with its first letter upper-cased. */
  readonly name?: string;
  readonly request: Serializer<I>;
  readonly response: Serializer<O>;
  /** Extra codecs, e.g. `{ json: {...} }`. */
  readonly codecs?: Readonly<Record<string, MethodCodec<I, O>>>;
}

/**
 * Defines a service without protobuf-es, with any serialization (protobufjs, ts-proto, JSON, ...).
 *
 * ```ts
 * const Greeter = defineService("hello.Greeter", {
 *   sayHello: { kind: "unary", request: helloRequestSerializer, response: helloReplySerializer },
 * });
 * ```
 */
export function defineService<
  // biome-ignore lint/suspicious/noExplicitAny: each entry keeps its own I/O types
  const T extends Readonly<Record<string, MethodSpec<any, any, MethodKind>>>,
>(
  typeName: string,
  methods: T,
): ServiceDefinition<{
  readonly [K in keyof T]: T[K] extends MethodSpec<infer I, infer O, infer Kind>
    ? MethodDefinition<I, O, Kind>
    : never;
}> {
  const out: Record<string, AnyMethod> = {};
  for (const [local, spec] of Object.entries(methods)) {
    const name = spec.name ?? local.charAt(0).toUpperCase() + local.slice(1);
    out[local] = {
      kind: spec.kind,
      service: typeName,
      name,
      path: `/${typeName}/${name}`,
      requestStream: spec.kind === "client_streaming" || spec.kind === "bidi_streaming",
      responseStream: spec.kind === "server_streaming" || spec.kind === "bidi_streaming",
      codecs: { ...spec.codecs, proto: { request: spec.request, response: spec.response } },
    };
  }
  // biome-ignore lint/suspicious/noExplicitAny: the mapped type above is the checked contract
  return { typeName, methods: out as any };
}

const cache = new WeakMap<object, ServiceDefinition>();

/** The runtime definition of a service; computed once per service object. */
export function toServiceDefinition(service: ServiceLike): ServiceDefinition {
  if (!("kind" in service)) return service;
  let def = cache.get(service);
  if (def === undefined) {
    def = fromDescService(service);
    cache.set(service, def);
  }
  return def;
}

function fromDescService(service: DescService): ServiceDefinition {
  const registry = createRegistry(service.file, ...service.file.dependencies);
  const methods: Record<string, AnyMethod> = {};
  for (const m of service.methods) {
    const idem = m.idempotency;
    methods[m.localName] = {
      kind: m.methodKind,
      service: service.typeName,
      name: m.name,
      path: `/${service.typeName}/${m.name}`,
      requestStream: m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming",
      responseStream: m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming",
      codecs: {
        proto: { request: protoSerializer(m.input), response: protoSerializer(m.output) },
        json: { request: jsonSerializer(m.input, registry), response: jsonSerializer(m.output, registry) },
      },
      desc: m,
      ...(idem === 1
        ? { idempotency: "no_side_effects" as const }
        : idem === 2
          ? { idempotency: "idempotent" as const }
          : {}),
    };
  }
  return { typeName: service.typeName, methods, desc: service };
}

function protoSerializer(schema: DescMessage): Serializer<MessageInitShape<DescMessage>> {
  return {
    serialize: (value) => toBinary(schema, create(schema, value)),
    deserialize: (bytes) => fromBinary(schema, bytes),
  };
}

function jsonSerializer(
  schema: DescMessage,
  registry: ReturnType<typeof createRegistry>,
): Serializer<MessageInitShape<DescMessage>> {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  return {
    serialize: (value) => encoder.encode(toJsonString(schema, create(schema, value), { registry })),
    deserialize: (bytes) =>
      fromJsonString(schema, decoder.decode(bytes), { registry, ignoreUnknownFields: true }),
  };
}

/** Looks up the serializers of a codec, UNIMPLEMENTED when the method has none by that name. */
export function methodCodec(method: AnyMethod, codec: string): MethodCodec<unknown, unknown> {
  const found = method.codecs[codec];
  if (found === undefined)
    throw new RpcError(Code.UNIMPLEMENTED, `codec "${codec}" is not supported for ${method.path}`);
  return found;
}

/** The received and sent message types of a method, whichever way it was defined. */
export type MethodTypes<M> = M extends DescMethod & {
  readonly methodKind: infer K extends MethodKind;
  readonly input: infer In extends DescMessage;
  readonly output: infer Out extends DescMessage;
}
  ? {
      kind: K;
      req: MessageShape<In>;
      reqInit: MessageInitShape<In>;
      res: MessageShape<Out>;
      resInit: MessageInitShape<Out>;
    }
  : M extends MethodDefinition<infer I, infer O, infer K, infer IInit, infer OInit>
    ? { kind: K; req: I; reqInit: IInit; res: O; resInit: OInit }
    : never;

/** The methods of a service by local name: descriptors for protobuf-es, definitions otherwise. */
export type ServiceMethods<S extends ServiceLike> = S extends DescService
  ? S["method"]
  : S extends ServiceDefinition<infer M>
    ? M
    : never;
