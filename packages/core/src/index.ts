export { Code, type CodeName, codeName, codeFromName, isCode, codeFromHttpStatus, codeFromH2Error, H2Error, h2ErrorName } from "./code.js";
export { RpcError, type RpcErrorOptions } from "./rpc-error.js";
export {
  type ErrorDetail,
  type ErrorDetailInput,
  type StatusProto,
  findDetails,
  detailTypeName,
  encodeStatusProto,
  decodeStatusProto,
} from "./error-detail.js";
export { Metadata, type MetadataInit, type MetadataValue, type RawHeaders, isReservedKey, isBinaryKey } from "./metadata.js";
export { base64Encode, base64Decode } from "./base64.js";
export { encodeTimeout, decodeTimeout, resolveDeadline } from "./timeout.js";
export { Flag, encodeEnvelope, EnvelopeDecoder, type EnvelopeHandler, DEFAULT_MAX_RECEIVE_MESSAGE_BYTES } from "./envelope.js";
export { type Compression, CompressionRegistry, acceptsEncoding, compressedWithoutEncoding, identity } from "./compression.js";
export {
  type MethodKind,
  type Serializer,
  type MethodCodec,
  type MethodDefinition,
  type AnyMethod,
  type ServiceDefinition,
  type ServiceLike,
  type MethodSpec,
  type MethodTypes,
  type ServiceMethods,
  defineService,
  toServiceDefinition,
  methodCodec,
} from "./method.js";
export { type WritableIterable, type WritableIterableOptions, createWritableIterable } from "./writable-iterable.js";
export type { CallOptions } from "./call-options.js";
export {
  type ClientRequest,
  type ClientResponse,
  type ClientNext,
  type ClientInterceptor,
  type ServerRequest,
  type ServerResponse,
  type ServerNext,
  type ServerInterceptor,
  applyInterceptors,
} from "./interceptor.js";
export type { HandlerContext, TlsInfo } from "./handler-context.js";
export { type Transport, type Client, type ClientMethod, type ClientOptions, createClient, toAsyncIterable } from "./client.js";
export type { MethodHandler, ServiceImpl } from "./handler.js";
export { Router, type Route } from "./router.js";
export { parseContentType, grpcContentType, type ParsedContentType } from "./grpc/content-type.js";
export { statusFromTrailers, statusToTrailers } from "./grpc/trailers.js";
export { encodeStatusMessage, decodeStatusMessage } from "./grpc/status-message.js";
export { grpcRequestHeaders, type RequestHeaderOptions } from "./grpc/request-headers.js";
export { validateResponseHeaders, type ResponseHeaderResult } from "./grpc/response-validation.js";
