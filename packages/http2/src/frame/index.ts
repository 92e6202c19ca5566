// `@grpc-ts/http2/frame`: the frame layer (RFC 9113 §4, §6) on its own, for tools and tests that
// speak HTTP/2 frame by frame: the parser, a writer per frame type, the frame constants and the
// SETTINGS parameters. The writers append to a `ByteWriter` (from the root).
export { connectionError, streamError } from "../errors.js";
export { type FrameHandler, FrameParser, type FrameParserOptions } from "./frame-parser.js";
export {
  CONNECTION_PREFACE,
  FRAME_HEADER_LENGTH,
  FrameFlag,
  FrameType,
  MAX_MAX_FRAME_SIZE,
  MAX_STREAM_ID,
  MAX_WINDOW_SIZE,
  MIN_MAX_FRAME_SIZE,
} from "./frame-types.js";
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
} from "./frame-writer.js";
export { applySetting, initialSettings, SettingId, type Settings, validateSetting } from "./settings.js";
