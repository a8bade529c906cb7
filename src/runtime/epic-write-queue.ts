/**
 * One write queue per epic, so that a merge or a launch never waits behind a cosmetic write.
 *
 * Octokit's throttling sends an installation's writes (and GraphQL queries) one a second, in the
 * order they were handed to it. A status comment edit handed over just before a check turns green
 * would delay that check's snapshot and merge by a second or more. So cosmetic writes are not
 * handed over at once: they are deferred, keyed (a newer status edit replaces the pending one:
 * the newest wins), and sent only when the epic is quiet (no reconcile running, nothing important
 * queued, `settleMs` since its last activity; past `maxDelayMs`, as soon as no reconcile runs). Writes run one
 * at a time per epic, the most important first; a failed write rejects its own promise (or calls
 * its `onError`) and the queue goes on with the next: nothing queued is lost.
 *
 * A deferred write that can also be said as a GraphQL mutation (a status edit, a branch deletion)
 * rides along in the request of the next write that carries others (`carry`: the body write),
 * instead of costing a request of its own later. A ride's outcome is handled as the write's own.
 * A patient deferred write (a status edit that only shows progress) waits longer for a ride.
 */
import type { WriteOp, WriteOutcome } from "../github/write-batch.js";

/** Most important first. */
export const WRITE_PRIORITIES = ["merge", "launch", "body", "notification", "status", "cleanup"] as const;
export type WritePriority = (typeof WRITE_PRIORITIES)[number];

export interface EpicWriteQueueOptions {
  /** A deferred write waits this long after the epic's last activity. */
  settleMs?: number;
  /** …but never longer than this after it was first deferred. */
  maxDelayMs?: number;
  now?: () => number;
}

interface Job {
  rank: number;
  seq: number;
  write: () => Promise<unknown>;
  done: (error: unknown, value?: unknown) => void;
  /** The same write as a mutation, and what it does with the mutation's outcome. */
  ride?: RideOption;
  /** A deferred write is not sent alone before this (it may ride before). */
  readyAt?: number;
  /** A carrier: the deferred rides go in its request. */
  carry?: (rides: Ride[]) => Promise<unknown>;
}

export interface RideOption {
  op: WriteOp;
  /** Hears the outcome when the write rode in another's request (a refusal included: handle it as the write's own). */
  rode: (outcome: WriteOutcome) => void;
}

/** A deferred write riding in a carrier's request: the carrier sends `op` and settles it with its outcome. */
export interface Ride {
  op: WriteOp;
  settle: (outcome: WriteOutcome) => void;
}

export interface DeferOptions {
  ride?: RideOption;
  /** Not sent alone before this many ms (a ride may take it before): for edits nobody acts on. */
  patientMs?: number;
}

interface EpicState {
  queued: Job[];
  deferred: Map<string, Job>;
  /** When the oldest deferred write still pending was first deferred. */
  deferredSince?: number;
  inFlight: boolean;
  busy: number;
  lastActivity: number;
  timer?: ReturnType<typeof setTimeout>;
  idle: Array<() => void>;
}

export class EpicWriteQueue {
  private readonly epics = new Map<string, EpicState>();
  private readonly settleMs: number;
  private readonly maxDelayMs: number;
  private readonly now: () => number;
  private seq = 0;

  constructor(options: EpicWriteQueueOptions = {}) {
    this.settleMs = options.settleMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 15_000;
    this.now = options.now ?? Date.now;
  }

  /** Something happened to the epic (an event, a reconcile): its deferred writes wait a little more. */
  touch(epic: string): void {
    const state = this.epics.get(epic);
    if (state) state.lastActivity = this.now();
  }

  /** A reconcile of the epic runs until the returned function is called: deferred writes wait for it. */
  begin(epic: string): () => void {
    const state = this.state(epic);
    state.busy++;
    state.lastActivity = this.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      state.busy--;
      state.lastActivity = this.now();
      this.pump(epic);
    };
  }

  /** Runs `write` once no more important write of the epic is queued and none is in flight. */
  run<T>(epic: string, priority: WritePriority, write: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const state = this.state(epic);
      state.queued.push({ rank: rankOf(priority), seq: this.seq++, write, done: (error, value) => (error === undefined ? resolve(value as T) : reject(error)) });
      state.queued.sort(byRankThenSeq);
      this.pump(epic);
    });
  }

  /**
   * Like `run`, for a write that can carry the epic's deferred writes that may ride: `write` gets
   * them, sends their ops in its own request and settles each with its outcome. A ride it does not
   * settle (it failed before sending) is deferred again: nothing is lost.
   */
  carry<T>(epic: string, priority: WritePriority, write: (rides: Ride[]) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const state = this.state(epic);
      const job: Job = {
        rank: rankOf(priority),
        seq: this.seq++,
        write: () => Promise.reject(new Error("a carrier runs with its rides")),
        carry: write as (rides: Ride[]) => Promise<unknown>,
        done: (error, value) => (error === undefined ? resolve(value as T) : reject(error)),
      };
      state.queued.push(job);
      state.queued.sort(byRankThenSeq);
      this.pump(epic);
    });
  }

  /**
   * Defers a cosmetic write; a pending write with the same key is replaced (never sent). `onError`
   * hears a failure: no one awaits a deferred write.
   */
  defer(
    epic: string,
    key: string,
    priority: WritePriority,
    write: () => Promise<unknown>,
    onError: (error: unknown) => void,
    options: DeferOptions = {},
  ): void {
    const state = this.state(epic);
    const now = this.now();
    state.lastActivity = now;
    state.deferredSince ??= now;
    state.deferred.delete(key);
    state.deferred.set(key, {
      rank: rankOf(priority),
      seq: this.seq++,
      write,
      done: (error) => error !== undefined && onError(error),
      ...(options.ride ? { ride: options.ride } : {}),
      ...(options.patientMs ? { readyAt: now + options.patientMs } : {}),
    });
    this.pump(epic);
  }

  /** Drops a pending deferred write (its content is no longer wanted); true when there was one. */
  cancel(epic: string, key: string): boolean {
    const state = this.epics.get(epic);
    const dropped = state?.deferred.delete(key) ?? false;
    if (state && state.deferred.size === 0) delete state.deferredSince;
    if (state) this.release(epic, state);
    return dropped;
  }

  pending(epic: string, key: string): boolean {
    return this.epics.get(epic)?.deferred.has(key) ?? false;
  }

  /** Sends every deferred write now and resolves when every epic's queue is empty (shutdown, tests). */
  async drain(): Promise<void> {
    await Promise.all(
      [...this.epics.keys()].map(
        (epic) =>
          new Promise<void>((resolve) => {
            const state = this.epics.get(epic);
            if (!state) return resolve();
            state.idle.push(resolve);
            state.deferredSince = -Infinity;
            this.pump(epic);
          }),
      ),
    );
  }

  /** Epics with something queued, deferred, running or in flight (bounded memory: idle epics are forgotten). */
  get size(): number {
    return this.epics.size;
  }

  private state(epic: string): EpicState {
    let state = this.epics.get(epic);
    if (!state) {
      state = { queued: [], deferred: new Map(), inFlight: false, busy: 0, lastActivity: this.now(), idle: [] };
      this.epics.set(epic, state);
    }
    return state;
  }

  private pump(epic: string): void {
    const state = this.epics.get(epic);
    if (!state || state.inFlight) return;
    if (state.timer) {
      clearTimeout(state.timer);
      delete state.timer;
    }
    let job = state.queued.shift();
    if (!job && state.deferred.size > 0) {
      const wait = Math.max(this.deferredWaitMs(state), this.patienceMs(state));
      if (wait > 0) {
        state.timer = setTimeout(() => {
          delete state.timer;
          this.pump(epic);
        }, wait);
        state.timer.unref?.();
        return;
      }
      job = [...state.deferred.values()].filter((candidate) => this.ready(state, candidate)).sort(byRankThenSeq)[0]!;
      for (const [key, candidate] of state.deferred) if (candidate === job) state.deferred.delete(key);
      if (state.deferred.size === 0) delete state.deferredSince;
    }
    if (!job) return this.release(epic, state);
    state.inFlight = true;
    const rides = job.carry ? this.takeRides(state) : [];
    const finish = (error: unknown, value?: unknown) => {
      state.inFlight = false;
      job.done(error, value);
      this.pump(epic);
    };
    const run = job.carry ? () => job.carry!(rides.map((ride) => ride.ride)).finally(() => this.unsettled(state, rides)) : job.write;
    // A write that throws synchronously fails like one that rejects.
    Promise.resolve()
      .then(run)
      .then(
        (value) => finish(undefined, value),
        (error: unknown) => finish(error ?? new Error("write failed")),
      );
  }

  /** The deferred writes that may ride, taken out of the deferred ones; each settles its own job. */
  private takeRides(state: EpicState): Array<{ key: string; job: Job; ride: Ride; settled: boolean }> {
    const taken: Array<{ key: string; job: Job; ride: Ride; settled: boolean }> = [];
    for (const [key, job] of [...state.deferred].sort((a, b) => byRankThenSeq(a[1], b[1]))) {
      if (!job.ride) continue;
      state.deferred.delete(key);
      const entry = {
        key,
        job,
        settled: false,
        ride: {
          op: job.ride.op,
          settle: (outcome: WriteOutcome) => {
            if (entry.settled) return;
            entry.settled = true;
            try {
              job.ride!.rode(outcome);
              job.done(undefined);
            } catch (error) {
              job.done(error ?? new Error("write failed"));
            }
          },
        },
      };
      taken.push(entry);
    }
    if (state.deferred.size === 0 && taken.length > 0) delete state.deferredSince;
    return taken;
  }

  /** Rides the carrier did not settle go back to wait (unless a newer write of their key came meanwhile). */
  private unsettled(state: EpicState, rides: Array<{ key: string; job: Job; settled: boolean }>): void {
    for (const ride of rides) {
      if (ride.settled || state.deferred.has(ride.key)) continue;
      state.deferredSince ??= this.now();
      state.deferred.set(ride.key, ride.job);
    }
  }

  private ready(state: EpicState, job: Job): boolean {
    return state.deferredSince === -Infinity || job.readyAt === undefined || job.readyAt <= this.now();
  }

  /** How long until a deferred write may go alone, counting patience; 0 when one may now. */
  private patienceMs(state: EpicState): number {
    if (state.deferredSince === -Infinity) return 0;
    const now = this.now();
    let soonest = Infinity;
    for (const job of state.deferred.values()) soonest = Math.min(soonest, (job.readyAt ?? now) - now);
    return Math.max(0, soonest);
  }

  /**
   * How long the deferred writes still wait; 0 when they may go now. Never while a reconcile of
   * the epic runs (its snapshot and merge would queue behind them in Octokit); past `maxDelayMs`,
   * in the first moment none does.
   */
  private deferredWaitMs(state: EpicState): number {
    const now = this.now();
    if (state.deferredSince === -Infinity) return 0; // draining
    if (state.busy > 0) return this.settleMs;
    const overdue = this.maxDelayMs - (now - (state.deferredSince ?? now));
    if (overdue <= 0) return 0;
    return Math.max(0, Math.min(this.settleMs - (now - state.lastActivity), overdue));
  }

  private release(epic: string, state: EpicState): void {
    if (state.inFlight || state.queued.length > 0 || state.deferred.size > 0) return;
    for (const resolve of state.idle.splice(0)) resolve();
    if (state.busy === 0 && !state.timer) this.epics.delete(epic);
  }
}

function rankOf(priority: WritePriority): number {
  return WRITE_PRIORITIES.indexOf(priority);
}

function byRankThenSeq(a: Job, b: Job): number {
  return a.rank - b.rank || a.seq - b.seq;
}

/** The queue as one epic's reconcile sees it. */
export interface EpicWrites {
  run<T>(priority: WritePriority, write: () => Promise<T>): Promise<T>;
  carry?<T>(priority: WritePriority, write: (rides: Ride[]) => Promise<T>): Promise<T>;
  defer(key: string, priority: WritePriority, write: () => Promise<unknown>, onError: (error: unknown) => void, options?: DeferOptions): void;
  cancel(key: string): boolean;
}

export function epicWrites(queue: EpicWriteQueue, epic: string): EpicWrites {
  return {
    run: (priority, write) => queue.run(epic, priority, write),
    carry: (priority, write) => queue.carry(epic, priority, write),
    defer: (key, priority, write, onError, options) => queue.defer(epic, key, priority, write, onError, options),
    cancel: (key) => queue.cancel(epic, key),
  };
}
