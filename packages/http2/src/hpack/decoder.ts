/**
 * HPACK decoder (RFC 7541 §3, §6): one per connection, fed whole header blocks (HEADERS plus
 * CONTINUATION fragments, joined by the frame layer) in the order they arrive.
 *
 * Decoded fields are appended to a flat array `[name0, value0, name1, value1, ...]` of Latin-1
 * strings (one char per octet). Fields from either table cost no allocation: the tables hold
 * strings. Whether a field was sent as never-indexed is not reported: this engine is an endpoint,
 * not an intermediary that would have to re-encode it.
 */
import { DynamicTable, ENTRY_OVERHEAD } from "./dynamic-table.js";
import { HpackError } from "./hpack-error.js";
import { huffmanDecode } from "./huffman.js";
import { type Cursor, decodeInteger } from "./integer.js";
import { latin1Decode } from "./latin1.js";
import { STATIC_NAMES, STATIC_TABLE_LENGTH, STATIC_VALUES } from "./static-table.js";

export interface HpackDecoderOptions {
  /**
   * The SETTINGS_HEADER_TABLE_SIZE this endpoint advertises: the bound on the peer's table size
   * updates. Default 4096 (the protocol's initial value).
   */
  maxTableSize?: number;
  /**
   * Bound on a decoded header list, counted as RFC 9113 §6.5.2 does (name + value + 32 per
   * field). Past it, `decode` returns false. Default 65536.
   */
  maxHeaderListSize?: number;
  /** Bound on one decoded name or value in octets; longer is a COMPRESSION_ERROR. Default 65536. */
  maxStringLength?: number;
}

export const DEFAULT_HEADER_TABLE_SIZE = 4096;

/**
 * The literal cache (see `readString`): slots, and the longest string literal it keeps, in
 * encoded octets. 32 × 64 octets of keys per decoder, allocated with the first literal.
 */
const LITERAL_SLOTS = 32;
const LITERAL_MAX = 64;
/** The longest block kept for recognising a repeated block (see `decode`). */
const REPEAT_MAX = 512;

export class HpackDecoder {
  private readonly table: DynamicTable;
  private readonly cursor: Cursor = { buf: new Uint8Array(0), pos: 0, end: 0 };
  private scratch = new Uint8Array(256);
  /**
   * Recently decoded string literals by their encoded octets (Huffman flag included): slot `i`
   * holds `literalLengths[i]` octets at `i * LITERAL_MAX` in `literalKeys` and their string in
   * `literalStrings[i]`. Peers send some fields as literals on every request (nghttp2 never
   * indexes `:path` or `content-length`), so the same octets come again and again: comparing
   * them is cheaper than Huffman-decoding them into a new string, and returning the same string
   * object also keeps its hash, so the lookups done with it later (routes, validation) do not
   * hash it again.
   */
  private literalKeys: Uint8Array | undefined;
  private readonly literalLengths = new Uint8Array(LITERAL_SLOTS);
  private readonly literalStrings: string[] = new Array<string>(LITERAL_SLOTS).fill("");
  /** Changes with the table (each insertion, each size update). */
  private tableVersion = 0;
  /**
   * The last block decoded without changing the table, its length (-1: none), the table version
   * and list limit it was decoded with, and its fields once it came twice in a row (see `decode`).
   */
  private lastBlock: Uint8Array | undefined;
  private lastLength = -1;
  private lastVersion = -1;
  private lastMaxList = -1;
  private lastFields: string[] | undefined;
  private lastFits = true;
  /**
   * The last `decode` had the same octets as the one before, on the same table, so it gave the
   * same fields (the same strings): a caller that checked those may skip checking them again.
   */
  repeated = false;
  /** The bound on table size updates (our SETTINGS_HEADER_TABLE_SIZE, once acknowledged). */
  private tableSizeLimit: number;
  /** The limit went below the table's size: the next block must start with an update. */
  private updateRequired = false;
  maxHeaderListSize: number;
  maxStringLength: number;

  constructor(options: HpackDecoderOptions = {}) {
    this.tableSizeLimit = options.maxTableSize ?? DEFAULT_HEADER_TABLE_SIZE;
    this.table = new DynamicTable(this.tableSizeLimit);
    this.maxHeaderListSize = options.maxHeaderListSize ?? 65536;
    this.maxStringLength = options.maxStringLength ?? 65536;
  }

  /** Current dynamic table size in octets (RFC 7541 §4.1 accounting). */
  get tableSize(): number {
    return this.table.size;
  }

  /** Entries in the dynamic table. */
  get tableLength(): number {
    return this.table.length;
  }

  /** The table's current maximum size, as last set by the peer's size update. */
  get tableMaxSize(): number {
    return this.table.maxSize;
  }

  /** Entry at dynamic index `i` (1 = newest), for tests and diagnostics. */
  tableEntry(i: number): [string, string] | undefined {
    if (i < 1 || i > this.table.length) return undefined;
    return [this.table.nameAt(i), this.table.valueAt(i)];
  }

  /**
   * Sets the bound on the peer's table size (call when the peer acknowledges a new
   * SETTINGS_HEADER_TABLE_SIZE). Below the table's current maximum, the peer's next block must
   * begin with a size update within the new bound (RFC 7541 §4.2).
   */
  setMaxTableSize(limit: number): void {
    this.tableSizeLimit = limit;
    if (limit < this.table.maxSize) this.updateRequired = true;
  }

  /**
   * Decodes one complete header block `block[start..end)`, appending name/value pairs to `out`.
   * Returns true, or false when the list exceeded `maxHeaderListSize`: then the whole block was
   * still decoded (so the dynamic table stays in step with the peer's and the connection can go
   * on), but fields past the limit were not appended, and the caller refuses the stream.
   * Throws `HpackError` (a COMPRESSION_ERROR connection error) for a malformed block, after which
   * the decoder must not be used again.
   *
   * A block with the same octets as the one before, that left the table as it was (indexes and
   * literals without indexing only), decodes to the same fields: peers send the same block for
   * call after call (every field indexed, or the same literals), so from its third time in a row
   * its fields are copied from the last time instead of decoded, and `repeated` tells the caller.
   */
  decode(block: Uint8Array, out: string[], start = 0, end = block.length): boolean {
    if (this.updateRequired && (start >= end || (block[start]! & 0xe0) !== 0x20)) {
      throw new HpackError(
        "table-size-update-missing",
        `the block must begin with a table size update to at most ${this.tableSizeLimit}`,
      );
    }
    const length = end - start;
    const repeated =
      length === this.lastLength &&
      this.tableVersion === this.lastVersion &&
      this.maxHeaderListSize === this.lastMaxList &&
      sameOctets(block, start, this.lastBlock!, length);
    this.repeated = repeated;
    const last = this.lastFields;
    if (repeated && last !== undefined) {
      for (let i = 0; i < last.length; i++) out.push(last[i]!);
      return this.lastFits;
    }
    const version = this.tableVersion;
    const outStart = out.length;
    const fits = this.decodeFields(block, out, start, end);
    if (this.tableVersion !== version || length > REPEAT_MAX) {
      this.lastLength = -1;
      this.lastFields = undefined;
    } else if (repeated) {
      this.lastFields = out.slice(outStart);
      this.lastFits = fits;
    } else {
      // Kept as octets only (no allocation) until the block comes again.
      this.lastBlock ??= new Uint8Array(REPEAT_MAX);
      const kept = this.lastBlock;
      for (let i = 0; i < length; i++) kept[i] = block[start + i]!;
      this.lastLength = length;
      this.lastVersion = version;
      this.lastMaxList = this.maxHeaderListSize;
      this.lastFields = undefined;
    }
    return fits;
  }

  private decodeFields(block: Uint8Array, out: string[], start: number, end: number): boolean {
    const c = this.cursor;
    c.buf = block;
    c.pos = start;
    c.end = end;
    const table = this.table;
    const maxList = this.maxHeaderListSize;
    let listSize = 0;
    let fits = true;
    let atStart = true;
    try {
      while (c.pos < end) {
        const b = block[c.pos]!;
        let name: string;
        let value: string;
        if (b & 0x80) {
          // Indexed header field (§6.1)
          let index = b & 0x7f;
          if (index !== 0x7f) c.pos++;
          else index = decodeInteger(c, 7);
          if (index === 0) throw new HpackError("index-out-of-range", "index 0");
          if (index <= STATIC_TABLE_LENGTH) {
            name = STATIC_NAMES[index]!;
            value = STATIC_VALUES[index]!;
          } else {
            const d = index - STATIC_TABLE_LENGTH;
            if (d > table.length) throw this.indexError(index);
            name = table.nameAt(d);
            value = table.valueAt(d);
          }
        } else if (b & 0x40) {
          // Literal with incremental indexing (§6.2.1)
          const index = decodeInteger(c, 6);
          name = index === 0 ? this.readString() : this.nameAt(index);
          value = this.readString();
          table.add(name, value);
          this.tableVersion++;
        } else if (b & 0x20) {
          // Dynamic table size update (§6.3), only before the first field (§4.2)
          if (!atStart) {
            throw new HpackError("table-size-update-misplaced", "a table size update follows a header field");
          }
          const size = decodeInteger(c, 5);
          if (size > this.tableSizeLimit) {
            throw new HpackError(
              "table-size-update-too-large",
              `table size update to ${size} exceeds the limit ${this.tableSizeLimit}`,
            );
          }
          table.setMaxSize(size);
          this.tableVersion++;
          this.updateRequired = false;
          continue;
        } else {
          // Literal without indexing (0000) or never indexed (0001) (§6.2.2, §6.2.3)
          const index = decodeInteger(c, 4);
          name = index === 0 ? this.readString() : this.nameAt(index);
          value = this.readString();
        }
        atStart = false;
        if (fits) {
          listSize += name.length + value.length + ENTRY_OVERHEAD;
          if (listSize > maxList) fits = false;
          else out.push(name, value);
        }
      }
    } finally {
      c.buf = EMPTY;
    }
    return fits;
  }

  private nameAt(index: number): string {
    if (index <= STATIC_TABLE_LENGTH) return STATIC_NAMES[index]!;
    const d = index - STATIC_TABLE_LENGTH;
    if (d > this.table.length) throw this.indexError(index);
    return this.table.nameAt(d);
  }

  private indexError(index: number): HpackError {
    return new HpackError(
      "index-out-of-range",
      `index ${index} is past the static table and ${this.table.length} dynamic entries`,
    );
  }

  /** String literal (§5.2) at the cursor. */
  private readString(): string {
    const c = this.cursor;
    if (c.pos >= c.end) throw new HpackError("truncated", "string literal expected");
    const huffman = (c.buf[c.pos]! & 0x80) !== 0;
    const len = decodeInteger(c, 7);
    const start = c.pos;
    if (len > c.end - start) throw new HpackError("truncated", `string of ${len} octets runs past the block`);
    c.pos = start + len;
    if (len === 0) return "";
    // The cache keeps only literals short enough to be within any limit (maxStringLength > 64).
    if (len <= LITERAL_MAX && this.maxStringLength >= LITERAL_MAX * 2) {
      return this.cachedLiteral(c.buf, start, len, huffman);
    }
    return this.decodeLiteral(c.buf, start, len, huffman);
  }

  /** A literal of at most LITERAL_MAX octets, from the cache when the same octets came recently. */
  private cachedLiteral(buf: Uint8Array, start: number, len: number, huffman: boolean): string {
    const end = start + len;
    // A cheap hash of the length, the flag and three octets picks the slot.
    let h = huffman ? len + 0x100 : len;
    h = h * 31 + buf[start]!;
    h = h * 31 + buf[start + (len >> 1)]!;
    h = h * 31 + buf[end - 1]!;
    const slot = (h ^ (h >>> 5)) & (LITERAL_SLOTS - 1);
    let keys = this.literalKeys;
    if (keys === undefined) {
      keys = new Uint8Array(LITERAL_SLOTS * LITERAL_MAX);
      this.literalKeys = keys;
    }
    const at = slot * LITERAL_MAX;
    const lengths = this.literalLengths;
    // The stored length carries the Huffman flag in bit 7 (lengths are at most 64).
    const tag = huffman ? len | 0x80 : len;
    if (lengths[slot] === tag) {
      let i = 0;
      while (i < len && keys[at + i] === buf[start + i]) i++;
      if (i === len) return this.literalStrings[slot]!;
    }
    const str = this.decodeLiteral(buf, start, len, huffman);
    for (let i = 0; i < len; i++) keys[at + i] = buf[start + i]!;
    lengths[slot] = tag;
    this.literalStrings[slot] = str;
    return str;
  }

  private decodeLiteral(buf: Uint8Array, start: number, len: number, huffman: boolean): string {
    if (!huffman) {
      if (len > this.maxStringLength) throw this.tooLong(len);
      return latin1Decode(buf, start, start + len);
    }
    // Codes are 5 to 30 bits long: len octets decode to at least len * 8 / 30 octets (so a
    // longer input is too long whatever it holds) and to at most len * 8 / 5.
    if (len > this.maxStringLength * 4) throw this.tooLong(len);
    const most = ((len * 8) / 5) | 0;
    if (most > this.scratch.length) this.scratch = new Uint8Array(Math.max(most, this.scratch.length * 2));
    const n = huffmanDecode(buf, start, start + len, this.scratch);
    if (n > this.maxStringLength) throw this.tooLong(n);
    return latin1Decode(this.scratch, 0, n);
  }

  private tooLong(len: number): HpackError {
    return new HpackError(
      "string-too-long",
      `a string of ${len} octets exceeds the limit ${this.maxStringLength}`,
    );
  }
}

const EMPTY = new Uint8Array(0);

function sameOctets(a: Uint8Array, start: number, b: Uint8Array, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[start + i] !== b[i]) return false;
  return true;
}
