import * as http2 from "node:http2";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import type { TlsInfo } from "@grpc-ts/core";
import { fieldsToObject, type HeaderFields } from "@grpc-ts/core/protocol";
import { PingStrikes, TOO_MANY_PINGS } from "@grpc-ts/http2";
import { joined } from "../alloc.js";
import {
  type ManagedServerConnection,
  ServerConnectionManager,
  type ServerConnectionPolicy,
} from "./connection-policy.js";
import { advertisedStreamLimit, type FlowControlWindow, now } from "./engine.js";
import { bindListener, type ConnectionLimit, closeListener } from "./listen-socket.js";
import { createHttp1Acceptor } from "./node-http1-stream.js";
import { peerOf, tlsInfoOf } from "./peer.js";
import { sniffHttpVersion } from "./protocol-sniff.js";
import { fieldsFromRaw } from "./raw-headers.js";
import type { InHeaders, ServerEngine, ServerStream, ServerStreamListener } from "./seam.js";

export interface ServerTlsOptions {
  /** PEM private key and certificate chain of the server. */
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  /** PEM CA certificates that client certificates must chain to (mutual TLS). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** `require`: clients must present a valid certificate; `request`: verify one if presented; default `none`. */
  readonly clientCert?: "none" | "request" | "require";
}

export interface EngineListenOptions {
  readonly tls?: ServerTlsOptions;
  readonly maxConcurrentStreams?: number;
  readonly maxHeaderListSize?: number;
  /** Our engine: how long output may wait on a peer that reads nothing (see grpc-ts-server.ts). */
  readonly stallTimeoutMs?: number;
  /** Receive windows (engine.ts); node:http2 takes a fixed stream window from it. */
  readonly flowControlWindow?: FlowControlWindow;
  /** The server's `maxConnections`, shared by all its listeners. */
  readonly connectionLimit?: ConnectionLimit;
  /** Keepalive, PING enforcement and connection lifetime (connection-policy.ts). */
  readonly connectionPolicy?: ServerConnectionPolicy;
  readonly onStream: (stream: ServerStream) => void;
}

export type ListenTarget = { readonly host: string; readonly port: number } | { readonly path: string };

/**
 * node:http2 behind the seam: listens and hands each request stream to `onStream`. HTTP/1.1
 * requests on the same port (for gRPC-Web) become streams of the same seam: over TLS, ALPN
 * `http/1.1` connections are passed on by node:http2's `unknownProtocol` event; in plaintext, the
 * first bytes of each connection tell the HTTP/2 preface from an HTTP/1.x request. (node:http2's
 * `allowHTTP1` does neither for plaintext, and its `request` event would also wrap every HTTP/2
 * stream in the compatibility layer.)
 */
export function listenNodeHttp2(
  target: ListenTarget,
  options: EngineListenOptions,
): Promise<{ engine: ServerEngine; port: number }> {
  const streamLimit = advertisedStreamLimit(options.maxConcurrentStreams);
  const settings: http2.Settings = {
    // left out when unlimited: node:http2 then advertises none (it would send 2^32-1)
    ...(streamLimit === undefined ? {} : { maxConcurrentStreams: streamLimit }),
    maxHeaderListSize: options.maxHeaderListSize ?? 16 * 1024,
    ...(typeof options.flowControlWindow === "number"
      ? { initialWindowSize: options.flowControlWindow }
      : {}),
  };
  const server: http2.Http2Server | http2.Http2SecureServer =
    options.tls === undefined
      ? http2.createServer({ settings })
      : http2.createSecureServer({
          settings,
          key: options.tls.key,
          cert: options.tls.cert,
          ...(options.tls.ca === undefined
            ? {}
            : { ca: options.tls.ca as string | Buffer | (string | Buffer)[] }),
          requestCert: (options.tls.clientCert ?? "none") !== "none",
          rejectUnauthorized: options.tls.clientCert === "require",
          ALPNProtocols: ["h2", "http/1.1"],
        });
  const sessions = new Set<NodeSession>();
  server.on("session", (session: http2.ServerHttp2Session) => {
    const s = new NodeSession(session, options.connectionPolicy);
    sessions.add(s);
    // Read the peer now: once the connection is gone, its socket (and address) are too.
    socketPeers.set(session, connectionInfo(session));
    nodeSessions.set(session, s);
    session.on("close", () => {
      sessions.delete(s);
      s.closed();
    });
    session.on("error", () => {});
  });
  server.on(
    "stream",
    (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, raw?: string[]) => {
      const session = stream.session === undefined ? undefined : nodeSessions.get(stream.session);
      session?.streamOpened(stream);
      options.onStream(new NodeServerStream(stream, headers as InHeaders, raw, session));
    },
  );
  // A bad handshake or a non-HTTP/2 client only ends that connection.
  server.on("sessionError", () => {});
  server.on("tlsClientError", () => {});
  const http1 = createHttp1Acceptor(options.onStream);
  server.on("unknownProtocol", (socket: Socket) => http1.accept(socket));
  const listener: NetServer =
    options.tls === undefined
      ? createNetServer((socket) =>
          sniffHttpVersion(socket, (isHttp2) => {
            if (isHttp2) server.emit("connection", socket);
            else http1.accept(socket);
          }),
        )
      : server;
  options.connectionLimit?.guard(listener);

  const engine: ServerEngine = {
    stopAccepting: () => closeListener(listener),
    goAwayAll() {
      for (const s of sessions) s.goAway(undefined);
      http1.closeIdle();
    },
    destroyAll() {
      for (const s of sessions) s.session.destroy();
      http1.destroyAll();
    },
    get connectionCount() {
      return sessions.size + http1.connectionCount;
    },
  };

  return bindListener(listener, target).then((port) => ({ engine, port }));
}

/**
 * One node:http2 session with what we add to it: the graceful GOAWAY with debug data, keepalive PINGs and the connection's lifetime (connection-policy.ts),
 * and the client's PINGs held to the policy (node:http2 answers every PING itself and tells us
 * after; what we count as HEADERS or DATA sent is what the streams handed node:http2, not the
 * frames it wrote).
 */
class NodeSession implements ManagedServerConnection {
  readonly session: http2.ServerHttp2Session;
  activeStreams = 0;
  /** Grows with every respond, write and end of the session's streams (for the ping strikes). */
  sent = 0;
  private readonly manager: ServerConnectionManager | undefined;
  private readonly strikes: PingStrikes | undefined;
  private goingAway = false;

  constructor(session: http2.ServerHttp2Session, policy: ServerConnectionPolicy | undefined) {
    this.session = session;
    if (policy === undefined) return;
    this.strikes = new PingStrikes(policy.pingPolicy);
    session.on("ping", () => {
      if (!this.strikes!.received(now(), this.activeStreams, this.sent)) {
        // GOAWAY ENHANCE_YOUR_CALM `too_many_pings`, then the connection ends at once (A8).
        session.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, 0, Buffer.from(TOO_MANY_PINGS, "latin1"));
        session.destroy();
      }
    });
    this.manager = new ServerConnectionManager(this, policy);
    this.manager.start();
  }

  get bytesRead(): number {
    return (this.session.socket as Socket | undefined)?.bytesRead ?? 0;
  }

  streamOpened(stream: http2.ServerHttp2Stream): void {
    this.activeStreams++;
    stream.once("close", () => {
      this.activeStreams--;
      this.manager?.streamClosed();
    });
  }

  sendPing(): void {
    const s = this.session;
    if (s.destroyed || s.closed) return;
    try {
      s.ping((error) => {
        if (error === null) this.manager?.pingAcked();
      });
    } catch {
      // The session is going: its close stops the keepalive.
    }
  }

  /**
   * Graceful: GOAWAY with the last stream id node:http2 processed (and `debugData`), then
   * `close()`: running streams finish, and the session closes when none is left. In one phase,
   * not two: node:http2 has no way to send nghttp2's shutdown notice, and after any GOAWAY it
   * ignores new streams, so a first GOAWAY with 2^31 - 1 would only make the client wait to learn
   * that the streams it sent meanwhile were not processed. With the real last stream id at once,
   * the client knows now, and retries them elsewhere (they were not processed).
   */
  goAway(debugData: string | undefined): void {
    const s = this.session;
    if (this.goingAway || s.closed || s.destroyed) return;
    this.goingAway = true;
    const data = debugData === undefined ? undefined : Buffer.from(debugData, "latin1");
    s.goaway(http2.constants.NGHTTP2_NO_ERROR, 0, data); // 0: the last stream processed
    s.close();
  }

  close(): void {
    this.session.destroy();
  }

  closed(): void {
    this.manager?.stop();
  }
}

const nodeSessions = new WeakMap<http2.Http2Session, NodeSession>();

interface ConnectionInfo {
  readonly peer: string;
  readonly tls: TlsInfo | undefined;
}

const socketPeers = new WeakMap<object, ConnectionInfo>();
const unknownConnection: ConnectionInfo = { peer: "unknown", tls: undefined };

function connectionInfo(session: http2.ServerHttp2Session): ConnectionInfo {
  const socket = session.socket as unknown as Socket | undefined;
  if (socket === undefined) return unknownConnection;
  return { peer: peerOf(socket), tls: tlsInfoOf(socket) };
}

class NodeServerStream implements ServerStream {
  readonly requestFields: HeaderFields;
  readonly #stream: http2.ServerHttp2Stream;
  readonly #session: http2.ServerHttp2Session | undefined;
  #trailers: HeaderFields | undefined;
  #listener: ServerStreamListener | undefined;
  #drainHooked = false;
  #corked = false;

  /** Ends the batch that `write` started. */
  uncork(): void {
    this.#corked = false;
    this.#stream.uncork();
  }

  /** Our record of the session, for the ping strikes' count of what was sent. */
  readonly #nodeSession: NodeSession | undefined;

  constructor(
    stream: http2.ServerHttp2Stream,
    headers: InHeaders,
    raw: string[] | undefined,
    nodeSession: NodeSession | undefined,
  ) {
    this.#stream = stream;
    this.#nodeSession = nodeSession;
    this.#session = stream.session as http2.ServerHttp2Session | undefined;
    this.requestFields = fieldsFromRaw(raw, headers);
  }

  #socketInfo(): ConnectionInfo {
    // The stream's `session` is unset once the stream closes, so it was kept at construction.
    const session = this.#session;
    if (session === undefined) return unknownConnection;
    let info = socketPeers.get(session);
    if (info === undefined) {
      info = connectionInfo(session);
      socketPeers.set(session, info);
    }
    return info;
  }

  get peer(): string {
    return this.#socketInfo().peer;
  }

  get tls(): TlsInfo | undefined {
    return this.#socketInfo().tls;
  }

  get headersSent(): boolean {
    return this.#stream.headersSent;
  }

  get closed(): boolean {
    return this.#stream.closed || this.#stream.destroyed;
  }

  listen(l: ServerStreamListener): void {
    const s = this.#stream;
    this.#listener = l;
    s.on("data", (chunk: Buffer) => l.onData(chunk));
    // node:http2 also ends the readable side of a stream the client reset (RST_STREAM without
    // END_STREAM): that is no half-close, and must not end the request stream as if the client
    // had finished sending (the handler would answer from partial input). `close` follows.
    s.on("end", () => {
      if (!s.closed) l.onEnd();
    });
    s.on("error", () => {});
    s.on("close", () => l.onClose(s.rstCode ?? 0));
    s.on("wantTrailers", () => {
      const t = this.#trailers;
      if (t !== undefined && !s.destroyed) {
        s.sendTrailers(fieldsToObject(t));
        this.#stopReading();
      }
    });
  }

  respond(fields: HeaderFields, endStream: boolean): void {
    if (this.closed) return;
    if (this.#nodeSession !== undefined) this.#nodeSession.sent++;
    this.#stream.respond(fieldsToObject(fields), endStream ? { endStream: true } : { waitForTrailers: true });
    if (endStream) this.#stopReading();
  }

  /**
   * The response is complete: if the client is still sending, tell it to stop. Deferred a turn:
   * a RST_STREAM submitted right after the trailers (or a trailers-only response) goes out ahead
   * of them in node:http2, and the client never sees the status.
   */
  #stopReading(): void {
    if (this.#stream.readableEnded) return;
    setImmediate(() => {
      const s = this.#stream;
      if (!s.readableEnded && !s.destroyed) s.close(http2.constants.NGHTTP2_NO_ERROR);
    });
  }

  write(data: Uint8Array, head?: Uint8Array): boolean {
    if (this.closed) return true;
    const chunk = head === undefined ? data : joined(head, data);
    const s = this.#stream;
    if (this.#nodeSession !== undefined) this.#nodeSession.sent++;
    if (!this.#corked) {
      // Messages written in one run of the event loop's job queues (a generator yielding in a loop)
      // leave as one batch: corked now, uncorked once the queues are empty.
      this.#corked = true;
      s.cork();
      process.nextTick(uncork, this);
    }
    if (s.write(chunk)) return true;
    // Most calls never fill the stream's buffer: `drain` is listened for from the first time one does.
    if (!this.#drainHooked && this.#listener !== undefined) {
      this.#drainHooked = true;
      const l = this.#listener;
      this.#stream.on("drain", () => l.onDrain());
    }
    return false;
  }

  end(trailers: HeaderFields, lastChunk?: Uint8Array): void {
    if (this.closed) return;
    if (this.#nodeSession !== undefined) this.#nodeSession.sent++;
    this.#trailers = trailers;
    if (lastChunk === undefined) this.#stream.end();
    else this.#stream.end(lastChunk);
  }

  reset(code: number): void {
    if (!this.#stream.destroyed) this.#stream.close(code);
  }

  pause(): void {
    this.#stream.pause();
  }

  resume(): void {
    this.#stream.resume();
  }
}

function uncork(stream: NodeServerStream): void {
  stream.uncork();
}
