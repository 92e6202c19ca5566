export { ByteWriter } from "./byte-writer.js";
export { connectionError, ErrorCode, errorCodeName, Http2Error, streamError } from "./errors.js";
export { DEFAULT_HEADER_TABLE_SIZE, HpackDecoder, type HpackDecoderOptions } from "./hpack/decoder.js";
export { FieldFlag, HpackEncoder, type HpackEncoderOptions, type HuffmanPolicy } from "./hpack/encoder.js";
export { HpackError, type HpackErrorKind } from "./hpack/hpack-error.js";
