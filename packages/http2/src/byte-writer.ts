/**
 * A growable output buffer, reused across writes: the HPACK encoder and the frame encoders
 * append to one of these, and the connection hands its bytes to the socket once per batch.
 * Fields are public so that hot loops can write `buf[pos++]` directly after `ensure`.
 */
export class ByteWriter {
  buf: Uint8Array;
  pos = 0;
  private readonly alloc: (n: number) => Uint8Array;

  /**
   * `alloc` supplies memory (`n` writable octets; they need not be zeroed: only written octets are
   * ever read). A runtime may pass cheaper memory than `new Uint8Array` (Node: `Buffer.allocUnsafe`,
   * pooled for small sizes and never zero-filled).
   */
  constructor(initialCapacity = 4096, alloc: (n: number) => Uint8Array = zeroed) {
    this.alloc = alloc;
    this.buf = alloc(Math.max(16, initialCapacity));
  }

  /** Makes room for `n` more bytes at `pos`. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = this.alloc(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    let p = this.pos;
    b[p++] = v >>> 8;
    b[p++] = v;
    this.pos = p;
  }

  u24(v: number): void {
    this.ensure(3);
    const b = this.buf;
    let p = this.pos;
    b[p++] = v >>> 16;
    b[p++] = v >>> 8;
    b[p++] = v;
    this.pos = p;
  }

  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    let p = this.pos;
    b[p++] = v >>> 24;
    b[p++] = v >>> 16;
    b[p++] = v >>> 8;
    b[p++] = v;
    this.pos = p;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /**
   * A copy of the octets from `start` to `end`, always a copy: `buf` may be a Node Buffer (see
   * `alloc`), whose `slice` is a view.
   */
  copy(start: number, end: number): Uint8Array {
    return Uint8Array.prototype.slice.call(this.buf, start, end);
  }

  /** A view of what was written (valid until the next write or `reset`). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of what was written, then empties the writer (keeping its buffer). */
  take(): Uint8Array {
    const out = this.alloc(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }

  /** A new writer with this one's allocator. */
  fresh(initialCapacity: number): ByteWriter {
    return new ByteWriter(initialCapacity, this.alloc);
  }

  reset(): void {
    this.pos = 0;
  }
}

function zeroed(n: number): Uint8Array {
  return new Uint8Array(n);
}
