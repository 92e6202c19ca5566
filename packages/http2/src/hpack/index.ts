// `@grpc-ts/http2/hpack`: header compression (RFC 7541) on its own: the encoder and decoder of
// header blocks, and the error a malformed block is. Blocks are written to a `ByteWriter` (from
// the root).
export { DEFAULT_HEADER_TABLE_SIZE, HpackDecoder, type HpackDecoderOptions } from "./decoder.js";
export { FieldFlag, HpackEncoder, type HpackEncoderOptions, type HuffmanPolicy } from "./encoder.js";
export { HpackError, type HpackErrorKind } from "./hpack-error.js";
