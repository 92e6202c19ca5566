/**
 * Our own HTTP/2 engine (@grpc-ts/http2) behind the seam: the sans-I/O `ServerConnection` on
 * `node:net` and `node:tls` sockets: the default engine (http2/engine.ts); `engine: "node"` picks
 * node:http2 instead.
 *
 * Output is batched: what the connection produces while handling one chunk from the socket is one
 * `socket.write`, and what handlers produce later (after awaiting) is flushed once per turn of the
 * event loop (`setImmediate`), so many calls answered in one turn share a write.
 *
 * HTTP/1.1 on the same port (gRPC-Web) goes to node:http like with node:http2: by the first bytes
 * in plaintext, by ALPN over TLS.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import type { TlsInfo } from "@grpc-ts/core";
import type { HeaderFields } from "@grpc-ts/core/protocol";
import { ErrorCode, type Http2Error, ServerConnection, type ServerConnectionListener } from "@grpc-ts/http2";
import { ServerConnectionManager } from "./connection-policy.js";
import { advertisedStreamLimit, engineConnectionOptions } from "./engine.js";
import { bindListener, closeListener } from "./listen-socket.js";
import { createHttp1Acceptor } from "./node-http1-stream.js";
import type { EngineListenOptions, ListenTarget } from "./node-server.js";
import { peerOf, tlsInfoOf } from "./peer.js";
import { sniffHttpVersion } from "./protocol-sniff.js";
import type { ServerEngine, ServerStream, ServerStreamListener } from "./seam.js";
import type { SocketDrainWaiter } from "./socket-drain.js";
import { type ClosingStream, SocketDriver, type SocketDriverOwner } from "./socket-driver.js";
import {
  dropHeld,
  type InboxStream,
  replayHeld,
  type StreamInbox,
  takeData,
  takeEnd,
} from "./stream-inbox.js";

/** A request whose metadata is over the limit gets a gRPC status (node:http2 resets the stream). */
const TOO_LARGE_RESPONSE = [
  ":status",
  "200",
  "content-type",
  "application/grpc",
  "grpc-status",
  "8", // RESOURCE_EXHAUSTED
  "grpc-message",
  "request metadata exceeds the server's limit",
];

/** The payload of our keepalive PINGs. */
const KEEPALIVE_PING = Uint8Array.of(0x6b, 0x61, 0x2d, 0x67, 0x74, 0x73, 0x00, 0x01);

/** How long the first GOAWAY of a shutdown waits for its PING's answer before the final one. */
const GOAWAY_PING_TIMEOUT_MS = 1_000;
/**
 * Output waiting for the socket (produced and not yet written, or written and not yet sent) past
 * which a stream's `write` returns false until the socket drains: a handler that writes faster
 * than the peer reads (a stream produced in one go) waits instead of filling memory, and its
 * output goes out in batches of this size rather than one buffer grown to the whole response.
 */
const WRITE_HIGH_WATER = 1 << 17;
export const DEFAULT_STALL_TIMEOUT_MS = 120_000;

export function listenGrpcTsHttp2(
  target: ListenTarget,
  options: EngineListenOptions,
): Promise<{ engine: ServerEngine; port: number }> {
  const connections = new Set<H2Connection>();
  const http1 = createHttp1Acceptor(options.onStream);
  const startHttp2 = (socket: Socket) => {
    const c = new H2Connection(socket, options, connections);
    connections.add(c);
  };
  let listener: NetServer;
  if (options.tls === undefined) {
    listener = createNetServer((socket) =>
      sniffHttpVersion(socket, (isHttp2) => {
        if (isHttp2) startHttp2(socket);
        else http1.accept(socket);
      }),
    );
  } else {
    const tls = options.tls;
    listener = createTlsServer(
      {
        key: tls.key,
        cert: tls.cert,
        ...(tls.ca === undefined ? {} : { ca: tls.ca as string | Buffer | (string | Buffer)[] }),
        requestCert: (tls.clientCert ?? "none") !== "none",
        rejectUnauthorized: tls.clientCert === "require",
        ALPNProtocols: ["h2", "http/1.1"],
      },
      (socket: TLSSocket) => {
        if (socket.alpnProtocol === "h2") startHttp2(socket);
        else http1.accept(socket);
      },
    );
    listener.on("tlsClientError", () => {});
  }
  options.connectionLimit?.guard(listener);

  const engine: ServerEngine = {
    stopAccepting: () => closeListener(listener),
    goAwayAll() {
      for (const c of connections) c.shutdown();
      http1.closeIdle();
    },
    destroyAll() {
      for (const c of connections) c.destroy();
      http1.destroyAll();
    },
    get connectionCount() {
      return connections.size + http1.connectionCount;
    },
  };

  return bindListener(listener, target).then((port) => ({ engine, port }));
}

/** One HTTP/2 connection: a socket and a ServerConnection, the listener of its events. */
class H2Connection implements ServerConnectionListener<H2Stream>, SocketDriverOwner {
  readonly conn: ServerConnection<H2Stream>;
  readonly peer: string;
  readonly tls: TlsInfo | undefined;
  private readonly socket: Socket;
  /** The socket pump: reading, batched output, drains, and when closes are told. */
  private readonly driver: SocketDriver;
  private readonly onStream: (stream: ServerStream) => void;
  private readonly registry: Set<H2Connection>;
  private goAwayTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly stallTimeoutMs: number;
  private stallTimer: ReturnType<typeof setTimeout> | undefined;
  /** `dataOctetsSent` and the socket's `bytesWritten` when the stall timer started. */
  private stallMark = -1;
  /** Output was waiting on the peer when the stall timer last fired. */
  private stallWaiting = false;
  /** Keepalive PINGs and the connection's lifetime (connection-policy.ts), when configured. */
  private readonly manager: ServerConnectionManager | undefined;

  constructor(socket: Socket, options: EngineListenOptions, registry: Set<H2Connection>) {
    this.socket = socket;
    this.onStream = options.onStream;
    this.registry = registry;
    // Read the peer now: once the connection is gone, its socket address is too.
    this.peer = peerOf(socket);
    this.tls = tlsInfoOf(socket);
    this.conn = new ServerConnection<H2Stream>(this, {
      maxConcurrentStreams: advertisedStreamLimit(options.maxConcurrentStreams) ?? Number.POSITIVE_INFINITY,
      maxHeaderListSize: options.maxHeaderListSize ?? 16 * 1024,
      headerListTooLargeResponse: TOO_LARGE_RESPONSE,
      ...engineConnectionOptions(options.flowControlWindow, "server"),
      ...(options.connectionPolicy === undefined ? {} : { pingPolicy: options.connectionPolicy.pingPolicy }),
    });
    this.stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    this.driver = new SocketDriver(socket, this.conn, this, "server");
    this.driver.start(); // our SETTINGS
    socket.resume(); // the plaintext sniffer leaves it paused, its first bytes put back
    const policy = options.connectionPolicy;
    if (policy !== undefined) {
      const conn = this.conn;
      this.manager = new ServerConnectionManager(
        {
          get bytesRead() {
            return socket.bytesRead;
          },
          get activeStreams() {
            return conn.streamCount;
          },
          sendPing: () => {
            conn.ping(KEEPALIVE_PING);
            this.flush();
          },
          goAway: (debug) => this.shutdown(debug),
          close: () => socket.destroy(),
        },
        policy,
      );
      this.manager.start();
    }
  }

  /** Writes what the connection has produced (see socket-driver.ts for when closes are told). */
  flush(): void {
    this.driver.flush();
  }

  // ---- SocketDriverOwner ----

  onError(): void {}

  beforeOutput(): void {}

  afterOutput(): void {
    // The timer runs while there are streams (or unsent bytes); what it checks is computed only
    // when it fires, so the hot path pays one comparison.
    if (this.stallTimer === undefined && (this.conn.streamCount > 0 || this.socket.writableLength > 0))
      this.startStallTimer();
  }

  onSocketClose(): void {
    this.manager?.stop();
    if (this.goAwayTimer !== undefined) clearTimeout(this.goAwayTimer);
    if (this.stallTimer !== undefined) clearTimeout(this.stallTimer);
    this.registry.delete(this);
  }

  /** Output is waiting for the peer: for its flow-control windows, or for it to read the socket. */
  private isWaitingOnPeer(): boolean {
    return this.socket.writableLength > 0 || this.conn.queuedOutputOctets > 0;
  }

  private progressMark(): number {
    return this.conn.dataOctetsSent + this.socket.bytesWritten;
  }

  /**
   * A slow-reader guard: output waiting on a peer that, for a whole `stallTimeoutMs`, neither
   * opened a window enough for any of it to go nor read any of the socket ends the connection
   * with GOAWAY ENHANCE_YOUR_CALM. A peer that reads, however slowly, is never cut off.
   */
  private startStallTimer(): void {
    this.stallMark = this.progressMark();
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      if (this.conn.isClosed) return;
      const waited = this.stallWaiting;
      this.stallWaiting = this.isWaitingOnPeer();
      if (!this.stallWaiting) {
        if (this.conn.streamCount > 0) this.startStallTimer();
        return;
      }
      // Cut only after a whole period that began and ended waiting, with nothing sent in it.
      if (waited && this.progressMark() === this.stallMark) {
        this.conn.terminate(
          ErrorCode.ENHANCE_YOUR_CALM,
          `the peer read nothing for ${this.stallTimeoutMs} ms while output waited for it`,
        );
        this.flush(); // the GOAWAY, and the socket's end
        // A peer that does not read its socket would keep it open: do not wait for it.
        if (this.socket.writableLength > 0) this.socket.destroy();
        return;
      }
      this.startStallTimer();
    }, this.stallTimeoutMs);
    this.stallTimer.unref();
  }

  /** Output waiting for the socket: produced and not yet written, or written and not yet sent. */
  get outputBacklog(): number {
    return this.driver.backlog;
  }

  /** `stream` wrote past WRITE_HIGH_WATER: it is told `onDrain` once the socket has taken the output. */
  waitForSocket(stream: H2Stream): void {
    this.driver.waitForDrain(stream);
  }

  /** Output produced outside `receive` (handlers answering later) goes out once per loop turn. */
  scheduleFlush(): void {
    this.driver.scheduleFlush();
  }

  /** Two-phase graceful GOAWAY (`debugData`: e.g. `max_age`), the final one after a PING or a second. */
  shutdown(debugData?: string): void {
    this.conn.shutdown(debugData);
    this.flush();
    if (this.goAwayTimer === undefined && !this.conn.isClosed) {
      this.goAwayTimer = setTimeout(() => {
        this.conn.finishShutdown();
        this.flush();
      }, GOAWAY_PING_TIMEOUT_MS);
      this.goAwayTimer.unref();
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  // ---- ServerConnectionListener ----

  onStreamOpen(streamId: number, headers: string[], _endStream: boolean): H2Stream {
    const stream = new H2Stream(this, streamId, headers);
    this.onStream(stream);
    return stream;
  }

  onStreamData(stream: H2Stream, data: Uint8Array): void {
    stream.data(data);
  }

  onStreamTrailers(_stream: H2Stream, _trailers: string[]): void {
    // gRPC requests carry no trailers; the seam has no event for them.
  }

  onStreamEnd(stream: H2Stream): void {
    stream.ended();
  }

  onStreamDrain(stream: H2Stream): void {
    stream.listener?.onDrain();
  }

  onStreamClose(stream: H2Stream, errorCode: number): void {
    stream.closedWith(errorCode);
    this.driver.closeLater(stream);
    this.manager?.streamClosed();
  }

  onGoAway(): void {}

  onPingAck(payload: Uint8Array): void {
    if (equalPayload(payload, KEEPALIVE_PING)) this.manager?.pingAcked();
  }

  onConnectionClose(_error: Http2Error | undefined): void {
    if (this.goAwayTimer !== undefined) clearTimeout(this.goAwayTimer);
    this.scheduleFlush();
  }
}

/** One request stream of our engine, as the seam's ServerStream. */
class H2Stream implements ServerStream, SocketDrainWaiter, ClosingStream, InboxStream<undefined> {
  readonly httpVersion = "2" as const;
  listener: ServerStreamListener | undefined;
  private readonly connection: H2Connection;
  private readonly id: number;
  readonly requestFields: string[];
  private sent = false;
  private isClosed = false;
  private paused = false;
  /** Data and end that arrived while paused (or before `listen`). */
  inbox: StreamInbox<undefined> | undefined = undefined;
  private closeCode = 0;
  /** Closed, and the connection has flushed since: `onClose` is due (on `listen` if not yet listened). */
  private closeToTell = false;

  constructor(connection: H2Connection, id: number, fields: string[]) {
    this.connection = connection;
    this.id = id;
    this.requestFields = fields;
  }

  get peer(): string {
    return this.connection.peer;
  }

  get tls(): TlsInfo | undefined {
    return this.connection.tls;
  }

  get headersSent(): boolean {
    return this.sent;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  onSocketDrain(): void {
    if (!this.isClosed) this.listener?.onDrain();
  }

  listen(listener: ServerStreamListener): void {
    this.listener = listener;
    if (this.closeToTell) this.tellClose();
    else replayHeld(this);
  }

  respond(fields: HeaderFields, endStream: boolean): void {
    if (this.isClosed || this.sent) return;
    this.sent = true;
    this.connection.conn.respond(this.id, fields, endStream);
    this.connection.scheduleFlush();
  }

  write(chunk: Uint8Array, head?: Uint8Array): boolean {
    if (this.isClosed) return true;
    const c = this.connection;
    const ok = c.conn.write(this.id, chunk, head);
    c.scheduleFlush();
    // false from the connection: its flow-control queue is full, and it tells the drain itself.
    if (ok && c.outputBacklog > WRITE_HIGH_WATER) {
      c.waitForSocket(this);
      return false;
    }
    return ok;
  }

  end(trailers: HeaderFields, lastChunk?: Uint8Array): void {
    if (this.isClosed) return;
    const conn = this.connection.conn;
    if (lastChunk !== undefined && lastChunk.length > 0) conn.write(this.id, lastChunk);
    conn.end(this.id, trailers);
    this.connection.scheduleFlush();
  }

  reset(code: number): void {
    if (this.isClosed) return;
    this.connection.conn.reset(this.id, code);
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

  ended(): void {
    takeEnd(this, undefined);
  }

  /** The stream is gone (writes are ignored from now); `tellClose` follows after the next flush. */
  closedWith(code: number): void {
    this.isClosed = true;
    this.closeCode = code;
  }

  /**
   * The close, at once: what is held is dropped (the stream has sent all it will, the rest of the
   * request is not wanted), its octets returned to the connection's window.
   */
  tellClose(): void {
    const l = this.listener;
    if (l === undefined) {
      this.closeToTell = true; // told on listen
      return;
    }
    this.closeToTell = false;
    const n = dropHeld(this);
    if (n > 0) this.connection.conn.consume(this.id, n);
    l.onClose(this.closeCode);
  }

  // ---- InboxReader ----

  get reading(): boolean {
    return this.listener !== undefined && !this.paused && !this.isClosed;
  }

  readData(chunk: Uint8Array): void {
    this.listener!.onData(chunk);
    // Consumed as delivered: while paused, held data is not, and the client's window closes.
    this.connection.conn.consume(this.id, chunk.length);
  }

  readEnd(): void {
    this.listener!.onEnd();
  }

  readClose(): void {
    this.tellClose();
  }
}

function equalPayload(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
