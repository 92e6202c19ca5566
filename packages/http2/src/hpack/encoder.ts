/**
 * HPACK encoder (RFC 7541 §6): one per connection, encoding header lists in the order their
 * blocks are sent.
 *
 * Fields come as a flat array `[name0, value0, name1, value1, ...]` of Latin-1 strings (one char
 * per octet; a char above 0xff is a `RangeError`), with optional per-field flags. A field is
 * sent as an index when a table holds it, else as a literal (with the name indexed when a table
 * holds the name) which is added to the dynamic table unless flagged, listed as not worth
 * indexing, or too large. Sensitive fields are sent as never-indexed literals (§6.2.3), so no
 * intermediary may index them either: use this for credentials (`authorization`, tokens in
 * custom metadata), which also keeps them out of the table's compression side channel (§7.1).
 *
 * Lookups are maps from name to value to the entry's insertion number, kept in step with
 * evictions, so an indexed field costs two map lookups and no allocation.
 */
import { ByteWriter } from "../byte-writer.js";
import { DEFAULT_HEADER_TABLE_SIZE } from "./decoder.js";
import { DynamicTable, ENTRY_OVERHEAD, type EvictionListener } from "./dynamic-table.js";
import { huffmanEncode, huffmanEncodedLength } from "./huffman.js";
import { encodeInteger } from "./integer.js";
import { latin1Encode } from "./latin1.js";
import { STATIC_BY_NAME, STATIC_TABLE_LENGTH } from "./static-table.js";

/** Per-field flags for `HpackEncoder.encode`. */
export const FieldFlag = {
  /** Never indexed, by us or any intermediary (§6.2.3). */
  SENSITIVE: 1,
  /** Not added to the dynamic table (a one-off value); still uses indexes when they exist. */
  NO_INDEX: 2,
} as const;

export type HuffmanPolicy = "shorter" | "always" | "never";

export interface HpackEncoderOptions {
  /**
   * The most dynamic table this encoder uses, whatever the peer allows (the peer's
   * SETTINGS_HEADER_TABLE_SIZE is given by `setPeerMaxTableSize`). Default 4096.
   */
  maxTableSize?: number;
  /** When to Huffman-code string literals: when shorter (default), always, or never. */
  huffman?: HuffmanPolicy;
  /** Names always sent never-indexed. Default `authorization`, `proxy-authorization`. */
  sensitiveNames?: Iterable<string>;
  /**
   * Names whose values change with nearly every use: such a field is added to the table only
   * when no entry has its name yet (so that later uses send the name as an index), and otherwise
   * sent as a literal that is not indexed. Default `grpc-timeout`, `grpc-message`,
   * `content-length`, `date`.
   */
  noIndexNames?: Iterable<string>;
}

const DEFAULT_SENSITIVE = ["authorization", "proxy-authorization"];
const DEFAULT_NO_INDEX = ["grpc-timeout", "grpc-message", "content-length", "date"];
/** Names encoded as literals are cached as their encoded string literal, up to this many. */
const NAME_CACHE_LIMIT = 256;
/** Encoded blocks kept per encoder (see `encode`): a response's headers and trailers, and spares. */
const BLOCK_CACHE_SIZE = 4;

export class HpackEncoder implements EvictionListener {
  private readonly table: DynamicTable;
  private readonly ownLimit: number;
  private readonly huffman: HuffmanPolicy;
  private readonly sensitiveNames: ReadonlySet<string>;
  private readonly noIndexNames: ReadonlySet<string>;
  /** name → value → insertion number of the newest entry with that field. */
  private readonly fields = new Map<string, Map<string, number>>();
  /** name → insertion number of the newest entry with that name. */
  private readonly names = new Map<string, number>();
  /** Encoded string literals of names sent as literals. */
  private readonly nameLiterals = new Map<string, Uint8Array>();
  /** The peer's SETTINGS_HEADER_TABLE_SIZE. */
  private peerLimit = DEFAULT_HEADER_TABLE_SIZE;
  /** A size update is due at the start of the next block: the smallest size since the last. */
  private pendingUpdate = false;
  private pendingMin = 0;
  /** Changes with the table (each insertion, each size update): what the indexes refer to. */
  private tableVersion = 0;
  /**
   * Blocks of frozen field lists that were encoded without changing the table (every field an
   * index, or a literal kept out of it), with the table version they were encoded at: until the
   * table changes, the same list encodes to the same octets, so they are copied instead of looked
   * up field by field. A server repeats the same few lists on every call (`:status 200` with its
   * content type, `grpc-status: 0`); a frozen list cannot have changed since.
   */
  private readonly cachedLists: (readonly string[] | undefined)[] = new Array(BLOCK_CACHE_SIZE).fill(
    undefined,
  );
  private readonly cachedBlocks: Uint8Array[] = new Array<Uint8Array>(BLOCK_CACHE_SIZE).fill(EMPTY);
  private readonly cachedVersions: number[] = new Array<number>(BLOCK_CACHE_SIZE).fill(-1);
  private nextCacheSlot = 0;

  constructor(options: HpackEncoderOptions = {}) {
    this.ownLimit = options.maxTableSize ?? DEFAULT_HEADER_TABLE_SIZE;
    this.table = new DynamicTable(Math.min(this.ownLimit, DEFAULT_HEADER_TABLE_SIZE), this);
    this.huffman = options.huffman ?? "shorter";
    this.sensitiveNames = new Set(options.sensitiveNames ?? DEFAULT_SENSITIVE);
    this.noIndexNames = new Set(options.noIndexNames ?? DEFAULT_NO_INDEX);
    // The peer's decoder starts at 4096; using less must be signalled.
    if (this.table.maxSize !== DEFAULT_HEADER_TABLE_SIZE) {
      this.pendingUpdate = true;
      this.pendingMin = this.table.maxSize;
    }
  }

  /** Current dynamic table size in octets. */
  get tableSize(): number {
    return this.table.size;
  }

  get tableLength(): number {
    return this.table.length;
  }

  /** The table's maximum size as last signalled (a change is signalled in the next block). */
  get tableMaxSize(): number {
    return this.table.maxSize;
  }

  /**
   * The peer's SETTINGS_HEADER_TABLE_SIZE changed: the table size becomes the smaller of it and
   * our own limit, signalled at the start of the next block (the smallest size in between
   * first, when it went down and up again, RFC 7541 §4.2).
   */
  setPeerMaxTableSize(size: number): void {
    this.peerLimit = size;
    const next = Math.min(size, this.ownLimit);
    if (!this.pendingUpdate) {
      if (next === this.table.maxSize) return;
      this.pendingUpdate = true;
      this.pendingMin = next;
    } else {
      this.pendingMin = Math.min(this.pendingMin, next);
    }
  }

  /**
   * Appends the header block of `fields` (`[name, value, ...]`) to `w`. `flags[i]` holds the
   * `FieldFlag`s of field i (the pair at `fields[2i]`). A list sent often should be frozen
   * (`Object.freeze`) and passed without flags: its block is then kept and copied while the
   * table stays as it was.
   */
  encode(w: ByteWriter, fields: readonly string[], flags?: ArrayLike<number>): void {
    if (flags === undefined && !this.pendingUpdate && Object.isFrozen(fields)) this.encodeFrozen(w, fields);
    else this.encodeFields(w, fields, flags);
  }

  /** A frozen list without flags: its cached block while the table is as it was, else encoded. */
  private encodeFrozen(w: ByteWriter, fields: readonly string[]): void {
    const lists = this.cachedLists;
    let slot = -1;
    for (let i = 0; i < BLOCK_CACHE_SIZE; i++) {
      if (lists[i] !== fields) continue;
      if (this.cachedVersions[i] === this.tableVersion) {
        const block = this.cachedBlocks[i]!;
        const n = block.length;
        w.ensure(n);
        const b = w.buf;
        const p = w.pos;
        for (let j = 0; j < n; j++) b[p + j] = block[j]!;
        w.pos = p + n;
        return;
      }
      slot = i;
      break;
    }
    const start = w.pos;
    const version = this.tableVersion;
    this.encodeFields(w, fields, undefined);
    // A block that inserted into the table cannot be sent again as it is.
    if (this.tableVersion !== version) return;
    if (slot < 0) {
      slot = this.nextCacheSlot;
      this.nextCacheSlot = (slot + 1) % BLOCK_CACHE_SIZE;
      lists[slot] = fields;
    }
    this.cachedBlocks[slot] = w.copy(start, w.pos);
    this.cachedVersions[slot] = version;
  }

  private encodeFields(w: ByteWriter, fields: readonly string[], flags: ArrayLike<number> | undefined): void {
    const table = this.table;
    if (this.pendingUpdate) {
      const final = Math.min(this.peerLimit, this.ownLimit);
      if (this.pendingMin < final) {
        encodeInteger(w, this.pendingMin, 5, 0x20);
        table.setMaxSize(this.pendingMin);
      }
      encodeInteger(w, final, 5, 0x20);
      table.setMaxSize(final);
      this.pendingUpdate = false;
      this.tableVersion++;
    }
    const n = fields.length >>> 1;
    for (let i = 0; i < n; i++) {
      const name = fields[2 * i]!;
      const value = fields[2 * i + 1]!;
      const flag = flags === undefined ? 0 : (flags[i] ?? 0);
      const sensitive = (flag & FieldFlag.SENSITIVE) !== 0 || this.sensitiveNames.has(name);
      const stat = STATIC_BY_NAME.get(name);
      let nameIndex = 0;
      if (stat !== undefined) {
        if (!sensitive) {
          const full = stat.values.get(value);
          if (full !== undefined) {
            encodeInteger(w, full, 7, 0x80);
            continue;
          }
        }
        nameIndex = stat.index;
      }
      if (!sensitive) {
        const seq = this.fields.get(name)?.get(value);
        if (seq !== undefined) {
          encodeInteger(w, STATIC_TABLE_LENGTH + table.inserted - seq, 7, 0x80);
          continue;
        }
      }
      if (nameIndex === 0) {
        const seq = this.names.get(name);
        if (seq !== undefined) nameIndex = STATIC_TABLE_LENGTH + table.inserted - seq;
      }
      if (sensitive) {
        encodeInteger(w, nameIndex, 4, 0x10);
      } else if (
        // A field over 3/4 of the table would flush most of it for one entry.
        (name.length + value.length + ENTRY_OVERHEAD) * 4 > table.maxSize * 3 ||
        (flag & FieldFlag.NO_INDEX) !== 0 ||
        // A name whose values are one-offs is indexed once, so that later uses refer to it.
        (nameIndex !== 0 && this.noIndexNames.has(name))
      ) {
        encodeInteger(w, nameIndex, 4, 0x00);
      } else {
        encodeInteger(w, nameIndex, 6, 0x40);
        this.insert(name, value);
      }
      if (nameIndex === 0) this.writeName(w, name);
      this.writeString(w, value);
    }
  }

  /** EvictionListener: drops lookups that point at the evicted entry. */
  onEvict(name: string, value: string, seq: number): void {
    const values = this.fields.get(name);
    if (values !== undefined && values.get(value) === seq) {
      values.delete(value);
      if (values.size === 0) this.fields.delete(name);
    }
    if (this.names.get(name) === seq) this.names.delete(name);
  }

  private insert(name: string, value: string): void {
    const table = this.table;
    this.tableVersion++;
    table.add(name, value);
    if (table.length === 0) return; // larger than the table: not inserted
    const seq = table.inserted - 1;
    let values = this.fields.get(name);
    if (values === undefined) {
      values = new Map();
      this.fields.set(name, values);
    }
    values.set(value, seq);
    this.names.set(name, seq);
  }

  private writeName(w: ByteWriter, name: string): void {
    let lit = this.nameLiterals.get(name);
    if (lit === undefined) {
      const tmp = scratchWriter;
      tmp.reset();
      this.writeString(tmp, name);
      lit = tmp.copy(0, tmp.pos);
      if (this.nameLiterals.size >= NAME_CACHE_LIMIT) this.nameLiterals.clear();
      this.nameLiterals.set(name, lit);
    }
    w.bytes(lit);
  }

  /** String literal (§5.2). */
  private writeString(w: ByteWriter, str: string): void {
    const len = str.length;
    if (this.huffman !== "never") {
      const hlen = huffmanEncodedLength(str);
      if (hlen < 0) throw new RangeError(`header text has a character above 0xff: ${JSON.stringify(str)}`);
      if (this.huffman === "always" || hlen < len) {
        encodeInteger(w, hlen, 7, 0x80);
        huffmanEncode(w, str, hlen);
        return;
      }
    }
    encodeInteger(w, len, 7, 0);
    w.ensure(len);
    latin1Encode(str, w.buf, w.pos);
    w.pos += len;
  }
}

const EMPTY = new Uint8Array(0);

/** Shared by all encoders for building cached name literals (synchronous use only). */
const scratchWriter = new ByteWriter(256);
