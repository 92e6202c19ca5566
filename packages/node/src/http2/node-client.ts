import * as http2 from "node:http2";
import type * as net from "node:net";
import { addAbortSignal } from "node:stream";
import { fieldsToObject, type HeaderFields } from "@grpc-ts/core/protocol";
import { Keepalive } from "@grpc-ts/http2";
import { type ConnectOptions, connectSocket } from "./client-socket.js";
import { CLIENT_INITIAL_WINDOW } from "./engine.js";
import { keepaliveTimedOut } from "./keepalive-error.js";
import { nodeTimers } from "./node-timers.js";
import { fieldsFromRaw } from "./raw-headers.js";
import { closeError } from "./reset-code.js";
import type {
  ClientConnection,
  ClientStream,
  ClientStreamListener,
  ConnectionListener,
  InHeaders,
} from "./seam.js";

export type { ClientTlsOptions, ConnectAddress, ConnectOptions } from "./client-socket.js";

/** node:http2 client behind the seam. */
export function connectNodeHttp2(options: ConnectOptions, listener: ConnectionListener): ClientConnection {
  const secure = options.tls !== undefined;
  const createConnection = (): net.Socket => {
    const socket = connectSocket(options);
    // A socket error ends the connection. node:http2 alone only half-closes it and waits for a
    // `close` that, after a TLS alert (e.g. a TLS 1.3 server refusing a missing client
    // certificate), never comes: the session would then neither close nor fail.
    socket.on("error", () => socket.destroy());
    return socket;
  };
  const settings: http2.Settings = {
    enablePush: false,
    // A fixed window as asked; else (node:http2 has no adaptive windows) what our engine's client
    // starts with, for the same reason (engine.ts).
    initialWindowSize:
      typeof options.flowControlWindow === "number" ? options.flowControlWindow : CLIENT_INITIAL_WINDOW,
    ...options.settings,
  };
  const session = http2.connect(`${secure ? "https" : "http"}://${options.authority}`, {
    createConnection,
    settings,
    // The default (10 MB) makes node:http2 refuse new streams with ENHANCE_YOUR_CALM when many
    // large calls share the connection; flow control bounds the memory instead, as in grpc-js.
    maxSessionMemory: Number.MAX_SAFE_INTEGER,
  });
  return new NodeClientConnection(session, listener, settings.initialWindowSize ?? 65535, options);
}

class NodeClientConnection implements ClientConnection {
  readonly #session: http2.ClientHttp2Session;
  #active = 0;
  #error: Error | undefined;
  /** The stream window we announced. */
  readonly #streamWindow: number;
  /** The connection's receive window as set (node:http2 starts it at 65535). */
  #connectionWindow = 65535;
  readonly #keepalive: Keepalive | undefined;

  constructor(
    session: http2.ClientHttp2Session,
    listener: ConnectionListener,
    streamWindow: number,
    options: ConnectOptions,
  ) {
    this.#session = session;
    this.#streamWindow = streamWindow;
    const k = options.keepalive;
    if (k !== undefined) {
      const self = this;
      this.#keepalive = new Keepalive(
        {
          get bytesRead() {
            return (session.socket as net.Socket | undefined)?.bytesRead ?? 0;
          },
          get activeStreams() {
            return self.#active;
          },
          sendPing: () => {
            if (session.destroyed || session.closed) return;
            try {
              session.ping((error) => {
                if (error === null) this.#keepalive?.acked();
              });
            } catch {
              // Closing: its close stops the keepalive.
            }
          },
          timedOut: () => {
            // Destroyed with the error, its streams end with it: UNAVAILABLE, "keepalive timed out".
            session.destroy(keepaliveTimedOut(k.timeoutMs));
          },
        },
        nodeTimers,
        k,
      );
    }
    // Ready once the server's SETTINGS arrive, not when the socket (or TLS) connects: a peer that
    // does not speak HTTP/2, or a TLS 1.3 server that rejects our certificate after the handshake,
    // then fails the connection attempt instead of the first calls on it.
    session.once("remoteSettings", () => {
      // An idle connection does not keep the process alive; a connecting one does, since calls
      // may be waiting for it (each stream refs the session while it is open).
      if (this.#active === 0) session.unref();
      this.#coverStreams(this.#active);
      this.#keepalive?.start();
      listener.onConnect();
    });
    session.on("goaway", (code: number, _last: number, data?: Buffer) =>
      listener.onGoAway(code, data?.toString("latin1")),
    );
    session.on("error", (e: Error) => {
      this.#error = e;
    });
    session.on("close", () => {
      this.#keepalive?.stop();
      listener.onClose(this.#error);
    });
  }

  get activeStreams(): number {
    return this.#active;
  }

  get acceptsStreams(): boolean {
    return !this.#session.closed && !this.#session.destroyed;
  }

  request(fields: HeaderFields, l: ClientStreamListener): ClientStream {
    // Before the HEADERS (nghttp2 sends WINDOW_UPDATE ahead of them): room for this stream too.
    this.#coverStreams(this.#active + 1);
    const req = this.#session.request(fieldsToObject(fields), { endStream: false });
    if (this.#active++ === 0) this.#session.ref();
    this.#keepalive?.streamOpened();
    let error: Error | undefined;
    req.on("response", (h: http2.IncomingHttpHeaders, _f: number, raw?: string[]) =>
      l.onHeaders(fieldsFromRaw(raw, h as InHeaders)),
    );
    req.on("data", (chunk: Buffer) => l.onData(chunk));
    req.on("trailers", (t: http2.IncomingHttpHeaders, _f: number, raw?: string[]) =>
      l.onTrailers(fieldsFromRaw(raw, t as InHeaders)),
    );
    req.on("error", (e: Error) => {
      error = e;
    });
    req.on("close", () => {
      if (--this.#active === 0 && !this.#session.destroyed) this.#session.unref();
      const rstCode = req.rstCode ?? 0;
      // A stream ended by the death of its connection carries NGHTTP2_CANCEL as if the server had
      // reset it; it is a lost connection (UNAVAILABLE), not a cancellation.
      if (error === undefined && rstCode === http2.constants.NGHTTP2_CANCEL && this.#session.destroyed)
        error = this.#error ?? new Error("the connection closed");
      // node:http2's own stream errors (ERR_HTTP2_STREAM_ERROR) come with a reset code, which says more.
      const lost = error !== undefined && (error as { code?: string }).code !== "ERR_HTTP2_STREAM_ERROR";
      l.onClose(
        closeError(rstCode, lost ? error : undefined),
        rstCode === http2.constants.NGHTTP2_REFUSED_STREAM,
      );
    });
    return new NodeClientStream(req, l);
  }

  close(): void {
    if (!this.#session.closed) this.#session.close();
  }

  /**
   * Keeps the connection's receive window at twice the stream windows of `streams` open streams
   * (and at least our engine's 4 MiB), as our engine's client does and for the same reason
   * (ClientConnection): the server then never waits for connection window while its streams'
   * windows let it send. It only grows.
   */
  #coverStreams(streams: number): void {
    const want = Math.min(Math.max(2 * streams * this.#streamWindow, 4 << 20), 2 ** 31 - 1);
    const session = this.#session;
    if (want <= this.#connectionWindow || session.connecting || session.destroyed || session.closed) return;
    this.#connectionWindow = want;
    session.setLocalWindowSize(want);
  }

  destroy(): void {
    this.#session.destroy();
  }
}

class NodeClientStream implements ClientStream {
  readonly #req: http2.ClientHttp2Stream;
  readonly #listener: ClientStreamListener;
  #drainHooked = false;
  constructor(req: http2.ClientHttp2Stream, listener: ClientStreamListener) {
    this.#req = req;
    this.#listener = listener;
  }
  write(chunk: Uint8Array): boolean {
    if (this.#req.destroyed || this.#req.writableEnded) return true;
    if (this.#req.write(chunk)) return true;
    // Unary calls never fill the buffer: `drain` is listened for from the first time a write does.
    if (!this.#drainHooked) {
      this.#drainHooked = true;
      const l = this.#listener;
      this.#req.on("drain", () => l.onDrain());
    }
    return false;
  }
  end(chunk?: Uint8Array): void {
    if (this.#req.destroyed || this.#req.writableEnded) return;
    if (chunk === undefined) this.#req.end();
    else this.#req.end(chunk);
  }
  cancel(): void {
    const req = this.#req;
    if (req.destroyed) return;
    if (!req.writableEnded) {
      // close() would half-close first (END_STREAM, then RST_STREAM), which a server reads as a
      // complete request stream and may answer. Destroying with an AbortError sends only
      // RST_STREAM CANCEL.
      addAbortSignal(AbortSignal.abort(), req);
    } else {
      req.close(http2.constants.NGHTTP2_CANCEL);
    }
  }
  pause(): void {
    this.#req.pause();
  }
  resume(): void {
    this.#req.resume();
  }
}
