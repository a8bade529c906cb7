import type { Redis } from "ioredis";

/**
 * The per-installation daily cap on agent launches (ORCHESTRA_INSTALLATION_DAILY_AGENT_RUNS),
 * counted per UTC day: in this process without Redis, in Redis (one count for the fleet) with it.
 * One installation cannot spend the fleet's Cursor capacity; its launches wait for the next day.
 */
export interface DailyLaunches {
  readonly cap: number;
  /** Launches the installation may still make today. */
  remaining(installationId: number, now: number): Promise<number>;
  /** Counts one launch; false (and nothing counted) when the cap is reached. */
  take(installationId: number, now: number): Promise<boolean>;
}

/** `2026-11-28`: the UTC day the count belongs to. */
export function utcDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** Milliseconds until the next UTC day starts, when the counts start again. */
export function untilNextUtcDay(now: number): number {
  const date = new Date(now);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1) - now;
}

export class MemoryDailyLaunches implements DailyLaunches {
  private readonly counts = new Map<string, number>();

  constructor(readonly cap: number) {}

  async remaining(installationId: number, now: number): Promise<number> {
    return Math.max(0, this.cap - (this.counts.get(`${installationId}:${utcDay(now)}`) ?? 0));
  }

  async take(installationId: number, now: number): Promise<boolean> {
    const day = utcDay(now);
    const key = `${installationId}:${day}`;
    const count = this.counts.get(key) ?? 0;
    if (count >= this.cap) return false;
    // Yesterday's counts are no longer needed.
    for (const old of this.counts.keys()) if (!old.endsWith(`:${day}`)) this.counts.delete(old);
    this.counts.set(key, count + 1);
    return true;
  }
}

// Count one launch unless the cap is reached; the key outlives its day by one, then expires.
const TAKE = `
local count = redis.call("INCR", KEYS[1])
if count > tonumber(ARGV[1]) then redis.call("DECR", KEYS[1]) return 0 end
redis.call("EXPIRE", KEYS[1], 172800)
return 1`;

export class RedisDailyLaunches implements DailyLaunches {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly cap: number,
  ) {}

  async remaining(installationId: number, now: number): Promise<number> {
    return Math.max(0, this.cap - Number((await this.redis.get(this.key(installationId, now))) ?? 0));
  }

  async take(installationId: number, now: number): Promise<boolean> {
    return (await this.redis.eval(TAKE, 1, this.key(installationId, now), this.cap)) === 1;
  }

  private key(installationId: number, now: number): string {
    return `${this.prefix}:launches:${installationId}:${utcDay(now)}`;
  }
}
