/**
 * The client side of an HTTP/2 connection, sans I/O (RFC 9113 §3 to §8): the application opens
 * streams with `request` and sends with `write` and `end`; the server's bytes go into `receive`,
 * and responses come out as events on a listener object; everything to send accumulates in one
 * output buffer, taken with `takeOutput` and written to the socket once per batch. No sockets,
 * timers or promises inside: the caller times the SETTINGS acknowledgement (`settingsTimedOut`)
 * and any keepalive (`ping`, answered by `onPingAck`).
 *
 * Streams get odd ids in the order they are opened. Past the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS a stream waits, without an id, in a queue, and is opened in
 * order as streams finish; so the limit is never exceeded, and a stream is only ever refused
 * (REFUSED_STREAM) when it was never sent: when the connection takes no new streams, when a
 * GOAWAY arrives before it was opened, or when the server's GOAWAY says it was not processed.
 * Such a stream is safe to send again elsewhere.
 *
 * Flow control follows the application, as on the server side: received DATA is acknowledged with
 * WINDOW_UPDATE only as the application reports it consumed (`consume`); sending respects the
 * server's windows, and what does not fit waits (as views) and goes round-robin as they open.
 *
 * A connection error ends the connection with GOAWAY; a stream error (a malformed response, for
 * instance) resets that stream only. `receive` throws nothing for anything the server sends.
 */
import { ErrorCode, Http2Error } from "../errors.js";
import { CONNECTION_PREFACE, MAX_STREAM_ID, MAX_WINDOW_SIZE } from "../frame/frame-types.js";
import { writeData, writeGoAway } from "../frame/frame-writer.js";
import { SettingId } from "../frame/settings.js";
import { ClosedHow } from "./closed-streams.js";
import { CONN_CLOSED, CONN_DRAINING, CONN_OPEN, ConnectionBase, checkRange } from "./connection-base.js";
import type { ConnectionListenerBase, ConnectionOptionsBase } from "./connection-options.js";
import { type ResponseInfo, validateResponseHeaders, validateTrailers } from "./header-validation.js";
import {
  STATE_CLOSED,
  STATE_HALF_CLOSED_LOCAL,
  STATE_HALF_CLOSED_REMOTE,
  STATE_IDLE,
  STATE_OPEN,
  Stream,
} from "./stream-record.js";

/** Events of a client connection. `S` is the application's object for a stream. */
export interface ClientConnectionListener<S> extends ConnectionListenerBase<S> {
  /** The server's first SETTINGS arrived: the server speaks HTTP/2, and the connection is up. */
  onReady(): void;
  /**
   * The final response header section of a stream (`:status` first, validated; 1xx informational
   * responses are not reported). With `endStream` it is the whole response, and `onStreamEnd`
   * follows at once.
   */
  onStreamHeaders(stream: S, headers: string[], endStream: boolean): void;
  /** The server answered a `ping` of ours with these 8 octets. */
  onPingAck(payload: Uint8Array): void;
  /**
   * The server sent GOAWAY: no new streams here. Streams above `lastStreamId` (and those still
   * waiting for a slot) are then closed with REFUSED_STREAM; the others go on to their end.
   */
  onGoAway(lastStreamId: number, errorCode: number, debugData: Uint8Array): void;
}

export interface ClientConnectionOptions extends ConnectionOptionsBase {
  /**
   * The first stream id (odd). Default 1. A connection whose ids run out (2^31 - 1) takes no new
   * streams; a larger start lets tests reach that point.
   */
  firstStreamId?: number;
}

/** A client's stream as its application holds it (the handle `request` returns). */
export interface ClientStreamHandle {
  /** The stream id; 0 while the stream waits for a concurrency slot. */
  readonly id: number;
}

export class ClientConnection<S> extends ConnectionBase<S> {
  private readonly app: ClientConnectionListener<S>;
  private readonly responseInfo: ResponseInfo = { status: 0, contentLength: -1 };
  /** The id the next stream opened gets. */
  private nextStreamId: number;
  /** Streams waiting for a concurrency slot, in order, from `pendingHead` on (closed ones skipped). */
  private pending: (Stream<S> | undefined)[] = [];
  private pendingHead = 0;
  private pendingCount = 0;
  private ready = false;
  private goAwayReceived = false;
  /** The smallest last-stream-id of the server's GOAWAYs. */
  private peerGoAwayLastId = MAX_STREAM_ID;

  constructor(listener: ClientConnectionListener<S>, options: ClientConnectionOptions = {}) {
    super(listener, options, "client", 256);
    this.app = listener;
    this.nextStreamId = options.firstStreamId ?? 1;
    checkRange("firstStreamId", this.nextStreamId, 1, MAX_STREAM_ID);
    if ((this.nextStreamId & 1) === 0)
      throw new RangeError(`firstStreamId must be odd, got ${this.nextStreamId}`);
    // The client connection preface (§3.4): the magic octets, then SETTINGS (push disabled).
    this.out.bytes(CONNECTION_PREFACE);
    this.writeLocalSettings([SettingId.ENABLE_PUSH, 0]);
  }

  // ---- state for the caller ----

  /**
   * Whether `request` opens (or queues) streams: false once closing, after a GOAWAY, or when the
   * stream ids would run out with the streams already waiting.
   */
  get acceptsStreams(): boolean {
    return this.phase === CONN_OPEN && this.nextStreamId + 2 * this.pendingCount <= MAX_STREAM_ID;
  }

  /** Streams waiting for a concurrency slot. */
  get pendingStreamCount(): number {
    return this.pendingCount;
  }

  /** The server's SETTINGS_MAX_CONCURRENT_STREAMS (unlimited until it says otherwise). */
  get maxConcurrentStreams(): number {
    return this.peerMaxConcurrentStreams;
  }

  // ---- the application's side ----

  /**
   * Opens a stream with the request header section `[name, value, ...]` (pseudo-headers first;
   * `flags` are HPACK `FieldFlag`s per field, e.g. SENSITIVE for credentials) and returns its
   * handle; `user` is what the stream's events carry. With `endStream` the request has no body.
   * Past the server's concurrency limit the stream waits for a slot (data written meanwhile is
   * kept). When the connection takes no new streams, the stream is closed at once with
   * REFUSED_STREAM; a request header list over the server's SETTINGS_MAX_HEADER_LIST_SIZE closes it
   * with ENHANCE_YOUR_CALM (too much, as for a response over our limit), unsent. Either way `onStreamClose` may come before this returns.
   */
  request(
    headers: readonly string[],
    user: S,
    endStream = false,
    flags?: ArrayLike<number>,
  ): ClientStreamHandle {
    const s = new Stream<S>(0, 0, 0);
    s.state = STATE_IDLE;
    s.user = user;
    s.opened = true;
    s.requestHeaders = headers;
    s.requestFlags = flags;
    s.endQueued = endStream;
    s.headRequest = isHeadRequest(headers);
    s.headersReceived = false;
    this.depth++;
    try {
      if (!this.acceptsStreams) this.closeUnopened(s, ErrorCode.REFUSED_STREAM);
      else if (this.pendingCount === 0 && this.activeStreams < this.peerMaxConcurrentStreams)
        this.openStream(s);
      else {
        this.pending.push(s);
        this.pendingCount++;
      }
    } finally {
      this.leave();
    }
    return s;
  }

  /**
   * Sends request body octets (kept as a view until sent, so `data` must not change); with
   * `endStream` they are the last. Returns false when the stream's queued output is past its
   * high-water mark (wait for `onStreamDrain`), or the stream can take no more.
   */
  write(stream: ClientStreamHandle, data: Uint8Array, endStream = false): boolean {
    const s = stream as Stream<S>;
    if (s.endQueued || s.state === STATE_CLOSED || this.phase === CONN_CLOSED) return false;
    if (!endStream) return this.writeStream(s, data);
    this.depth++;
    try {
      if (
        s.queued === 0 &&
        s.state !== STATE_IDLE &&
        data.length <= s.sendWindow &&
        data.length <= this.flow.sendWindow &&
        data.length <= this.peerMaxFrameSize
      ) {
        // A unary request's one message: DATA with END_STREAM, no separate empty frame.
        s.endQueued = true;
        this.writeLastData(s, data);
        return true;
      }
      if (data.length > 0) {
        s.queue.push(data);
        s.queued += data.length;
      }
      s.endQueued = true;
      s.trailers = undefined;
      s.trailerFlags = undefined;
      // With nothing queued before, nothing waits for a window: send what fits now (a waiting
      // stream sends nothing until it opens).
      if (s.queued === data.length) this.flushStream(s, -1);
      return true; // nothing more will be written: no drain to wait for
    } finally {
      this.leave();
    }
  }

  /**
   * Ends the request after its queued data: with trailers `[name, value, ...]` when given and not
   * empty, else with an empty DATA frame carrying END_STREAM.
   */
  end(stream: ClientStreamHandle, trailers?: readonly string[], flags?: ArrayLike<number>): void {
    const s = stream as Stream<S>;
    if (s.endQueued || s.state === STATE_CLOSED || this.phase === CONN_CLOSED) return;
    this.endStream(s, trailers, flags);
  }

  /** Resets a stream (RST_STREAM; a stream still waiting for a slot just closes); `onStreamClose` reports it. */
  reset(stream: ClientStreamHandle, errorCode: number): void {
    const s = stream as Stream<S>;
    if (s.state === STATE_CLOSED || this.phase === CONN_CLOSED) return;
    this.depth++;
    try {
      if (s.state === STATE_IDLE) {
        // Waiting for a slot: it just leaves the queue (its entry is skipped when reached).
        this.pendingCount--;
        this.closeUnopened(s, errorCode);
      } else {
        this.resetStream(s, errorCode);
      }
    } finally {
      this.leave();
    }
  }

  /**
   * The application used `length` octets of a stream's response data: they are returned to the
   * server's windows (WINDOW_UPDATE once half a window has been used). Call it for every octet
   * delivered, also after the stream closed (the connection window).
   */
  consume(stream: ClientStreamHandle, length: number): void {
    if (length <= 0 || this.phase === CONN_CLOSED) return;
    this.consumeConnection(length);
    this.consumeStream(stream as Stream<S>, length);
  }

  /**
   * Graceful close: GOAWAY (no stream of the server's is accepted; it has none), no new streams;
   * those running, and those already waiting for a slot, go on to their end, and then the
   * connection closes (`onConnectionClose` with no error).
   */
  close(): void {
    if (this.phase !== CONN_OPEN) return;
    this.depth++;
    try {
      this.phase = CONN_DRAINING;
      writeGoAway(this.out, 0, ErrorCode.NO_ERROR);
      if (this.activeStreams === 0 && this.pendingCount === 0) this.closeGracefully();
    } finally {
      this.leave();
    }
  }

  // ---- FrameHandler ----

  onHeaders(streamId: number, block: Uint8Array, endStream: boolean): void {
    this.checkFirstFrame();
    // Every block goes through HPACK, whatever becomes of the stream: the table is shared.
    const fields: string[] = [];
    const fits = this.decoder.decode(block, fields);
    const s = this.streams.get(streamId);
    if (s === undefined) {
      if (this.isIdleStream(streamId)) {
        // Push is disabled, so the server opens no stream; ours above the last opened are idle.
        throw new Http2Error(ErrorCode.PROTOCOL_ERROR, `HEADERS on idle stream ${streamId}`);
      }
      const how = this.closed.get(streamId);
      if (how === ClosedHow.RESET_BY_US) return;
      if (how === ClosedHow.ENDED)
        throw new Http2Error(ErrorCode.STREAM_CLOSED, `HEADERS on closed stream ${streamId}`);
      this.resetClosed(streamId, ErrorCode.STREAM_CLOSED);
      return;
    }
    if (s.state === STATE_HALF_CLOSED_REMOTE) {
      this.resetStream(s, ErrorCode.STREAM_CLOSED);
      return;
    }
    if (!fits) {
      // Over our SETTINGS_MAX_HEADER_LIST_SIZE: refused as too much, not as malformed.
      this.resetStream(s, ErrorCode.ENHANCE_YOUR_CALM);
      return;
    }
    if (s.headersReceived) {
      this.onTrailers(s, fields, endStream);
      return;
    }
    const info = this.responseInfo;
    if (validateResponseHeaders(fields, info) !== undefined) {
      this.resetStream(s, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    const status = info.status;
    if (status < 200) {
      // Informational (§8.1): skipped; one with END_STREAM, or 101 (no upgrade in HTTP/2, §8.6),
      // is malformed.
      if (endStream || status === 101) this.resetStream(s, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    // A response that has no content may say how long it would have been (§8.1.1).
    if (s.headRequest || status === 204 || status === 304) info.contentLength = -1;
    if (endStream && info.contentLength > 0) {
      this.resetStream(s, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    s.contentLength = info.contentLength;
    s.headersReceived = true;
    this.app.onStreamHeaders(s.user!, fields, endStream);
    if (endStream && s.state !== STATE_CLOSED) this.remoteEnded(s);
  }

  private onTrailers(s: Stream<S>, fields: string[], endStream: boolean): void {
    if (!endStream || validateTrailers(fields) !== undefined) {
      // A second header section without END_STREAM, or bad trailers: malformed (§8.1).
      this.resetStream(s, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    if (s.contentLength >= 0 && s.received !== s.contentLength) {
      this.resetStream(s, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    this.app.onStreamTrailers(s.user!, fields);
    if (s.state !== STATE_CLOSED) this.remoteEnded(s);
  }

  override onGoAway(lastStreamId: number, errorCode: number, debugData: Uint8Array): void {
    this.checkFirstFrame();
    // The last stream id may only go down (§6.8); a larger one is taken as the smaller.
    if (lastStreamId < this.peerGoAwayLastId) this.peerGoAwayLastId = lastStreamId;
    const last = this.peerGoAwayLastId;
    this.goAwayReceived = true;
    if (this.phase === CONN_OPEN) this.phase = CONN_DRAINING;
    this.app.onGoAway(lastStreamId, errorCode, debugData);
    // Streams the server will not process, and those not yet sent, are refused: safe to retry.
    this.refusePending();
    for (const s of this.streams.list()) {
      if (s.id > last) this.closeStream(s, ErrorCode.REFUSED_STREAM, ClosedHow.RESET_BY_US);
    }
    if (this.phase === CONN_DRAINING && this.activeStreams === 0) this.closeGracefully();
  }

  // ---- the client's steps in the shared machinery ----

  protected isIdleStream(streamId: number): boolean {
    return (streamId & 1) === 0 || streamId >= this.nextStreamId;
  }

  protected override unknownStreamError(streamId: number, errorCode: number): void {
    // No RST_STREAM on an idle stream (§5.1): there is nothing to reset.
    if (!this.isIdleStream(streamId)) this.resetClosed(streamId, errorCode);
  }

  protected override peerSettingsApplied(): void {
    if (!this.ready) {
      this.ready = true;
      this.app.onReady();
    }
    // A raised SETTINGS_MAX_CONCURRENT_STREAMS frees slots.
    if (this.pendingCount > 0) this.openPending();
  }

  /**
   * Twice the stream windows of the open streams (up to the largest window), so that the server
   * never waits for connection window while its streams' windows let it send: the connection
   * returns consumed octets once half its window is used, and a window of twice the streams' sum
   * then never falls below what they hold. A server that waits for it anyway depends on a
   * WINDOW_UPDATE that can sit in the socket behind our request DATA, and a peer that stops
   * reading the connection while one stream's buffer is full (an HTTP/2 proxy such as HAProxy)
   * never reads it: every stream of the connection stalls. The streams are ours (the server
   * limits how many with SETTINGS_MAX_CONCURRENT_STREAMS), and the data they may hold unread is
   * bounded by their windows anyway. The window only grows: a connection keeps room for as many
   * streams as it once had open at once.
   */
  protected override connectionWindowFloor(streamWindow: number): number {
    return Math.min(2 * this.activeStreams * streamWindow, MAX_WINDOW_SIZE);
  }

  protected override pingAcked(payload: Uint8Array): void {
    this.app.onPingAck(payload);
  }

  protected override streamClosed(_how: ClosedHow): void {
    if (this.pendingCount > 0) this.openPending();
    if (this.phase === CONN_DRAINING && this.activeStreams === 0 && this.pendingCount === 0)
      this.closeGracefully();
  }

  protected override closeAllStreams(errorCode: number): void {
    super.closeAllStreams(errorCode);
    // Never sent: refused, so they can go to another connection.
    this.refusePending();
  }

  protected remoteEnded(s: Stream<S>): void {
    if (s.state === STATE_HALF_CLOSED_LOCAL) {
      this.app.onStreamEnd(s.user!);
      this.closeStream(s, ErrorCode.NO_ERROR, ClosedHow.ENDED);
      return;
    }
    s.state = STATE_HALF_CLOSED_REMOTE;
    this.app.onStreamEnd(s.user!);
  }

  protected localEnded(s: Stream<S>): void {
    if (s.state === STATE_HALF_CLOSED_REMOTE) this.closeStream(s, ErrorCode.NO_ERROR, ClosedHow.ENDED);
    else s.state = STATE_HALF_CLOSED_LOCAL;
  }

  // ---- internals ----

  /** Sends `data` as the stream's last DATA frame (it fits the windows and a frame). */
  private writeLastData(s: Stream<S>, data: Uint8Array): void {
    writeData(this.out, s.id, data, true);
    s.sendWindow -= data.length;
    this.flow.sendWindow -= data.length;
    this.localEnded(s);
  }

  /** Gives a waiting stream its id and sends its HEADERS, then what was written meanwhile. */
  private openStream(s: Stream<S>): void {
    const headers = s.requestHeaders!;
    if (!this.fitsPeerLimit(headers)) {
      this.closeUnopened(s, ErrorCode.ENHANCE_YOUR_CALM);
      return;
    }
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    s.id = id;
    s.state = STATE_OPEN;
    s.recvWindow = this.peerViewInitialWindow;
    s.sendWindow = this.peerInitialWindow;
    s.headersSent = true;
    this.streams.add(s);
    this.activeStreams++;
    // Before the HEADERS: the server reads the room for this stream's response before the request.
    this.flow.raiseTarget(this.out, this.connectionWindowFloor(this.localInitialWindow));
    const endNow = s.endQueued && s.queued === 0 && (s.trailers === undefined || s.trailers.length === 0);
    this.writeHeaderBlock(id, headers, endNow, s.requestFlags);
    s.requestHeaders = undefined;
    s.requestFlags = undefined;
    if (endNow) this.localEnded(s);
    else if (s.queued > 0 || s.endQueued) this.flushStream(s, -1);
  }

  /** Opens waiting streams, in order, while the server's limit allows. */
  private openPending(): void {
    const list = this.pending;
    let i = this.pendingHead;
    while (
      i < list.length &&
      this.activeStreams < this.peerMaxConcurrentStreams &&
      !this.goAwayReceived &&
      this.phase !== CONN_CLOSED
    ) {
      const s = list[i]!;
      list[i++] = undefined;
      if (s.state !== STATE_IDLE) continue; // reset while waiting
      this.pendingCount--;
      if (this.nextStreamId > MAX_STREAM_ID) this.closeUnopened(s, ErrorCode.REFUSED_STREAM);
      else this.openStream(s);
    }
    this.pendingHead = i;
    this.compactPending();
  }

  /** Closes every waiting stream with REFUSED_STREAM. */
  private refusePending(): void {
    const list = this.pending;
    // Bounded by the list as it is now: a stream requested from a close event is refused at once.
    const end = list.length;
    for (let i = this.pendingHead; i < end; i++) {
      const s = list[i];
      list[i] = undefined;
      if (s !== undefined && s.state === STATE_IDLE) {
        this.pendingCount--;
        this.closeUnopened(s, ErrorCode.REFUSED_STREAM);
      }
    }
    this.pendingHead = end;
    this.compactPending();
  }

  private compactPending(): void {
    if (this.pendingHead === this.pending.length) {
      this.pending.length = 0;
      this.pendingHead = 0;
    } else if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
  }

  /**
   * Closes a stream that never went on the wire (no id, no frames). The caller has taken it out of
   * the waiting count.
   */
  private closeUnopened(s: Stream<S>, errorCode: number): void {
    s.state = STATE_CLOSED;
    s.queue.length = 0;
    s.queued = 0;
    s.requestHeaders = undefined;
    s.requestFlags = undefined;
    this.app.onStreamClose(s.user!, errorCode);
  }
}

/** Whether the request's `:method` is HEAD (its pseudo-headers come first). */
function isHeadRequest(headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length && headers[i]!.charCodeAt(0) === 0x3a; i += 2) {
    if (headers[i] === ":method") return headers[i + 1] === "HEAD";
  }
  return false;
}
