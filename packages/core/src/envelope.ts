import { Code } from "./code.js";
import { RpcError } from "./rpc-error.js";

/**
 * gRPC length-prefixed messages: a flag byte, a 4-byte big-endian length, the payload.
 * Bit 0 of the flags marks a compressed payload; gRPC-Web uses bit 7 for its trailer frame.
 */
export const Flag = { COMPRESSED: 0x01, TRAILER: 0x80 } as const;

/** Default receive limit (4 MiB), as in other gRPC implementations. */
export const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 4 * 1024 * 1024;

const newBytes = (n: number): Uint8Array => new Uint8Array(n);

/**
 * One envelope: header and payload in a single new buffer. `alloc` lets a runtime supply cheaper
 * memory (Node: pooled `Buffer.allocUnsafe`); it must return `n` writable bytes.
 */
export function encodeEnvelope(
  flags: number,
  payload: Uint8Array,
  alloc: (n: number) => Uint8Array = newBytes,
): Uint8Array {
  const out = alloc(5 + payload.length);
  writeEnvelopePrefix(out, flags, payload.length);
  out.set(payload, 5);
  return out;
}

/**
 * Writes the 5-octet prefix of an envelope (flags, then the payload's length) into `target` at
 * `offset`: for a transport that sends prefix and payload without joining them first.
 */
export function writeEnvelopePrefix(target: Uint8Array, flags: number, length: number, offset = 0): void {
  target[offset] = flags;
  target[offset + 1] = length >>> 24;
  target[offset + 2] = (length >>> 16) & 0xff;
  target[offset + 3] = (length >>> 8) & 0xff;
  target[offset + 4] = length & 0xff;
}

export type EnvelopeHandler = (flags: number, payload: Uint8Array) => void;

/**
 * Incremental envelope decoder: feed it chunks split at any boundary and it calls back once per
 * whole message. A message that arrives whole inside one chunk is passed as a view of that chunk,
 * with no copy. The declared length is checked against the limit before anything is buffered.
 */
export class EnvelopeDecoder {
  readonly #maxBytes: number;
  readonly #allowedFlags: number;
  /** For a header split across chunks; allocated the first time one is. */
  #header: Uint8Array | undefined;
  #headerFill = 0;
  #body: Uint8Array | undefined;
  #bodyFill = 0;
  #flags = 0;

  /**
   * @param maxBytes the largest payload accepted; a larger declared length throws RESOURCE_EXHAUSTED
   * @param allowedFlags flag bits that may be set (others throw INTERNAL)
   */
  constructor(maxBytes: number = DEFAULT_MAX_RECEIVE_MESSAGE_BYTES, allowedFlags: number = Flag.COMPRESSED) {
    this.#maxBytes = maxBytes;
    this.#allowedFlags = allowedFlags;
  }

  /** True when no partial message is buffered. */
  get idle(): boolean {
    return this.#headerFill === 0 && this.#body === undefined;
  }

  /** Feeds a chunk; throws RpcError for a bad flag byte or an oversize message. */
  push(chunk: Uint8Array, onMessage: EnvelopeHandler): void {
    const n = chunk.length;
    let off = 0;
    while (off < n) {
      const body = this.#body;
      if (body !== undefined) {
        const take = Math.min(body.length - this.#bodyFill, n - off);
        body.set(chunk.subarray(off, off + take), this.#bodyFill);
        this.#bodyFill += take;
        off += take;
        if (this.#bodyFill === body.length) {
          this.#body = undefined;
          onMessage(this.#flags, body);
        }
        continue;
      }
      let flags: number;
      let len: number;
      if (this.#headerFill === 0 && n - off >= 5) {
        flags = chunk[off]!;
        len =
          ((chunk[off + 1]! << 24) | (chunk[off + 2]! << 16) | (chunk[off + 3]! << 8) | chunk[off + 4]!) >>>
          0;
        off += 5;
      } else {
        this.#header ??= new Uint8Array(5);
        const h = this.#header;
        while (this.#headerFill < 5 && off < n) h[this.#headerFill++] = chunk[off++]!;
        if (this.#headerFill < 5) return;
        this.#headerFill = 0;
        flags = h[0]!;
        len = ((h[1]! << 24) | (h[2]! << 16) | (h[3]! << 8) | h[4]!) >>> 0;
      }
      this.#check(flags, len);
      if (n - off >= len) {
        onMessage(flags, chunk.subarray(off, off + len));
        off += len;
      } else {
        this.#flags = flags;
        this.#body = new Uint8Array(len);
        this.#bodyFill = 0;
      }
    }
  }

  /** Throws INTERNAL when the stream ended inside a message. */
  end(): void {
    if (!this.idle) {
      this.#headerFill = 0;
      this.#body = undefined;
      throw new RpcError(Code.INTERNAL, "stream ended in the middle of a length-prefixed message");
    }
  }

  #check(flags: number, len: number): void {
    if ((flags & ~this.#allowedFlags) !== 0) {
      throw new RpcError(Code.INTERNAL, `invalid message flags 0x${flags.toString(16).padStart(2, "0")}`);
    }
    if (len > this.#maxBytes) {
      throw new RpcError(
        Code.RESOURCE_EXHAUSTED,
        `message of ${len} bytes is larger than the receive limit of ${this.#maxBytes} bytes`,
      );
    }
  }
}
