// @grpc-ts/core/protocol: the machinery the runtimes (node, web) and other transports are built
// from, shared by every wire protocol: envelopes, messages, codes, compression, timeouts, header
// fields, method codecs, the router, the service config, the client's call machine (calls,
// attempts, retries and hedging) and the server's runtime-neutral call handling. Each wire
// protocol's own pieces are in `@grpc-ts/core/grpc` and `@grpc-ts/core/grpc-web`.
export { abortError } from "./abort-error.js";
export { base64Decode, base64Encode } from "./base64.js";
export { Attempt } from "./client/attempt.js";
export { Call, type CallPlan } from "./client/call.js";
export {
  DEFAULT_CHANNEL_RETRY_BUFFER_BYTES,
  DEFAULT_RETRY_BUFFER_BYTES,
  RetryBuffer,
} from "./client/retry/retry-buffer.js";
export {
  DEFAULT_MAX_RETRY_ATTEMPTS,
  type RetryContext,
  type RetryPlan,
  realSchedule,
  retryPlanOf,
  type Schedule,
} from "./client/retry/retry-policy.js";
export { RetryThrottle } from "./client/retry/retry-throttle.js";
export type { ClientStream, ClientStreamListener, StreamOpener } from "./client/stream.js";
export { toAsyncIterable } from "./client.js";
export { codeFromHttpStatus, codeFromName, isCode } from "./code.js";
export { acceptsEncoding, CompressionRegistry, compressedWithoutEncoding, identity } from "./compression.js";
export { type DeadlineTimer, startDeadlineTimer } from "./deadline-timer.js";
export {
  DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
  EnvelopeDecoder,
  type EnvelopeHandler,
  encodeEnvelope,
  Flag,
  writeEnvelopePrefix,
} from "./envelope.js";
export { decodeStatusProto, detailTypeName, encodeStatusProto, type StatusProto } from "./error-detail.js";
export { fieldsToObject, fieldValue, type HeaderFields } from "./header-fields.js";
export { applyInterceptors } from "./interceptor.js";
export { markCompressed, sendOptionsOf } from "./message-flags.js";
export { MessageReader, type MessageReaderOptions, type MessageSink } from "./message-reader.js";
export { frameMessage, serializeMessage } from "./message-writer.js";
export { isBinaryKey, isReservedKey, type RawHeaders } from "./metadata.js";
export {
  type AnyMethod,
  type MethodCodec,
  type MethodSpec,
  type MethodTypes,
  methodCodec,
  type Serializer,
  type ServiceMethods,
  toServiceDefinition,
} from "./method.js";
export { type Route, Router } from "./router.js";
export { type CallHandler, type CallHandlerOptions, createCallHandler } from "./server/call-handler.js";
export type { ServerStream, ServerStreamListener } from "./server/stream.js";
export {
  createMethodConfigIndex,
  findMethodConfig,
  type MethodConfigLookup,
} from "./service-config/method-config.js";
export {
  type PolicyConfigParser,
  type PolicyLookup,
  parseServiceConfig,
} from "./service-config/parse-service-config.js";
export type {
  HedgingPolicy,
  LoadBalancingChoice,
  MethodConfig,
  MethodName,
  RetryPolicy,
  ServiceConfig,
} from "./service-config/service-config.js";
export { ServiceConfigError } from "./service-config/service-config-error.js";
export { decodeTimeout, encodeTimeout, resolveDeadline } from "./timeout.js";
export type { ServerWireProtocol } from "./wire-protocol.js";
export type { WritableIterableOptions } from "./writable-iterable.js";
