/**
 * The frame layer's receiving half (RFC 9113 §4, §6): turns bytes, cut anywhere, into frame
 * events on a handler object, and checks everything about a frame that can be checked without
 * stream state: sizes, flags, stream identifiers, padding, SETTINGS values, and that a header
 * block (HEADERS or PUSH_PROMISE plus CONTINUATION) arrives without interleaved frames.
 *
 * A connection error is thrown as an `Http2Error` with `streamId` 0 (and thrown again by any
 * later `receive`); a stream error goes to `onStreamError` and parsing goes on.
 *
 * Copies are avoided: DATA payloads are delivered as views of the input chunks, piece by piece
 * as they arrive (so the caller must not overwrite a chunk it has passed in while it keeps such
 * a view). Other payloads are views of the input when a frame lies within one chunk, and of an
 * internal buffer otherwise; those views are valid only during the callback.
 */
import { ByteWriter } from "../byte-writer.js";
import { ErrorCode, Http2Error, streamError } from "../errors.js";
import { FRAME_HEADER_LENGTH, FrameFlag, FrameType, MIN_MAX_FRAME_SIZE } from "./frame-types.js";
import { validateSetting } from "./settings.js";

/** Receives the frames; implemented by the connection (an object, so no closure per frame). */
export interface FrameHandler {
  /**
   * A piece of a DATA frame's data (possibly empty). `flowLength` is how many octets of the
   * frame, padding included, this call accounts for: over all calls of a frame they sum to its
   * length, which is what flow control counts (§6.9). `endStream` comes with the last piece.
   */
  onData(streamId: number, data: Uint8Array, endStream: boolean, flowLength: number): void;
  /** A complete header block of HEADERS (+ CONTINUATION); priority fields already dropped. */
  onHeaders(streamId: number, block: Uint8Array, endStream: boolean): void;
  onRstStream(streamId: number, errorCode: number): void;
  /** A SETTINGS frame's parameters as `[id, value, ...]`, in order, each value validated. */
  onSettings(params: readonly number[]): void;
  onSettingsAck(): void;
  /** `payload` is the 8 opaque octets (a view valid during the call). */
  onPing(payload: Uint8Array, ack: boolean): void;
  onGoAway(lastStreamId: number, errorCode: number, debugData: Uint8Array): void;
  /** `increment` is 1..2^31-1 (a zero increment is reported as an error instead). */
  onWindowUpdate(streamId: number, increment: number): void;
  /** A stream error found by the parser: the connection resets that stream and goes on. */
  onStreamError(error: Http2Error): void;
  /** A frame with no effect: PRIORITY (accepted and ignored, §5.3.2) or an unknown type (§5.5). */
  onIgnoredFrame(type: number, streamId: number, length: number): void;
}

export interface FrameParserOptions {
  /** Which side receives: a client also refuses SETTINGS_ENABLE_PUSH = 1. */
  role: "client" | "server";
  /** The SETTINGS_MAX_FRAME_SIZE this endpoint advertised. Default 16384. */
  maxFrameSize?: number;
  /** Bound on one header block's fragments together; past it, ENHANCE_YOUR_CALM. Default 65536. */
  maxHeaderBlockSize?: number;
  /** Bound on CONTINUATION frames in one header block; past it, ENHANCE_YOUR_CALM. Default 128. */
  maxContinuationFrames?: number;
}

const STATE_HEADER = 0;
const STATE_PAYLOAD = 1;
const STATE_DATA = 2;
const STATE_SKIP = 3;

const EMPTY = new Uint8Array(0);

export class FrameParser {
  /** Frames longer than this are a FRAME_SIZE_ERROR (§4.2). */
  maxFrameSize: number;
  maxHeaderBlockSize: number;
  maxContinuationFrames: number;
  private readonly handler: FrameHandler;
  private readonly isClient: boolean;
  private state = STATE_HEADER;
  private error: Http2Error | undefined;
  // the frame being read
  private readonly head = new Uint8Array(FRAME_HEADER_LENGTH);
  private headLength = 0;
  private type = 0;
  private flags = 0;
  private streamId = 0;
  private length = 0;
  /** Payload octets still to come (SKIP), or buffered so far (PAYLOAD). */
  private count = 0;
  private payload = new Uint8Array(256);
  // DATA
  private padLengthPending = false;
  private dataLeft = 0;
  private padLeft = 0;
  private flowPending = 0;
  // header block under assembly: its stream (0: none)
  private blockStream = 0;
  private blockEndStream = false;
  private blockFrames = 0;
  private block: ByteWriter | undefined;

  constructor(handler: FrameHandler, options: FrameParserOptions) {
    this.handler = handler;
    this.isClient = options.role === "client";
    this.maxFrameSize = options.maxFrameSize ?? MIN_MAX_FRAME_SIZE;
    this.maxHeaderBlockSize = options.maxHeaderBlockSize ?? 65536;
    this.maxContinuationFrames = options.maxContinuationFrames ?? 128;
  }

  /** Whether a header block is open (HEADERS seen, END_HEADERS not yet). */
  get inHeaderBlock(): boolean {
    return this.blockStream !== 0;
  }

  /** Whether the input so far ends on a frame boundary. */
  get atFrameBoundary(): boolean {
    return this.state === STATE_HEADER && this.headLength === 0 && this.blockStream === 0;
  }

  /** Parses `chunk`; throws an `Http2Error` for a connection error. */
  receive(chunk: Uint8Array): void {
    if (this.error !== undefined) throw this.error;
    try {
      this.parse(chunk);
    } catch (e) {
      if (e instanceof Http2Error && e.streamId === 0) this.error = e;
      throw e;
    }
  }

  private parse(chunk: Uint8Array): void {
    const n = chunk.length;
    let p = 0;
    while (p < n) {
      switch (this.state) {
        case STATE_HEADER: {
          if (this.headLength === 0 && n - p >= FRAME_HEADER_LENGTH) {
            this.readHeader(chunk, p);
            p += FRAME_HEADER_LENGTH;
          } else {
            const head = this.head;
            while (this.headLength < FRAME_HEADER_LENGTH && p < n) head[this.headLength++] = chunk[p++]!;
            if (this.headLength < FRAME_HEADER_LENGTH) return;
            this.headLength = 0;
            this.readHeader(head, 0);
          }
          this.startFrame();
          break;
        }
        case STATE_DATA:
          p = this.dataBytes(chunk, p, n);
          break;
        case STATE_PAYLOAD: {
          const length = this.length;
          if (this.count === 0 && n - p >= length) {
            this.state = STATE_HEADER;
            this.dispatch(chunk, p, p + length);
            p += length;
          } else {
            const k = Math.min(length - this.count, n - p);
            this.payload.set(chunk.subarray(p, p + k), this.count);
            this.count += k;
            p += k;
            if (this.count === length) {
              this.state = STATE_HEADER;
              this.count = 0;
              this.dispatch(this.payload, 0, length);
            }
          }
          break;
        }
        default: {
          // STATE_SKIP: an ignored frame's payload
          const k = Math.min(this.count, n - p);
          this.count -= k;
          p += k;
          if (this.count === 0) this.state = STATE_HEADER;
        }
      }
    }
  }

  private readHeader(b: Uint8Array, p: number): void {
    this.length = (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
    this.type = b[p + 3]!;
    this.flags = b[p + 4]!;
    // The reserved bit is ignored on receipt (§4.1).
    this.streamId = ((b[p + 5]! & 0x7f) << 24) | (b[p + 6]! << 16) | (b[p + 7]! << 8) | b[p + 8]!;
  }

  /** Checks a frame header, then sets up reading its payload. */
  private startFrame(): void {
    const { type, flags, streamId, length } = this;
    if (this.blockStream !== 0 && (type !== FrameType.CONTINUATION || streamId !== this.blockStream)) {
      throw protocolError(
        `a header block on stream ${this.blockStream} is interrupted by a frame of type ${type} on stream ${streamId}`,
      );
    }
    if (length > this.maxFrameSize) {
      throw new Http2Error(
        ErrorCode.FRAME_SIZE_ERROR,
        `frame of ${length} octets exceeds SETTINGS_MAX_FRAME_SIZE ${this.maxFrameSize}`,
      );
    }
    switch (type) {
      case FrameType.DATA:
        if (streamId === 0) throw protocolError("DATA on stream 0");
        if (flags & FrameFlag.PADDED) {
          if (length < 1) throw frameSizeError("padded DATA without a Pad Length");
          this.padLengthPending = true;
        } else {
          this.padLengthPending = false;
          this.dataLeft = length;
          this.padLeft = 0;
          if (length === 0) {
            this.handler.onData(streamId, EMPTY, (flags & FrameFlag.END_STREAM) !== 0, 0);
            return;
          }
        }
        this.flowPending = 0;
        this.state = STATE_DATA;
        return;
      case FrameType.HEADERS: {
        if (streamId === 0) throw protocolError("HEADERS on stream 0");
        const min = (flags & FrameFlag.PADDED ? 1 : 0) + (flags & FrameFlag.PRIORITY ? 5 : 0);
        if (length < min) throw frameSizeError(`HEADERS of ${length} octets is too short for its fields`);
        if (length > this.maxHeaderBlockSize) throw headerBlockTooLarge(length, this.maxHeaderBlockSize);
        break;
      }
      case FrameType.PRIORITY:
        if (streamId === 0) throw protocolError("PRIORITY on stream 0");
        break; // the length is a stream error, checked with the payload
      case FrameType.RST_STREAM:
        if (streamId === 0) throw protocolError("RST_STREAM on stream 0");
        if (length !== 4) throw frameSizeError(`RST_STREAM of ${length} octets`);
        break;
      case FrameType.SETTINGS:
        if (streamId !== 0) throw protocolError(`SETTINGS on stream ${streamId}`);
        if (flags & FrameFlag.ACK) {
          if (length !== 0) throw frameSizeError(`SETTINGS ACK with ${length} octets`);
        } else if (length % 6 !== 0) {
          throw frameSizeError(`SETTINGS of ${length} octets, not a multiple of 6`);
        }
        break;
      case FrameType.PUSH_PROMISE:
        // We never enable push, and a client cannot push (§8.4, §6.6).
        throw protocolError(
          this.isClient ? "PUSH_PROMISE while push is disabled" : "PUSH_PROMISE from a client",
        );
      case FrameType.PING:
        if (streamId !== 0) throw protocolError(`PING on stream ${streamId}`);
        if (length !== 8) throw frameSizeError(`PING of ${length} octets`);
        break;
      case FrameType.GOAWAY:
        if (streamId !== 0) throw protocolError(`GOAWAY on stream ${streamId}`);
        if (length < 8) throw frameSizeError(`GOAWAY of ${length} octets`);
        break;
      case FrameType.WINDOW_UPDATE:
        if (length !== 4) throw frameSizeError(`WINDOW_UPDATE of ${length} octets`);
        break;
      case FrameType.CONTINUATION: {
        if (this.blockStream === 0) throw protocolError("CONTINUATION without an open header block");
        const total = (this.block?.pos ?? 0) + length;
        if (total > this.maxHeaderBlockSize) throw headerBlockTooLarge(total, this.maxHeaderBlockSize);
        if (++this.blockFrames > this.maxContinuationFrames) {
          throw new Http2Error(
            ErrorCode.ENHANCE_YOUR_CALM,
            `more than ${this.maxContinuationFrames} CONTINUATION frames in one header block`,
          );
        }
        break;
      }
      default:
        // Unknown types are ignored (§4.1, §5.5), their payload skipped unread.
        this.handler.onIgnoredFrame(type, streamId, length);
        if (length > 0) {
          this.count = length;
          this.state = STATE_SKIP;
        }
        return;
    }
    if (length === 0) {
      this.dispatch(EMPTY, 0, 0);
      return;
    }
    if (length > this.payload.length) {
      this.payload = new Uint8Array(Math.min(Math.max(length, this.payload.length * 2), this.maxFrameSize));
    }
    this.count = 0;
    this.state = STATE_PAYLOAD;
  }

  /** Reads DATA octets at `p`: the Pad Length, data (delivered as a view), padding. */
  private dataBytes(chunk: Uint8Array, p: number, n: number): number {
    let flow = this.flowPending;
    if (this.padLengthPending) {
      const pad = chunk[p++]!;
      flow++;
      this.padLengthPending = false;
      if (pad >= this.length) {
        throw protocolError(`DATA padding of ${pad} octets in a payload of ${this.length}`);
      }
      this.padLeft = pad;
      this.dataLeft = this.length - 1 - pad;
    }
    const start = p;
    const k = Math.min(this.dataLeft, n - p);
    p += k;
    this.dataLeft -= k;
    flow += k;
    if (this.dataLeft === 0 && this.padLeft > 0) {
      const skip = Math.min(this.padLeft, n - p);
      p += skip;
      this.padLeft -= skip;
      flow += skip;
    }
    const done = this.dataLeft === 0 && this.padLeft === 0;
    if (done) this.state = STATE_HEADER;
    if (k > 0 || done) {
      this.flowPending = 0;
      const data = k > 0 ? chunk.subarray(start, start + k) : EMPTY;
      this.handler.onData(this.streamId, data, done && (this.flags & FrameFlag.END_STREAM) !== 0, flow);
    } else {
      this.flowPending = flow; // only the Pad Length or padding so far: told with the next piece
    }
    return p;
  }

  /** A complete payload of a frame other than DATA. */
  private dispatch(buf: Uint8Array, start: number, end: number): void {
    const handler = this.handler;
    const streamId = this.streamId;
    const flags = this.flags;
    switch (this.type) {
      case FrameType.HEADERS: {
        let p = start;
        let e = end;
        if (flags & FrameFlag.PADDED) {
          const pad = buf[p++]!;
          const room = e - p - (flags & FrameFlag.PRIORITY ? 5 : 0);
          if (pad > room) throw protocolError(`HEADERS padding of ${pad} octets exceeds the ${room} left`);
          e -= pad;
        }
        if (flags & FrameFlag.PRIORITY) {
          const dependency = readU31(buf, p);
          p += 5; // dependency and weight: accepted and ignored (§5.3.2)
          if (dependency === streamId) {
            handler.onStreamError(
              streamError(streamId, ErrorCode.PROTOCOL_ERROR, "stream depends on itself"),
            );
          }
        }
        const endStream = (flags & FrameFlag.END_STREAM) !== 0;
        if (flags & FrameFlag.END_HEADERS) {
          handler.onHeaders(streamId, buf.subarray(p, e), endStream);
        } else {
          this.blockStream = streamId;
          this.blockEndStream = endStream;
          this.blockFrames = 0;
          if (this.block === undefined) this.block = new ByteWriter(Math.max(1024, e - p));
          const block = this.block;
          block.reset();
          block.bytes(buf.subarray(p, e));
        }
        return;
      }
      case FrameType.CONTINUATION: {
        const block = this.block!;
        if (end > start) block.bytes(buf.subarray(start, end));
        if (flags & FrameFlag.END_HEADERS) {
          const id = this.blockStream;
          this.blockStream = 0;
          const view = block.view();
          block.reset();
          handler.onHeaders(id, view, this.blockEndStream);
        }
        return;
      }
      case FrameType.PRIORITY:
        if (end - start !== 5) {
          handler.onStreamError(
            streamError(streamId, ErrorCode.FRAME_SIZE_ERROR, `PRIORITY of ${end - start} octets`),
          );
        } else if (readU31(buf, start) === streamId) {
          handler.onStreamError(streamError(streamId, ErrorCode.PROTOCOL_ERROR, "stream depends on itself"));
        }
        handler.onIgnoredFrame(FrameType.PRIORITY, streamId, end - start);
        return;
      case FrameType.RST_STREAM:
        handler.onRstStream(streamId, readU32(buf, start));
        return;
      case FrameType.SETTINGS: {
        if (flags & FrameFlag.ACK) {
          handler.onSettingsAck();
          return;
        }
        const params: number[] = [];
        for (let p = start; p < end; p += 6) {
          const id = (buf[p]! << 8) | buf[p + 1]!;
          const value = readU32(buf, p + 2);
          validateSetting(id, value, this.isClient);
          params.push(id, value);
        }
        handler.onSettings(params);
        return;
      }
      case FrameType.PING:
        handler.onPing(buf.subarray(start, end), (flags & FrameFlag.ACK) !== 0);
        return;
      case FrameType.GOAWAY:
        handler.onGoAway(readU31(buf, start), readU32(buf, start + 4), buf.subarray(start + 8, end));
        return;
      case FrameType.WINDOW_UPDATE: {
        const increment = readU31(buf, start);
        if (increment === 0) {
          if (streamId === 0) throw protocolError("WINDOW_UPDATE of the connection with an increment of 0");
          handler.onStreamError(
            streamError(streamId, ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE with an increment of 0"),
          );
          return;
        }
        handler.onWindowUpdate(streamId, increment);
        return;
      }
    }
  }
}

function readU32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** A 31-bit field after a reserved (or flag) bit. */
function readU31(b: Uint8Array, p: number): number {
  return ((b[p]! & 0x7f) << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
}

function protocolError(message: string): Http2Error {
  return new Http2Error(ErrorCode.PROTOCOL_ERROR, message);
}

function frameSizeError(message: string): Http2Error {
  return new Http2Error(ErrorCode.FRAME_SIZE_ERROR, message);
}

function headerBlockTooLarge(size: number, limit: number): Http2Error {
  return new Http2Error(
    ErrorCode.ENHANCE_YOUR_CALM,
    `header block of ${size} octets exceeds the limit ${limit}`,
  );
}
