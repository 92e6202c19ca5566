import type { CallOptions } from "./call-options.js";
import {
  applyInterceptors,
  type ClientInterceptor,
  type ClientNext,
  type ClientRequest,
  type ClientResponse,
} from "./interceptor.js";
import { Metadata } from "./metadata.js";
import {
  type AnyMethod,
  type MethodTypes,
  type ServiceLike,
  type ServiceMethods,
  toServiceDefinition,
} from "./method.js";
import { RpcError } from "./rpc-error.js";
import { resolveDeadline } from "./timeout.js";

/**
 * Something that carries calls: the Node channel (gRPC over HTTP/2) or a gRPC-Web transport.
 * It receives a request whose `message` is one message or a stream, and resolves with the
 * response once its headers are in (for a single response message: once it is complete).
 */
export interface Transport {
  call(req: ClientRequest): Promise<ClientResponse>;
}

type Init<M> = MethodTypes<M>["reqInit"];
type Res<M> = MethodTypes<M>["res"];

/** The typed method a client has for one RPC. */
export type ClientMethod<M> = MethodTypes<M>["kind"] extends "unary"
  ? (request: Init<M>, options?: CallOptions) => Promise<Res<M>>
  : MethodTypes<M>["kind"] extends "server_streaming"
    ? (request: Init<M>, options?: CallOptions) => AsyncIterable<Res<M>>
    : MethodTypes<M>["kind"] extends "client_streaming"
      ? (requests: AsyncIterable<Init<M>> | Iterable<Init<M>>, options?: CallOptions) => Promise<Res<M>>
      : (
          requests: AsyncIterable<Init<M>> | Iterable<Init<M>>,
          options?: CallOptions,
        ) => AsyncIterable<Res<M>>;

/** A typed client: one method per RPC of the service, named in camelCase. */
export type Client<S extends ServiceLike> = {
  readonly [K in keyof ServiceMethods<S>]: ClientMethod<ServiceMethods<S>[K]>;
};

export interface ClientOptions {
  /** Applied to every call, the first in the list outermost. */
  readonly interceptors?: readonly ClientInterceptor[];
}

/** A typed client for a service over any transport. */
export function createClient<S extends ServiceLike>(
  service: S,
  transport: Transport,
  options: ClientOptions = {},
): Client<S> {
  const def = toServiceDefinition(service);
  const next: ClientNext = applyInterceptors<ClientNext>(
    (req) => transport.call(req),
    options.interceptors ?? [],
  );
  const client: Record<string, unknown> = {};
  for (const [local, method] of Object.entries(def.methods)) {
    client[local] = method.requestStream
      ? method.responseStream
        ? bidiMethod(method, next)
        : clientStreamingMethod(method, next)
      : method.responseStream
        ? serverStreamingMethod(method, next)
        : unaryMethod(method, next);
  }
  return client as Client<S>;
}

function makeRequest(
  method: AnyMethod,
  options: CallOptions | undefined,
  stream: boolean,
  message: unknown,
): ClientRequest {
  const o = options ?? noOptions;
  return {
    method,
    stream,
    message,
    header: new Metadata(o.metadata),
    signal: o.signal,
    deadline:
      o.timeoutMs === undefined && o.deadline === undefined
        ? undefined
        : resolveDeadline(o.timeoutMs, o.deadline),
    compression: o.compression,
    waitForReady: o.waitForReady,
    retries: o.retries,
  } as ClientRequest;
}

const noOptions: CallOptions = {};

function reportFailure(options: CallOptions | undefined, reason: unknown): never {
  const err = RpcError.from(reason);
  options?.onTrailer?.(err.metadata);
  throw err;
}

/**
 * Builds the request and starts the call. Anything thrown on the way (invalid metadata, an
 * interceptor that throws synchronously) becomes the call's rejection: the methods are
 * asynchronous and never throw at the call site.
 */
function begin(next: ClientNext, build: () => ClientRequest): Promise<ClientResponse> {
  try {
    return next(build());
  } catch (e) {
    return Promise.reject(e);
  }
}

function single(
  method: AnyMethod,
  next: ClientNext,
  options: CallOptions | undefined,
  build: () => ClientRequest,
): Promise<unknown> {
  return begin(next, build).then(
    (res) => {
      options?.onHeader?.(res.header);
      if (res.stream)
        throw new RpcError(13, `${method.path}: the transport returned a stream for a single response`);
      options?.onTrailer?.(res.trailer);
      return res.message;
    },
    (reason) => reportFailure(options, reason),
  );
}

function unaryMethod(method: AnyMethod, next: ClientNext) {
  return (request: unknown, options?: CallOptions) =>
    single(method, next, options, () => makeRequest(method, options, false, request));
}

function clientStreamingMethod(method: AnyMethod, next: ClientNext) {
  return (requests: AsyncIterable<unknown> | Iterable<unknown>, options?: CallOptions) =>
    single(method, next, options, () => makeRequest(method, options, true, toAsyncIterable(requests)));
}

function serverStreamingMethod(method: AnyMethod, next: ClientNext) {
  return (request: unknown, options?: CallOptions) =>
    streamResponse(next, options, () => makeRequest(method, options, false, request));
}

function bidiMethod(method: AnyMethod, next: ClientNext) {
  return (requests: AsyncIterable<unknown> | Iterable<unknown>, options?: CallOptions) =>
    streamResponse(next, options, () => makeRequest(method, options, true, toAsyncIterable(requests)));
}

/** Starts the call at once; its messages (or its error) come out of the returned iterable. */
function streamResponse(
  next: ClientNext,
  options: CallOptions | undefined,
  build: () => ClientRequest,
): AsyncIterable<unknown> {
  const started = begin(next, build);
  // The error is delivered through iteration; this only keeps an unread failure from being "unhandled".
  started.catch(() => {});
  return {
    async *[Symbol.asyncIterator]() {
      let res: ClientResponse;
      try {
        res = await started;
      } catch (reason) {
        reportFailure(options, reason);
      }
      options?.onHeader?.(res.header);
      if (!res.stream) {
        yield res.message;
      } else {
        try {
          yield* res.message;
        } catch (reason) {
          reportFailure(options, reason);
        }
      }
      options?.onTrailer?.(res.trailer);
    },
  };
}

/** Accepts arrays and sync iterables where a request stream is expected. */
export function toAsyncIterable<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterable<T> {
  if (Symbol.asyncIterator in source) return source;
  return {
    async *[Symbol.asyncIterator]() {
      yield* source;
    },
  };
}
