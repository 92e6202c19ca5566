/**
 * Listeners of a state that changes: each value goes to every listener, in order. A value
 * published by a listener while an earlier one is being delivered waits until that earlier one
 * has reached every listener, so no listener sees the states out of order.
 */
export class Watchers<T> {
  readonly #listeners = new Set<(value: T) => void>();
  readonly #pending: T[] = [];
  #delivering = false;

  /** Adds `listener` (the same function twice counts twice); returns a function that removes it. */
  add(listener: (value: T) => void): () => void {
    const entry = (value: T) => listener(value);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  get size(): number {
    return this.#listeners.size;
  }

  /** Drops every listener and every value not yet delivered. */
  clear(): void {
    this.#listeners.clear();
    this.#pending.length = 0;
  }

  publish(value: T): void {
    this.#pending.push(value);
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let v = this.#pending.shift(); v !== undefined; v = this.#pending.shift())
        for (const l of [...this.#listeners]) if (this.#listeners.has(l)) l(v);
    } finally {
      this.#delivering = false;
      this.#pending.length = 0;
    }
  }
}
