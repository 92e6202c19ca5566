// @grpc-ts/core/grpc-web: gRPC-Web (PROTOCOL-WEB.md), both sides, and CORS for its servers.
export { WebResponseBody, type WebResponseBodyOptions } from "./client-protocol.js";
export { grpcWebContentType, type ParsedWebContentType, parseWebContentType } from "./content-type.js";
export { type Cors, type CorsOptions, createCors } from "./cors.js";
export { grpcWebHandlerProtocol, type WebHandlerProtocolOptions } from "./handler-protocol.js";
export { grpcWebRequestHeaders, type WebRequestHeaderOptions } from "./request-headers.js";
export { validateWebResponseHeaders, type WebResponseHeaderResult } from "./response-validation.js";
export { Base64StreamDecoder, encodeTextSegment } from "./text.js";
export { encodeTrailerBlock, encodeTrailerFrame, parseTrailerBlock } from "./trailers.js";
