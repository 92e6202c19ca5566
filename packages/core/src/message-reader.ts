import { Code } from "./code.js";
import { type Compression, compressedWithoutEncoding } from "./compression.js";
import { EnvelopeDecoder, Flag } from "./envelope.js";
import { markCompressed } from "./message-flags.js";
import { RpcError } from "./rpc-error.js";

/** Where a MessageReader delivers. */
export interface MessageSink {
  /** The next message, in the order it was sent. */
  onMessage(message: unknown): void;
  /** Framing, decompression or decoding failed; nothing more is delivered. */
  onError(error: RpcError): void;
}

export interface MessageReaderOptions {
  /** Largest message, before and after decompression. */
  readonly maxBytes: number;
  readonly deserialize: (bytes: Uint8Array) => unknown;
  /** `request` or `response`, for error messages. */
  readonly what: string;
  readonly sink: MessageSink;
}

/**
 * The receiving half of a call, on either side: length-prefixed envelopes in, decoded messages out,
 * in order. Uncompressed messages are delivered synchronously, as views of the chunk; once a
 * compressed message is being inflated, later messages and `afterPending` work queue behind it.
 */
export class MessageReader {
  /** The algorithm of the stream's `grpc-encoding`; undefined for identity. */
  compression: Compression | undefined;
  readonly #decoder: EnvelopeDecoder;
  readonly #o: MessageReaderOptions;
  #chain: Promise<void> | undefined;
  #stopped = false;

  constructor(options: MessageReaderOptions) {
    this.#o = options;
    this.#decoder = new EnvelopeDecoder(options.maxBytes);
  }

  /** True while decompression is in progress. */
  get pending(): boolean {
    return this.#chain !== undefined;
  }

  /** Feeds body bytes. */
  push(chunk: Uint8Array): void {
    if (this.#stopped) return;
    try {
      this.#decoder.push(chunk, this.#onEnvelope);
    } catch (e) {
      this.#error(RpcError.from(e, Code.INTERNAL));
    }
  }

  /**
   * Runs `fn` once every message received so far has been delivered: at once when nothing is
   * being decompressed. Use it for end-of-stream and trailers, which must come after the messages.
   */
  afterPending(fn: () => void): void {
    if (this.#chain === undefined) fn();
    else this.#chain = this.#chain.then(fn);
  }

  /** The error for a body that ended inside a message, or undefined. */
  end(): RpcError | undefined {
    try {
      this.#decoder.end();
      return undefined;
    } catch (e) {
      return RpcError.from(e, Code.INTERNAL);
    }
  }

  /** Delivers nothing more (the call is over). */
  stop(): void {
    this.#stopped = true;
  }

  readonly #onEnvelope = (flags: number, payload: Uint8Array): void => {
    if ((flags & Flag.COMPRESSED) !== 0) {
      const compression = this.compression;
      if (compression === undefined) throw compressedWithoutEncoding();
      // A copy: the payload is a view of a chunk, and it is used after this turn.
      const data = payload.slice();
      const max = this.#o.maxBytes;
      this.#chain = (this.#chain ?? Promise.resolve())
        .then(async () => {
          if (!this.#stopped) this.#deliver(await compression.decompress(data, max), true);
        })
        .catch((e: unknown) => this.#error(RpcError.from(e, Code.INTERNAL)));
    } else if (this.#chain !== undefined) {
      const data = payload.slice();
      this.#chain = this.#chain.then(() => this.#deliver(data, false));
    } else {
      this.#deliver(payload, false);
    }
  };

  #deliver(bytes: Uint8Array, compressed: boolean): void {
    if (this.#stopped) return;
    let message: unknown;
    try {
      message = this.#o.deserialize(bytes);
    } catch (e) {
      this.#error(
        new RpcError(Code.INTERNAL, `could not decode the ${this.#o.what} message: ${(e as Error).message}`, {
          cause: e,
        }),
      );
      return;
    }
    if (compressed) markCompressed(message);
    this.#o.sink.onMessage(message);
  }

  #error(error: RpcError): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#o.sink.onError(error);
  }
}
