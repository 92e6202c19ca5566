/**
 * The socket pump of our engine, for both sides: it reads the socket's chunks into the sans-I/O
 * connection, writes the connection's output to the socket in batches (what one chunk produces is
 * one write; what calls produce later, one write per turn of the event loop), makes writers that
 * wrote past what the socket should hold wait for it (socket-drain.ts), stops reading a peer
 * that does not read what we answer, times the peer's SETTINGS acknowledgement, ends the socket
 * once the connection is over, and tells the connection when the socket closes.
 *
 * When a stream's close is told (the one rule of both sides): never from inside a call into the
 * connection, always after the events that preceded it, and once the socket has taken the output
 * of the batch that ended the stream (the write's callback, then a turn of the event loop, as
 * node:http2 does); when the batch has no output, at the end of that flush. So whoever learns of
 * the close may act at once: a server call ending a shutdown finds its response on the socket
 * (read by a client in this process by then), a client retries a refused stream on another
 * connection without re-entering this one.
 */
import type { Socket } from "node:net";
import { ErrorCode } from "@grpc-ts/http2";
import { type SocketDrainWaiter, SocketDrainWaiters } from "./socket-drain.js";

/** How long the peer has to acknowledge our SETTINGS (RFC 9113 §6.5.3). */
const SETTINGS_TIMEOUT_MS = 10_000;
/**
 * Output the socket holds for a peer that is not reading it, past which a server stops reading
 * that peer (every frame it sends may need an answer: PING and SETTINGS acknowledgements,
 * responses), until the socket drains. So a client that sends and never reads holds a bounded
 * amount of a server's memory. A client never stops reading for this: its output is its own
 * requests, whose writers already wait for the socket (socket-drain.ts), and the few frames a
 * server provokes (acknowledgements) are bounded by the flood budget. Were both sides to stop
 * reading while both had more than this to send, neither would read again: a deadlock seen with
 * the interop concurrency case (1000 calls of 300 KB each way) once a client's windows let the
 * server send 4 MiB per stream.
 */
export const MAX_SOCKET_BACKLOG = 1 << 20;

/** What the driver uses of a `ServerConnection` or `ClientConnection`. */
export interface DrivenConnection {
  receive(chunk: Uint8Array): void;
  takeOutput(): Uint8Array | undefined;
  terminate(errorCode: number, message?: string): void;
  settingsTimedOut(): void;
  transportClosed(): void;
  readonly isClosed: boolean;
  readonly settingsAckPending: boolean;
  readonly outputLength: number;
}

/** The adapter's steps around the driver's. */
export interface SocketDriverOwner {
  /** The first error the connection dies of: the socket's, or a listener's throw while reading. */
  onError(error: unknown): void;
  /** First in each flush, before the output is taken: the adapter's own last steps of a batch. */
  beforeOutput(): void;
  /** Last in each flush of a connection that is still open. */
  afterOutput(): void;
  /** The socket closed: the connection, and the closes of its streams, have been told. */
  onSocketClose(): void;
}

/** A stream whose close is to be told (see the rule above). */
export interface ClosingStream {
  tellClose(): void;
}

export class SocketDriver {
  readonly socket: Socket;
  private readonly conn: DrivenConnection;
  private readonly owner: SocketDriverOwner;
  /** After our side of a finished connection is ended, how long the peer has to close its side. */
  private readonly closeGraceMs: number | undefined;
  /** Streams whose writer waits for the socket to take the output. */
  private readonly drainWaiters: SocketDrainWaiters;
  /** Output may be written: from `start` until the connection is over or the socket closed. */
  private writable = false;
  private flushScheduled = false;
  /** Streams whose close is told after the current batch's output (see the rule above). */
  private closing: ClosingStream[] = [];
  /** Reading is paused while the socket holds more than MAX_SOCKET_BACKLOG for the peer. */
  private readPaused = false;
  private settingsTimer: ReturnType<typeof setTimeout> | undefined;

  /** The server side: reading pauses while the socket holds more than MAX_SOCKET_BACKLOG. */
  private readonly pausesReading: boolean;

  constructor(
    socket: Socket,
    conn: DrivenConnection,
    owner: SocketDriverOwner,
    side: "client" | "server",
    closeGraceMs?: number,
  ) {
    this.socket = socket;
    this.pausesReading = side === "server";
    this.conn = conn;
    this.owner = owner;
    this.closeGraceMs = closeGraceMs;
    this.drainWaiters = new SocketDrainWaiters(socket);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    // A socket error (a reset, a refused connection, a TLS alert) ends the connection: `close` follows.
    socket.on("error", (e: Error) => {
      owner.onError(e);
      socket.destroy();
    });
    socket.on("close", () => this.closed());
  }

  /** The socket is ready for HTTP/2: our first output goes, and the SETTINGS timer starts. */
  start(): void {
    this.socket.setNoDelay(true);
    this.writable = true;
    this.settingsTimer = setTimeout(() => {
      this.settingsTimer = undefined;
      this.conn.settingsTimedOut();
      this.flush();
    }, SETTINGS_TIMEOUT_MS);
    this.settingsTimer.unref();
    this.flush();
  }

  /** Output waiting for the socket: produced and not yet written, or written and not yet sent. */
  get backlog(): number {
    return this.conn.outputLength + this.socket.writableLength;
  }

  /**
   * Writes what the connection has produced, then tells the closes of streams (see the rule
   * above). Ends the socket once the connection is over.
   */
  flush(): void {
    this.owner.beforeOutput();
    const socket = this.socket;
    const out = this.writable && !socket.destroyed ? this.conn.takeOutput() : undefined;
    const closing = this.closing;
    if (closing.length > 0) this.closing = [];
    if (out !== undefined) {
      if (closing.length > 0) socket.write(out, () => setImmediate(tellCloses, closing));
      else socket.write(out);
    } else if (closing.length > 0) {
      tellCloses(closing);
    }
    if (this.writable) this.drainWaiters.settle();
    if (this.conn.isClosed) {
      if (this.writable) {
        this.writable = false;
        if (!socket.destroyed) {
          socket.end();
          if (this.closeGraceMs !== undefined) setTimeout(destroySocket, this.closeGraceMs, socket).unref();
        }
      }
      return;
    }
    if (this.pausesReading && socket.writableLength > MAX_SOCKET_BACKLOG && !this.readPaused) {
      // The peer sends faster than it reads what we answer: stop reading until it catches up.
      this.readPaused = true;
      socket.pause();
      socket.once("drain", () => {
        this.readPaused = false;
        socket.resume();
      });
    }
    this.owner.afterOutput();
  }

  /** Output produced outside `receive` (calls writing later) goes out once per loop turn. */
  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(runScheduledFlush, this);
  }

  runScheduledFlush(): void {
    this.flushScheduled = false;
    this.flush();
  }

  /** `stream` closed (the connection said so): its close is told after this batch's output. */
  closeLater(stream: ClosingStream): void {
    this.closing.push(stream);
    this.scheduleFlush();
  }

  /** `writer` waits until the socket has taken the output (decided at the next flush). */
  waitForDrain(writer: SocketDrainWaiter): void {
    this.drainWaiters.add(writer);
    this.scheduleFlush();
  }

  private receive(chunk: Buffer): void {
    try {
      this.conn.receive(chunk);
    } catch (e) {
      // A listener threw from inside an event: the connection's state cannot be trusted now.
      this.owner.onError(e);
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
    this.settingsTimer = undefined;
    this.writable = false;
    this.conn.transportClosed();
    this.flush();
    // Writers waiting for a drain that will not come are released (their writes are ignored now).
    this.drainWaiters.release();
    this.owner.onSocketClose();
  }
}

function runScheduledFlush(driver: SocketDriver): void {
  driver.runScheduledFlush();
}

function tellCloses(streams: ClosingStream[]): void {
  for (const stream of streams) stream.tellClose();
}

function destroySocket(socket: Socket): void {
  socket.destroy();
}
