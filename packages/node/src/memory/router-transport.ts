/**
 * `createRouterTransport`: services called through a client with no socket, for tests of code
 * that uses a client (and of handlers through a real client). Every call runs the same gRPC
 * protocol code as over a network (client call, request and response validation, envelopes,
 * compression, deadlines, cancellation, metadata, status with details, interceptors on both
 * sides), with each exchange in memory (memory-stream.ts) instead of an HTTP/2 stream.
 */
import { Code, RpcError, type ServiceImpl, type ServiceLike, type Transport } from "@grpc-ts/core";
import { frameGrpcRequest, GrpcAttempt, type GrpcAttemptConfig } from "@grpc-ts/core/grpc";
import {
  Call,
  type CallPlan,
  createCallHandler,
  DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
  Router,
  type StreamOpener,
} from "@grpc-ts/core/protocol";
import { allocUnsafe } from "../alloc.js";
import { createCompressionRegistry, defaultCompressions } from "../compression.js";
import type { ServerOptions } from "../server/server.js";
import { VERSION } from "../version.js";
import { MemoryExchange } from "./memory-stream.js";

/** The server's options that apply in memory, and the client's codec and compression. */
export interface RouterTransportOptions
  extends Pick<
    ServerOptions,
    "interceptors" | "compressions" | "maxReceiveMessageBytes" | "maxSendMessageBytes" | "responseCompression"
  > {
  /** Message codec of the calls: `proto` (default) or `json`, or any the methods define. */
  readonly codec?: string;
  /** Compress request messages with this algorithm (default none). */
  readonly compression?: string;
}

/** The services a router transport serves, added as on a server. */
export interface RouterTransportServices {
  add<S extends ServiceLike>(service: S, impl: ServiceImpl<S>): this;
}

/**
 * A transport for `createClient` whose calls go to the services that `register` adds, in this
 * process, with no socket:
 *
 * ```ts
 * const transport = createRouterTransport((s) => s.add(RouteGuide, impl));
 * const client = createClient(RouteGuide, transport);
 * ```
 */
export function createRouterTransport(
  register: (services: RouterTransportServices) => void,
  options: RouterTransportOptions = {},
): Transport {
  const router = new Router();
  const interceptors = options.interceptors ?? [];
  const services: RouterTransportServices = {
    add(service, impl) {
      router.add(service, impl, interceptors);
      return services;
    },
  };
  register(services);
  const compression = createCompressionRegistry(options.compressions ?? defaultCompressions);
  const maxReceiveMessageBytes = options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES;
  const maxSendMessageBytes = options.maxSendMessageBytes ?? Number.POSITIVE_INFINITY;
  const handler = createCallHandler({
    router,
    compression,
    allocate: allocUnsafe,
    maxReceiveMessageBytes,
    maxSendMessageBytes,
    ...(options.responseCompression === undefined
      ? {}
      : { responseCompression: options.responseCompression }),
    grpcWeb: false,
  });
  const codecName = options.codec ?? "proto";
  const config: GrpcAttemptConfig = {
    codecName,
    compression,
    defaultCompression: options.compression,
    maxReceiveMessageBytes,
    maxSendMessageBytes,
    userAgent: `grpc-ts-node/${VERSION} (router transport)`,
    authority: "memory",
    scheme: "http",
    allocate: allocUnsafe,
  };
  const open: StreamOpener = {
    request(fields, listener) {
      const exchange = new MemoryExchange(fields, listener);
      handler.handle(exchange);
      return exchange.client;
    },
  };
  const plan: CallPlan = {
    start: (call, index) => new GrpcAttempt(call, index, config).start(open),
    frame: (call, message) => frameGrpcRequest(config, call, message),
  };
  return {
    call(req) {
      if (req.method.codecs[codecName] === undefined) {
        return Promise.reject(
          new RpcError(Code.INTERNAL, `codec "${codecName}" is not available for ${req.method.path}`),
        );
      }
      return new Call(req).begin(plan);
    },
  };
}
