/**
 * What both ends of an HTTP/2 connection do alike, sans I/O (RFC 9113): frame dispatch, the
 * SETTINGS exchange and its acknowledgement, PING answers, flow control both ways, the send queue
 * served round-robin, stream close bookkeeping, connection failure with GOAWAY, and the one output
 * buffer. `ServerConnection` and `ClientConnection` extend it with what only their side does
 * (which streams the peer may open, header validation, shutdown).
 *
 * It is an abstract class rather than a helper object so that the hot path (a DATA frame, a
 * write, a stream's close) runs as plain method calls on one object, with no closure or
 * allocation per frame; the few role-specific steps are protected methods the subclasses
 * override, each called once per stream or on rare frames, never per octet.
 */
import { ByteWriter } from "../byte-writer.js";
import { ErrorCode, Http2Error } from "../errors.js";
import { type FrameHandler, FrameParser } from "../frame/frame-parser.js";
import {
  CONNECTION_PREFACE,
  FrameType,
  MAX_MAX_FRAME_SIZE,
  MAX_WINDOW_SIZE,
  MIN_MAX_FRAME_SIZE,
} from "../frame/frame-types.js";
import {
  beginHeaders,
  endHeaders,
  writeData,
  writeFrameHeader,
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
import { BdpEstimator } from "./bdp-estimator.js";
import { ClosedHow, ClosedStreams } from "./closed-streams.js";
import { StreamTable } from "./stream-table.js";

/** The events both sides report. `S` is the application's object for a stream. */
export interface ConnectionListenerBase<S> {
  /** Body octets from the peer (a view of the input; report them with `consume` once used). */
  onStreamData(stream: S, data: Uint8Array): void;
  /** The peer's trailers; `onStreamEnd` follows. */
  onStreamTrailers(stream: S, trailers: string[]): void;
  /** The peer ended its side. */
  onStreamEnd(stream: S): void;
  /** Writable again after `write` returned false. */
  onStreamDrain(stream: S): void;
  /**
   * The stream is gone: 0 after both sides ended normally (or one side ended and told the other
   * to stop), else the error code of a reset by either side, or of the connection's end.
   */
  onStreamClose(stream: S, errorCode: number): void;
  /** The peer sent GOAWAY. */
  onGoAway(lastStreamId: number, errorCode: number, debugData: Uint8Array): void;
  /**
   * The connection is over: after a connection error (ours or the peer's, `error` set), or a
   * graceful shutdown that has drained. Write the remaining output, then close the socket.
   */
  onConnectionClose(error: Http2Error | undefined): void;
}

/** Options both sides take. */
export interface ConnectionOptionsBase {
  /** SETTINGS_INITIAL_WINDOW_SIZE: each stream's receive window. Default 65535. */
  initialWindowSize?: number;
  /** The connection's receive window (raised from 65535 by WINDOW_UPDATE). Default 4 MiB. */
  connectionWindowSize?: number;
  /** SETTINGS_MAX_FRAME_SIZE we accept. Default 16384. */
  maxFrameSize?: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE we accept. Default 16384. */
  maxHeaderListSize?: number;
  /** SETTINGS_HEADER_TABLE_SIZE of our HPACK decoder. Default 4096. */
  headerTableSize?: number;
  /** Queued output octets per stream above which `write` returns false. Default 65536. */
  streamHighWaterMark?: number;
  /** The largest header list we send, whatever the peer allows. Default 65536. */
  maxSendHeaderListSize?: number;
  /**
   * Flood protection (the SETTINGS, PING, empty-frame and reset floods of CVE-2019-9512/9515/9518
   * and their kin): frames that cost us work but move no request forward (SETTINGS and PING the
   * peer sends, DATA with no content and no END_STREAM, PRIORITY and unknown frames, frames we
   * must answer with RST_STREAM) draw from a budget of this many. A DATA frame with content, received
   * or sent (a peer may PING to size its windows while we stream to it, see `adaptiveWindow`), and
   * a stream completed give one back, and so does time (`floodRefillPerSecond`, with `clock`), up
   * to this value; a peer that spends it all is ended with GOAWAY ENHANCE_YOUR_CALM. Default 1000.
   */
  floodBudget?: number;
  /** How much of the flood budget comes back per second (needs `clock`). Default 100. */
  floodRefillPerSecond?: number;
  /** Milliseconds from any fixed origin (e.g. `performance.now`), for the budget's refill. */
  clock?: () => number;
  /**
   * Adaptive receive windows: while the peer's sending is held back by our windows, measure the
   * bandwidth-delay product with PINGs and raise the stream windows (SETTINGS_INITIAL_WINDOW_SIZE)
   * and the connection window to it (see bdp-estimator.ts), from `initialWindowSize` and
   * `connectionWindowSize` up to `maxWindowSize`. With `clock`, a larger count taken over a
   * longer round trip (a slow reader) does not raise them. Default false.
   */
  adaptiveWindow?: boolean;
  /**
   * Memory for the output buffers: `n` writable octets, not necessarily zeroed (only written
   * octets are sent). Default `new Uint8Array(n)`; Node may pass `Buffer.allocUnsafe`.
   */
  allocate?: (n: number) => Uint8Array;
  /** The largest window `adaptiveWindow` may set. Default 16 MiB. */
  maxWindowSize?: number;
  /** The least time between two BDP probes, in `clock` milliseconds. Default 10. */
  bdpProbeIntervalMs?: number;
}

/** The payload of our BDP probe PINGs (distinct from every other PING we send). */
const BDP_PING = Uint8Array.of(0x62, 0x64, 0x70, 0x2d, 0x67, 0x74, 0x73, 0x01);

/**
 * Stream states (§5.1). Our side is still open (we may send) while `state <= HALF_CLOSED_REMOTE`.
 * Push is never used, so neither are the reserved states; a client's stream waiting for a
 * concurrency slot (no id yet) is IDLE.
 */
export const STATE_OPEN = 0;
export const STATE_HALF_CLOSED_REMOTE = 1;
/** We ended our side (a client waiting for the response); a server's stream never stays here. */
export const STATE_HALF_CLOSED_LOCAL = 2;
export const STATE_CLOSED = 3;
export const STATE_IDLE = 4;

/** Connection phases. */
export const CONN_OPEN = 1;
/** Server: first GOAWAY (last stream 2^31 - 1) and a PING sent; waiting for its ACK. */
export const CONN_GOAWAY_PENDING = 2;
/** No new streams: running ones finish, and the connection closes when none is left. */
export const CONN_DRAINING = 3;
export const CONN_CLOSED = 4;

export const DEFAULT_WINDOW = 65535;
export const EMPTY = new Uint8Array(0);

/**
 * The state of one stream, the same class on both sides: a derived class per side measured
 * slower (its constructor is not inlined), and one shape keeps the shared code monomorphic.
 */
export class Stream<S> {
  /** 0 while a client's stream waits for a concurrency slot. */
  id: number;
  state = STATE_OPEN;
  user: S | undefined;
  /** What the peer may still send us (as the peer sees it). */
  recvWindow: number;
  /** Consumed by the application, not yet returned with WINDOW_UPDATE. */
  unacked = 0;
  /** What we may still send. */
  sendWindow: number;
  /** Our header section went out (a server's response, a client's request). */
  headersSent = false;
  /** `end` was called (trailers, or the end, wait behind queued data). */
  endQueued = false;
  trailers: readonly string[] | undefined = undefined;
  trailerFlags: ArrayLike<number> | undefined = undefined;
  /** The peer's content-length, or -1. */
  contentLength = -1;
  /** Body octets received. */
  received = 0;
  /** Data waiting for flow-control window: views, sent in order. */
  queue: Uint8Array[] = [];
  queued = 0;
  inSendList = false;
  needDrain = false;
  /** `user` is set, and events can be told. */
  opened = false;
  /** Closed before `opened`: the code to tell once it is. */
  closeCode = 0;
  /** A client's request header section and flags, kept while the stream waits for a slot. */
  requestHeaders: readonly string[] | undefined = undefined;
  requestFlags: ArrayLike<number> | undefined = undefined;
  /**
   * The peer's header section has arrived (a server's streams start with it; a client's get it
   * with the final, non-1xx, response head): DATA before it is malformed (§8.1).
   */
  headersReceived = true;
  /** A client's HEAD request: a content-length in the response promises no body. */
  headRequest = false;

  constructor(id: number, recvWindow: number, sendWindow: number) {
    this.id = id;
    this.recvWindow = recvWindow;
    this.sendWindow = sendWindow;
  }
}

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

  // connection flow control
  protected connRecvWindow = DEFAULT_WINDOW;
  protected connUnacked = 0;
  protected connWindowTarget: number;
  protected connSendWindow = DEFAULT_WINDOW;

  // the peer's settings
  protected peerInitialWindow = DEFAULT_WINDOW;
  protected peerMaxFrameSize = MIN_MAX_FRAME_SIZE;
  /** SETTINGS_MAX_CONCURRENT_STREAMS of the peer: how many streams we may open (a client's concern). */
  protected peerMaxConcurrentStreams = Number.POSITIVE_INFINITY;
  /** The smaller of the peer's SETTINGS_MAX_HEADER_LIST_SIZE and our own sending limit. */
  protected sendHeaderListLimit: number;
  protected readonly maxSendHeaderListSize: number;

  /** Streams with queued data that wait for connection window, served round-robin. */
  protected sendList: Stream<S>[] = [];
  /** Streams to tell `onStreamDrain` once the current call returns (no re-entry mid-loop). */
  protected drainList: Stream<S>[] = [];
  protected depth = 0;

  /** DATA octets sent, ever: whether a connection with output waiting makes progress. */
  dataOctetsSent = 0;
  /**
   * The last DATA frame in `out` written by `writeStream`'s fast path: where it ends (-1: none
   * that can grow), its stream and its payload length, so the next write to that stream can
   * extend it.
   */
  private lastDataEnd = -1;
  private lastDataStream = 0;
  private lastDataLength = 0;

  // flood protection: a token bucket of frames that move nothing forward
  private readonly floodCapacity: number;
  private floodTokens: number;
  private readonly floodRefillPerMs: number;
  private readonly clock: (() => number) | undefined;
  private floodRefilledAt = 0;

  /** Adaptive windows (`adaptiveWindow`), else undefined. */
  private readonly bdp: BdpEstimator | undefined;
  /** A probe PING is to go out at the end of this batch of output (see `sendProbe`). */
  private bdpPingDue = false;

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
    this.connWindowTarget = options.connectionWindowSize ?? 4 << 20;
    this.localMaxFrameSize = options.maxFrameSize ?? MIN_MAX_FRAME_SIZE;
    this.localMaxHeaderListSize = options.maxHeaderListSize ?? 16384;
    this.localHeaderTableSize = options.headerTableSize ?? DEFAULT_HEADER_TABLE_SIZE;
    this.streamHighWaterMark = options.streamHighWaterMark ?? 65536;
    this.maxSendHeaderListSize = options.maxSendHeaderListSize ?? 65536;
    this.sendHeaderListLimit = this.maxSendHeaderListSize;
    this.floodCapacity = options.floodBudget ?? 1000;
    this.floodTokens = this.floodCapacity;
    this.floodRefillPerMs = (options.floodRefillPerSecond ?? 100) / 1000;
    this.clock = options.clock;
    if (this.clock !== undefined) this.floodRefilledAt = this.clock();
    checkRange("floodBudget", this.floodCapacity, 1, Number.MAX_SAFE_INTEGER);
    checkRange("initialWindowSize", this.localInitialWindow, 0, MAX_WINDOW_SIZE);
    checkRange("connectionWindowSize", this.connWindowTarget, DEFAULT_WINDOW, MAX_WINDOW_SIZE);
    checkRange("maxFrameSize", this.localMaxFrameSize, MIN_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE);
    if (options.adaptiveWindow === true) {
      const max = options.maxWindowSize ?? 16 << 20;
      checkRange("maxWindowSize", max, DEFAULT_WINDOW, MAX_WINDOW_SIZE);
      this.bdp = new BdpEstimator(this.localInitialWindow, max, this.clock, options.bdpProbeIntervalMs ?? 10);
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
    if (this.connWindowTarget > DEFAULT_WINDOW) {
      writeWindowUpdate(this.out, 0, this.connWindowTarget - DEFAULT_WINDOW);
      this.connRecvWindow = this.connWindowTarget;
    }
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
    this.lastDataEnd = -1; // that frame is on its way: nothing may be appended to it now
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
    if (data.length > 0) {
      if (this.floodTokens < this.floodCapacity) this.floodTokens++;
    } else if (!endStream) {
      this.spendFlood("DATA frames with no content");
    }
    this.connRecvWindow -= flowLength;
    if (this.connRecvWindow < 0) {
      throw new Http2Error(ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
    }
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
        s.recvWindow * 2 < this.peerViewInitialWindow || this.connRecvWindow * 2 < this.connWindowTarget,
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
      this.listener.onStreamData(s.user!, data);
      if (s.state === STATE_CLOSED) return;
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
    if (this.peerSettingsSeen) this.spendFlood("SETTINGS frames");
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
      this.spendFlood("PING frames");
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
    for (const s of this.streams.list()) {
      if (s.unacked > 0 && (s.state === STATE_OPEN || s.state === STATE_HALF_CLOSED_LOCAL))
        this.returnStreamOctets(s);
    }
    if (this.connUnacked > 0) this.returnConnectionOctets();
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
    if (target > this.connWindowTarget) {
      const raise = target - this.connWindowTarget;
      writeWindowUpdate(this.out, 0, raise);
      this.connRecvWindow += raise;
      this.connWindowTarget = target;
    }
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
      this.connSendWindow += increment;
      if (this.connSendWindow > MAX_WINDOW_SIZE) {
        throw new Http2Error(ErrorCode.FLOW_CONTROL_ERROR, "WINDOW_UPDATE overflows the connection window");
      }
      this.flushSendList();
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
    this.spendFlood("PRIORITY or unknown frames");
  }

  /**
   * Takes one token for a frame that moves nothing forward; none left is a flood, a connection
   * error (ENHANCE_YOUR_CALM). Called from the frame handlers, so the throw ends the connection.
   */
  protected spendFlood(what: string): void {
    if (--this.floodTokens >= 0) return;
    if (this.clock !== undefined) {
      const now = this.clock();
      const back = Math.floor((now - this.floodRefilledAt) * this.floodRefillPerMs);
      if (back > 0) {
        this.floodTokens = Math.min(this.floodCapacity, this.floodTokens + back);
        this.floodRefilledAt = now;
        if (this.floodTokens >= 0) return;
      }
    }
    throw new Http2Error(
      ErrorCode.ENHANCE_YOUR_CALM,
      `flood: more ${what} than the budget of ${this.floodCapacity} frames that carry no request forward`,
    );
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
    if (s.queued === 0 && n <= s.sendWindow && n <= this.connSendWindow && n <= this.peerMaxFrameSize) {
      // The common case: it all fits in one frame now.
      const out = this.out;
      if (
        this.lastDataEnd === out.pos &&
        this.lastDataStream === s.id &&
        this.lastDataLength + n <= this.peerMaxFrameSize
      ) {
        // The frame just written is this stream's DATA (no END_STREAM, nothing after it): it
        // grows instead of a new frame following it, so a stream of small messages (a gRPC
        // stream of 100-byte messages) costs the peer one frame per batch, not per message.
        const header = this.lastDataEnd - this.lastDataLength - 9; // its 24-bit length first
        const length = this.lastDataLength + n;
        this.lastDataLength = length;
        if (head !== undefined) out.bytes(head);
        out.bytes(data);
        const b = out.buf;
        b[header] = length >>> 16;
        b[header + 1] = (length >>> 8) & 0xff;
        b[header + 2] = length & 0xff;
      } else {
        writeFrameHeader(out, n, FrameType.DATA, 0, s.id);
        if (head !== undefined) out.bytes(head);
        out.bytes(data);
        this.lastDataStream = s.id;
        this.lastDataLength = n;
        if (this.floodTokens < this.floodCapacity) this.floodTokens++;
      }
      this.lastDataEnd = out.pos;
      s.sendWindow -= n;
      this.connSendWindow -= n;
      this.dataOctetsSent += n;
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
    if (s.state !== STATE_OPEN && s.state !== STATE_HALF_CLOSED_LOCAL) return;
    s.unacked += length;
    if (shouldUpdateWindow(s.unacked, s.recvWindow, this.peerViewInitialWindow)) this.returnStreamOctets(s);
  }

  /** The connection-level half of `consume`: called for every octet delivered, also after a close. */
  protected consumeConnection(length: number): void {
    this.connUnacked += length;
    this.bdp?.consumed(length);
    if (shouldUpdateWindow(this.connUnacked, this.connRecvWindow, this.connWindowTarget))
      this.returnConnectionOctets();
  }

  /** Returns the octets `s`'s application consumed to the peer's stream window (WINDOW_UPDATE). */
  private returnStreamOctets(s: Stream<S>): void {
    writeWindowUpdate(this.out, s.id, s.unacked);
    s.recvWindow += s.unacked;
    s.unacked = 0;
  }

  /** The same for the connection's window. */
  private returnConnectionOctets(): void {
    writeWindowUpdate(this.out, 0, this.connUnacked);
    this.connRecvWindow += this.connUnacked;
    this.connUnacked = 0;
  }

  // ---- internals ----

  protected writeHeaderBlock(
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
  protected flushStream(s: Stream<S>, frames: number): void {
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
      this.dataOctetsSent += n;
      if (this.floodTokens < this.floodCapacity) this.floodTokens++;
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
    } else if (s.endQueued && s.state <= STATE_HALF_CLOSED_REMOTE) {
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
  protected flushSendList(): void {
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

  protected resetStream(s: Stream<S>, errorCode: number): void {
    writeRstStream(this.out, s.id, errorCode);
    this.closeStream(s, errorCode, ClosedHow.RESET_BY_US);
  }

  /** Resets a stream that has no record (refused, malformed, or already closed). */
  protected resetClosed(streamId: number, errorCode: number): void {
    this.spendFlood("frames answered with RST_STREAM");
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
    if (how === ClosedHow.ENDED && this.floodTokens < this.floodCapacity) this.floodTokens++;
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

  protected leave(): void {
    if (--this.depth > 0) return;
    // Drain notifications wait until no loop of ours is running, so the application can write.
    const list = this.drainList;
    // Usually none: then not even `length = 0`, a builtin call that showed in profiles.
    if (list.length === 0) return;
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

/**
 * When to return consumed octets with WINDOW_UPDATE: once half the window is consumed, or once
 * the peer has half a window or less left and an eighth is consumed (so a reader that keeps up
 * never lets the peer stall, and small reads do not each cost a frame).
 */
export function shouldUpdateWindow(unacked: number, window: number, target: number): boolean {
  if (unacked <= 0) return false;
  return unacked * 2 >= target || (window * 2 <= target && unacked * 8 >= target) || window <= 0;
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
