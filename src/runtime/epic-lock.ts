import type { Redis } from "ioredis";

/** The lease was lost: another process may be reconciling this epic; stop before writing. */
export class LeaseLostError extends Error {
  constructor(readonly epic: string) {
    super(`the lease on ${epic} was lost: another process may be reconciling it; stopping before any write`);
    this.name = "LeaseLostError";
  }
}

// Only the holder of the token may extend or release the lease.
const EXTEND = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then redis.call("DEL", KEYS[2]) return redis.call("DEL", KEYS[1]) else return 0 end`;

export interface HeldLease {
  /** Monotonic per epic: a later holder always has a larger token. */
  token: string;
  /** True when the previous holder's lease ran out without a release (it died): a takeover. */
  tookOver: boolean;
  /** Throws LeaseLostError unless this process still holds the lease. */
  check(): Promise<void>;
  release(): Promise<void>;
}

/**
 * One writer per epic across processes: a lease in Redis (`SET NX PX`), renewed while the
 * reconcile runs, with a fencing token checked before each write. A process that dies stops
 * renewing, and another takes the epic over once the lease has run out.
 */
export class EpicLocks {
  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix: string; leaseMs: number; owner: string },
  ) {}

  async acquire(epic: string): Promise<HeldLease | null> {
    const { prefix, leaseMs, owner } = this.options;
    const lockKey = `${prefix}:lock:${epic}`;
    const heldKey = `${prefix}:held:${epic}`;
    const fence = await this.redis.incr(`${prefix}:fence:${epic}`);
    const token = `${fence}:${owner}`;
    const acquired = await this.redis.set(lockKey, token, "PX", leaseMs, "NX");
    if (acquired !== "OK") return null;
    // `held` outlives the lease: still there at the next acquire means its holder never released.
    const previous = await this.redis.set(heldKey, token, "GET");
    let lost = false;
    const renew = setInterval(() => {
      this.redis
        .eval(EXTEND, 1, lockKey, token, leaseMs)
        .then((extended) => {
          if (extended !== 1) lost = true;
        })
        .catch(() => {
          // Redis unreachable: the lease may run out; check() finds out before the next write.
        });
    }, Math.max(50, Math.floor(leaseMs / 3)));
    renew.unref();
    return {
      token,
      tookOver: previous !== null,
      check: async () => {
        if (lost || (await this.redis.get(lockKey)) !== token) {
          lost = true;
          throw new LeaseLostError(epic);
        }
      },
      release: async () => {
        clearInterval(renew);
        await this.redis.eval(RELEASE, 2, lockKey, heldKey, token);
      },
    };
  }
}
