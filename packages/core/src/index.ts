// @grpc-ts/core: what an application writes code with, on any runtime. The protocol machinery
// (envelopes, wire protocols, the server's call handling) is behind the subpath exports
// `@grpc-ts/core/protocol`, `@grpc-ts/core/grpc` and `@grpc-ts/core/grpc-web`.
export type { CallOptions } from "./call-options.js";
export {
  type Client,
  type ClientMethod,
  type ClientOptions,
  createClient,
  type Transport,
} from "./client.js";
export { Code, type CodeName, codeName } from "./code.js";
export type { Compression } from "./compression.js";
export { type ErrorDetail, type ErrorDetailInput, findDetails } from "./error-detail.js";
export type { MethodHandler, ServiceImpl } from "./handler.js";
export type { HandlerContext, TlsInfo } from "./handler-context.js";
export type {
  ClientInterceptor,
  ClientNext,
  ClientRequest,
  ClientResponse,
  ServerInterceptor,
  ServerNext,
  ServerRequest,
  ServerResponse,
} from "./interceptor.js";
export { type MessageSendOptions, wasCompressed, withSendOptions } from "./message-flags.js";
export { Metadata, type MetadataInit, type MetadataValue } from "./metadata.js";
export {
  defineService,
  type MethodDefinition,
  type MethodKind,
  type Serializer,
  type ServiceDefinition,
  type ServiceLike,
} from "./method.js";
export { RpcError, type RpcErrorOptions } from "./rpc-error.js";
export { createWritableIterable, type WritableIterable } from "./writable-iterable.js";
