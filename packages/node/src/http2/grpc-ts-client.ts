/**
 * Our own HTTP/2 engine (@grpc-ts/http2) behind the seam, client side: the sans-I/O
 * `ClientConnection` on a `node:net` or `node:tls` socket: the default engine (http2/engine.ts);
 * `createChannel(target, { engine: "node" })` (or GRPC_TS_HTTP2_ENGINE=node) picks node:http2.
 *
 * Output is batched: what calls produce is written once per turn of the event loop
 * (`setImmediate`), so many calls started together share one socket write; what the connection
 * answers to the server's bytes (WINDOW_UPDATE, SETTINGS and PING acknowledgements) goes out
 * after each chunk read. A socket that holds more than MAX_SOCKET_BACKLOG makes writers wait for
 * its `drain`, and stops our reading until it drains.
 *
 * Stream closes are told after the events that preceded them and once the socket has taken the
 * output of the batch, never from inside a call into the connection (the rule of socket-driver.ts,
 * the same on the server): a refused stream can then be retried at once on another connection
 * without re-entering this one.
 */
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { HeaderFields } from "@grpc-ts/core/protocol";
import {
  type ClientConnectionListener,
  type ClientStreamHandle,
  ErrorCode,
  ClientConnection as H2ClientConnection,
  type Http2Error,
  Keepalive,
} from "@grpc-ts/http2";
import { type ConnectOptions, connectSocket } from "./client-socket.js";
import { engineConnectionOptions } from "./engine.js";
import { keepaliveTimedOut } from "./keepalive-error.js";
import { nodeTimers } from "./node-timers.js";
import { closeError } from "./reset-code.js";
import type { ClientConnection, ClientStream, ClientStreamListener, ConnectionListener } from "./seam.js";
import type { SocketDrainWaiter } from "./socket-drain.js";
import {
  type ClosingStream,
  MAX_SOCKET_BACKLOG,
  SocketDriver,
  type SocketDriverOwner,
} from "./socket-driver.js";
import {
  dropHeld,
  type InboxStream,
  replayHeld,
  type StreamInbox,
  takeData,
  takeEnd,
} from "./stream-inbox.js";

/** After our side of a finished connection is ended, how long the server has to close its side. */
const CLOSE_GRACE_MS = 1_000;
/** The payload of our keepalive PINGs. */
const KEEPALIVE_PING = Uint8Array.of(0x6b, 0x61, 0x2d, 0x67, 0x74, 0x73, 0x00, 0x02);

/** Our engine's client behind the seam. */
export function connectGrpcTsHttp2(options: ConnectOptions, listener: ConnectionListener): ClientConnection {
  return new GrpcTsClientConnection(options, listener);
}

class GrpcTsClientConnection
  implements ClientConnection, ClientConnectionListener<GrpcTsClientStream>, SocketDriverOwner
{
  readonly conn: H2ClientConnection<GrpcTsClientStream>;
  private readonly socket: Socket;
  /** The socket pump: reading, batched output, drains, and when closes are told. */
  private readonly driver: SocketDriver;
  private readonly listener: ConnectionListener;
  /** The server's SETTINGS arrived and `onConnect` was told. */
  private ready = false;
  private error: Error | undefined;
  private active = 0;
  /** Streams the server ended while ours was still open: reset (NO_ERROR) after the batch. */
  private remoteEnded: GrpcTsClientStream[] = [];
  /** Keepalive PINGs (`options.keepalive`), from the moment the connection is ready. */
  private readonly keepalive: Keepalive | undefined;

  constructor(options: ConnectOptions, listener: ConnectionListener) {
    this.listener = listener;
    this.conn = new H2ClientConnection<GrpcTsClientStream>(
      this,
      engineConnectionOptions(options.flowControlWindow, "client"),
    );
    const socket = connectSocket(options);
    this.socket = socket;
    this.driver = new SocketDriver(socket, this.conn, this, "client", CLOSE_GRACE_MS);
    const k = options.keepalive;
    if (k !== undefined) {
      const self = this;
      this.keepalive = new Keepalive(
        {
          get bytesRead() {
            return socket.bytesRead;
          },
          get activeStreams() {
            return self.active;
          },
          sendPing: () => {
            this.conn.ping(KEEPALIVE_PING);
            this.flush();
          },
          timedOut: () => {
            this.error ??= keepaliveTimedOut(k.timeoutMs);
            socket.destroy();
          },
        },
        nodeTimers,
        k,
      );
    }
    socket.once(options.tls === undefined ? "connect" : "secureConnect", () => this.connectedSocket());
  }

  // ---- the seam ----

  get activeStreams(): number {
    return this.active;
  }

  get acceptsStreams(): boolean {
    return this.conn.acceptsStreams && !this.socket.destroyed;
  }

  request(fields: HeaderFields, l: ClientStreamListener): ClientStream {
    const stream = new GrpcTsClientStream(this, l);
    // Streams being sent or answered keep the process alive; an idle connection does not.
    if (this.active++ === 0) this.socket.ref();
    stream.handle = this.conn.request(fields, stream);
    this.scheduleFlush();
    this.keepalive?.streamOpened();
    return stream;
  }

  close(): void {
    if (!this.ready) {
      // Nothing was ever sent on it: no need to say goodbye.
      this.destroy();
      return;
    }
    this.conn.close();
    this.flush();
  }

  destroy(): void {
    this.socket.destroy();
  }

  // ---- socket events ----

  private connectedSocket(): void {
    const socket = this.socket;
    if (socket instanceof TLSSocket && socket.alpnProtocol !== "h2") {
      const chosen = socket.alpnProtocol === false ? "none" : socket.alpnProtocol;
      this.error = new Error(`the server did not agree to HTTP/2 over TLS (ALPN protocol: ${chosen})`);
      socket.destroy();
      return;
    }
    this.driver.start(); // the preface and our SETTINGS
  }

  // ---- SocketDriverOwner ----

  onError(e: unknown): void {
    this.error ??= e instanceof Error ? e : new Error(String(e));
  }

  beforeOutput(): void {
    const ended = this.remoteEnded;
    if (ended.length > 0) {
      this.remoteEnded = [];
      // gRPC: the server's status ends the call; what we had left to send is not wanted (§8.1).
      for (const s of ended) if (!s.closed) this.conn.reset(s.handle, ErrorCode.NO_ERROR);
    }
  }

  afterOutput(): void {}

  onSocketClose(): void {
    this.keepalive?.stop();
    this.listener.onClose(this.error);
  }

  // ---- output ----

  /** Writes what the connection has produced (see socket-driver.ts for when closes are told). */
  flush(): void {
    this.driver.flush();
  }

  /** Output produced by calls goes out once per turn of the event loop. */
  scheduleFlush(): void {
    this.driver.scheduleFlush();
  }

  /** Whether the socket holds so much unwritten that writers should wait for its drain. */
  socketBacklogged(): boolean {
    return this.driver.backlog > MAX_SOCKET_BACKLOG;
  }

  /** `stream` waits until the socket has taken the output (decided at the next flush). */
  waitForSocketDrain(stream: GrpcTsClientStream): void {
    this.driver.waitForDrain(stream);
  }

  streamFinished(): void {
    if (--this.active === 0 && this.ready) this.socket.unref();
  }

  // ---- ClientConnectionListener ----

  onReady(): void {
    this.ready = true;
    if (this.active === 0) this.socket.unref();
    this.keepalive?.start();
    this.listener.onConnect();
  }

  onStreamHeaders(stream: GrpcTsClientStream, headers: string[]): void {
    stream.listener.onHeaders(headers);
  }

  onStreamData(stream: GrpcTsClientStream, data: Uint8Array): void {
    stream.data(data);
  }

  onStreamTrailers(stream: GrpcTsClientStream, trailers: string[]): void {
    stream.trailers(trailers);
  }

  onStreamEnd(stream: GrpcTsClientStream): void {
    // Reset after the batch unless our side ends in it too (its end may also wait for a window
    // the server will not open now).
    this.remoteEnded.push(stream);
  }

  onStreamDrain(stream: GrpcTsClientStream): void {
    if (!this.socketBacklogged()) stream.listener.onDrain();
    else this.waitForSocketDrain(stream);
  }

  onStreamClose(stream: GrpcTsClientStream, errorCode: number): void {
    // A stream that died with the connection (not one refused before it was sent) is a lost
    // connection to the call above, not a reset by the server.
    stream.closedWith(errorCode, this.conn.isClosed && errorCode !== ErrorCode.REFUSED_STREAM);
    this.driver.closeLater(stream);
    this.streamFinished();
  }

  onGoAway(_lastStreamId: number, errorCode: number, debugData: Uint8Array): void {
    this.listener.onGoAway(errorCode, String.fromCharCode(...debugData.subarray(0, 256)));
  }

  onPingAck(payload: Uint8Array): void {
    if (payload.length === 8 && payload.every((b, i) => b === KEEPALIVE_PING[i])) this.keepalive?.acked();
  }

  onConnectionClose(error: Http2Error | undefined): void {
    if (error !== undefined) this.error ??= error;
    this.scheduleFlush();
  }

  /** The error given to streams that died with the connection. */
  connectionError(): Error {
    return this.error ?? new Error("the connection was closed");
  }
}

/** One request stream of our engine, as the seam's ClientStream. */
class GrpcTsClientStream
  implements ClientStream, SocketDrainWaiter, ClosingStream, InboxStream<HeaderFields>
{
  readonly listener: ClientStreamListener;
  handle!: ClientStreamHandle;
  closed = false;
  localEnded = false;
  private readonly connection: GrpcTsClientConnection;
  private paused = false;
  /** Data (and then trailers, close) that arrived while paused. */
  inbox: StreamInbox<HeaderFields> | undefined = undefined;
  private closeCode = 0;
  private diedWithConnection = false;

  constructor(connection: GrpcTsClientConnection, listener: ClientStreamListener) {
    this.connection = connection;
    this.listener = listener;
  }

  /** Also after a close: a writer waiting for the drain is released (its writes are ignored). */
  onSocketDrain(): void {
    this.listener.onDrain();
  }

  write(chunk: Uint8Array): boolean {
    if (this.closed || this.localEnded) return true;
    const c = this.connection;
    const ok = c.conn.write(this.handle, chunk);
    c.scheduleFlush();
    if (!ok) return this.closed; // flow control holds it: onDrain comes from the connection
    if (c.socketBacklogged()) {
      c.waitForSocketDrain(this);
      return false;
    }
    return true;
  }

  end(chunk?: Uint8Array): void {
    if (this.closed || this.localEnded) return;
    this.localEnded = true;
    const c = this.connection;
    if (chunk === undefined) c.conn.end(this.handle);
    else c.conn.write(this.handle, chunk, true);
    c.scheduleFlush();
  }

  cancel(): void {
    if (this.closed) {
      // Closed, with events held for a reader that now gives up: tell the close at once.
      if (this.inbox?.closeHeld === true) {
        // Held data nobody will read is still returned to the connection's window.
        const n = dropHeld(this);
        if (n > 0) this.connection.conn.consume(this.handle, n);
        this.readClose();
      }
      return;
    }
    this.connection.conn.reset(this.handle, ErrorCode.CANCEL);
    this.connection.scheduleFlush();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    replayHeld(this);
    this.connection.scheduleFlush(); // window updates for what was consumed
  }

  // ---- from the connection ----

  data(chunk: Uint8Array): void {
    takeData(this, chunk);
  }

  trailers(trailers: HeaderFields): void {
    takeEnd(this, trailers);
  }

  closedWith(code: number, diedWithConnection: boolean): void {
    this.closed = true;
    this.closeCode = code;
    this.diedWithConnection = diedWithConnection;
  }

  /** The close, after the held events (the response, which the reader still wants), on resume. */
  tellClose(): void {
    if (this.inbox !== undefined) this.inbox.holdClose();
    else this.readClose();
  }

  // ---- InboxReader ----

  get reading(): boolean {
    return !this.paused;
  }

  readData(chunk: Uint8Array): void {
    this.listener.onData(chunk);
    // Consumed as delivered: while paused, held data is not, and the server's window closes.
    this.connection.conn.consume(this.handle, chunk.length);
  }

  readEnd(trailers: HeaderFields): void {
    this.listener.onTrailers(trailers);
  }

  readClose(): void {
    const code = this.closeCode;
    const error = this.diedWithConnection ? this.connection.connectionError() : undefined;
    this.listener.onClose(closeError(code, error), code === ErrorCode.REFUSED_STREAM);
  }
}
