/**
 * HTTP/1.1 requests behind the same seam as HTTP/2 streams, so that the server (and each call)
 * handles them alike. Only gRPC-Web may use HTTP/1.1 (the server refuses gRPC on it); a browser's
 * gRPC-Web call over plain `http://` always arrives here.
 */
import * as http from "node:http";
import type { Socket } from "node:net";
import type { TlsInfo } from "@grpc-ts/core";
import { fieldsToObject, type HeaderFields } from "@grpc-ts/core/protocol";
import { joined } from "../alloc.js";
import { peerOf, tlsInfoOf } from "./peer.js";
import { fieldsFromRaw } from "./raw-headers.js";
import type { InHeaders, ServerStream, ServerStreamListener } from "./seam.js";

/** Serves HTTP/1.1 on connections handed to it (it never listens itself). */
export interface Http1Acceptor {
  /** Takes a connection whose first bytes are (or will be) an HTTP/1.x request. */
  accept(socket: Socket): void;
  /** Closes connections with no request in flight; the others close after their response. */
  closeIdle(): void;
  destroyAll(): void;
  readonly connectionCount: number;
}

export function createHttp1Acceptor(onStream: (stream: ServerStream) => void): Http1Acceptor {
  const sockets = new Set<Socket>();
  let closing = false;
  const server = http.createServer({ noDelay: true });
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (closing) res.shouldKeepAlive = false;
    onStream(new NodeHttp1ServerStream(req, res));
  });
  server.on("clientError", (_err: Error, socket: Socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });
  return {
    accept(socket) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      socket.setNoDelay(true);
      server.emit("connection", socket);
      // The plaintext sniffer hands the socket over paused (its first bytes put back): node:http
      // does not resume it, so without this no request (or bad bytes, such as a TLS ClientHello)
      // is ever read and the client waits forever.
      socket.resume();
    },
    closeIdle() {
      closing = true;
      server.closeIdleConnections();
    },
    destroyAll() {
      for (const s of sockets) s.destroy();
    },
    get connectionCount() {
      return sockets.size;
    },
  };
}

/** One HTTP/1.1 request and its response, as a ServerStream. */
export class NodeHttp1ServerStream implements ServerStream {
  readonly requestFields: HeaderFields;
  readonly httpVersion = "1.1";
  readonly #req: http.IncomingMessage;
  readonly #res: http.ServerResponse;
  readonly #socket: Socket;

  constructor(req: http.IncomingMessage, res: http.ServerResponse) {
    this.#req = req;
    this.#res = res;
    this.#socket = req.socket;
    const encrypted = (req.socket as Socket & { encrypted?: boolean }).encrypted === true;
    // The pseudo-header fields an HTTP/2 request has, so the server reads both alike.
    const pseudo = [
      ":method",
      req.method ?? "GET",
      ":path",
      req.url ?? "/",
      ":scheme",
      encrypted ? "https" : "http",
    ];
    if (req.headers.host !== undefined) pseudo.push(":authority", req.headers.host);
    this.requestFields = fieldsFromRaw(req.rawHeaders, req.headers as InHeaders, pseudo);
  }

  get peer(): string {
    return peerOf(this.#socket);
  }

  get tls(): TlsInfo | undefined {
    return tlsInfoOf(this.#socket);
  }

  get headersSent(): boolean {
    return this.#res.headersSent;
  }

  get closed(): boolean {
    return this.#res.writableEnded || this.#res.destroyed;
  }

  listen(l: ServerStreamListener): void {
    const req = this.#req;
    const res = this.#res;
    req.on("data", (chunk: Buffer) => l.onData(chunk));
    req.on("end", () => l.onEnd());
    req.on("error", () => {});
    res.on("drain", () => l.onDrain());
    res.on("error", () => {});
    // HTTP/1.1 has no stream reset: a response that did not finish means the client went away.
    res.on("close", () => l.onClose(0));
  }

  respond(fields: HeaderFields, endStream: boolean): void {
    if (this.closed) return;
    // `:status` comes first (the seam says so); the other pseudo-header fields have no place here.
    let status = 200;
    const out: string[] = [];
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === ":status") status = Number(fields[i + 1]);
      else if (fields[i]!.charCodeAt(0) !== 58 /* : */) out.push(fields[i]!, fields[i + 1]!);
    }
    this.#res.writeHead(status, fieldsToObject(out));
    if (endStream) this.#res.end();
  }

  write(chunk: Uint8Array, head?: Uint8Array): boolean {
    if (this.closed) return true;
    return this.#res.write(head === undefined ? chunk : joined(head, chunk));
  }

  end(trailers: HeaderFields, lastChunk?: Uint8Array): void {
    if (this.closed) return;
    if (lastChunk !== undefined) this.#res.write(lastChunk);
    // gRPC-Web ends with no trailers (its status is in the body); HTTP/1.1 chunked trailers otherwise.
    if (trailers.length > 0) this.#res.addTrailers(fieldsToObject(trailers));
    this.#res.end();
  }

  /** HTTP/1.1 cannot reset one exchange: the connection is closed. */
  reset(_code: number): void {
    if (!this.#res.destroyed) this.#res.destroy();
  }

  pause(): void {
    this.#req.pause();
  }

  resume(): void {
    this.#req.resume();
  }
}
