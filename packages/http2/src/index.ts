export { ByteWriter } from "./byte-writer.js";
export {
  ClientConnection,
  type ClientConnectionListener,
  type ClientConnectionOptions,
  type ClientStreamHandle,
} from "./connection/client-connection.js";
export type { ConnectionListenerBase, ConnectionOptionsBase } from "./connection/connection-base.js";
export {
  isValidFieldName,
  isValidFieldValue,
  type RequestInfo,
  type ResponseInfo,
  validateRequestHeaders,
  validateResponseHeaders,
  validateTrailers,
} from "./connection/header-validation.js";
export {
  ServerConnection,
  type ServerConnectionListener,
  type ServerConnectionOptions,
} from "./connection/server-connection.js";
export { connectionError, ErrorCode, errorCodeName, Http2Error, streamError } from "./errors.js";
export { type FrameHandler, FrameParser, type FrameParserOptions } from "./frame/frame-parser.js";
export {
  CONNECTION_PREFACE,
  FRAME_HEADER_LENGTH,
  FrameFlag,
  FrameType,
  MAX_MAX_FRAME_SIZE,
  MAX_STREAM_ID,
  MAX_WINDOW_SIZE,
  MIN_MAX_FRAME_SIZE,
} from "./frame/frame-types.js";
export {
  beginHeaders,
  endHeaders,
  writeContinuation,
  writeData,
  writeFrameHeader,
  writeGoAway,
  writeHeadersFrame,
  writePing,
  writePriority,
  writePushPromise,
  writeRstStream,
  writeSettings,
  writeSettingsAck,
  writeWindowUpdate,
} from "./frame/frame-writer.js";
export {
  applySetting,
  initialSettings,
  SettingId,
  type Settings,
  validateSetting,
} from "./frame/settings.js";
export { DEFAULT_HEADER_TABLE_SIZE, HpackDecoder, type HpackDecoderOptions } from "./hpack/decoder.js";
export { FieldFlag, HpackEncoder, type HpackEncoderOptions, type HuffmanPolicy } from "./hpack/encoder.js";
export { HpackError, type HpackErrorKind } from "./hpack/hpack-error.js";
