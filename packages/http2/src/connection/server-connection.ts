/**
 * The server side of an HTTP/2 connection, sans I/O (RFC 9113 §3 to §8): bytes from the client go
 * into `receive`, events come out on a listener object, and what the application does (respond,
 * write, end with trailers, reset) becomes frames in one output buffer, taken with `takeOutput`
 * and written to the socket once per batch. No sockets, timers or promises inside: a timer the
 * protocol needs (the SETTINGS acknowledgement, the second GOAWAY of a shutdown) is the caller's,
 * who then calls `settingsTimedOut` or `finishShutdown`.
 *
 * Flow control follows the application: received DATA is acknowledged with WINDOW_UPDATE only as
 * the application reports it consumed (`consume`), so a reader that stops consuming holds the
 * peer back. Sending respects the peer's stream and connection windows; data beyond them is kept
 * (as views, not copies) and sent, round-robin across streams, as the windows open.
 *
 * A connection error ends the connection with GOAWAY; a stream error resets that stream only.
 * Either way the cause is an `Http2Error`; `receive` throws nothing for anything a peer sends.
 */
import { ByteWriter } from "../byte-writer.js";
import { ErrorCode, Http2Error } from "../errors.js";
import { type FrameHandler, FrameParser } from "../frame/frame-parser.js";
import {
  CONNECTION_PREFACE,
  MAX_MAX_FRAME_SIZE,
  MAX_STREAM_ID,
  MAX_WINDOW_SIZE,
  MIN_MAX_FRAME_SIZE,
} from "../frame/frame-types.js";
import {
  beginHeaders,
  endHeaders,
  writeData,
  writeGoAway,
  writePing,
  writeRstStream,
  writeSettings,
  writeSettingsAck,
  writeWindowUpdate,
} from "../frame/frame-writer.js";
import { SettingId } from "../frame/settings.js";
import { DEFAULT_HEADER_TABLE_SIZE, HpackDecoder } from "../hpack/decoder.js";
import { HpackEncoder } from "../hpack/encoder.js";
import { ClosedHow, ClosedStreams } from "./closed-streams.js";
import { type RequestInfo, validateRequestHeaders, validateTrailers } from "./header-validation.js";
import { StreamTable } from "./stream-table.js";

/** Events of a server connection. `S` is the application's object for a stream. */
export interface ServerConnectionListener<S> {
  /**
   * A request: its header section `[name, value, ...]` (pseudo-headers first, validated), and
   * whether the client already ended its side. Returns the object the stream's later events
   * carry. `onStreamEnd` follows at once when `endStream`.
   */
  onStreamOpen(streamId: number, headers: string[], endStream: boolean): S;
  /** Request body octets (a view of the input; report them with `consume` once used). */
  onStreamData(stream: S, data: Uint8Array): void;
  /** Request trailers; `onStreamEnd` follows. */
  onStreamTrailers(stream: S, trailers: string[]): void;
  /** The client ended its side. */
  onStreamEnd(stream: S): void;
  /** Writable again after `write` returned false. */
  onStreamDrain(stream: S): void;
  /**
   * The stream is gone: 0 after both sides ended normally (or we ended ours and told the client
   * to stop), else the error code of a reset by either side, or of the connection's end.
   */
  onStreamClose(stream: S, errorCode: number): void;
  /** The client sent GOAWAY. */
  onGoAway(lastStreamId: number, errorCode: number, debugData: Uint8Array): void;
  /**
   * The connection is over: after a connection error (ours or the peer's, `error` set), or a
   * graceful shutdown that has drained. Write the remaining output, then close the socket.
   */
  onConnectionClose(error: Http2Error | undefined): void;
}

export interface ServerConnectionOptions {
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams past it are refused (REFUSED_STREAM). Default 100. */
  maxConcurrentStreams?: number;
  /**
   * SETTINGS_INITIAL_WINDOW_SIZE: each stream's receive window, the most a client sends ahead of
   * a handler that does not read. Default 65535 (the protocol's, and node:http2's).
   */
  initialWindowSize?: number;
  /** The connection's receive window (raised from 65535 by WINDOW_UPDATE). Default 4 MiB. */
  connectionWindowSize?: number;
  /** SETTINGS_MAX_FRAME_SIZE we accept. Default 16384. */
  maxFrameSize?: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE; larger requests get a 431 response. Default 16384. */
  maxHeaderListSize?: number;
  /** SETTINGS_HEADER_TABLE_SIZE of our HPACK decoder. Default 4096. */
  headerTableSize?: number;
  /** Queued output octets per stream above which `write` returns false. Default 65536. */
  streamHighWaterMark?: number;
  /**
   * The response to a request whose header list exceeds `maxHeaderListSize` (a complete header
   * section, sent with END_STREAM). Default `[":status", "431"]` (Request Header Fields Too
   * Large); a gRPC server answers with a gRPC status instead.
   */
  headerListTooLargeResponse?: readonly string[];
  /**
   * The largest header list we send (RFC 9113 §6.5.2 accounting), whatever the client allows: a
   * response over it resets the stream (INTERNAL_ERROR). Default 65536.
   */
  maxSendHeaderListSize?: number;
  /**
   * Rapid reset (CVE-2023-44487) protection: streams the client resets before we answered them
   * draw from this budget, and streams completed normally refill it (up to this value); when it is
   * spent the connection ends with GOAWAY ENHANCE_YOUR_CALM. So a client that cancels calls now
   * and then is never cut off, but one that opens and resets streams to load the server for free
   * is, after this many. Default 1000.
   */
  resetBudget?: number;
}

/**
 * Stream states (§5.1) as a server sees them. There is no "half-closed (local)": once our side
 * ends, the stream closes, with RST_STREAM NO_ERROR when the client is still sending (§8.1).
 * Push is never used, so neither are the reserved states.
 */
const STATE_OPEN = 0;
const STATE_HALF_CLOSED_REMOTE = 1;
const STATE_CLOSED = 2;

/** Connection phases. */
const CONN_OPEN = 1;
/** First GOAWAY (last stream 2^31 - 1) and a PING sent; waiting for its ACK. */
const CONN_GOAWAY_PENDING = 2;
/** Final GOAWAY sent: streams above its last id are ignored; closes when none is left. */
const CONN_DRAINING = 3;
const CONN_CLOSED = 4;

/** The opaque data of the PING that marks the end of a shutdown's first phase. */
const SHUTDOWN_PING = Uint8Array.of(0x67, 0x6f, 0x61, 0x77, 0x61, 0x79, 0x00, 0x01);
const DEFAULT_WINDOW = 65535;

class Stream<S> {
  readonly id: number;
  state = STATE_OPEN;
  user: S | undefined;
  /** What the peer may still send us (as the peer sees it). */
  recvWindow: number;
  /** Consumed by the application, not yet returned with WINDOW_UPDATE. */
  unacked = 0;
  /** What we may still send. */
  sendWindow: number;
  headersSent = false;
  /** `end` was called (trailers, or the end, wait behind queued data). */
  endQueued = false;
  trailers: readonly string[] | undefined;
  trailerFlags: ArrayLike<number> | undefined;
  contentLength = -1;
  received = 0;
  /** Data waiting for flow-control window: views, sent in order. */
  queue: Uint8Array[] = [];
  queued = 0;
  inSendList = false;
  needDrain = false;
  /** `onStreamOpen` has returned: `user` is set, and events can be told. */
  opened = false;
  /** Closed from inside `onStreamOpen`: the code to tell once it returns. */
  closeCode = 0;

  constructor(id: number, recvWindow: number, sendWindow: number) {
    this.id = id;
    this.recvWindow = recvWindow;
    this.sendWindow = sendWindow;
  }
}

export class ServerConnection<S> implements FrameHandler {
  private readonly listener: ServerConnectionListener<S>;
  private readonly parser: FrameParser;
  private readonly decoder: HpackDecoder;
  private readonly encoder = new HpackEncoder();
  private out = new ByteWriter(16384);
  private readonly streams: StreamTable<Stream<S>>;
  private readonly closed = new ClosedStreams();
  private phase = CONN_OPEN;
  /** Octets of the client preface seen so far. */
  private prefaceMatched = 0;
  private peerSettingsSeen = false;
  /** Highest stream id the client has used. */
  private lastPeerStreamId = 0;
  /** In DRAINING: the last stream id of our final GOAWAY. */
  private goAwayLastId = MAX_STREAM_ID;
  private activeStreams = 0;
  private readonly requestInfo: RequestInfo = { contentLength: -1 };

  // our settings, and what the peer believes them to be until it acknowledges them
  private readonly maxConcurrentStreams: number;
  private readonly localInitialWindow: number;
  private readonly localHeaderTableSize: number;
  private peerViewInitialWindow = DEFAULT_WINDOW;
  private settingsAckPendingCount = 1;
  private readonly streamHighWaterMark: number;

  // connection flow control
  private connRecvWindow = DEFAULT_WINDOW;
  private connUnacked = 0;
  private readonly connWindowTarget: number;
  private connSendWindow = DEFAULT_WINDOW;

  private readonly tooLargeResponse: readonly string[];
  private readonly maxResetBudget: number;
  private resetBudget: number;

  // the peer's settings
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrameSize = MIN_MAX_FRAME_SIZE;
  /** The smaller of the client's SETTINGS_MAX_HEADER_LIST_SIZE and our own sending limit. */
  private sendHeaderListLimit: number;
  private readonly maxSendHeaderListSize: number;

  /** Streams with queued data that wait for connection window, served round-robin. */
  private sendList: Stream<S>[] = [];
  /** Streams to tell `onStreamDrain` once the current call returns (no re-entry mid-loop). */
  private drainList: Stream<S>[] = [];
  private depth = 0;

  constructor(listener: ServerConnectionListener<S>, options: ServerConnectionOptions = {}) {
    this.listener = listener;
    this.maxConcurrentStreams = options.maxConcurrentStreams ?? 100;
    this.streams = new StreamTable(Math.min(this.maxConcurrentStreams, 4096) * 2);
    this.localInitialWindow = options.initialWindowSize ?? DEFAULT_WINDOW;
    this.connWindowTarget = options.connectionWindowSize ?? 4 << 20;
    const maxFrameSize = options.maxFrameSize ?? MIN_MAX_FRAME_SIZE;
    const maxHeaderListSize = options.maxHeaderListSize ?? 16384;
    this.localHeaderTableSize = options.headerTableSize ?? DEFAULT_HEADER_TABLE_SIZE;
    this.streamHighWaterMark = options.streamHighWaterMark ?? 65536;
    this.tooLargeResponse = options.headerListTooLargeResponse ?? [":status", "431"];
    this.maxResetBudget = options.resetBudget ?? 1000;
    this.resetBudget = this.maxResetBudget;
    this.maxSendHeaderListSize = options.maxSendHeaderListSize ?? 65536;
    this.sendHeaderListLimit = this.maxSendHeaderListSize;
    checkRange("initialWindowSize", this.localInitialWindow, 0, MAX_WINDOW_SIZE);
    checkRange("connectionWindowSize", this.connWindowTarget, DEFAULT_WINDOW, MAX_WINDOW_SIZE);
    checkRange("maxFrameSize", maxFrameSize, MIN_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE);
    checkRange("maxConcurrentStreams", this.maxConcurrentStreams, 0, 0xffffffff);
    const maxHeaderBlockSize = Math.max(maxHeaderListSize * 2, 65536);
    this.parser = new FrameParser(this, { role: "server", maxFrameSize, maxHeaderBlockSize });
    this.decoder = new HpackDecoder({
      // Until the client acknowledges a smaller size it may still use the initial 4096.
      maxTableSize: Math.max(this.localHeaderTableSize, DEFAULT_HEADER_TABLE_SIZE),
      maxHeaderListSize,
      // Strings are bounded by the block already; a long one must reach the list limit (a 431
      // for that request), not end the connection.
      maxStringLength: maxHeaderBlockSize * 2,
    });
    // The server connection preface: SETTINGS first (§3.4), then the connection window.
    const settings: number[] = [SettingId.MAX_CONCURRENT_STREAMS, this.maxConcurrentStreams];
    if (this.localInitialWindow !== DEFAULT_WINDOW)
      settings.push(SettingId.INITIAL_WINDOW_SIZE, this.localInitialWindow);
    if (maxFrameSize !== MIN_MAX_FRAME_SIZE) settings.push(SettingId.MAX_FRAME_SIZE, maxFrameSize);
    if (this.localHeaderTableSize !== DEFAULT_HEADER_TABLE_SIZE) {
      settings.push(SettingId.HEADER_TABLE_SIZE, this.localHeaderTableSize);
    }
    settings.push(SettingId.MAX_HEADER_LIST_SIZE, maxHeaderListSize);
    writeSettings(this.out, settings);
    if (this.connWindowTarget > DEFAULT_WINDOW) {
      writeWindowUpdate(this.out, 0, this.connWindowTarget - DEFAULT_WINDOW);
      this.connRecvWindow = this.connWindowTarget;
    }
  }

  // ---- state for the caller ----

  /** Octets waiting to be written to the socket. */
  get outputLength(): number {
    return this.out.pos;
  }

  /** The output so far (one buffer for one socket write), or undefined when there is none. */
  takeOutput(): Uint8Array | undefined {
    const out = this.out;
    if (out.pos === 0) return undefined;
    if (out.pos <= 16384) return out.take();
    // Large: hand the buffer over rather than copy it.
    const view = out.view();
    this.out = new ByteWriter(16384);
    return view;
  }

  /** The connection is over (write what output remains, then close the socket). */
  get isClosed(): boolean {
    return this.phase === CONN_CLOSED;
  }

  /** Our SETTINGS have not all been acknowledged (the caller times this, §6.5.3). */
  get settingsAckPending(): boolean {
    return this.settingsAckPendingCount > 0;
  }

  /** Streams open now. */
  get streamCount(): number {
    return this.activeStreams;
  }

  /** No new streams are accepted (shutting down or closed). */
  get isGoingAway(): boolean {
    return this.phase >= CONN_GOAWAY_PENDING;
  }

  // ---- input ----

  /** Processes bytes from the client. */
  receive(chunk: Uint8Array): void {
    if (this.phase === CONN_CLOSED) return;
    this.depth++;
    try {
      let input = chunk;
      if (this.prefaceMatched < CONNECTION_PREFACE.length) {
        let p = 0;
        while (this.prefaceMatched < CONNECTION_PREFACE.length && p < input.length) {
          if (input[p] !== CONNECTION_PREFACE[this.prefaceMatched]) {
            throw new Http2Error(ErrorCode.PROTOCOL_ERROR, "invalid connection preface");
          }
          p++;
          this.prefaceMatched++;
        }
        input = input.subarray(p);
      }
      if (input.length > 0) this.parser.receive(input);
    } catch (e) {
      if (!(e instanceof Http2Error) || e.streamId !== 0) throw e;
      this.fail(e);
    } finally {
      this.leave();
    }
  }

  /** The transport closed under us: every stream ends with CANCEL. */
  transportClosed(): void {
    if (this.phase === CONN_CLOSED) return;
    this.phase = CONN_CLOSED;
    this.closeAllStreams(ErrorCode.CANCEL);
    this.listener.onConnectionClose(undefined);
  }

  // ---- FrameHandler ----

  onHeaders(streamId: number, block: Uint8Array, endStream: boolean): void {
    this.checkFirstFrame();
    // Every block goes through HPACK, whatever becomes of the stream: the table is shared.
    const fields: string[] = [];
    const fits = this.decoder.decode(block, fields);
    const s = this.streams.get(streamId);
    if (s !== undefined) {
      this.onTrailers(s, fields, fits, endStream);
      return;
    }
    if ((streamId & 1) === 0) {
      throw new Http2Error(ErrorCode.PROTOCOL_ERROR, `the client opened stream ${streamId}, an even number`);
    }
    if (streamId <= this.lastPeerStreamId) {
      const how = this.closed.get(streamId);
      if (how === ClosedHow.RESET_BY_US) return;
      if (how === ClosedHow.RESET_BY_PEER) {
        this.resetClosed(streamId, ErrorCode.STREAM_CLOSED);
        return;
      }
      if (how === ClosedHow.ENDED)
        throw new Http2Error(ErrorCode.STREAM_CLOSED, `HEADERS on closed stream ${streamId}`);
      // Never used (or long forgotten): a new stream must have a larger id than any before (§5.1.1).
      throw new Http2Error(
        ErrorCode.PROTOCOL_ERROR,
        `stream ${streamId} is not above the last stream opened, ${this.lastPeerStreamId}`,
      );
    }
    this.lastPeerStreamId = streamId;
    if (this.phase === CONN_DRAINING && streamId > this.goAwayLastId) {
      // Opened after our final GOAWAY: ignored, and so are its later frames (§6.8).
      this.closed.add(streamId, ClosedHow.RESET_BY_US);
      return;
    }
    if (!fits) {
      this.refuseTooLarge(streamId, endStream);
      return;
    }
    if (this.activeStreams >= this.maxConcurrentStreams) {
      this.resetClosed(streamId, ErrorCode.REFUSED_STREAM);
      return;
    }
    const info = this.requestInfo;
    const problem = validateRequestHeaders(fields, info);
    if (problem !== undefined || (endStream && info.contentLength > 0)) {
      this.resetClosed(streamId, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    const stream = new Stream<S>(streamId, this.peerViewInitialWindow, this.peerInitialWindow);
    stream.contentLength = info.contentLength;
    if (endStream) stream.state = STATE_HALF_CLOSED_REMOTE;
    this.streams.add(stream);
    this.activeStreams++;
    stream.user = this.listener.onStreamOpen(streamId, fields, endStream);
    stream.opened = true;
    if (stream.state === STATE_CLOSED) {
      // The application answered (or reset) the stream from inside onStreamOpen.
      this.listener.onStreamClose(stream.user, stream.closeCode);
      return;
    }
    if (endStream) this.listener.onStreamEnd(stream.user);
  }

  private onTrailers(s: Stream<S>, fields: string[], fits: boolean, endStream: boolean): void {
    if (s.state === STATE_HALF_CLOSED_REMOTE) {
      this.resetStream(s, ErrorCode.STREAM_CLOSED);
      return;
    }
    if (!fits || !endStream || validateTrailers(fields) !== undefined) {
      // A second HEADERS without END_STREAM, or bad trailers: malformed (§8.1).
      this.resetStream(s, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    if (s.contentLength >= 0 && s.received !== s.contentLength) {
      this.resetStream(s, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    this.listener.onStreamTrailers(s.user!, fields);
    if (s.state !== STATE_CLOSED) this.remoteEnded(s);
  }

  onData(streamId: number, data: Uint8Array, endStream: boolean, flowLength: number): void {
    this.checkFirstFrame();
    this.connRecvWindow -= flowLength;
    if (this.connRecvWindow < 0) {
      throw new Http2Error(ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
    }
    const s = this.streams.get(streamId);
    if (s === undefined) {
      this.consumeConnection(flowLength);
      if (streamId > this.lastPeerStreamId || (streamId & 1) === 0) {
        throw new Http2Error(ErrorCode.PROTOCOL_ERROR, `DATA on idle stream ${streamId}`);
      }
      const how = this.closed.get(streamId);
      if (how === ClosedHow.RESET_BY_US) return;
      if (how === ClosedHow.ENDED)
        throw new Http2Error(ErrorCode.STREAM_CLOSED, `DATA on closed stream ${streamId}`);
      this.resetClosed(streamId, ErrorCode.STREAM_CLOSED);
      return;
    }
    if (s.state === STATE_HALF_CLOSED_REMOTE) {
      this.consumeConnection(flowLength);
      this.resetStream(s, ErrorCode.STREAM_CLOSED);
      return;
    }
    s.recvWindow -= flowLength;
    if (s.recvWindow < 0) {
      this.consumeConnection(flowLength);
      this.resetStream(s, ErrorCode.FLOW_CONTROL_ERROR);
      return;
    }
    s.received += data.length;
    if (
      s.contentLength >= 0 &&
      (s.received > s.contentLength || (endStream && s.received !== s.contentLength))
    ) {
      this.consumeConnection(flowLength);
      this.resetStream(s, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    // Padding is never the application's: it is consumed at once.
    if (flowLength > data.length) this.consume(streamId, flowLength - data.length);
    if (data.length > 0) {
      this.listener.onStreamData(s.user!, data);
      if (s.state === STATE_CLOSED) return;
    }
    if (endStream) this.remoteEnded(s);
  }

  onRstStream(streamId: number, errorCode: number): void {
    this.checkFirstFrame();
    const s = this.streams.get(streamId);
    if (s === undefined) {
      if (streamId > this.lastPeerStreamId || (streamId & 1) === 0) {
        throw new Http2Error(ErrorCode.PROTOCOL_ERROR, `RST_STREAM on idle stream ${streamId}`);
      }
      return; // closed: ignored
    }
    this.closeStream(s, errorCode, ClosedHow.RESET_BY_PEER);
    if (!s.headersSent && --this.resetBudget < 0) {
      throw new Http2Error(
        ErrorCode.ENHANCE_YOUR_CALM,
        `more than ${this.maxResetBudget} streams reset by the client before an answer`,
      );
    }
  }

  onSettings(params: readonly number[]): void {
    this.peerSettingsSeen = true;
    for (let i = 0; i < params.length; i += 2) {
      const value = params[i + 1]!;
      switch (params[i]) {
        case SettingId.HEADER_TABLE_SIZE:
          this.encoder.setPeerMaxTableSize(value);
          break;
        case SettingId.INITIAL_WINDOW_SIZE: {
          const delta = value - this.peerInitialWindow;
          this.peerInitialWindow = value;
          for (const s of this.streams.list()) {
            s.sendWindow += delta;
            if (s.sendWindow > MAX_WINDOW_SIZE) {
              throw new Http2Error(
                ErrorCode.FLOW_CONTROL_ERROR,
                "SETTINGS_INITIAL_WINDOW_SIZE overflows a window",
              );
            }
          }
          break;
        }
        case SettingId.MAX_FRAME_SIZE:
          this.peerMaxFrameSize = value;
          break;
        case SettingId.MAX_HEADER_LIST_SIZE:
          this.sendHeaderListLimit = Math.min(value, this.maxSendHeaderListSize);
          break;
      }
    }
    writeSettingsAck(this.out);
    // A larger window may let queued data go.
    for (const s of this.streams.list()) if (s.queued > 0) this.flushStream(s, -1);
  }

  onSettingsAck(): void {
    this.checkFirstFrame();
    if (this.settingsAckPendingCount === 0) return;
    this.settingsAckPendingCount--;
    // The client now applies our SETTINGS: its view of stream windows moves by the difference.
    const delta = this.localInitialWindow - this.peerViewInitialWindow;
    if (delta !== 0) {
      this.peerViewInitialWindow = this.localInitialWindow;
      for (const s of this.streams.list()) s.recvWindow += delta;
    }
    if (this.localHeaderTableSize < DEFAULT_HEADER_TABLE_SIZE)
      this.decoder.setMaxTableSize(this.localHeaderTableSize);
  }

  onPing(payload: Uint8Array, ack: boolean): void {
    this.checkFirstFrame();
    if (!ack) {
      writePing(this.out, payload, true);
      return;
    }
    if (this.phase === CONN_GOAWAY_PENDING && equalBytes(payload, SHUTDOWN_PING)) this.finishShutdown();
  }

  onGoAway(lastStreamId: number, errorCode: number, debugData: Uint8Array): void {
    this.checkFirstFrame();
    this.listener.onGoAway(lastStreamId, errorCode, debugData);
  }

  onWindowUpdate(streamId: number, increment: number): void {
    this.checkFirstFrame();
    if (streamId === 0) {
      this.connSendWindow += increment;
      if (this.connSendWindow > MAX_WINDOW_SIZE) {
        throw new Http2Error(ErrorCode.FLOW_CONTROL_ERROR, "WINDOW_UPDATE overflows the connection window");
      }
      this.flushSendList();
      return;
    }
    const s = this.streams.get(streamId);
    if (s === undefined) {
      if (streamId > this.lastPeerStreamId || (streamId & 1) === 0) {
        throw new Http2Error(ErrorCode.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${streamId}`);
      }
      // After the peer's RST_STREAM only PRIORITY may come (§5.1); after an end it is ignored.
      if (this.closed.get(streamId) === ClosedHow.RESET_BY_PEER)
        this.resetClosed(streamId, ErrorCode.STREAM_CLOSED);
      return;
    }
    s.sendWindow += increment;
    if (s.sendWindow > MAX_WINDOW_SIZE) {
      this.resetStream(s, ErrorCode.FLOW_CONTROL_ERROR);
      return;
    }
    if (s.queued > 0 || s.endQueued) this.flushStream(s, -1);
  }

  onStreamError(error: Http2Error): void {
    this.checkFirstFrame();
    const id = error.streamId;
    const s = this.streams.get(id);
    if (s !== undefined) {
      this.resetStream(s, error.code);
      return;
    }
    if ((id & 1) === 1 && id > this.lastPeerStreamId) this.lastPeerStreamId = id;
    this.resetClosed(id, error.code);
  }

  onIgnoredFrame(_type: number, _streamId: number, _length: number): void {
    this.checkFirstFrame();
  }

  private checkFirstFrame(): void {
    if (!this.peerSettingsSeen) {
      throw new Http2Error(ErrorCode.PROTOCOL_ERROR, "the client's first frame is not SETTINGS");
    }
  }

  // ---- the application's side ----

  /**
   * Sends the response header section `[name, value, ...]` (`:status` first). With `endStream`
   * it is the whole response (trailers-only, in gRPC terms). `flags` are HPACK `FieldFlag`s per
   * field. Does nothing on a stream that is gone.
   */
  respond(streamId: number, headers: readonly string[], endStream: boolean, flags?: ArrayLike<number>): void {
    const s = this.streams.get(streamId);
    if (s === undefined || this.phase === CONN_CLOSED) return;
    if (s.headersSent) throw new Error(`stream ${streamId}: response headers were already sent`);
    this.depth++;
    try {
      s.headersSent = true;
      if (!this.fitsPeerLimit(headers)) {
        this.resetStream(s, ErrorCode.INTERNAL_ERROR);
        return;
      }
      this.writeHeaderBlock(streamId, headers, endStream, flags);
      if (endStream) this.localEnded(s);
    } finally {
      this.leave();
    }
  }

  /**
   * Whether a header list is within the peer's SETTINGS_MAX_HEADER_LIST_SIZE (§6.5.2) and our own
   * sending limit: one that is not would be refused by the peer, so the stream is reset
   * (INTERNAL_ERROR) instead.
   */
  private fitsPeerLimit(fields: readonly string[]): boolean {
    const limit = this.sendHeaderListLimit;
    let size = 0;
    for (let i = 0; i < fields.length; i++) size += fields[i]!.length;
    return size + 16 * fields.length <= limit; // 32 octets per field, two strings per field
  }

  /**
   * Sends response body octets (kept as a view until sent, so `data` must not change). Returns
   * false when the stream's queued output is past its high-water mark: wait for `onStreamDrain`.
   */
  write(streamId: number, data: Uint8Array): boolean {
    const s = this.streams.get(streamId);
    if (s === undefined || s.endQueued || this.phase === CONN_CLOSED) return false;
    if (!s.headersSent) throw new Error(`stream ${streamId}: write before respond`);
    if (data.length === 0) return true;
    if (
      s.queued === 0 &&
      data.length <= s.sendWindow &&
      data.length <= this.connSendWindow &&
      data.length <= this.peerMaxFrameSize
    ) {
      // The common case: it all fits in one frame now.
      writeData(this.out, streamId, data, false);
      s.sendWindow -= data.length;
      this.connSendWindow -= data.length;
      return true;
    }
    this.depth++;
    try {
      s.queue.push(data);
      s.queued += data.length;
      if (s.queued === data.length) this.flushStream(s, -1);
      if (s.queued >= this.streamHighWaterMark) {
        s.needDrain = true;
        return false;
      }
      return true;
    } finally {
      this.leave();
    }
  }

  /**
   * Ends the response: trailers `[name, value, ...]` (none when empty or absent) with END_STREAM,
   * after any queued data. If the client is still sending, it is then told to stop
   * (RST_STREAM NO_ERROR, §8.1).
   */
  end(streamId: number, trailers?: readonly string[], flags?: ArrayLike<number>): void {
    const s = this.streams.get(streamId);
    if (s === undefined || s.endQueued || this.phase === CONN_CLOSED) return;
    if (!s.headersSent) throw new Error(`stream ${streamId}: end before respond`);
    this.depth++;
    try {
      s.endQueued = true;
      s.trailers = trailers;
      s.trailerFlags = flags;
      if (s.queued === 0) this.flushStream(s, -1);
    } finally {
      this.leave();
    }
  }

  /** Resets a stream with an error code (RST_STREAM); `onStreamClose` reports it. */
  reset(streamId: number, errorCode: number): void {
    const s = this.streams.get(streamId);
    if (s === undefined || this.phase === CONN_CLOSED) return;
    this.depth++;
    try {
      this.resetStream(s, errorCode);
    } finally {
      this.leave();
    }
  }

  /**
   * The application used `length` octets of a stream's data: they are returned to the client's
   * windows, with WINDOW_UPDATE once half a window has been used (stream and connection apart).
   * Call it for every octet delivered, also after the stream closed (the connection window).
   */
  consume(streamId: number, length: number): void {
    if (length <= 0 || this.phase === CONN_CLOSED) return;
    this.consumeConnection(length);
    const s = this.streams.get(streamId);
    if (s === undefined || s.state === STATE_HALF_CLOSED_REMOTE) return;
    s.unacked += length;
    if (shouldUpdateWindow(s.unacked, s.recvWindow, this.peerViewInitialWindow)) {
      writeWindowUpdate(this.out, streamId, s.unacked);
      s.recvWindow += s.unacked;
      s.unacked = 0;
    }
  }

  private consumeConnection(length: number): void {
    this.connUnacked += length;
    if (shouldUpdateWindow(this.connUnacked, this.connRecvWindow, this.connWindowTarget)) {
      writeWindowUpdate(this.out, 0, this.connUnacked);
      this.connRecvWindow += this.connUnacked;
      this.connUnacked = 0;
    }
  }

  /** Sends a PING (e.g. for keepalive); the client answers with the same 8 octets. */
  ping(payload: Uint8Array): void {
    if (this.phase === CONN_CLOSED) return;
    writePing(this.out, payload, false);
  }

  /**
   * Graceful shutdown, first phase (§6.8): GOAWAY with the largest stream id, so the client stops
   * opening streams, and a PING. The ACK of that PING (or `finishShutdown`, when the caller's
   * timer runs out first) sends the final GOAWAY with the last stream id actually seen; the
   * connection closes once the streams up to it are done.
   */
  shutdown(): void {
    if (this.phase !== CONN_OPEN) return;
    this.phase = CONN_GOAWAY_PENDING;
    writeGoAway(this.out, MAX_STREAM_ID, ErrorCode.NO_ERROR);
    writePing(this.out, SHUTDOWN_PING, false);
  }

  /** Graceful shutdown, final phase: GOAWAY with the last stream id seen; drains, then closes. */
  finishShutdown(): void {
    if (this.phase === CONN_DRAINING || this.phase === CONN_CLOSED) return;
    this.depth++;
    try {
      this.phase = CONN_DRAINING;
      this.goAwayLastId = this.lastPeerStreamId;
      writeGoAway(this.out, this.lastPeerStreamId, ErrorCode.NO_ERROR);
      if (this.activeStreams === 0) this.closeGracefully();
    } finally {
      this.leave();
    }
  }

  /** Ends the connection now: GOAWAY with `errorCode`, every stream closed with it. */
  terminate(errorCode: number, message = ""): void {
    if (this.phase === CONN_CLOSED) return;
    this.fail(new Http2Error(errorCode, message));
  }

  /** The caller's SETTINGS timer ran out before the client acknowledged (§6.5.3). */
  settingsTimedOut(): void {
    if (this.settingsAckPendingCount > 0)
      this.terminate(ErrorCode.SETTINGS_TIMEOUT, "SETTINGS not acknowledged");
  }

  // ---- internals ----

  private writeHeaderBlock(
    streamId: number,
    fields: readonly string[],
    endStream: boolean,
    flags: ArrayLike<number> | undefined,
  ): void {
    const start = beginHeaders(this.out);
    this.encoder.encode(this.out, fields, flags);
    endHeaders(this.out, start, streamId, endStream, this.peerMaxFrameSize);
  }

  /**
   * Sends what the windows allow of a stream's queue, at most `frames` DATA frames (-1: no
   * limit), then its end when it was asked for and nothing is left.
   */
  private flushStream(s: Stream<S>, frames: number): void {
    const out = this.out;
    let budget = frames;
    while (s.queued > 0 && budget !== 0) {
      const room = Math.min(s.sendWindow, this.connSendWindow, this.peerMaxFrameSize);
      if (room <= 0) break;
      const chunk = s.queue[0]!;
      const n = Math.min(chunk.length, room);
      const last = n === s.queued && s.endQueued && (s.trailers === undefined || s.trailers.length === 0);
      writeData(out, s.id, n === chunk.length ? chunk : chunk.subarray(0, n), last);
      if (n === chunk.length) s.queue.shift();
      else s.queue[0] = chunk.subarray(n);
      s.queued -= n;
      s.sendWindow -= n;
      this.connSendWindow -= n;
      budget--;
      if (last) {
        this.localEnded(s);
        return;
      }
    }
    if (s.queued > 0) {
      if (s.sendWindow > 0 && this.connSendWindow <= 0 && !s.inSendList) {
        s.inSendList = true;
        this.sendList.push(s);
      }
    } else if (s.endQueued && s.state !== STATE_CLOSED) {
      if (s.trailers !== undefined && s.trailers.length > 0) {
        if (!this.fitsPeerLimit(s.trailers)) {
          this.resetStream(s, ErrorCode.INTERNAL_ERROR);
          return;
        }
        this.writeHeaderBlock(s.id, s.trailers, true, s.trailerFlags);
      } else {
        writeData(out, s.id, EMPTY, true);
      }
      this.localEnded(s);
      return;
    }
    if (s.needDrain && s.queued < this.streamHighWaterMark) {
      s.needDrain = false;
      this.drainList.push(s);
    }
  }

  /**
   * Serves the streams waiting for connection window, one DATA frame each per round, until the
   * window or the list runs out; those not reached go first next time.
   */
  private flushSendList(): void {
    for (
      let rounds = 0;
      this.sendList.length > 0 && this.connSendWindow > 0 && rounds < 1_000_000;
      rounds++
    ) {
      const list = this.sendList;
      this.sendList = [];
      const served: Stream<S>[] = [];
      let i = 0;
      for (; i < list.length && this.connSendWindow > 0; i++) {
        const s = list[i]!;
        // s.inSendList stays true meanwhile, so flushStream does not add it again.
        if (s.state !== STATE_CLOSED) this.flushStream(s, 1);
        if (s.state !== STATE_CLOSED && s.queued > 0 && s.sendWindow > 0) served.push(s);
        else s.inSendList = false;
      }
      this.sendList = list.slice(i).concat(this.sendList, served);
    }
  }

  private remoteEnded(s: Stream<S>): void {
    s.state = STATE_HALF_CLOSED_REMOTE;
    this.listener.onStreamEnd(s.user!);
  }

  private localEnded(s: Stream<S>): void {
    if (s.state === STATE_HALF_CLOSED_REMOTE) {
      this.closeStream(s, ErrorCode.NO_ERROR, ClosedHow.ENDED);
      return;
    }
    // The client is still sending: the response is complete, so tell it to stop (§8.1).
    writeRstStream(this.out, s.id, ErrorCode.NO_ERROR);
    this.closeStream(s, ErrorCode.NO_ERROR, ClosedHow.RESET_BY_US);
  }

  private resetStream(s: Stream<S>, errorCode: number): void {
    writeRstStream(this.out, s.id, errorCode);
    this.closeStream(s, errorCode, ClosedHow.RESET_BY_US);
  }

  /** Resets a stream that has no record (refused, malformed, or already closed). */
  private resetClosed(streamId: number, errorCode: number): void {
    writeRstStream(this.out, streamId, errorCode);
    this.closed.add(streamId, ClosedHow.RESET_BY_US);
  }

  /** A request whose header list is over our limit: answered 431 (§10.5.1) or as configured. */
  private refuseTooLarge(streamId: number, endStream: boolean): void {
    this.writeHeaderBlock(streamId, this.tooLargeResponse, true, undefined);
    if (!endStream) writeRstStream(this.out, streamId, ErrorCode.NO_ERROR);
    this.closed.add(streamId, ClosedHow.RESET_BY_US);
  }

  private closeStream(s: Stream<S>, errorCode: number, how: ClosedHow): void {
    if (s.state === STATE_CLOSED) return;
    s.state = STATE_CLOSED;
    if (s.queued > 0) {
      s.queue.length = 0;
      s.queued = 0;
    }
    this.streams.delete(s);
    this.closed.add(s.id, how);
    this.activeStreams--;
    if (how === ClosedHow.ENDED && this.resetBudget < this.maxResetBudget) this.resetBudget++;
    if (s.opened) this.listener.onStreamClose(s.user!, errorCode);
    else s.closeCode = errorCode;
    if (this.phase === CONN_DRAINING && this.activeStreams === 0) this.closeGracefully();
  }

  private closeGracefully(): void {
    if (this.phase === CONN_CLOSED) return;
    this.phase = CONN_CLOSED;
    this.listener.onConnectionClose(undefined);
  }

  private closeAllStreams(errorCode: number): void {
    for (const s of this.streams.list()) {
      if (s.state === STATE_CLOSED) continue;
      s.state = STATE_CLOSED;
      s.queue.length = 0;
      s.queued = 0;
      this.streams.delete(s);
      this.activeStreams--;
      if (s.opened) this.listener.onStreamClose(s.user!, errorCode);
      else s.closeCode = errorCode;
    }
  }

  private fail(error: Http2Error): void {
    if (this.phase === CONN_CLOSED) return;
    const debug = error.message.slice(0, 200);
    writeGoAway(
      this.out,
      this.lastPeerStreamId,
      error.code,
      Uint8Array.from(debug, (c) => c.charCodeAt(0) & 0xff),
    );
    this.phase = CONN_CLOSED;
    this.closeAllStreams(error.code);
    this.listener.onConnectionClose(error);
  }

  private leave(): void {
    if (--this.depth > 0) return;
    // Drain notifications wait until no loop of ours is running, so the application can write.
    const list = this.drainList;
    for (let i = 0; i < list.length && i < 100000; i++) {
      const s = list[i]!;
      if (s.state !== STATE_CLOSED) {
        this.depth++;
        try {
          this.listener.onStreamDrain(s.user!);
        } finally {
          this.depth--;
        }
      }
    }
    list.length = 0;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * When to return consumed octets with WINDOW_UPDATE: once half the window is consumed, or once
 * the peer has half a window or less left and an eighth is consumed (so a reader that keeps up
 * never lets the peer stall, and small reads do not each cost a frame).
 */
function shouldUpdateWindow(unacked: number, window: number, target: number): boolean {
  if (unacked <= 0) return false;
  return unacked * 2 >= target || (window * 2 <= target && unacked * 8 >= target) || window <= 0;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}
