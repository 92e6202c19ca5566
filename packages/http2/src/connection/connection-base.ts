/**
 * What both ends of an HTTP/2 connection do alike, sans I/O (RFC 9113): frame dispatch, the
 * SETTINGS exchange and its acknowledgement, PING answers, a stream's writes and its end, stream
 * close bookkeeping, connection failure with GOAWAY, and the one output buffer. It composes the
 * parts that are each one concept: the stream record (stream-record.ts), the windows and their
 * WINDOW_UPDATE accounting (flow-control.ts), the output within them served round-robin
 * (send-scheduler.ts), the flood budget (flood-budget.ts) and the BDP estimate of adaptive windows
 * (bdp-estimator.ts); its listener and options are in connection-options.ts. `ServerConnection`
 * and `ClientConnection` extend it with what only their side does (which streams the peer may
 * open, header validation, shutdown).
 *
 * It is an abstract class rather than a helper object so that the hot path (a DATA frame, a
 * write, a stream's close) runs as plain method calls, with no closure or allocation per frame:
 * the parts are objects made once with the connection, and the few role-specific steps are
 * protected methods the subclasses override, each called once per stream or on rare frames,
 * never per octet.
 */
import { ByteWriter } from "../byte-writer.js";
import { ErrorCode, Http2Error } from "../errors.js";
import { type FrameHandler, FrameParser } from "../frame/frame-parser.js";
import {
  CONNECTION_PREFACE,
  MAX_MAX_FRAME_SIZE,
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
} from "../frame/frame-writer.js";
import { SettingId } from "../frame/settings.js";
import { DEFAULT_HEADER_TABLE_SIZE, HpackDecoder } from "../hpack/decoder.js";
import { HpackEncoder } from "../hpack/encoder.js";
import { BdpEstimator } from "./bdp-estimator.js";
import { ClosedHow, ClosedStreams } from "./closed-streams.js";
import type { ConnectionListenerBase, ConnectionOptionsBase } from "./connection-options.js";
import { FloodBudget } from "./flood-budget.js";
import { DEFAULT_WINDOW, FlowControl } from "./flow-control.js";
import { SendScheduler } from "./send-scheduler.js";
import { STATE_CLOSED, STATE_HALF_CLOSED_REMOTE, type Stream } from "./stream-record.js";
import { StreamTable } from "./stream-table.js";

/** The payload of our BDP probe PINGs (distinct from every other PING we send). */
const BDP_PING = Uint8Array.of(0x62, 0x64, 0x70, 0x2d, 0x67, 0x74, 0x73, 0x01);

/** Connection phases. */
export const CONN_OPEN = 1;
/** Server: first GOAWAY (last stream 2^31 - 1) and a PING sent; waiting for its ACK. */
export const CONN_GOAWAY_PENDING = 2;
/** No new streams: running ones finish, and the connection closes when none is left. */
export const CONN_DRAINING = 3;
export const CONN_CLOSED = 4;

const EMPTY = new Uint8Array(0);

export abstract class ConnectionBase<S> implements FrameHandler {
  protected readonly listener: ConnectionListenerBase<S>;
  protected readonly parser: FrameParser;
  protected readonly decoder: HpackDecoder;
  protected readonly encoder = new HpackEncoder();
  protected out: ByteWriter;
  protected readonly streams: StreamTable<Stream<S>>;
  protected readonly closed = new ClosedStreams();
  protected phase = CONN_OPEN;
  /** Octets of the client preface seen so far (a client expects none: it starts complete). */
  protected prefaceMatched: number;
  protected peerSettingsSeen = false;
  /** Highest stream id the peer has opened (a server's peer; always 0 for a client). */
  protected lastPeerStreamId = 0;
  protected activeStreams = 0;
  /** "client" or "server": who the peer is, for messages. */
  private readonly peerRole: string;

  // our settings, and what the peer believes them to be until it acknowledges them
  protected localInitialWindow: number;
  protected readonly localMaxFrameSize: number;
  protected readonly localMaxHeaderListSize: number;
  protected readonly localHeaderTableSize: number;
  protected peerViewInitialWindow = DEFAULT_WINDOW;
  protected settingsAckPendingCount = 1;
  protected readonly streamHighWaterMark: number;

  /** The connection's windows, and the WINDOW_UPDATE accounting of both levels. */
  protected readonly flow: FlowControl;

  // the peer's settings
  protected peerInitialWindow = DEFAULT_WINDOW;
  protected peerMaxFrameSize = MIN_MAX_FRAME_SIZE;
  /** SETTINGS_MAX_CONCURRENT_STREAMS of the peer: how many streams we may open (a client's concern). */
  protected peerMaxConcurrentStreams = Number.POSITIVE_INFINITY;
  /** The smaller of the peer's SETTINGS_MAX_HEADER_LIST_SIZE and our own sending limit. */
  protected sendHeaderListLimit: number;
  protected readonly maxSendHeaderListSize: number;

  /** DATA within the windows, and the round-robin of streams waiting for connection window. */
  protected readonly sender: SendScheduler<S>;
  /** Streams to tell `onStreamDrain` once the current call returns (no re-entry mid-loop). */
  protected drainList: Stream<S>[] = [];
  protected depth = 0;

  /** The token bucket of frames that move nothing forward. */
  protected readonly flood: FloodBudget;

  /** Adaptive windows (`adaptiveWindow`), else undefined. */
  private readonly bdp: BdpEstimator | undefined;
  /** A probe PING is to go out at the end of this batch of output (see `sendProbe`). */
  private bdpPingDue = false;
  /** The GOAWAY debug data of the connection error about to be thrown, when not its message. */
  protected failureDebugData: string | undefined;
  /** Header blocks (and empty DATA frames) written, for `framesSentMark`. */
  private headerBlocksSent = 0;

  constructor(
    listener: ConnectionListenerBase<S>,
    options: ConnectionOptionsBase,
    role: "client" | "server",
    tableCapacity: number,
  ) {
    this.listener = listener;
    this.peerRole = role === "server" ? "client" : "server";
    this.prefaceMatched = role === "server" ? 0 : CONNECTION_PREFACE.length;
    this.streams = new StreamTable(tableCapacity);
    this.out = new ByteWriter(16384, options.allocate);
    this.localInitialWindow = options.initialWindowSize ?? DEFAULT_WINDOW;
    this.flow = new FlowControl(options.connectionWindowSize ?? 4 << 20);
    this.localMaxFrameSize = options.maxFrameSize ?? MIN_MAX_FRAME_SIZE;
    this.localMaxHeaderListSize = options.maxHeaderListSize ?? 16384;
    this.localHeaderTableSize = options.headerTableSize ?? DEFAULT_HEADER_TABLE_SIZE;
    this.streamHighWaterMark = options.streamHighWaterMark ?? 65536;
    this.maxSendHeaderListSize = options.maxSendHeaderListSize ?? 65536;
    this.sendHeaderListLimit = this.maxSendHeaderListSize;
    this.flood = new FloodBudget(
      options.floodBudget ?? 1000,
      options.floodRefillPerSecond ?? 100,
      options.clock,
    );
    this.sender = new SendScheduler(this.flow, this.flood, (s, frames) => this.flushStream(s, frames));
    checkRange("floodBudget", this.flood.capacity, 1, Number.MAX_SAFE_INTEGER);
    checkRange("initialWindowSize", this.localInitialWindow, 0, MAX_WINDOW_SIZE);
    checkRange("connectionWindowSize", this.flow.target, DEFAULT_WINDOW, MAX_WINDOW_SIZE);
    checkRange("maxFrameSize", this.localMaxFrameSize, MIN_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE);
    if (options.adaptiveWindow === true) {
      const max = options.maxWindowSize ?? 16 << 20;
      checkRange("maxWindowSize", max, DEFAULT_WINDOW, MAX_WINDOW_SIZE);
      this.bdp = new BdpEstimator(
        this.localInitialWindow,
        max,
        options.clock,
        options.bdpProbeIntervalMs ?? 10,
      );
    }
    const maxHeaderBlockSize = Math.max(this.localMaxHeaderListSize * 2, 65536);
    this.parser = new FrameParser(this, { role, maxFrameSize: this.localMaxFrameSize, maxHeaderBlockSize });
    this.decoder = new HpackDecoder({
      // Until the peer acknowledges a smaller size it may still use the initial 4096.
      maxTableSize: Math.max(this.localHeaderTableSize, DEFAULT_HEADER_TABLE_SIZE),
      maxHeaderListSize: this.localMaxHeaderListSize,
      // Strings are bounded by the block already; a long one must reach the list limit (a stream
      // error for that stream), not end the connection.
      maxStringLength: maxHeaderBlockSize * 2,
    });
  }

  /**
   * Writes our SETTINGS (`first` and then those of the options that differ from the protocol's
   * defaults), then the connection window's raise. For the subclass constructors.
   */
  protected writeLocalSettings(first: number[]): void {
    const settings = first;
    if (this.localInitialWindow !== DEFAULT_WINDOW)
      settings.push(SettingId.INITIAL_WINDOW_SIZE, this.localInitialWindow);
    if (this.localMaxFrameSize !== MIN_MAX_FRAME_SIZE)
      settings.push(SettingId.MAX_FRAME_SIZE, this.localMaxFrameSize);
    if (this.localHeaderTableSize !== DEFAULT_HEADER_TABLE_SIZE) {
      settings.push(SettingId.HEADER_TABLE_SIZE, this.localHeaderTableSize);
    }
    settings.push(SettingId.MAX_HEADER_LIST_SIZE, this.localMaxHeaderListSize);
    writeSettings(this.out, settings);
    this.flow.announceTarget(this.out);
  }

  // ---- role-specific steps ----

  /** A stream id the peer may not refer to yet (§5.1: a frame on an idle stream). */
  protected abstract isIdleStream(streamId: number): boolean;
  /** The peer ended its side of `s` (END_STREAM received). */
  protected abstract remoteEnded(s: Stream<S>): void;
  /** Our side of `s` ended (END_STREAM sent). */
  protected abstract localEnded(s: Stream<S>): void;

  /** The peer reset `s` (already closed). */
  protected peerReset(_s: Stream<S>): void {}
  /** `s` closed (the listener has been told): e.g. to finish a drain or open a waiting stream. */
  protected streamClosed(_how: ClosedHow): void {
    if (this.phase === CONN_DRAINING && this.activeStreams === 0) this.closeGracefully();
  }
  /** A stream error on a stream we have no record of. */
  protected unknownStreamError(streamId: number, errorCode: number): void {
    this.resetClosed(streamId, errorCode);
  }
  /** The peer's SETTINGS (not an ACK) have been applied and acknowledged. */
  protected peerSettingsApplied(): void {}
  /** The peer acknowledged a PING of ours. */
  protected pingAcked(_payload: Uint8Array): void {}
  /**
   * The least connection receive window for the streams open now with stream windows of
   * `streamWindow` (the window a side keeps its connection at, at least). 0: none beyond the
   * configured one.
   */
  protected connectionWindowFloor(_streamWindow: number): number {
    return 0;
  }
  /** A PING (not an ACK) from the peer, before it is answered: throw to end the connection. */
  protected pingReceived(): void {}

  // ---- state for the caller ----

  /** Octets waiting to be written to the socket. */
  get outputLength(): number {
    return this.out.pos;
  }

  /** The output so far (one buffer for one socket write), or undefined when there is none. */
  takeOutput(): Uint8Array | undefined {
    if (this.bdpPingDue) {
      this.bdpPingDue = false;
      if (this.phase !== CONN_CLOSED) this.sendProbe();
    }
    const out = this.out;
    if (out.pos === 0) return undefined;
    this.sender.outputTaken();
    if (out.pos <= 16384) return out.take();
    // Large: hand the buffer over rather than copy it, and start the next one at the size this
    // one reached, so that a connection streaming large batches does not grow a buffer (doubling
    // and copying) for every batch (up to 256 KiB: one rare burst does not make every batch big).
    const view = out.view();
    this.out = out.fresh(Math.min(out.buf.length, 256 * 1024));
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

  /**
   * Body octets the application wrote that wait for the peer's flow-control windows (summed over
   * the streams: for occasional checks such as a stall timer, not for every call).
   */
  get queuedOutputOctets(): number {
    let n = 0;
    for (const s of this.streams.list()) n += s.queued;
    return n;
  }

  /** No new streams are accepted (shutting down or closed). */
  get isGoingAway(): boolean {
    return this.phase >= CONN_GOAWAY_PENDING;
  }

  /** DATA octets sent, ever: whether a connection with output waiting makes progress. */
  get dataOctetsSent(): number {
    return this.sender.octetsSent;
  }

  /**
   * A count that grows with every HEADERS and DATA frame sent (header blocks and empty DATA
   * frames counted, DATA with content by its octets): only its changes mean anything.
   */
  protected get framesSentMark(): number {
    return this.headerBlocksSent + this.sender.octetsSent;
  }

  // ---- input ----

  /** Processes bytes from the peer. */
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

  // ---- FrameHandler (onHeaders is each side's own) ----

  abstract onHeaders(streamId: number, block: Uint8Array, endStream: boolean): void;

  onData(streamId: number, data: Uint8Array, endStream: boolean, flowLength: number): void {
    this.checkFirstFrame();
    if (data.length > 0) this.flood.refund();
    else if (!endStream) this.flood.spend("DATA frames with no content");
    this.flow.received(flowLength);
    const s = this.streams.get(streamId);
    if (s === undefined) {
      this.consumeConnection(flowLength);
      if (this.isIdleStream(streamId)) {
        throw new Http2Error(ErrorCode.PROTOCOL_ERROR, `DATA on idle stream ${streamId}`);
      }
      const how = this.closed.get(streamId);
      if (how === ClosedHow.RESET_BY_US) return;
      if (how === ClosedHow.ENDED)
        throw new Http2Error(ErrorCode.STREAM_CLOSED, `DATA on closed stream ${streamId}`);
      this.resetClosed(streamId, ErrorCode.STREAM_CLOSED);
      return;
    }
    if (s.state === STATE_HALF_CLOSED_REMOTE || !s.headersReceived) {
      this.consumeConnection(flowLength);
      this.resetStream(s, s.headersReceived ? ErrorCode.STREAM_CLOSED : ErrorCode.PROTOCOL_ERROR);
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
      this.bdp?.wantProbe(
        s.recvWindow * 2 < this.peerViewInitialWindow || this.flow.recvWindow * 2 < this.flow.target,
      )
    )
      this.bdpPingDue = true;
    if (
      s.contentLength >= 0 &&
      (s.received > s.contentLength || (endStream && s.received !== s.contentLength))
    ) {
      this.consumeConnection(flowLength);
      this.resetStream(s, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    // Padding is never the application's: it is consumed at once.
    if (flowLength > data.length) {
      this.consumeConnection(flowLength - data.length);
      this.consumeStream(s, flowLength - data.length);
    }
    if (data.length > 0) {
      if (s.opened) {
        this.listener.onStreamData(s.user!, data);
        if (s.state === STATE_CLOSED) return;
      } else {
        // No one reads it (a server's stream answered before the request ended): discarded.
        this.consumeConnection(data.length);
        this.consumeStream(s, data.length);
      }
    }
    if (endStream) this.remoteEnded(s);
  }

  onRstStream(streamId: number, errorCode: number): void {
    this.checkFirstFrame();
    const s = this.streams.get(streamId);
    if (s === undefined) {
      if (this.isIdleStream(streamId)) {
        throw new Http2Error(ErrorCode.PROTOCOL_ERROR, `RST_STREAM on idle stream ${streamId}`);
      }
      return; // closed: ignored
    }
    this.closeStream(s, errorCode, ClosedHow.RESET_BY_PEER);
    this.peerReset(s);
  }

  onSettings(params: readonly number[]): void {
    if (this.phase === CONN_CLOSED) throw new Http2Error(ErrorCode.NO_ERROR, "the connection is closed");
    if (this.peerSettingsSeen) this.flood.spend("SETTINGS frames");
    this.peerSettingsSeen = true;
    for (let i = 0; i < params.length; i += 2) {
      const value = params[i + 1]!;
      switch (params[i]) {
        case SettingId.HEADER_TABLE_SIZE:
          this.encoder.setPeerMaxTableSize(value);
          break;
        case SettingId.MAX_CONCURRENT_STREAMS:
          this.peerMaxConcurrentStreams = value;
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
    this.peerSettingsApplied();
  }

  onSettingsAck(): void {
    this.checkFirstFrame();
    if (this.settingsAckPendingCount === 0) return;
    this.settingsAckPendingCount--;
    // The peer now applies our SETTINGS: its view of stream windows moves by the difference.
    const delta = this.localInitialWindow - this.peerViewInitialWindow;
    if (delta !== 0) {
      this.peerViewInitialWindow = this.localInitialWindow;
      for (const s of this.streams.list()) s.recvWindow += delta;
    }
    if (this.localHeaderTableSize < DEFAULT_HEADER_TABLE_SIZE)
      this.decoder.setMaxTableSize(this.localHeaderTableSize);
    // An estimate that grew while that SETTINGS was out.
    if (this.bdp !== undefined && this.bdp.estimate > this.localInitialWindow) this.growWindows();
  }

  onPing(payload: Uint8Array, ack: boolean): void {
    this.checkFirstFrame();
    if (!ack) {
      this.flood.spend("PING frames");
      this.pingReceived();
      writePing(this.out, payload, true);
      return;
    }
    if (this.bdp !== undefined && equalBytes(payload, BDP_PING)) {
      if (this.bdp.onAck() > 0) this.growWindows();
      return;
    }
    this.pingAcked(payload);
  }

  /**
   * The BDP probe: first every consumed octet not yet returned goes back (WINDOW_UPDATE), so the
   * peer holds full windows of credit as the PING leaves; what arrives before its ACK is then what
   * the peer sends in a round trip with all the credit it can have (with updates at half a window,
   * a probe after one of them would see half a window, and the windows would never grow).
   */
  private sendProbe(): void {
    this.flow.returnAll(this.out, this.streams.list());
    writePing(this.out, BDP_PING, false);
    this.bdp!.probeSent();
  }

  /**
   * Raises the receive windows to the BDP estimate: the connection's at once (WINDOW_UPDATE), the
   * streams' with SETTINGS_INITIAL_WINDOW_SIZE, which open streams follow too (§6.9.2). Only one
   * such SETTINGS is out at a time: a later estimate waits for its ACK.
   */
  private growWindows(): void {
    const target = this.bdp!.estimate;
    this.flow.raiseTarget(this.out, Math.max(target, this.connectionWindowFloor(target)));
    if (target > this.localInitialWindow && this.settingsAckPendingCount === 0) {
      this.localInitialWindow = target;
      writeSettings(this.out, [SettingId.INITIAL_WINDOW_SIZE, target]);
      this.settingsAckPendingCount++;
    }
  }

  onGoAway(lastStreamId: number, errorCode: number, debugData: Uint8Array): void {
    this.checkFirstFrame();
    this.listener.onGoAway(lastStreamId, errorCode, debugData);
  }

  onWindowUpdate(streamId: number, increment: number): void {
    this.checkFirstFrame();
    if (streamId === 0) {
      this.flow.windowUpdate(increment);
      this.sender.serve();
      return;
    }
    const s = this.streams.get(streamId);
    if (s === undefined) {
      if (this.isIdleStream(streamId)) {
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
    const s = this.streams.get(error.streamId);
    if (s !== undefined) {
      this.resetStream(s, error.code);
      return;
    }
    // A stream we reset: what comes on it is ignored (§5.1), errors in it too (no second RST_STREAM);
    // one that ended both ways gets no frame but PRIORITY (§5.1): HEADERS or DATA on it end the
    // connection (STREAM_CLOSED) anyway, and a malformed PRIORITY or WINDOW_UPDATE is ignored.
    const how = this.closed.get(error.streamId);
    if (how === ClosedHow.RESET_BY_US || how === ClosedHow.ENDED) return;
    this.unknownStreamError(error.streamId, error.code);
  }

  onIgnoredFrame(_type: number, _streamId: number, _length: number): void {
    this.checkFirstFrame();
    this.flood.spend("PRIORITY or unknown frames");
  }

  protected checkFirstFrame(): void {
    // Closed while a chunk was being read (a graceful close's last stream ended, or `terminate` was
    // called from an event): the rest of the chunk is not read.
    if (this.phase === CONN_CLOSED) throw new Http2Error(ErrorCode.NO_ERROR, "the connection is closed");
    if (!this.peerSettingsSeen) {
      throw new Http2Error(ErrorCode.PROTOCOL_ERROR, `the ${this.peerRole}'s first frame is not SETTINGS`);
    }
  }

  // ---- the application's side, shared ----

  /** Sends a PING (e.g. for keepalive); the peer answers with the same 8 octets. */
  ping(payload: Uint8Array): void {
    if (this.phase === CONN_CLOSED) return;
    writePing(this.out, payload, false);
  }

  /** Ends the connection now: GOAWAY with `errorCode`, every stream closed with it. */
  terminate(errorCode: number, message = ""): void {
    if (this.phase === CONN_CLOSED) return;
    this.fail(new Http2Error(errorCode, message));
  }

  /** The caller's SETTINGS timer ran out before the peer acknowledged (§6.5.3). */
  settingsTimedOut(): void {
    if (this.settingsAckPendingCount > 0)
      this.terminate(ErrorCode.SETTINGS_TIMEOUT, "SETTINGS not acknowledged");
  }

  /**
   * Whether a header list is within the peer's SETTINGS_MAX_HEADER_LIST_SIZE (§6.5.2) and our own
   * sending limit: one that is not would be refused by the peer, so the stream is reset
   * (INTERNAL_ERROR) instead.
   */
  protected fitsPeerLimit(fields: readonly string[]): boolean {
    const limit = this.sendHeaderListLimit;
    let size = 0;
    for (let i = 0; i < fields.length; i++) size += fields[i]!.length;
    return size + 16 * fields.length <= limit; // 32 octets per field, two strings per field
  }

  /**
   * Queues body octets on `s` (kept as a view until sent, so `data` must not change), sending what
   * the windows allow now. `head`, when given, goes first as if joined to `data` (a gRPC message's
   * 5-octet prefix): copied at once, so the caller may reuse it. Returns false when the stream's
   * queued output is past its high-water mark: wait for `onStreamDrain`.
   */
  protected writeStream(s: Stream<S>, data: Uint8Array, head?: Uint8Array): boolean {
    const n = head === undefined ? data.length : head.length + data.length;
    if (n === 0) return true;
    if (s.queued === 0 && n <= s.sendWindow && n <= this.flow.sendWindow && n <= this.peerMaxFrameSize) {
      // The common case: it all fits in one frame now.
      this.sender.writeNow(this.out, s, data, head, n, this.peerMaxFrameSize);
      return true;
    }
    this.depth++;
    try {
      // Queued as one view: the two parts joined (the head may be the caller's scratch).
      let chunk = data;
      if (head !== undefined) {
        chunk = new Uint8Array(n);
        chunk.set(head);
        chunk.set(data, head.length);
      }
      s.queue.push(chunk);
      s.queued += n;
      if (s.queued === n) this.flushStream(s, -1);
      if (s.queued >= this.streamHighWaterMark) {
        s.needDrain = true;
        return false;
      }
      return true;
    } finally {
      this.leave();
    }
  }

  /** Ends our side of `s` after its queued data: trailers (when any) or an empty DATA frame. */
  protected endStream(
    s: Stream<S>,
    trailers: readonly string[] | undefined,
    flags: ArrayLike<number> | undefined,
  ): void {
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

  /**
   * The application used `length` octets of `s`'s data: they are returned to the peer's stream
   * window, with WINDOW_UPDATE once half a window has been used. Nothing once the peer ended.
   */
  protected consumeStream(s: Stream<S>, length: number): void {
    this.flow.consumeStream(this.out, s, length, this.peerViewInitialWindow);
  }

  /** The connection-level half of `consume`: called for every octet delivered, also after a close. */
  protected consumeConnection(length: number): void {
    this.bdp?.consumed(length);
    this.flow.consumeConnection(this.out, length);
  }

  // ---- internals ----

  protected writeHeaderBlock(
    streamId: number,
    fields: readonly string[],
    endStream: boolean,
    flags: ArrayLike<number> | undefined,
  ): void {
    this.headerBlocksSent++;
    const start = beginHeaders(this.out);
    this.encoder.encode(this.out, fields, flags);
    endHeaders(this.out, start, streamId, endStream, this.peerMaxFrameSize);
  }

  /**
   * Sends what the windows allow of a stream's queue, at most `frames` DATA frames (-1: no
   * limit), then its end when it was asked for and nothing is left.
   */
  protected flushStream(s: Stream<S>, frames: number): void {
    if (this.sender.sendQueued(this.out, s, frames, this.peerMaxFrameSize)) {
      this.localEnded(s);
      return;
    }
    if (s.queued > 0) {
      this.sender.waitIfHeld(s);
    } else if (s.endQueued && s.state <= STATE_HALF_CLOSED_REMOTE) {
      if (s.trailers !== undefined && s.trailers.length > 0) {
        if (!this.fitsPeerLimit(s.trailers)) {
          this.resetStream(s, ErrorCode.INTERNAL_ERROR);
          return;
        }
        this.writeHeaderBlock(s.id, s.trailers, true, s.trailerFlags);
      } else {
        this.headerBlocksSent++;
        writeData(this.out, s.id, EMPTY, true);
      }
      this.localEnded(s);
      return;
    }
    if (s.needDrain && s.queued < this.streamHighWaterMark) {
      s.needDrain = false;
      this.drainList.push(s);
    }
  }

  protected resetStream(s: Stream<S>, errorCode: number): void {
    writeRstStream(this.out, s.id, errorCode);
    this.closeStream(s, errorCode, ClosedHow.RESET_BY_US);
  }

  /** Resets a stream that has no record (refused, malformed, or already closed). */
  protected resetClosed(streamId: number, errorCode: number): void {
    this.flood.spend("frames answered with RST_STREAM");
    writeRstStream(this.out, streamId, errorCode);
    this.closed.add(streamId, ClosedHow.RESET_BY_US);
  }

  protected closeStream(s: Stream<S>, errorCode: number, how: ClosedHow): void {
    if (s.state === STATE_CLOSED) return;
    s.state = STATE_CLOSED;
    if (s.queued > 0) {
      s.queue.length = 0;
      s.queued = 0;
    }
    this.streams.delete(s);
    this.closed.add(s.id, how);
    this.activeStreams--;
    if (how === ClosedHow.ENDED) this.flood.refund();
    if (s.opened) this.listener.onStreamClose(s.user!, errorCode);
    else s.closeCode = errorCode;
    this.streamClosed(how);
  }

  protected closeGracefully(): void {
    if (this.phase === CONN_CLOSED) return;
    this.phase = CONN_CLOSED;
    this.listener.onConnectionClose(undefined);
  }

  protected closeAllStreams(errorCode: number): void {
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

  protected fail(error: Http2Error): void {
    if (this.phase === CONN_CLOSED) return;
    const debug = this.failureDebugData ?? error.message.slice(0, 200);
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

  protected leave(): void {
    if (--this.depth > 0) return;
    // Drain notifications wait until no loop of ours is running, so the application can write.
    const list = this.drainList;
    // Usually none: then not even `length = 0`, a builtin call that showed in profiles.
    if (list.length === 0) return;
    for (let i = 0; i < list.length && i < 100000; i++) {
      const s = list[i]!;
      if (s.state !== STATE_CLOSED && s.opened) {
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

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}
