/** Frame types, flags and sizes of RFC 9113 §4 and §6. */

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Frame flags. A flag a frame type does not define is ignored on receipt (§4.1). */
export const FrameFlag = {
  /** DATA, HEADERS */
  END_STREAM: 0x1,
  /** SETTINGS, PING */
  ACK: 0x1,
  /** HEADERS, PUSH_PROMISE, CONTINUATION */
  END_HEADERS: 0x4,
  /** DATA, HEADERS, PUSH_PROMISE */
  PADDED: 0x8,
  /** HEADERS */
  PRIORITY: 0x20,
} as const;

/** Octets of the frame header. */
export const FRAME_HEADER_LENGTH = 9;

/** The initial and smallest SETTINGS_MAX_FRAME_SIZE (2^14). */
export const MIN_MAX_FRAME_SIZE = 16384;
/** The largest SETTINGS_MAX_FRAME_SIZE (2^24 - 1). */
export const MAX_MAX_FRAME_SIZE = 16777215;
/** The largest flow-control window and window increment (2^31 - 1). */
export const MAX_WINDOW_SIZE = 0x7fffffff;
/** The largest stream identifier (2^31 - 1). */
export const MAX_STREAM_ID = 0x7fffffff;

/** The client connection preface (§3.4): `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`. */
export const CONNECTION_PREFACE: Uint8Array = Uint8Array.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", (c) =>
  c.charCodeAt(0),
);
