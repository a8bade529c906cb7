import type { EpicRef, ReconcileResult } from "../orchestration/reconcile.js";
import type { Intent } from "../orchestration/snapshot.js";

/**
 * Throws when this process may no longer write for the epic it reconciles (its lease was lost:
 * another process may be reconciling it now). Called before every write to GitHub or Cursor.
 */
export type Fence = () => Promise<void>;

export type ReconcileWithFence = (ref: EpicRef, intents: Intent[], fence?: Fence) => Promise<ReconcileResult>;

/** What waits and runs now, for metrics. */
export interface QueueStats {
  queued: number;
  running: number;
  oldestEventAgeMs: number;
}

/**
 * Where reconciles of epics are queued and run, one at a time per epic: in this process
 * (`Scheduler`, the default) or across processes over Redis (`RedisEpicQueue`, with REDIS_URL).
 */
export interface EpicQueue {
  schedule(ref: EpicRef, intents?: Intent[], delayMs?: number): void;
  /** Resolves once nothing runs or is due within `horizonMs` (tests, the sandbox). */
  idle(horizonMs?: number): Promise<void>;
  /** Epics with a run scheduled or under way (as last seen, for Redis). */
  readonly size: number;
  stats(): QueueStats;
  /** Graceful shutdown: stop taking work, let runs under way finish within `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean>;
  stop(): void;
}
