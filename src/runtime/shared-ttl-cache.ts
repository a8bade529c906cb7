import { randomBytes } from "node:crypto";
import { TtlCache, type ByteBound } from "../ttl-cache.js";

/**
 * A cache of what this process last wrote somewhere shared (the status comment's text), kept
 * true across the fleet: when one process writes, the others forget their copy, so none skips a
 * write because it remembers text another process has since replaced.
 */
export class SharedWriteCache<V> extends TtlCache<number, V> {
  private readonly origin = randomBytes(6).toString("hex");

  constructor(
    ttlMs: number,
    capacity: number,
    private readonly tellFleet: (message: string) => void,
    bound?: ByteBound<V>,
  ) {
    super(ttlMs, capacity, Date.now, bound);
  }

  override set(key: number, value: V): void {
    super.set(key, value);
    this.tellFleet(`${this.origin}:${key}`);
  }

  /** What another process told: it wrote `key`, so this copy is stale. */
  heard(message: string): void {
    const [origin, key] = message.split(":");
    if (origin !== this.origin && key !== undefined) this.delete(Number(key));
  }
}
