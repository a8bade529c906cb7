/** How a cache whose values vary in size is also bounded by bytes: the most it holds, and each value's size. */
export interface ByteBound<V> {
  maxBytes: number;
  sizeOf: (value: V) => number;
}

/**
 * A map whose entries expire; bounded by count and, when given a `ByteBound`, by bytes. The
 * least recently set entry goes first. Small, for permission, config and status look-ups.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; expiresAt: number; bytes: number }>();
  private heldBytes = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly capacity = 5_000,
    private readonly now: () => number = Date.now,
    private readonly bound?: ByteBound<V>,
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: K, value: V): void {
    this.delete(key);
    const bytes = this.bound ? this.bound.sizeOf(value) : 0;
    // A value larger than the whole bound would only push every other entry out.
    if (this.bound && bytes > this.bound.maxBytes) return;
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs, bytes });
    this.heldBytes += bytes;
    while (this.entries.size > this.capacity || (this.bound && this.heldBytes > this.bound.maxBytes)) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.heldBytes -= entry.bytes;
    this.entries.delete(key);
  }

  /** Entries held now (expired ones included until looked up or pushed out). */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes held now, as `sizeOf` counts them; 0 without a byte bound. */
  get bytes(): number {
    return this.heldBytes;
  }
}

/** What a string costs in memory, about: V8 keeps two bytes a character for any non-Latin-1 text. */
export function stringBytes(text: string): number {
  return text.length * 2 + 32;
}
