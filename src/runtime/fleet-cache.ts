import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { TtlCache } from "../ttl-cache.js";

/**
 * A cache whose answers must agree across the fleet (a permission, a delivery already handled,
 * a reply already sent): in this process without Redis, in Redis with REDIS_URL. Entries expire
 * after the cache's TTL.
 */
export interface FleetCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  /** Sets `key` only when absent: true for the one caller, in the whole fleet, that set it. */
  claim(key: string): Promise<boolean>;
}

/** The embedded default: a bounded in-process map. */
export class MemoryFleetCache implements FleetCache {
  private readonly entries: TtlCache<string, string>;

  constructor(ttlMs: number, capacity = 10_000, now: () => number = Date.now) {
    this.entries = new TtlCache<string, string>(ttlMs, capacity, now);
  }

  async get(key: string): Promise<string | undefined> {
    return this.entries.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    this.entries.set(key, value);
  }

  async claim(key: string): Promise<boolean> {
    if (this.entries.get(key) !== undefined) return false;
    this.entries.set(key, "1");
    return true;
  }
}

/** How long a cache waits for Redis before answering as if it held nothing. */
const REDIS_WAIT_MS = 2_000;

/**
 * The same over Redis (`SET … PX`, `SET … NX PX`), under `<prefix>:cache:<name>:`. A cache is a
 * shortcut, never the truth: when Redis does not answer within 2 s, `get` finds nothing, `set`
 * is skipped and `claim` succeeds, so work is at worst done twice (a lookup, one more reply),
 * never lost.
 */
export class RedisFleetCache implements FleetCache {
  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix: string; name: string; ttlMs: number; log: Logger },
  ) {}

  async get(key: string): Promise<string | undefined> {
    return this.soft(async () => (await this.redis.get(this.key(key))) ?? undefined, undefined);
  }

  async set(key: string, value: string): Promise<void> {
    await this.soft(async () => void (await this.redis.set(this.key(key), value, "PX", this.options.ttlMs)), undefined);
  }

  async claim(key: string): Promise<boolean> {
    return this.soft(async () => (await this.redis.set(this.key(key), "1", "PX", this.options.ttlMs, "NX")) === "OK", true);
  }

  private key(key: string): string {
    return `${this.options.prefix}:cache:${this.options.name}:${key}`;
  }

  private async soft<T>(operation: () => Promise<T>, fallback: T): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), REDIS_WAIT_MS);
      timer.unref();
    });
    try {
      const result = await Promise.race([operation(), timeout]);
      if (result !== "timeout") return result;
      this.options.log.warn({ cache: this.options.name }, "Redis did not answer a cache look-up in time; going on without it");
    } catch (error) {
      this.options.log.warn({ err: error, cache: this.options.name }, "Redis cache look-up failed; going on without it");
    } finally {
      clearTimeout(timer);
    }
    return fallback;
  }
}
