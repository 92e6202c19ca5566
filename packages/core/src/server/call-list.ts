/**
 * The running calls of a server (for shutdown): a doubly linked list through the calls
 * themselves, rather than a `Set`.
 *
 * Why not a Set: its hash table is reallocated as the set grows and shrinks, which a server's
 * set of running calls does all the time. A discarded table that had lived long enough to reach
 * V8's old generation still points at the calls it held, and until the next full GC each
 * young-generation GC treats those pointers as live: the calls (finished long ago) and all they
 * reference survive and are promoted, and they in turn hold others. A call's links are cleared
 * when it leaves, so a finished call points at no other.
 */
export interface Linked<T> {
  prevLinked: T | undefined;
  nextLinked: T | undefined;
}

export class CallList<T extends Linked<T>> {
  private head: T | undefined;
  private tail: T | undefined;
  size = 0;

  /** Adds `item` at the end (the list keeps the order items were added in, as a Set does). */
  add(item: T): void {
    item.prevLinked = this.tail;
    item.nextLinked = undefined;
    if (this.tail !== undefined) this.tail.nextLinked = item;
    else this.head = item;
    this.tail = item;
    this.size++;
  }

  /** Removes `item` (which must be in this list; removing it twice is a no-op). */
  delete(item: T): void {
    const prev = item.prevLinked;
    const next = item.nextLinked;
    if (prev === undefined && this.head !== item) return; // not in the list
    if (prev === undefined) this.head = next;
    else prev.nextLinked = next;
    if (next === undefined) this.tail = prev;
    else next.prevLinked = prev;
    item.prevLinked = undefined;
    item.nextLinked = undefined;
    this.size--;
  }

  /** The items now, oldest first, as an array (safe to change the list while going through it). */
  toArray(): T[] {
    const out: T[] = [];
    for (let item = this.head; item !== undefined; item = item.nextLinked) out.push(item);
    return out;
  }
}
