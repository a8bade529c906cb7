import { LRUCache } from "lru-cache";

interface Entry {
  /** The issue's `updated_at` when the resync last scheduled it. */
  scheduledAt?: string;
  /** The `updated_at` the last reconcile, started after that, found nothing to wait for. */
  quietAt?: string;
}

/**
 * Which open epics are quiet: their last reconcile found no task under way and no wake-up due,
 * so nothing but the issue itself (its body, title, labels, state or a new comment, all of which
 * move its `updated_at`) can give them work. The resync skips such an epic while its `updated_at`
 * is the one it saw before that reconcile; every other epic is reconciled as before. Bounded:
 * forgetting an epic costs one reconcile, never a missed change.
 */
export class EpicIndex {
  private readonly entries: LRUCache<string, Entry>;

  constructor(max = 50_000) {
    this.entries = new LRUCache<string, Entry>({ max });
  }

  /** Whether the resync may leave the epic alone: quiet since it last saw `updatedAt`. */
  isQuiet(key: string, updatedAt: string): boolean {
    return this.entries.get(key)?.quietAt === updatedAt;
  }

  /** The resync scheduled the epic, whose issue it saw as of `updatedAt`. */
  scheduled(key: string, updatedAt: string): void {
    this.entries.set(key, { ...this.entries.get(key), scheduledAt: updatedAt });
  }

  /** A reconcile of the epic starts: what the resync had seen of it by then (to hand to `settled`). */
  started(key: string): string | undefined {
    return this.entries.get(key)?.scheduledAt;
  }

  /**
   * A reconcile of the epic ended; `quiet` when it left nothing under way and asked for no
   * wake-up. It counts only if it started after the resync's last look (`startedWith` is what
   * `started` said): one already running then read the issue as it was before.
   */
  settled(key: string, quiet: boolean, startedWith: string | undefined): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    const { scheduledAt } = entry;
    const quietAt = quiet && startedWith !== undefined && startedWith === scheduledAt ? scheduledAt : undefined;
    this.entries.set(key, { ...(scheduledAt !== undefined ? { scheduledAt } : {}), ...(quietAt !== undefined ? { quietAt } : {}) });
  }
}
