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
import { ErrorCode, Http2Error } from "../errors.js";
import { MAX_STREAM_ID } from "../frame/frame-types.js";
import { writeGoAway, writePing, writeRstStream } from "../frame/frame-writer.js";
import { SettingId } from "../frame/settings.js";
import { ClosedHow } from "./closed-streams.js";
import {
  CONN_CLOSED,
  CONN_DRAINING,
  CONN_GOAWAY_PENDING,
  CONN_OPEN,
  ConnectionBase,
  checkRange,
  equalBytes,
} from "./connection-base.js";
import type { ConnectionListenerBase, ConnectionOptionsBase } from "./connection-options.js";
import { type RequestInfo, validateRequestHeaders, validateTrailers } from "./header-validation.js";
import { type PingPolicy, PingStrikes, TOO_MANY_PINGS } from "./ping-strikes.js";
import { STATE_CLOSED, STATE_HALF_CLOSED_LOCAL, STATE_HALF_CLOSED_REMOTE, Stream } from "./stream-record.js";

/** Events of a server connection. `S` is the application's object for a stream. */
export interface ServerConnectionListener<S> extends ConnectionListenerBase<S> {
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
  /** The client sent GOAWAY. */
  onGoAway(lastStreamId: number, errorCode: number, debugData: Uint8Array): void;
  /** The client answered a `ping` of ours (e.g. a keepalive) with these 8 octets. */
  onPingAck?(payload: Uint8Array): void;
}

/**
 * A server's options: those of both sides (windows, frame and header list sizes, flood budget),
 * and the server's own. A header list over `maxHeaderListSize` gets `headerListTooLargeResponse`.
 */
export interface ServerConnectionOptions extends ConnectionOptionsBase {
  /**
   * SETTINGS_MAX_CONCURRENT_STREAMS: streams past it are refused (REFUSED_STREAM). Default 100.
   * `Infinity`: no limit, and none advertised (the protocol's initial value is unlimited, §6.5.2).
   */
  maxConcurrentStreams?: number;
  /**
   * The response to a request whose header list exceeds `maxHeaderListSize` (a complete header
   * section, sent with END_STREAM). Default `[":status", "431"]` (Request Header Fields Too
   * Large); a gRPC server answers with a gRPC status instead.
   */
  headerListTooLargeResponse?: readonly string[];
  /**
   * Rapid reset (CVE-2023-44487) protection: streams the client resets before we answered them
   * draw from this budget, and streams completed normally refill it (up to this value); when it is
   * spent the connection ends with GOAWAY ENHANCE_YOUR_CALM. So a client that cancels calls now
   * and then is never cut off, but one that opens and resets streams to load the server for free
   * is, after this many. Default 1000.
   */
  resetBudget?: number;
  /**
   * Keepalive enforcement (gRFC A8, ping-strikes.ts): the client's PINGs that come sooner than
   * this allows are strikes, and the third ends the connection with GOAWAY ENHANCE_YOUR_CALM
   * `too_many_pings`; a PING after HEADERS or DATA we sent is always allowed. Needs `clock`.
   * Default: none (only the flood budget limits PINGs).
   */
  pingPolicy?: PingPolicy;
}

/*
 * A stream answered before the client ended its side (a gRPC trailers-only error, say) stays
 * "half-closed (local)" until the client ends or resets it: the application is told of its close
 * at once and reads nothing more, but what the client still sends is checked as in any other
 * state (§5.1, §6, §8.1) and then discarded, its octets returned to the windows. No RST_STREAM
 * NO_ERROR is sent, which §8.1 allows: after one, §5.1 would have us ignore whatever the client
 * had in flight, errors in it included. gRPC clients end or reset their side as the status arrives.
 */

/** The opaque data of the PING that marks the end of a shutdown's first phase. */
const SHUTDOWN_PING = Uint8Array.of(0x67, 0x6f, 0x61, 0x77, 0x61, 0x79, 0x00, 0x01);

export class ServerConnection<S> extends ConnectionBase<S> {
  private readonly app: ServerConnectionListener<S>;
  /** In DRAINING: the last stream id of our final GOAWAY. */
  private goAwayLastId = MAX_STREAM_ID;
  private readonly requestInfo: RequestInfo = { contentLength: -1 };
  /** The last header block decoded was a request found valid (`requestInfo` is what it said). */
  private lastRequestValid = false;
  private readonly maxConcurrentStreams: number;
  private readonly tooLargeResponse: readonly string[];
  private readonly maxResetBudget: number;
  private resetBudget: number;
  private readonly pingStrikes: PingStrikes | undefined;
  private readonly clock: (() => number) | undefined;
  /** The debug data of our shutdown's GOAWAYs. */
  private goAwayDebug: Uint8Array | undefined;

  constructor(listener: ServerConnectionListener<S>, options: ServerConnectionOptions = {}) {
    const maxConcurrentStreams = options.maxConcurrentStreams ?? 100;
    super(listener, options, "server", Math.min(maxConcurrentStreams, 4096) * 2);
    this.app = listener;
    this.maxConcurrentStreams = maxConcurrentStreams;
    this.tooLargeResponse = options.headerListTooLargeResponse ?? [":status", "431"];
    this.maxResetBudget = options.resetBudget ?? 1000;
    this.resetBudget = this.maxResetBudget;
    this.clock = options.clock;
    if (options.pingPolicy !== undefined) {
      if (options.clock === undefined) throw new RangeError("pingPolicy needs a clock");
      this.pingStrikes = new PingStrikes(options.pingPolicy);
    }
    const unlimited = maxConcurrentStreams === Number.POSITIVE_INFINITY;
    if (!unlimited) checkRange("maxConcurrentStreams", maxConcurrentStreams, 0, 0xffffffff);
    // The server connection preface: SETTINGS first (§3.4), then the connection window.
    this.writeLocalSettings(unlimited ? [] : [SettingId.MAX_CONCURRENT_STREAMS, maxConcurrentStreams]);
  }

  // ---- FrameHandler ----

  onHeaders(streamId: number, block: Uint8Array, endStream: boolean): void {
    this.checkFirstFrame();
    // Every block goes through HPACK, whatever becomes of the stream: the table is shared.
    const fields: string[] = [];
    const fits = this.decoder.decode(block, fields);
    // The same fields as the request found valid just before (a client repeats its block).
    const knownValid = this.decoder.repeated && this.lastRequestValid;
    this.lastRequestValid = false;
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
    // Fields validated just before are not validated again: `info` still holds their content-length.
    const problem = knownValid ? undefined : validateRequestHeaders(fields, info);
    this.lastRequestValid = problem === undefined;
    if (problem !== undefined || (endStream && info.contentLength > 0)) {
      this.resetClosed(streamId, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    const stream = new Stream<S>(streamId, this.peerViewInitialWindow, this.peerInitialWindow);
    stream.contentLength = info.contentLength;
    if (endStream) stream.state = STATE_HALF_CLOSED_REMOTE;
    this.streams.add(stream);
    this.activeStreams++;
    stream.user = this.app.onStreamOpen(streamId, fields, endStream);
    if (stream.state === STATE_CLOSED || stream.state === STATE_HALF_CLOSED_LOCAL) {
      // The application answered (or reset) the stream from inside onStreamOpen.
      this.app.onStreamClose(stream.user, stream.closeCode);
      return;
    }
    stream.opened = true;
    if (endStream) this.app.onStreamEnd(stream.user);
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
    if (s.opened) this.app.onStreamTrailers(s.user!, fields);
    if (s.state !== STATE_CLOSED) this.remoteEnded(s);
  }

  // ---- the server's steps in the shared machinery ----

  protected isIdleStream(streamId: number): boolean {
    return streamId > this.lastPeerStreamId || (streamId & 1) === 0;
  }

  protected override peerReset(s: Stream<S>): void {
    if (!s.headersSent && --this.resetBudget < 0) {
      throw new Http2Error(
        ErrorCode.ENHANCE_YOUR_CALM,
        `more than ${this.maxResetBudget} streams reset by the client before an answer`,
      );
    }
  }

  protected override streamClosed(how: ClosedHow): void {
    if (how === ClosedHow.ENDED && this.resetBudget < this.maxResetBudget) this.resetBudget++;
    if (this.phase === CONN_DRAINING && this.activeStreams === 0) this.closeGracefully();
  }

  protected override unknownStreamError(streamId: number, errorCode: number): void {
    // An even stream would be one we opened, and we open none: it stays idle, and RST_STREAM may not
    // be sent on an idle stream (§6.4), so the error ends the connection instead (§5.4.1).
    if ((streamId & 1) === 0) throw new Http2Error(errorCode, `a stream error on idle stream ${streamId}`);
    if (streamId > this.lastPeerStreamId) this.lastPeerStreamId = streamId;
    this.resetClosed(streamId, errorCode);
  }

  protected override pingAcked(payload: Uint8Array): void {
    if (equalBytes(payload, SHUTDOWN_PING)) {
      if (this.phase === CONN_GOAWAY_PENDING) this.finishShutdown();
      return;
    }
    this.app.onPingAck?.(payload);
  }

  protected override pingReceived(): void {
    const strikes = this.pingStrikes;
    if (strikes !== undefined && !strikes.received(this.clock!(), this.activeStreams, this.framesSentMark)) {
      // The debug data is exactly `too_many_pings`: what tells a gRPC client to ping less (A8).
      this.failureDebugData = TOO_MANY_PINGS;
      throw new Http2Error(ErrorCode.ENHANCE_YOUR_CALM, TOO_MANY_PINGS);
    }
  }

  protected override fail(error: Http2Error): void {
    // GOAWAY's last stream id never grows (§6.8): streams ignored after our final GOAWAY do not count.
    if (this.phase === CONN_DRAINING && this.lastPeerStreamId > this.goAwayLastId) {
      this.lastPeerStreamId = this.goAwayLastId;
    }
    super.fail(error);
  }

  protected remoteEnded(s: Stream<S>): void {
    if (s.state === STATE_HALF_CLOSED_LOCAL) {
      this.closeStream(s, ErrorCode.NO_ERROR, ClosedHow.ENDED);
      return;
    }
    s.state = STATE_HALF_CLOSED_REMOTE;
    this.app.onStreamEnd(s.user!);
  }

  protected localEnded(s: Stream<S>): void {
    if (s.state === STATE_HALF_CLOSED_REMOTE) {
      this.closeStream(s, ErrorCode.NO_ERROR, ClosedHow.ENDED);
      return;
    }
    // Answered while the client is still sending: half-closed (local), see the top of this file.
    // The application is done with the stream (and told so: `opened` off, no more events).
    s.state = STATE_HALF_CLOSED_LOCAL;
    if (s.opened) {
      s.opened = false;
      this.app.onStreamClose(s.user!, ErrorCode.NO_ERROR);
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
   * Sends response body octets (kept as a view until sent, so `data` must not change), preceded by
   * `head` when given (copied at once: e.g. a gRPC message's prefix in a reused buffer). Returns
   * false when the stream's queued output is past its high-water mark: wait for `onStreamDrain`.
   */
  write(streamId: number, data: Uint8Array, head?: Uint8Array): boolean {
    const s = this.streams.get(streamId);
    if (s === undefined || s.endQueued || this.phase === CONN_CLOSED) return false;
    if (!s.headersSent) throw new Error(`stream ${streamId}: write before respond`);
    return this.writeStream(s, data, head);
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
    this.endStream(s, trailers, flags);
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
    if (s !== undefined) this.consumeStream(s, length);
  }

  /**
   * Graceful shutdown, first phase (§6.8): GOAWAY with the largest stream id, so the client stops
   * opening streams, and a PING. The ACK of that PING (or `finishShutdown`, when the caller's
   * timer runs out first) sends the final GOAWAY with the last stream id actually seen; the
   * connection closes once the streams up to it are done. `debugData` (ASCII, e.g. `max_age`)
   * goes in both GOAWAY frames.
   */
  shutdown(debugData?: string): void {
    if (this.phase !== CONN_OPEN) return;
    this.phase = CONN_GOAWAY_PENDING;
    if (debugData !== undefined) this.goAwayDebug = Uint8Array.from(debugData, (c) => c.charCodeAt(0) & 0xff);
    writeGoAway(this.out, MAX_STREAM_ID, ErrorCode.NO_ERROR, this.goAwayDebug);
    writePing(this.out, SHUTDOWN_PING, false);
  }

  /** Graceful shutdown, final phase: GOAWAY with the last stream id seen; drains, then closes. */
  finishShutdown(): void {
    if (this.phase === CONN_DRAINING || this.phase === CONN_CLOSED) return;
    this.depth++;
    try {
      this.phase = CONN_DRAINING;
      this.goAwayLastId = this.lastPeerStreamId;
      writeGoAway(this.out, this.lastPeerStreamId, ErrorCode.NO_ERROR, this.goAwayDebug);
      if (this.activeStreams === 0) this.closeGracefully();
    } finally {
      this.leave();
    }
  }

  /** A request whose header list is over our limit: answered 431 (§10.5.1) or as configured. */
  private refuseTooLarge(streamId: number, endStream: boolean): void {
    this.writeHeaderBlock(streamId, this.tooLargeResponse, true, undefined);
    if (!endStream) writeRstStream(this.out, streamId, ErrorCode.NO_ERROR);
    this.closed.add(streamId, ClosedHow.RESET_BY_US);
  }
}
