/**
 * One gRPC exchange in memory: the client side of the seam (`ClientStream`) and the server side
 * (the core's `ServerStream`) joined, so that a client call and the server's call handling run
 * the whole protocol (header fields, envelopes, trailers, resets, flow control) with no socket.
 * Events reach the other side in later microtasks, in order, as over a connection: a side never
 * sees the other's reaction inside its own call.
 */
import type {
  ClientStream,
  ClientStreamListener,
  HeaderFields,
  ServerStream,
  ServerStreamListener,
} from "@grpc-ts/core/protocol";
import { ErrorCode } from "@grpc-ts/http2";
import { joined } from "../alloc.js";
import { closeError } from "../http2/reset-code.js";

/** Bytes waiting for a reader, past which its writer's `write` returns false until they drain. */
const HIGH_WATER = 64 * 1024;

/**
 * One direction: body bytes and events in order, delivered in a microtask while the reader is not
 * paused; the writer's `onDrain` once a backlog past the high-water mark is gone.
 */
class Pipe {
  #paused: boolean;
  #queue: (Uint8Array | (() => void))[] = [];
  #bytes = 0;
  #scheduled = false;
  #wantDrain = false;
  readonly #deliver: (chunk: Uint8Array) => void;
  readonly #drain: () => void;

  constructor(paused: boolean, deliver: (chunk: Uint8Array) => void, drain: () => void) {
    this.#paused = paused;
    this.#deliver = deliver;
    this.#drain = drain;
  }

  /** Queues body bytes; false once the reader's backlog passes the high-water mark. */
  push(chunk: Uint8Array): boolean {
    this.#queue.push(chunk);
    this.#bytes += chunk.length;
    this.#schedule();
    if (this.#bytes < HIGH_WATER) return true;
    this.#wantDrain = true;
    return false;
  }

  /** Queues an event behind the bytes before it. */
  event(fn: () => void): void {
    this.#queue.push(fn);
    this.#schedule();
  }

  /** Drops what waits and runs `fn` (a reset) in a microtask, paused or not. */
  abort(fn: () => void): void {
    this.#queue = [];
    this.#bytes = 0;
    this.#wantDrain = false;
    queueMicrotask(fn);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#paused) return;
    this.#scheduled = true;
    queueMicrotask(this.#run);
  }

  readonly #run = (): void => {
    this.#scheduled = false;
    const queue = this.#queue;
    while (!this.#paused && queue.length > 0) {
      const item = queue.shift()!;
      if (typeof item === "function") item();
      else {
        this.#bytes -= item.length;
        this.#deliver(item);
      }
    }
    if (this.#wantDrain && this.#bytes < HIGH_WATER) {
      this.#wantDrain = false;
      this.#drain();
    }
  };
}

/** Where the exchange is: `open`, or `closed` once the response is complete or either side reset it. */
type State = "open" | "closed";

const noListener: ServerStreamListener = { onData() {}, onEnd() {}, onDrain() {}, onClose() {} };

/** The server's side of one exchange; `client` is the client's side. */
export class MemoryExchange implements ServerStream {
  readonly requestFields: HeaderFields;
  readonly peer = "memory";
  readonly tls = undefined;
  readonly #client: ClientStreamListener;
  #server: ServerStreamListener = noListener;
  /** Client to server; paused until the server listens. */
  readonly #up: Pipe;
  /** Server to client. */
  readonly #down: Pipe;
  #state: State = "open";
  #sent = false;

  constructor(fields: HeaderFields, client: ClientStreamListener) {
    this.requestFields = fields;
    this.#client = client;
    this.#up = new Pipe(
      true,
      (b) => this.#server.onData(b),
      () => this.#client.onDrain(),
    );
    this.#down = new Pipe(
      false,
      (b) => this.#client.onData(b),
      () => this.#server.onDrain(),
    );
  }

  get headersSent(): boolean {
    return this.#sent;
  }

  get closed(): boolean {
    return this.#state === "closed";
  }

  listen(listener: ServerStreamListener): void {
    this.#server = listener;
    this.#up.resume();
  }

  respond(fields: HeaderFields, endStream: boolean): void {
    if (this.#state === "closed" || this.#sent) return;
    this.#sent = true;
    this.#down.event(() => this.#client.onHeaders(fields));
    if (endStream) this.#complete();
  }

  write(chunk: Uint8Array, head?: Uint8Array): boolean {
    if (this.#state === "closed") return true;
    return this.#down.push(head === undefined ? chunk : joined(head, chunk));
  }

  end(trailers: HeaderFields, lastChunk?: Uint8Array): void {
    if (this.#state === "closed") return;
    if (lastChunk !== undefined && lastChunk.length > 0) this.#down.push(lastChunk);
    this.#down.event(() => this.#client.onTrailers(trailers));
    this.#complete();
  }

  reset(code: number): void {
    this.#reset(code);
  }

  pause(): void {
    this.#up.pause();
  }

  resume(): void {
    this.#up.resume();
  }

  /** The client's side: what a client call writes to, ends and resets. */
  readonly client: ClientStream = {
    write: (chunk) => (this.#state === "closed" ? true : this.#up.push(chunk)),
    end: (chunk) => {
      if (this.#state === "closed") return;
      if (chunk !== undefined) this.#up.push(chunk);
      this.#up.event(() => this.#server.onEnd());
    },
    cancel: () => this.#reset(ErrorCode.CANCEL),
    pause: () => this.#down.pause(),
    resume: () => this.#down.resume(),
  };

  /** The response is complete: the client reads it to the end; the server's stream is done. */
  #complete(): void {
    this.#state = "closed";
    this.#down.event(() => this.#client.onClose(undefined, false));
    this.#up.abort(() => this.#server.onClose(ErrorCode.NO_ERROR));
  }

  /** RST_STREAM from either side: both see the stream close with `code`, at once. */
  #reset(code: number): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#down.abort(() =>
      this.#client.onClose(closeError(code, undefined), code === ErrorCode.REFUSED_STREAM),
    );
    this.#up.abort(() => this.#server.onClose(code));
  }
}
