/**
 * The frame layer's sending half (RFC 9113 §4, §6): each function appends one frame (or, for a
 * header block, HEADERS plus CONTINUATION) to a `ByteWriter`, so a connection can batch all its
 * output into one buffer. Arguments that would make an invalid frame are a `RangeError`: these
 * are our own bugs, not the peer's.
 */
import type { ByteWriter } from "../byte-writer.js";
import {
  FRAME_HEADER_LENGTH,
  FrameFlag,
  FrameType,
  MAX_MAX_FRAME_SIZE,
  MAX_STREAM_ID,
  MAX_WINDOW_SIZE,
  MIN_MAX_FRAME_SIZE,
} from "./frame-types.js";

/** Appends a 9-octet frame header. */
export function writeFrameHeader(
  w: ByteWriter,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  if (length > MAX_MAX_FRAME_SIZE) throw new RangeError(`frame length ${length}`);
  w.ensure(FRAME_HEADER_LENGTH);
  const b = w.buf;
  let p = w.pos;
  b[p++] = length >>> 16;
  b[p++] = length >>> 8;
  b[p++] = length;
  b[p++] = type;
  b[p++] = flags;
  b[p++] = (streamId >>> 24) & 0x7f;
  b[p++] = streamId >>> 16;
  b[p++] = streamId >>> 8;
  b[p++] = streamId;
  w.pos = p;
}

function checkStreamId(streamId: number, allowZero: boolean): void {
  if (!Number.isInteger(streamId) || streamId < (allowZero ? 0 : 1) || streamId > MAX_STREAM_ID) {
    throw new RangeError(`stream id ${streamId}`);
  }
}

function checkPadding(padLength: number): void {
  if (!Number.isInteger(padLength) || padLength < 0 || padLength > 255)
    throw new RangeError(`padding ${padLength}`);
}

/**
 * DATA (§6.1): `data` in one frame (the caller splits by the peer's SETTINGS_MAX_FRAME_SIZE and
 * the flow-control windows). With `padLength` (0..255) the frame is PADDED: a Pad Length octet
 * and that many zero octets, all counted by flow control.
 */
export function writeData(
  w: ByteWriter,
  streamId: number,
  data: Uint8Array,
  endStream: boolean,
  padLength?: number,
): void {
  checkStreamId(streamId, false);
  const flags = endStream ? FrameFlag.END_STREAM : 0;
  if (padLength === undefined) {
    writeFrameHeader(w, data.length, FrameType.DATA, flags, streamId);
    w.bytes(data);
    return;
  }
  checkPadding(padLength);
  writeFrameHeader(w, 1 + data.length + padLength, FrameType.DATA, flags | FrameFlag.PADDED, streamId);
  w.u8(padLength);
  w.bytes(data);
  w.ensure(padLength);
  w.buf.fill(0, w.pos, w.pos + padLength);
  w.pos += padLength;
}

/**
 * Starts a HEADERS frame whose block the caller then appends (e.g. with `HpackEncoder.encode`),
 * without copying it: returns the offset to give `endHeaders`.
 */
export function beginHeaders(w: ByteWriter): number {
  const start = w.pos;
  w.ensure(FRAME_HEADER_LENGTH);
  w.pos += FRAME_HEADER_LENGTH;
  return start;
}

/**
 * Completes the header block begun at `start`: one HEADERS frame with END_HEADERS when the block
 * fits `maxFrameSize` (the peer's SETTINGS_MAX_FRAME_SIZE), else HEADERS and CONTINUATION frames
 * (§4.3), the block moved in place to make room for their headers.
 */
export function endHeaders(
  w: ByteWriter,
  start: number,
  streamId: number,
  endStream: boolean,
  maxFrameSize: number,
): void {
  checkStreamId(streamId, false);
  if (maxFrameSize < MIN_MAX_FRAME_SIZE || maxFrameSize > MAX_MAX_FRAME_SIZE) {
    throw new RangeError(`max frame size ${maxFrameSize}`);
  }
  const blockStart = start + FRAME_HEADER_LENGTH;
  const blockLength = w.pos - blockStart;
  const end = w.pos;
  const stream = endStream ? FrameFlag.END_STREAM : 0;
  if (blockLength <= maxFrameSize) {
    w.pos = start;
    writeFrameHeader(w, blockLength, FrameType.HEADERS, stream | FrameFlag.END_HEADERS, streamId);
    w.pos = end;
    return;
  }
  const continuations = Math.ceil(blockLength / maxFrameSize) - 1;
  w.ensure(continuations * FRAME_HEADER_LENGTH);
  const b = w.buf;
  // Move the fragments after the first, last first, each past the headers that precede it.
  for (let i = continuations; i >= 1; i--) {
    const from = blockStart + i * maxFrameSize;
    const length = Math.min(maxFrameSize, blockLength - i * maxFrameSize);
    const to = from + i * FRAME_HEADER_LENGTH;
    b.copyWithin(to, from, from + length);
    w.pos = to - FRAME_HEADER_LENGTH;
    writeFrameHeader(
      w,
      length,
      FrameType.CONTINUATION,
      i === continuations ? FrameFlag.END_HEADERS : 0,
      streamId,
    );
  }
  w.pos = start;
  writeFrameHeader(w, maxFrameSize, FrameType.HEADERS, stream, streamId);
  w.pos = end + continuations * FRAME_HEADER_LENGTH;
}

/**
 * One HEADERS frame with a given block fragment (for tests and peers built by hand): optional
 * padding and priority fields, END_HEADERS unless more fragments follow in CONTINUATION frames.
 */
export function writeHeadersFrame(
  w: ByteWriter,
  streamId: number,
  fragment: Uint8Array,
  options: {
    endStream?: boolean;
    endHeaders?: boolean;
    padLength?: number;
    priority?: { dependency: number; exclusive: boolean; weight: number };
  } = {},
): void {
  checkStreamId(streamId, false);
  let flags =
    (options.endStream ? FrameFlag.END_STREAM : 0) |
    (options.endHeaders !== false ? FrameFlag.END_HEADERS : 0);
  let length = fragment.length;
  if (options.padLength !== undefined) {
    checkPadding(options.padLength);
    flags |= FrameFlag.PADDED;
    length += 1 + options.padLength;
  }
  if (options.priority !== undefined) {
    flags |= FrameFlag.PRIORITY;
    length += 5;
  }
  writeFrameHeader(w, length, FrameType.HEADERS, flags, streamId);
  if (options.padLength !== undefined) w.u8(options.padLength);
  if (options.priority !== undefined) {
    const { dependency, exclusive, weight } = options.priority;
    w.u32(((exclusive ? 0x80000000 : 0) | (dependency & MAX_STREAM_ID)) >>> 0);
    w.u8(weight);
  }
  w.bytes(fragment);
  if (options.padLength !== undefined) {
    w.ensure(options.padLength);
    w.buf.fill(0, w.pos, w.pos + options.padLength);
    w.pos += options.padLength;
  }
}

/** CONTINUATION (§6.10) with a block fragment. */
export function writeContinuation(
  w: ByteWriter,
  streamId: number,
  fragment: Uint8Array,
  endHeaders: boolean,
): void {
  checkStreamId(streamId, false);
  writeFrameHeader(
    w,
    fragment.length,
    FrameType.CONTINUATION,
    endHeaders ? FrameFlag.END_HEADERS : 0,
    streamId,
  );
  w.bytes(fragment);
}

/** PRIORITY (§6.3): deprecated as a signal, but still a frame a peer may send. */
export function writePriority(
  w: ByteWriter,
  streamId: number,
  dependency: number,
  exclusive: boolean,
  weight: number,
): void {
  checkStreamId(streamId, false);
  writeFrameHeader(w, 5, FrameType.PRIORITY, 0, streamId);
  w.u32(((exclusive ? 0x80000000 : 0) | (dependency & MAX_STREAM_ID)) >>> 0);
  w.u8(weight);
}

/** RST_STREAM (§6.4). */
export function writeRstStream(w: ByteWriter, streamId: number, errorCode: number): void {
  checkStreamId(streamId, false);
  writeFrameHeader(w, 4, FrameType.RST_STREAM, 0, streamId);
  w.u32(errorCode);
}

/** SETTINGS (§6.5) with parameters `[id, value, ...]`. */
export function writeSettings(w: ByteWriter, params: readonly number[]): void {
  if (params.length % 2 !== 0) throw new RangeError("settings must be id/value pairs");
  writeFrameHeader(w, params.length * 3, FrameType.SETTINGS, 0, 0);
  for (let i = 0; i < params.length; i += 2) {
    w.u16(params[i]!);
    w.u32(params[i + 1]!);
  }
}

/** SETTINGS with ACK (§6.5.3). */
export function writeSettingsAck(w: ByteWriter): void {
  writeFrameHeader(w, 0, FrameType.SETTINGS, FrameFlag.ACK, 0);
}

/**
 * PUSH_PROMISE (§6.6). This engine never pushes (servers here do not, and clients cannot); the
 * encoder exists so tests can send one.
 */
export function writePushPromise(
  w: ByteWriter,
  streamId: number,
  promisedStreamId: number,
  fragment: Uint8Array,
  endHeaders: boolean,
): void {
  checkStreamId(streamId, false);
  checkStreamId(promisedStreamId, false);
  writeFrameHeader(
    w,
    4 + fragment.length,
    FrameType.PUSH_PROMISE,
    endHeaders ? FrameFlag.END_HEADERS : 0,
    streamId,
  );
  w.u32(promisedStreamId);
  w.bytes(fragment);
}

/** PING (§6.7): 8 opaque octets; an ACK echoes the received ones. */
export function writePing(w: ByteWriter, payload: Uint8Array, ack: boolean): void {
  if (payload.length !== 8) throw new RangeError(`PING payload of ${payload.length} octets`);
  writeFrameHeader(w, 8, FrameType.PING, ack ? FrameFlag.ACK : 0, 0);
  w.bytes(payload);
}

/** GOAWAY (§6.8). */
export function writeGoAway(
  w: ByteWriter,
  lastStreamId: number,
  errorCode: number,
  debugData?: Uint8Array,
): void {
  checkStreamId(lastStreamId, true);
  const debugLength = debugData?.length ?? 0;
  writeFrameHeader(w, 8 + debugLength, FrameType.GOAWAY, 0, 0);
  w.u32(lastStreamId);
  w.u32(errorCode);
  if (debugData !== undefined) w.bytes(debugData);
}

/** WINDOW_UPDATE (§6.9); `streamId` 0 for the connection. An increment of 0 is not allowed. */
export function writeWindowUpdate(w: ByteWriter, streamId: number, increment: number): void {
  checkStreamId(streamId, true);
  if (!Number.isInteger(increment) || increment < 1 || increment > MAX_WINDOW_SIZE) {
    throw new RangeError(`window increment ${increment}`);
  }
  writeFrameHeader(w, 4, FrameType.WINDOW_UPDATE, 0, streamId);
  w.u32(increment);
}
