// @grpc-ts/core/grpc: gRPC over HTTP/2 (PROTOCOL-HTTP2.md), both sides.
export {
  frameGrpcRequest,
  GrpcAttempt,
  type GrpcAttemptConfig,
  requestCompression,
} from "./client-attempt.js";
export { grpcContentType, type ParsedContentType, parseContentType } from "./content-type.js";
export { grpcHandlerProtocol } from "./handler-protocol.js";
export { grpcRequestHeaders, type RequestHeaderOptions } from "./request-headers.js";
export { type ResponseHeaderResult, validateResponseHeaders } from "./response-validation.js";
export { decodeStatusMessage, encodeStatusMessage } from "./status-message.js";
export { statusFromTrailers, statusToTrailers } from "./trailers.js";
