// An HTTP/2 proxy on loopback that holds streams and windows back the way HAProxy (2.6) does, for
// tests of how a client or server copes with such a peer without installing one. Built on our own
// engine's two sans-I/O connections, one per side:
//
// - It advertises SETTINGS_MAX_CONCURRENT_STREAMS (100 by default) and stream windows of 65535
//   both ways, and opens the connection windows wide at once (so its peers only ever wait for
//   its stream windows). It returns window as it forwards, not as the far side consumes.
// - Each stream has a small buffer each way (`streamBuffer`, HAProxy's 16 KiB): a frame that
//   leaves more than that waiting for the far side's window stops the proxy reading that whole
//   connection until the stream drains (the socket is paused, so what follows, WINDOW_UPDATE
//   frames included, stays unread). That is where a peer that lets its own WINDOW_UPDATE sit
//   behind its DATA, waiting for the proxy to send, waits forever.
// - It reads at its own pace: at most `framesPerTurn` frames of a connection per event-loop turn.
//
// One backend connection per client connection; streams map one to one. It stops by itself only
// when asked (`close`), which destroys every socket.
import { createConnection, createServer, type Socket } from "node:net";
import {
  ClientConnection,
  type ClientConnectionListener,
  type ClientStreamHandle,
  ErrorCode,
  ServerConnection,
  type ServerConnectionListener,
} from "@grpc-ts/http2";
import { listenLoopback } from "./loopback.js";

export interface H2ProxyOptions {
  /** SETTINGS_MAX_CONCURRENT_STREAMS toward the client. Default 100. */
  readonly maxConcurrentStreams?: number;
  /** The stream window the proxy announces on both sides. Default 65535. */
  readonly streamWindow?: number;
  /** Octets a stream may have waiting for the far side before the proxy stops reading. Default 16384. */
  readonly streamBuffer?: number;
  /** Frames read from one connection per event-loop turn. Default 64. */
  readonly framesPerTurn?: number;
}

export interface H2Proxy {
  readonly port: number;
  /** `127.0.0.1:PORT`. */
  readonly address: string;
  /** Client connections accepted so far. */
  readonly accepted: number;
  /** Streams the client opened through the proxy so far. */
  readonly streams: number;
  /** The most streams open at once on one client connection. */
  readonly maxOpenStreams: number;
  /** Times a connection's reading stopped because a stream's buffer was full. */
  readonly readStops: number;
  /** Client connections whose reading waits for a stream's buffer to drain now. */
  readonly clientsHeld: number;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

const PREFACE_LENGTH = 24;
const MAX_WINDOW = 0x7fffffff;

/** One stream through the proxy: its id on the client's side, its handle on the backend's. */
interface Pair {
  readonly frontId: number;
  back: ClientStreamHandle | undefined;
  frontTrailers: boolean;
  backTrailers: boolean;
  closed: boolean;
}

/** One side's socket and connection, read one frame at a time so that reading can stop mid-chunk. */
class Side {
  readonly socket: Socket;
  readonly conn: ServerConnection<Pair> | ClientConnection<Pair>;
  /** Octets read from the socket, not yet given to the connection. */
  private pending: Buffer = Buffer.alloc(0);
  /** The client preface still to pass on whole (front side only). */
  private prefaceLeft: number;
  /** Streams whose forwarded output waits past the buffer: reading waits for their drain. */
  readonly blockedOn = new Set<Pair>();
  /** Reading waits for a stream (the socket is paused). */
  held = false;
  private scheduled = false;
  private readonly framesPerTurn: number;
  /** Reading stopped (true) or went on (false). */
  private readonly onStop: (stopped: boolean) => void;
  /** Called after each batch of frames read, to write what both connections produced. */
  flushAll: () => void = () => {};

  constructor(
    socket: Socket,
    conn: ServerConnection<Pair> | ClientConnection<Pair>,
    front: boolean,
    framesPerTurn: number,
    onStop: (stopped: boolean) => void,
  ) {
    this.socket = socket;
    this.conn = conn;
    this.prefaceLeft = front ? PREFACE_LENGTH : 0;
    this.framesPerTurn = framesPerTurn;
    this.onStop = onStop;
    socket.on("data", (chunk: Buffer) => {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      this.pump();
    });
  }

  /** Gives the connection whole frames while no stream blocks it, `framesPerTurn` per turn. */
  pump(): void {
    for (let frames = 0; this.blockedOn.size === 0 && !this.conn.isClosed; frames++) {
      const n = this.nextLength();
      if (n === 0) break;
      if (frames === this.framesPerTurn) {
        this.later();
        break;
      }
      const frame = this.pending.subarray(0, n);
      this.pending = this.pending.subarray(n);
      this.prefaceLeft = 0;
      this.conn.receive(frame);
    }
    // Read more only while nothing is held back and what was read is used up.
    if (this.blockedOn.size > 0) {
      if (!this.held) this.onStop(true);
      this.held = true;
      this.socket.pause();
    } else {
      if (this.held) this.onStop(false);
      this.held = false;
      if (this.nextLength() === 0) this.socket.resume();
    }
    this.flushAll();
  }

  /** A stream drained: reading goes on once no stream blocks it. */
  unblock(pair: Pair): void {
    if (this.blockedOn.delete(pair) && this.blockedOn.size === 0) this.later();
  }

  private later(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** The length of the next whole unit of input (the preface, or a frame), or 0 when incomplete. */
  private nextLength(): number {
    const p = this.pending;
    if (this.prefaceLeft > 0) return p.length < this.prefaceLeft ? 0 : this.prefaceLeft;
    if (p.length < 9) return 0;
    const n = 9 + ((p[0]! << 16) | (p[1]! << 8) | p[2]!);
    return p.length >= n ? n : 0;
  }

  write(): void {
    const out = this.conn.takeOutput();
    if (out !== undefined && !this.socket.destroyed) this.socket.write(out);
    if (this.conn.isClosed && !this.socket.destroyed) this.socket.end();
  }
}

/** Listens on a free port of 127.0.0.1 and forwards each HTTP/2 connection to `host:port`. */
export async function startH2Proxy(
  host: string,
  port: number,
  options: H2ProxyOptions = {},
): Promise<H2Proxy> {
  const maxConcurrentStreams = options.maxConcurrentStreams ?? 100;
  const streamWindow = options.streamWindow ?? 65535;
  const streamBuffer = options.streamBuffer ?? 16384;
  const framesPerTurn = options.framesPerTurn ?? 64;
  const sockets = new Set<Socket>();
  let accepted = 0;
  let streams = 0;
  let maxOpenStreams = 0;
  let readStops = 0;
  let clientsHeld = 0;
  const countStop = (stopped: boolean) => {
    if (stopped) readStops++;
  };
  const countClientStop = (stopped: boolean) => {
    countStop(stopped);
    clientsHeld += stopped ? 1 : -1;
  };

  const server = createServer((clientSocket) => {
    accepted++;
    const backSocket = createConnection({ host, port });
    sockets.add(clientSocket);
    sockets.add(backSocket);
    let open = 0;
    const shared = {
      connectionWindowSize: MAX_WINDOW,
      initialWindowSize: streamWindow,
      streamHighWaterMark: streamBuffer,
      // Frames are forwarded one by one, each a small cost the budget need not count.
      floodBudget: 1_000_000,
    };
    // Filled in once both sides exist (their listeners refer to each other).
    let front!: Side;
    let back!: Side;
    const frontConn = (): ServerConnection<Pair> => front.conn as ServerConnection<Pair>;
    const backConn = (): ClientConnection<Pair> => back.conn as ClientConnection<Pair>;
    const finish = (pair: Pair) => {
      if (pair.closed) return;
      pair.closed = true;
      open--;
    };

    const frontListener: ServerConnectionListener<Pair> = {
      onStreamOpen(streamId, headers, endStream) {
        streams++;
        open++;
        if (open > maxOpenStreams) maxOpenStreams = open;
        const pair: Pair = {
          frontId: streamId,
          back: undefined,
          frontTrailers: false,
          backTrailers: false,
          closed: false,
        };
        pair.back = backConn().request(headers, pair, endStream);
        return pair;
      },
      onStreamData(pair, data) {
        if (pair.back === undefined) return;
        const ok = backConn().write(pair.back, data);
        // Window goes back to the client as the proxy takes the data, not as the server does.
        frontConn().consume(pair.frontId, data.length);
        if (!ok && !pair.closed) front.blockedOn.add(pair);
      },
      onStreamTrailers(pair, trailers) {
        pair.frontTrailers = true;
        if (pair.back !== undefined) backConn().end(pair.back, trailers);
      },
      onStreamEnd(pair) {
        if (!pair.frontTrailers && pair.back !== undefined) backConn().end(pair.back);
      },
      onStreamDrain(pair) {
        // Response data reached the client's window: the backend may be read again.
        back.unblock(pair);
      },
      onStreamClose(pair, errorCode) {
        front.blockedOn.delete(pair);
        back.unblock(pair);
        if (errorCode !== ErrorCode.NO_ERROR && pair.back !== undefined && !pair.closed)
          backConn().reset(pair.back, errorCode);
        finish(pair);
      },
      onGoAway() {
        backConn().close();
      },
      onConnectionClose() {
        front.write();
        backSocket.destroy();
      },
    };

    const backListener: ClientConnectionListener<Pair> = {
      onReady() {},
      onStreamHeaders(pair, headers, endStream) {
        if (!pair.closed) frontConn().respond(pair.frontId, headers, endStream);
      },
      onStreamData(pair, data) {
        const ok = frontConn().write(pair.frontId, data);
        if (pair.back !== undefined) backConn().consume(pair.back, data.length);
        if (!ok && !pair.closed) back.blockedOn.add(pair);
      },
      onStreamTrailers(pair, trailers) {
        pair.backTrailers = true;
        frontConn().end(pair.frontId, trailers);
      },
      onStreamEnd(pair) {
        if (!pair.backTrailers) frontConn().end(pair.frontId);
      },
      onStreamDrain(pair) {
        // Request data reached the server's window: the client may be read again.
        front.unblock(pair);
      },
      onStreamClose(pair, errorCode) {
        back.blockedOn.delete(pair);
        front.unblock(pair);
        if (errorCode !== ErrorCode.NO_ERROR && !pair.closed) frontConn().reset(pair.frontId, errorCode);
      },
      onGoAway() {},
      onPingAck() {},
      onConnectionClose() {
        back.write();
        clientSocket.destroy();
      },
    };

    front = new Side(
      clientSocket,
      new ServerConnection<Pair>(frontListener, { ...shared, maxConcurrentStreams }),
      true,
      framesPerTurn,
      countClientStop,
    );
    back = new Side(
      backSocket,
      new ClientConnection<Pair>(backListener, shared),
      false,
      framesPerTurn,
      countStop,
    );
    const flushAll = () => {
      front.write();
      back.write();
    };
    front.flushAll = flushAll;
    back.flushAll = flushAll;
    flushAll();

    const end = () => {
      clientSocket.destroy();
      backSocket.destroy();
      sockets.delete(clientSocket);
      sockets.delete(backSocket);
    };
    clientSocket.on("close", () => {
      if (front.held) {
        front.held = false;
        clientsHeld--;
      }
      front.conn.transportClosed();
      end();
    });
    backSocket.on("close", () => {
      back.conn.transportClosed();
      end();
    });
    clientSocket.on("error", end);
    backSocket.on("error", end);
  });
  const listenPort = await listenLoopback(server);
  return {
    port: listenPort,
    address: `127.0.0.1:${listenPort}`,
    get accepted() {
      return accepted;
    },
    get streams() {
      return streams;
    },
    get maxOpenStreams() {
      return maxOpenStreams;
    },
    get readStops() {
      return readStops;
    },
    get clientsHeld() {
      return clientsHeld;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
