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
 * Stream closes are told after the events that preceded them and after the output of the batch
 * was written, never from inside a call into the connection: a refused stream can then be retried
 * at once on another connection without re-entering this one.
 */
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { fieldsToObject } from "@grpc-ts/core/protocol";
import {
  type ClientConnectionListener,
  type ClientStreamHandle,
  ErrorCode,
  ClientConnection as H2ClientConnection,
  type Http2Error,
} from "@grpc-ts/http2";
import { type ConnectOptions, connectSocket } from "./client-socket.js";
import { engineConnectionOptions } from "./engine.js";
import { appendRegularFields } from "./header-fields.js";
import type {
  ClientConnection,
  ClientStream,
  ClientStreamListener,
  ConnectionListener,
  InHeaders,
  OutHeaders,
} from "./seam.js";
import { type SocketDrainWaiter, SocketDrainWaiters } from "./socket-drain.js";

/** How long the server has to acknowledge our SETTINGS (RFC 9113 §6.5.3). */
const SETTINGS_TIMEOUT_MS = 10_000;
/** Octets the socket may hold unwritten before writers wait and reading stops. */
const MAX_SOCKET_BACKLOG = 1 << 20;
/** After our side of a finished connection is ended, how long the server has to close its side. */
const CLOSE_GRACE_MS = 1_000;

/** Our engine's client behind the seam. */
export function connectGrpcTsHttp2(options: ConnectOptions, listener: ConnectionListener): ClientConnection {
  return new GrpcTsClientConnection(options, listener);
}

class GrpcTsClientConnection implements ClientConnection, ClientConnectionListener<GrpcTsClientStream> {
  readonly conn: H2ClientConnection<GrpcTsClientStream>;
  private readonly socket: Socket;
  private readonly listener: ConnectionListener;
  private readonly scheme: string;
  private readonly authority: string;
  /** The socket is connected (and over TLS, ALPN chose h2): output may be written. */
  private connected = false;
  /** The server's SETTINGS arrived and `onConnect` was told. */
  private ready = false;
  private error: Error | undefined;
  private active = 0;
  private flushScheduled = false;
  /** Streams whose close is told after the current batch. */
  private closing: GrpcTsClientStream[] = [];
  /** Streams the server ended while ours was still open: reset (NO_ERROR) after the batch. */
  private remoteEnded: GrpcTsClientStream[] = [];
  /** Streams whose writer waits for the socket to take the output. */
  private readonly drainWaiters: SocketDrainWaiters;
  private readPaused = false;
  private settingsTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ConnectOptions, listener: ConnectionListener) {
    this.listener = listener;
    this.scheme = options.tls === undefined ? "http" : "https";
    this.authority = options.authority;
    this.conn = new H2ClientConnection<GrpcTsClientStream>(
      this,
      engineConnectionOptions(options.flowControlWindow),
    );
    const socket = connectSocket(options);
    this.socket = socket;
    this.drainWaiters = new SocketDrainWaiters(socket);
    socket.once(options.tls === undefined ? "connect" : "secureConnect", () => this.connectedSocket());
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    // A socket error (a refused connection, a TLS alert) ends the connection: `close` follows.
    socket.on("error", (e: Error) => {
      this.error ??= e;
      socket.destroy();
    });
    socket.on("close", () => this.closed());
  }

  // ---- the seam ----

  get activeStreams(): number {
    return this.active;
  }

  get acceptsStreams(): boolean {
    return this.conn.acceptsStreams && !this.socket.destroyed;
  }

  request(headers: OutHeaders, l: ClientStreamListener): ClientStream {
    const fields = [
      ":method",
      (headers[":method"] as string | undefined) ?? "POST",
      ":scheme",
      this.scheme,
      ":path",
      headers[":path"] as string,
      ":authority",
      this.authority,
    ];
    appendRegularFields(fields, headers);
    const stream = new GrpcTsClientStream(this, l);
    // Streams being sent or answered keep the process alive; an idle connection does not.
    if (this.active++ === 0) this.socket.ref();
    stream.handle = this.conn.request(fields, stream);
    this.scheduleFlush();
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
    socket.setNoDelay(true);
    this.connected = true;
    this.settingsTimer = setTimeout(() => {
      this.settingsTimer = undefined;
      this.conn.settingsTimedOut();
      this.flush();
    }, SETTINGS_TIMEOUT_MS);
    this.settingsTimer.unref();
    this.flush(); // the preface and our SETTINGS
  }

  private receive(chunk: Buffer): void {
    try {
      this.conn.receive(chunk);
    } catch (e) {
      // A listener threw from inside an event: the connection's state cannot be trusted now.
      this.error ??= e instanceof Error ? e : new Error(String(e));
      this.conn.terminate(ErrorCode.INTERNAL_ERROR, "internal error");
    }
    if (this.settingsTimer !== undefined && !this.conn.settingsAckPending) {
      clearTimeout(this.settingsTimer);
      this.settingsTimer = undefined;
    }
    this.flush();
  }

  private closed(): void {
    if (this.settingsTimer !== undefined) clearTimeout(this.settingsTimer);
    this.connected = false;
    this.conn.transportClosed();
    this.flush();
    // Writers waiting for a drain that will not come are released (their writes are ignored now).
    this.drainWaiters.release();
    this.listener.onClose(this.error);
  }

  // ---- output ----

  /**
   * Writes what the connection has produced, then tells the closes of streams. Ends the socket
   * once the connection is over.
   */
  flush(): void {
    const ended = this.remoteEnded;
    if (ended.length > 0) {
      this.remoteEnded = [];
      // gRPC: the server's status ends the call; what we had left to send is not wanted (§8.1).
      for (const s of ended) if (!s.closed) this.conn.reset(s.handle, ErrorCode.NO_ERROR);
    }
    const socket = this.socket;
    if (this.connected && !socket.destroyed) {
      const out = this.conn.takeOutput();
      if (out !== undefined) socket.write(out);
    }
    const closing = this.closing;
    if (closing.length > 0) {
      this.closing = [];
      for (const s of closing) s.tellClose();
    }
    if (this.connected) this.drainWaiters.settle();
    if (this.conn.isClosed) {
      if (!socket.destroyed && this.connected) {
        this.connected = false;
        socket.end();
        setTimeout(destroySocket, CLOSE_GRACE_MS, socket).unref();
      }
      return;
    }
    if (socket.writableLength > MAX_SOCKET_BACKLOG && !this.readPaused) {
      // The server sends faster than it reads what we answer: stop reading until it catches up.
      this.readPaused = true;
      socket.pause();
      socket.once("drain", () => {
        this.readPaused = false;
        socket.resume();
      });
    }
  }

  /** Output produced by calls goes out once per turn of the event loop. */
  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(flushConnection, this);
  }

  runScheduledFlush(): void {
    this.flushScheduled = false;
    this.flush();
  }

  /** Whether the socket holds so much unwritten that writers should wait for its drain. */
  socketBacklogged(): boolean {
    return this.socket.writableLength + this.conn.outputLength > MAX_SOCKET_BACKLOG;
  }

  /** `stream` waits until the socket has taken the output (decided at the next flush). */
  waitForSocketDrain(stream: GrpcTsClientStream): void {
    this.drainWaiters.add(stream);
    this.scheduleFlush();
  }

  streamFinished(): void {
    if (--this.active === 0 && this.ready) this.socket.unref();
  }

  // ---- ClientConnectionListener ----

  onReady(): void {
    this.ready = true;
    if (this.active === 0) this.socket.unref();
    this.listener.onConnect();
  }

  onStreamHeaders(stream: GrpcTsClientStream, headers: string[]): void {
    stream.listener.onHeaders(fieldsToObject(headers));
  }

  onStreamData(stream: GrpcTsClientStream, data: Uint8Array): void {
    stream.data(data);
  }

  onStreamTrailers(stream: GrpcTsClientStream, trailers: string[]): void {
    stream.trailers(fieldsToObject(trailers));
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
    this.closing.push(stream);
    this.streamFinished();
    this.scheduleFlush();
  }

  onGoAway(_lastStreamId: number, errorCode: number): void {
    this.listener.onGoAway(errorCode);
  }

  onPingAck(): void {}

  onConnectionClose(error: Http2Error | undefined): void {
    if (error !== undefined) this.error ??= error;
    this.scheduleFlush();
  }

  /** The error given to streams that died with the connection. */
  connectionError(): Error {
    return this.error ?? new Error("the connection was closed");
  }
}

function flushConnection(c: GrpcTsClientConnection): void {
  c.runScheduledFlush();
}

function destroySocket(socket: Socket): void {
  socket.destroy();
}

/** One request stream of our engine, as the seam's ClientStream. */
class GrpcTsClientStream implements ClientStream, SocketDrainWaiter {
  readonly listener: ClientStreamListener;
  handle!: ClientStreamHandle;
  closed = false;
  localEnded = false;
  private readonly connection: GrpcTsClientConnection;
  private paused = false;
  /** Data (and then trailers, close) that arrived while paused. */
  private held: Uint8Array[] | undefined;
  private heldTrailers: InHeaders | undefined;
  private closeHeld = false;
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

  reset(code: number): void {
    if (this.closed) {
      // Closed, with events held for a reader that now gives up: tell the close at once.
      if (this.closeHeld) {
        this.releaseHeld();
        this.tellClose();
      }
      return;
    }
    this.connection.conn.reset(this.handle, code);
    this.connection.scheduleFlush();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.deliverHeld();
    this.connection.scheduleFlush(); // window updates for what was consumed
  }

  // ---- from the connection ----

  data(chunk: Uint8Array): void {
    if (this.paused || this.held !== undefined) {
      this.held ??= [];
      this.held.push(chunk);
      return;
    }
    this.listener.onData(chunk);
    // Consumed as delivered: while paused, held data is not, and the server's window closes.
    this.connection.conn.consume(this.handle, chunk.length);
  }

  trailers(trailers: InHeaders): void {
    if (this.held !== undefined) this.heldTrailers = trailers;
    else this.listener.onTrailers(trailers);
  }

  closedWith(code: number, diedWithConnection: boolean): void {
    this.closed = true;
    this.closeCode = code;
    this.diedWithConnection = diedWithConnection;
  }

  tellClose(): void {
    if (this.held !== undefined) {
      this.closeHeld = true; // after the held data, on resume
      return;
    }
    this.closeHeld = false;
    const error = this.diedWithConnection ? this.connection.connectionError() : undefined;
    this.listener.onClose(this.closeCode, error);
  }

  private deliverHeld(): void {
    const held = this.held;
    if (held === undefined) return;
    const l = this.listener;
    // bounded: each pass takes one chunk, and a pause stops it
    while (held.length > 0 && !this.paused) {
      const chunk = held.shift()!;
      l.onData(chunk);
      this.connection.conn.consume(this.handle, chunk.length);
    }
    if (held.length > 0) return;
    this.held = undefined;
    const trailers = this.heldTrailers;
    if (trailers !== undefined) {
      this.heldTrailers = undefined;
      l.onTrailers(trailers);
    }
    if (this.closeHeld) this.tellClose();
  }

  /** Held data nobody will read is still returned to the connection's window. */
  private releaseHeld(): void {
    let n = 0;
    for (const c of this.held ?? []) n += c.length;
    this.held = undefined;
    this.heldTrailers = undefined;
    if (n > 0) this.connection.conn.consume(this.handle, n);
  }
}
