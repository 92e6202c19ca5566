/**
 * The HPACK dynamic table (RFC 7541 §2.3.2, §4): a FIFO of header fields, newest first, whose
 * size is the sum of `name.length + value.length + 32` over its entries and never exceeds
 * `maxSize`. Stored as a ring of strings, so an indexed field costs no allocation.
 *
 * Strings here are Latin-1: one char per octet, so `length` is the octet count.
 */

/** Per-entry overhead in the size accounting (RFC 7541 §4.1). */
export const ENTRY_OVERHEAD = 32;

/** Told of each entry as it leaves the table (the encoder keeps its lookups in step). */
export interface EvictionListener {
  onEvict(name: string, value: string, seq: number): void;
}

export class DynamicTable {
  private names: string[];
  private values: string[];
  private mask: number;
  /** Ring slot of the next insertion. */
  private head = 0;
  /** Entries in the table. */
  length = 0;
  /** Current size in octets (with the 32-octet overhead per entry). */
  size = 0;
  /** Largest allowed size; set by table size updates. */
  maxSize: number;
  /** Entries ever inserted: entry `seq` (0-based insertion order) has index `inserted - seq`. */
  inserted = 0;
  private readonly listener: EvictionListener | undefined;

  constructor(maxSize: number, listener?: EvictionListener) {
    this.maxSize = maxSize;
    this.listener = listener;
    const capacity = 16;
    this.names = new Array<string>(capacity).fill("");
    this.values = new Array<string>(capacity).fill("");
    this.mask = capacity - 1;
  }

  /** Name at dynamic index `i` (1 = newest); the caller checks `1 <= i <= length`. */
  nameAt(i: number): string {
    return this.names[(this.head - i) & this.mask]!;
  }

  valueAt(i: number): string {
    return this.values[(this.head - i) & this.mask]!;
  }

  /**
   * Inserts a field, evicting the oldest entries to make room. A field larger than `maxSize`
   * empties the table and is not inserted (not an error, RFC 7541 §4.4).
   */
  add(name: string, value: string): void {
    const entrySize = name.length + value.length + ENTRY_OVERHEAD;
    if (entrySize > this.maxSize) {
      this.evictTo(0);
      return;
    }
    this.evictTo(this.maxSize - entrySize);
    if (this.length === this.mask + 1) this.grow();
    const slot = this.head;
    this.names[slot] = name;
    this.values[slot] = value;
    this.head = (slot + 1) & this.mask;
    this.length++;
    this.size += entrySize;
    this.inserted++;
  }

  /** Applies a table size update: evicts until the table fits `maxSize`. */
  setMaxSize(maxSize: number): void {
    this.maxSize = maxSize;
    this.evictTo(maxSize);
  }

  private evictTo(limit: number): void {
    while (this.size > limit && this.length > 0) {
      const slot = (this.head - this.length) & this.mask;
      const name = this.names[slot]!;
      const value = this.values[slot]!;
      this.size -= name.length + value.length + ENTRY_OVERHEAD;
      this.names[slot] = "";
      this.values[slot] = "";
      this.length--;
      this.listener?.onEvict(name, value, this.inserted - this.length - 1);
    }
  }

  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    const names = new Array<string>(capacity).fill("");
    const values = new Array<string>(capacity).fill("");
    for (let i = this.length; i >= 1; i--) {
      // oldest first, into slots 0..length-1
      names[this.length - i] = this.nameAt(i);
      values[this.length - i] = this.valueAt(i);
    }
    this.names = names;
    this.values = values;
    this.head = this.length;
    this.mask = capacity - 1;
  }
}
