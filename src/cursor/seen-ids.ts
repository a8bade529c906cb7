/**
 * The most recent `capacity` delivery ids, oldest forgotten first. A Map keeps insertion order,
 * which is all an LRU of this size needs.
 */
export class SeenIds {
  readonly #capacity: number;
  readonly #ids = new Map<string, true>();

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`seen-id capacity must be a positive integer, got ${capacity}`);
    }
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#ids.size;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** Records `id`; returns false when it was already there (and refreshes it). */
  add(id: string): boolean {
    const fresh = !this.#ids.delete(id);
    this.#ids.set(id, true);
    if (this.#ids.size > this.#capacity) {
      const oldest = this.#ids.keys().next();
      if (!oldest.done) this.#ids.delete(oldest.value);
    }
    return fresh;
  }
}
