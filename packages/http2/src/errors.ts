/**
 * HTTP/2 error codes (RFC 9113 §7) and the one error type of the engine.
 *
 * A protocol violation is either a connection error (`streamId` 0: the connection ends with
 * GOAWAY carrying `code`) or a stream error (`streamId` > 0: that stream ends with RST_STREAM
 * carrying `code`, the connection lives on). Parsers throw `Http2Error`; nothing else escapes
 * them for any input.
 */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const names: readonly string[] = Object.keys(ErrorCode);

/** The RFC name of an error code (`PROTOCOL_ERROR`), or `UNKNOWN(0x..)` for codes outside it. */
export function errorCodeName(code: number): string {
  return code >= 0 && code < names.length && Number.isInteger(code)
    ? names[code]!
    : `UNKNOWN(0x${code.toString(16)})`;
}

export class Http2Error extends Error {
  override readonly name: string = "Http2Error";
  /** The HTTP/2 error code to send (RST_STREAM or GOAWAY). Unknown codes from a peer stay numbers. */
  readonly code: number;
  /** 0: a connection error; otherwise the stream the error is confined to. */
  readonly streamId: number;

  constructor(code: number, message: string, streamId = 0) {
    super(`${errorCodeName(code)}: ${message}`);
    this.code = code;
    this.streamId = streamId;
  }

  get isConnectionError(): boolean {
    return this.streamId === 0;
  }
}

/** A connection error (GOAWAY with `code`). */
export function connectionError(code: number, message: string): Http2Error {
  return new Http2Error(code, message, 0);
}

/** A stream error (RST_STREAM with `code` on `streamId`). */
export function streamError(streamId: number, code: number, message: string): Http2Error {
  return new Http2Error(code, message, streamId);
}
