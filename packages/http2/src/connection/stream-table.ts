/**
 * The open streams by id. A `Map` shrinks and rehashes as streams come and go in bursts, which
 * showed as the largest single cost of a unary call; stream ids only grow, so a ring indexed by
 * the id holds nearly every live stream in its own slot, and the rare stream whose slot is taken
 * (a long-lived one, `size` ids older) goes to an overflow map.
 */
export interface HasStreamId {
  readonly id: number;
}

export class StreamTable<T extends HasStreamId> {
  private readonly slots: (T | undefined)[];
  private readonly mask: number;
  private readonly overflow = new Map<number, T>();
  size = 0;

  /** `capacity`: slots in the ring, rounded up to a power of two. */
  constructor(capacity: number) {
    let n = 16;
    while (n < capacity && n < 1 << 16) n *= 2;
    this.slots = new Array<T | undefined>(n).fill(undefined);
    this.mask = n - 1;
  }

  get(id: number): T | undefined {
    const s = this.slots[(id >>> 1) & this.mask];
    if (s !== undefined && s.id === id) return s;
    return this.overflow.size === 0 ? undefined : this.overflow.get(id);
  }

  /** Adds a stream whose id is not in the table. */
  add(stream: T): void {
    const slot = (stream.id >>> 1) & this.mask;
    if (this.slots[slot] === undefined) this.slots[slot] = stream;
    else this.overflow.set(stream.id, stream);
    this.size++;
  }

  delete(stream: T): void {
    const slot = (stream.id >>> 1) & this.mask;
    if (this.slots[slot] === stream) {
      this.slots[slot] = undefined;
      this.size--;
    } else if (this.overflow.delete(stream.id)) {
      this.size--;
    }
  }

  /** A snapshot of the streams (safe to change the table while going through it). */
  list(): T[] {
    const out: T[] = [];
    for (const s of this.slots) if (s !== undefined) out.push(s);
    for (const s of this.overflow.values()) out.push(s);
    return out;
  }
}
