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
import { engineConnectionOptions } from "./engine.js";
import { bindListener, closeListener } from "./listen-socket.js";
import { createHttp1Acceptor } from "./node-http1-stream.js";
import type { EngineListenOptions, ListenTarget } from "./node-server.js";
import { peerOf, tlsInfoOf } from "./peer.js";
import { sniffHttpVersion } from "./protocol-sniff.js";
import type { ServerEngine, ServerStream, ServerStreamListener } from "./seam.js";
import { type SocketDrainWaiter, SocketDrainWaiters } from "./socket-drain.js";

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

/** How long a client has to acknowledge our SETTINGS (RFC 9113 §6.5.3). */
const SETTINGS_TIMEOUT_MS = 10_000;
/** How long the first GOAWAY of a shutdown waits for its PING's answer before the final one. */
const GOAWAY_PING_TIMEOUT_MS = 1_000;
/**
 * Output the socket holds for a peer that is not reading it, past which we stop reading that peer
 * (every frame it sends may need an answer: PING and SETTINGS acknowledgements, responses), until
 * the socket drains. So a peer that sends and never reads holds a bounded amount of our memory.
 */
const MAX_SOCKET_BACKLOG = 1 << 20;
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
class H2Connection implements ServerConnectionListener<H2Stream> {
  readonly conn: ServerConnection<H2Stream>;
  readonly peer: string;
  readonly tls: TlsInfo | undefined;
  private readonly socket: Socket;
  private readonly onStream: (stream: ServerStream) => void;
  private readonly registry: Set<H2Connection>;
  private flushScheduled = false;
  /** Streams whose close the seam is told after the output that ended them is written. */
  private closing: H2Stream[] = [];
  private settingsTimer: ReturnType<typeof setTimeout> | undefined;
  private goAwayTimer: ReturnType<typeof setTimeout> | undefined;
  /** Streams that wrote past WRITE_HIGH_WATER, told `onDrain` once the socket has taken the output. */
  private readonly writersWaiting: SocketDrainWaiters;
  /** Reading is paused while the socket holds more than MAX_SOCKET_BACKLOG for the peer. */
  private readPaused = false;
  private readonly stallTimeoutMs: number;
  private stallTimer: ReturnType<typeof setTimeout> | undefined;
  /** `dataOctetsSent` and the socket's `bytesWritten` when the stall timer started. */
  private stallMark = -1;
  /** Output was waiting on the peer when the stall timer last fired. */
  private stallWaiting = false;

  constructor(socket: Socket, options: EngineListenOptions, registry: Set<H2Connection>) {
    this.socket = socket;
    this.writersWaiting = new SocketDrainWaiters(socket);
    this.onStream = options.onStream;
    this.registry = registry;
    // Read the peer now: once the connection is gone, its socket address is too.
    this.peer = peerOf(socket);
    this.tls = tlsInfoOf(socket);
    this.conn = new ServerConnection<H2Stream>(this, {
      maxConcurrentStreams: Math.min(options.maxConcurrentStreams ?? 4_294_967_295, 4_294_967_295),
      maxHeaderListSize: options.maxHeaderListSize ?? 16 * 1024,
      headerListTooLargeResponse: TOO_LARGE_RESPONSE,
      ...engineConnectionOptions(options.flowControlWindow),
    });
    this.stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", () => {});
    socket.on("close", () => this.closed());
    this.settingsTimer = setTimeout(() => {
      this.settingsTimer = undefined;
      this.conn.settingsTimedOut();
      this.flush();
    }, SETTINGS_TIMEOUT_MS);
    this.settingsTimer.unref();
    this.flush(); // our SETTINGS
    socket.resume(); // the plaintext sniffer leaves it paused, its first bytes put back
  }

  private receive(chunk: Buffer): void {
    try {
      this.conn.receive(chunk);
    } catch {
      // A handler threw from inside an event: the connection's state cannot be trusted now.
      this.conn.terminate(ErrorCode.INTERNAL_ERROR, "internal error");
    }
    if (this.settingsTimer !== undefined && !this.conn.settingsAckPending) {
      clearTimeout(this.settingsTimer);
      this.settingsTimer = undefined;
    }
    this.flush();
  }

  /**
   * Writes what the connection has produced, then tells the closes of streams: a call that learns
   * its stream closed may end the server at once (a shutdown waiting for it), and its response
   * must be on the socket by then. Ends the socket once the connection is over.
   */
  flush(): void {
    const out = this.conn.takeOutput();
    const closing = this.closing;
    if (closing.length > 0) this.closing = [];
    if (out !== undefined && !this.socket.destroyed) {
      // Closes are told once the socket has taken the bytes that ended the streams, a turn of the
      // event loop later (as node:http2 does): by then a client in this process has read them.
      if (closing.length > 0) this.socket.write(out, () => setImmediate(tellCloses, closing));
      else this.socket.write(out);
    } else if (closing.length > 0) {
      tellCloses(closing);
    }
    if (this.conn.isClosed && !this.socket.destroyed) {
      this.socket.end();
      return;
    }
    this.writersWaiting.settle();
    if (this.socket.writableLength > MAX_SOCKET_BACKLOG && !this.readPaused) {
      this.readPaused = true;
      this.socket.pause();
      this.socket.once("drain", () => {
        this.readPaused = false;
        this.socket.resume();
      });
    }
    // The timer runs while there are streams (or unsent bytes); what it checks is computed only
    // when it fires, so the hot path pays one comparison.
    if (this.stallTimer === undefined && (this.conn.streamCount > 0 || this.socket.writableLength > 0))
      this.startStallTimer();
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
    return this.conn.outputLength + this.socket.writableLength;
  }

  /** `stream` wrote past WRITE_HIGH_WATER: it is told `onDrain` once the socket has taken the output. */
  waitForSocket(stream: H2Stream): void {
    this.writersWaiting.add(stream);
    this.scheduleFlush();
  }

  /** Output produced outside `receive` (handlers answering later) goes out once per loop turn. */
  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(flushConnection, this);
  }

  runScheduledFlush(): void {
    this.flushScheduled = false;
    this.flush();
  }

  shutdown(): void {
    this.conn.shutdown();
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

  private closed(): void {
    this.conn.transportClosed();
    this.flush();
    if (this.settingsTimer !== undefined) clearTimeout(this.settingsTimer);
    if (this.goAwayTimer !== undefined) clearTimeout(this.goAwayTimer);
    if (this.stallTimer !== undefined) clearTimeout(this.stallTimer);
    this.registry.delete(this);
    this.writersWaiting.release();
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
    this.closing.push(stream);
    this.scheduleFlush();
  }

  onGoAway(): void {}

  onConnectionClose(_error: Http2Error | undefined): void {
    if (this.goAwayTimer !== undefined) clearTimeout(this.goAwayTimer);
    this.scheduleFlush();
  }
}

function flushConnection(c: H2Connection): void {
  c.runScheduledFlush();
}

function tellCloses(streams: H2Stream[]): void {
  for (const stream of streams) stream.tellClose();
}

/** One request stream of our engine, as the seam's ServerStream. */
class H2Stream implements ServerStream, SocketDrainWaiter {
  readonly httpVersion = "2" as const;
  listener: ServerStreamListener | undefined;
  private readonly connection: H2Connection;
  private readonly id: number;
  readonly requestFields: string[];
  private sent = false;
  private isClosed = false;
  private paused = false;
  /** Data and end that arrived while paused (or before `listen`). */
  private held: Uint8Array[] = [];
  private endHeld = false;
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
    else this.deliverHeld();
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
    this.deliverHeld();
    this.connection.scheduleFlush(); // window updates for what was consumed
  }

  // ---- from the connection ----

  data(chunk: Uint8Array): void {
    const l = this.listener;
    if (l === undefined || this.paused || this.held.length > 0) {
      this.held.push(chunk);
      return;
    }
    l.onData(chunk);
    // Consumed as delivered: while paused, held data is not, and the client's window closes.
    this.connection.conn.consume(this.id, chunk.length);
  }

  ended(): void {
    if (this.listener === undefined || this.paused || this.held.length > 0) {
      this.endHeld = true;
      return;
    }
    this.listener.onEnd();
  }

  /** The stream is gone (writes are ignored from now); `tellClose` follows after the next flush. */
  closedWith(code: number): void {
    this.isClosed = true;
    this.closeCode = code;
  }

  tellClose(): void {
    const l = this.listener;
    if (l === undefined) {
      this.closeToTell = true; // told on listen
      return;
    }
    this.closeToTell = false;
    this.releaseHeld();
    l.onClose(this.closeCode);
  }

  private deliverHeld(): void {
    const l = this.listener;
    if (l === undefined || this.isClosed) return;
    // bounded: each pass takes one chunk, and a pause (or a close) stops it
    while (this.held.length > 0 && !this.paused && !this.isClosed) {
      const chunk = this.held.shift()!;
      l.onData(chunk);
      this.connection.conn.consume(this.id, chunk.length);
    }
    if (this.endHeld && this.held.length === 0 && !this.paused && !this.isClosed) {
      this.endHeld = false;
      l.onEnd();
    }
  }

  /** Held data nobody will read is still returned to the connection's window. */
  private releaseHeld(): void {
    this.endHeld = false;
    if (this.held.length === 0) return; // the usual case: no `length = 0` (a builtin call)
    let n = 0;
    for (const c of this.held) n += c.length;
    this.held.length = 0;
    if (n > 0) this.connection.conn.consume(this.id, n);
  }
}
