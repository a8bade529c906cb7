import type { Redis } from "ioredis";

/**
 * How many reconciles of one installation run at once across the fleet
 * (ORCHESTRA_INSTALLATION_CONCURRENCY), so that one organisation with many epics cannot fill
 * every worker. A slot is a member of a sorted set scored by its expiry: renewed while its run
 * goes on, dropped at the end, and left to expire (after the lease) by a process that died.
 */

// Drop expired slots, then take one if fewer than the limit are held.
const ACQUIRE = `
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
if redis.call("ZCARD", KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call("ZADD", KEYS[1], ARGV[3], ARGV[4])
redis.call("PEXPIRE", KEYS[1], ARGV[5])
return 1`;

export interface HeldSlot {
  release(): Promise<void>;
}

export class InstallationSlots {
  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix: string; limit: number; leaseMs: number },
  ) {}

  /** A slot for a run of the installation, or null when `limit` runs of it are under way. */
  async acquire(installationId: number, token: string): Promise<HeldSlot | null> {
    const { prefix, limit, leaseMs } = this.options;
    const key = `${prefix}:slots:${installationId}`;
    const now = Date.now();
    const acquired = await this.redis.eval(ACQUIRE, 1, key, now, limit, now + leaseMs, token, leaseMs * 2);
    if (acquired !== 1) return null;
    const renew = setInterval(() => {
      void this.redis.multi().zadd(key, "XX", Date.now() + leaseMs, token).pexpire(key, leaseMs * 2).exec().catch(() => {});
    }, Math.max(50, Math.floor(leaseMs / 3)));
    renew.unref();
    return {
      release: async () => {
        clearInterval(renew);
        await this.redis.zrem(key, token);
      },
    };
  }
}
