export { abortError } from "./abort-error.js";
export { base64Decode, base64Encode } from "./base64.js";
export type { CallOptions } from "./call-options.js";
export {
  type Client,
  type ClientMethod,
  type ClientOptions,
  createClient,
  type Transport,
  toAsyncIterable,
} from "./client.js";
export {
  Code,
  type CodeName,
  codeFromHttpStatus,
  codeFromName,
  codeName,
  isCode,
} from "./code.js";
export {
  acceptsEncoding,
  type Compression,
  CompressionRegistry,
  compressedWithoutEncoding,
  identity,
} from "./compression.js";
export {
  DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
  EnvelopeDecoder,
  type EnvelopeHandler,
  encodeEnvelope,
  Flag,
  writeEnvelopePrefix,
} from "./envelope.js";
export {
  decodeStatusProto,
  detailTypeName,
  type ErrorDetail,
  type ErrorDetailInput,
  encodeStatusProto,
  findDetails,
  type StatusProto,
} from "./error-detail.js";
export { grpcContentType, type ParsedContentType, parseContentType } from "./grpc/content-type.js";
export { grpcHandlerProtocol } from "./grpc/handler-protocol.js";
export { grpcRequestHeaders, type RequestHeaderOptions } from "./grpc/request-headers.js";
export { type ResponseHeaderResult, validateResponseHeaders } from "./grpc/response-validation.js";
export { decodeStatusMessage, encodeStatusMessage } from "./grpc/status-message.js";
export { statusFromTrailers, statusToTrailers } from "./grpc/trailers.js";
export { WebResponseBody, type WebResponseBodyOptions } from "./grpc-web/client-protocol.js";
export {
  grpcWebContentType,
  type ParsedWebContentType,
  parseWebContentType,
} from "./grpc-web/content-type.js";
export { grpcWebHandlerProtocol, type WebHandlerProtocolOptions } from "./grpc-web/handler-protocol.js";
export { grpcWebRequestHeaders, type WebRequestHeaderOptions } from "./grpc-web/request-headers.js";
export { validateWebResponseHeaders, type WebResponseHeaderResult } from "./grpc-web/response-validation.js";
export { Base64StreamDecoder, encodeTextSegment } from "./grpc-web/text.js";
export { encodeTrailerBlock, encodeTrailerFrame, parseTrailerBlock } from "./grpc-web/trailers.js";
export type { MethodHandler, ServiceImpl } from "./handler.js";
export type { HandlerContext, TlsInfo } from "./handler-context.js";
export {
  applyInterceptors,
  type ClientInterceptor,
  type ClientNext,
  type ClientRequest,
  type ClientResponse,
  type ServerInterceptor,
  type ServerNext,
  type ServerRequest,
  type ServerResponse,
} from "./interceptor.js";
export {
  type MessageSendOptions,
  markCompressed,
  sendOptionsOf,
  wasCompressed,
  withSendOptions,
} from "./message-flags.js";
export { MessageReader, type MessageReaderOptions, type MessageSink } from "./message-reader.js";
export { frameMessage, serializeMessage } from "./message-writer.js";
export {
  isBinaryKey,
  isReservedKey,
  Metadata,
  type MetadataInit,
  type MetadataValue,
  type RawHeaders,
} from "./metadata.js";
export {
  type AnyMethod,
  defineService,
  type MethodCodec,
  type MethodDefinition,
  type MethodKind,
  type MethodSpec,
  type MethodTypes,
  methodCodec,
  type Serializer,
  type ServiceDefinition,
  type ServiceLike,
  type ServiceMethods,
  toServiceDefinition,
} from "./method.js";
export { type Route, Router } from "./router.js";
export { RpcError, type RpcErrorOptions } from "./rpc-error.js";
export { decodeTimeout, encodeTimeout, resolveDeadline } from "./timeout.js";
export type { ServerWireProtocol } from "./wire-protocol.js";
export {
  createWritableIterable,
  type WritableIterable,
  type WritableIterableOptions,
} from "./writable-iterable.js";
