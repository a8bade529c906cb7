import type { Logger } from "pino";
import type { EpicRef, ReconcileResult } from "./reconcile.js";
import { epicKey } from "./naming.js";
import type { Intent } from "./snapshot.js";

/**
 * A keyed serial queue: reconciles of one epic run one at a time (one writer per epic), events
 * arriving meanwhile are coalesced into the next run, and a failed run is retried with backoff.
 * Intents (commands) are kept until a run that received them succeeds, so none is lost.
 */

export type ReconcileFn = (ref: EpicRef, intents: Intent[]) => Promise<ReconcileResult>;

interface Entry {
  ref: EpicRef;
  intents: Intent[];
  /** When the oldest event not yet handled arrived, and what it waited for. */
  firstEventAt?: number;
  arrivedBehindRun?: boolean;
  waitedForSlot?: boolean;
  timer?: NodeJS.Timeout;
  dueAt?: number;
  running?: Promise<void>;
  /** Another run was asked for while one was running. */
  again: boolean;
  failures: number;
}

export interface SchedulerOptions {
  reconcile: ReconcileFn;
  log: Logger;
  /** Events within this window share one reconcile. */
  debounceMs?: number;
  maxBackoffMs?: number;
  /** Failures in a row after which the epic waits for the next event or resync. */
  maxFailures?: number;
  /** Reconciles running at once across all epics, so a resync of many epics stays within the API budget. */
  maxConcurrent?: number;
  /** Reconciles of one installation running at once, so one organisation cannot take every slot; 0 or absent: no limit. */
  installationConcurrency?: number;
  /**
   * Told, at the start of each run, how long its oldest event waited: with nothing in the way
   * (`idle`), behind the same epic's run (`behind_run`), or for one of `maxConcurrent` slots.
   */
  onRunStart?: (waitedMs: number, wait: "idle" | "behind_run" | "slot") => void;
  /** Told, at the end of each run, how long it took and how it ended. */
  onRunEnd?: (durationMs: number, outcome: "ok" | "error") => void;
}

export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly debounceMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxFailures: number;
  private stopped = false;
  /** Shutting down: events already received still run, wake-ups and retries are dropped. */
  private draining = false;
  private active = 0;
  /** Epics due to run while `maxConcurrent` reconciles were already running, in arrival order. */
  private readonly waiting: Array<() => void> = [];
  /** Runs under way per installation, and the epics waiting for one of them to end. */
  private readonly activeByInstallation = new Map<number, number>();
  private readonly waitingByInstallation = new Map<number, Array<() => void>>();

  constructor(private readonly options: SchedulerOptions) {
    this.debounceMs = options.debounceMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.maxFailures = options.maxFailures ?? 8;
  }

  /** Asks for a reconcile of `ref`; `delayMs` defaults to the debounce window. */
  schedule(ref: EpicRef, intents: Intent[] = [], delayMs = this.debounceMs): void {
    if (this.stopped) return;
    const key = epicKey(ref.owner, ref.repo, ref.issueNumber);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { ref, intents: [], again: false, failures: 0 };
      this.entries.set(key, entry);
    }
    entry.ref = ref;
    entry.intents.push(...intents);
    if (entry.firstEventAt === undefined) {
      entry.firstEventAt = Date.now();
      entry.arrivedBehindRun = entry.running !== undefined;
    }
    if (entry.running) {
      entry.again = true;
      return;
    }
    this.arm(key, entry, delayMs);
  }

  /**
   * Resolves once no reconcile is running or due within `horizonMs` (tests, the sandbox and
   * shutdown); periodic agent polls further out do not count.
   */
  async idle(horizonMs = 1_000): Promise<void> {
    for (;;) {
      const now = Date.now();
      const busy = [...this.entries.values()].some(
        (entry) => entry.running || (entry.dueAt !== undefined && entry.dueAt - now <= horizonMs),
      );
      if (!busy) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** How many epics have a run scheduled or under way. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The queue for metrics: epics waiting for their run (debounce, backoff, a slot), runs under
   * way, and how long the oldest event not yet handled has waited.
   */
  stats(now = Date.now()): { queued: number; running: number; oldestEventAgeMs: number } {
    let queued = 0;
    let oldest = now;
    for (const entry of this.entries.values()) {
      if (entry.firstEventAt !== undefined) {
        queued++;
        oldest = Math.min(oldest, entry.firstEventAt);
      }
    }
    return { queued, running: this.active, oldestEventAgeMs: now - oldest };
  }

  stop(): void {
    this.stopped = true;
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
  }

  /**
   * Graceful shutdown: events already received run at once, wake-ups (polls, retry backoffs)
   * are dropped (the next process's resync finds them again), and the runs under way finish.
   * Resolves true when nothing runs any more, false if `timeoutMs` passed first; either way the
   * scheduler is stopped.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    for (const [key, entry] of this.entries) {
      if (entry.running) continue;
      clearTimeout(entry.timer);
      entry.timer = undefined;
      entry.dueAt = undefined;
      this.arm(key, entry, 0);
    }
    const deadline = Date.now() + timeoutMs;
    while (this.entries.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const drained = this.entries.size === 0;
    this.stop();
    return drained;
  }

  private installationQueue(installationId: number): Array<() => void> {
    let queue = this.waitingByInstallation.get(installationId);
    if (!queue) {
      queue = [];
      this.waitingByInstallation.set(installationId, queue);
    }
    return queue;
  }

  private arm(key: string, entry: Entry, delayMs: number): void {
    if (this.draining) {
      if (entry.firstEventAt === undefined && entry.intents.length === 0) {
        this.entries.delete(key);
        return;
      }
      delayMs = 0;
    }
    const dueAt = Date.now() + delayMs;
    // An earlier wake-up wins; a later one never postpones a run already due.
    if (entry.timer && entry.dueAt !== undefined && entry.dueAt <= dueAt) return;
    clearTimeout(entry.timer);
    entry.dueAt = dueAt;
    entry.timer = setTimeout(() => this.run(key, entry), delayMs);
    entry.timer.unref?.();
  }

  private run(key: string, entry: Entry): void {
    entry.timer = undefined;
    entry.dueAt = undefined;
    const installation = entry.ref.installationId;
    const perInstallation = this.options.installationConcurrency ?? 0;
    const installationFull = perInstallation > 0 && (this.activeByInstallation.get(installation) ?? 0) >= perInstallation;
    if (this.active >= (this.options.maxConcurrent ?? 16) || installationFull) {
      entry.waitedForSlot = true;
      const queue = installationFull ? this.installationQueue(installation) : this.waiting;
      // Marked running so that events meanwhile coalesce instead of arming another timer.
      entry.running = new Promise<void>((resolve) => queue.push(resolve)).then(() => {
        entry.running = undefined;
        this.run(key, entry);
      });
      return;
    }
    this.active++;
    this.activeByInstallation.set(installation, (this.activeByInstallation.get(installation) ?? 0) + 1);
    const startedAt = Date.now();
    if (entry.firstEventAt !== undefined) {
      const wait = entry.arrivedBehindRun ? "behind_run" : entry.waitedForSlot ? "slot" : "idle";
      this.options.onRunStart?.(startedAt - entry.firstEventAt, wait);
    }
    entry.firstEventAt = undefined;
    entry.arrivedBehindRun = undefined;
    entry.waitedForSlot = undefined;
    const intents = entry.intents;
    entry.intents = [];
    entry.again = false;
    entry.running = this.options
      .reconcile(entry.ref, intents)
      .finally(() => {
        this.active--;
        const left = (this.activeByInstallation.get(installation) ?? 1) - 1;
        if (left > 0) this.activeByInstallation.set(installation, left);
        else this.activeByInstallation.delete(installation);
        this.waiting.shift()?.();
        this.installationQueue(installation).shift()?.();
      })
      .then((result) => {
        this.options.onRunEnd?.(Date.now() - startedAt, "ok");
        entry.failures = 0;
        entry.running = undefined;
        if (entry.again || entry.intents.length > 0) this.arm(key, entry, this.debounceMs);
        else if (result.wakeAfterMs !== undefined) this.arm(key, entry, result.wakeAfterMs);
        else this.entries.delete(key);
      })
      .catch((error: unknown) => {
        this.options.onRunEnd?.(Date.now() - startedAt, "error");
        entry.running = undefined;
        entry.failures++;
        // Put the intents back: a command is answered once, by the run that succeeds.
        entry.intents = [...intents, ...entry.intents];
        if (this.draining) {
          // Commands live in the issue's comments too: the next process's resync answers them.
          this.options.log.warn({ err: error, epic: key }, "reconcile failed during shutdown; the next start's resync retries it");
          this.entries.delete(key);
          return;
        }
        if (entry.failures >= this.maxFailures) {
          this.options.log.error({ err: error, epic: key, failures: entry.failures }, "reconcile keeps failing; waiting for the next event or resync");
          this.entries.delete(key);
          return;
        }
        const backoff = Math.min(this.maxBackoffMs, 1_000 * 2 ** (entry.failures - 1));
        this.options.log.warn({ err: error, epic: key, retryInMs: backoff }, "reconcile failed; retrying");
        this.arm(key, entry, backoff);
      });
  }
}
