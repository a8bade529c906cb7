import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { DelayedError, Queue, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { epicKey } from "../orchestration/naming.js";
import type { EpicRef } from "../orchestration/reconcile.js";
import type { Intent } from "../orchestration/snapshot.js";
import { EpicLocks, type HeldLease } from "./epic-lock.js";
import { InstallationSlots, type HeldSlot } from "./installation-slots.js";
import type { EpicQueue, QueueStats, ReconcileWithFence } from "./epic-queue.js";

/**
 * Reconciles as BullMQ jobs over Redis (REDIS_URL), so that several Orchestra processes share
 * the work: any process takes webhooks and queues jobs, any process runs them.
 *
 * - Every event is a job keyed by its epic and a per-epic sequence number, delayed by the
 *   debounce window. A run records the sequence number it started at; a job at or below it was
 *   covered by that run and ends at once. So events in one window, webhooks delivered twice and
 *   wake-ups made moot by a newer run all share one reconcile.
 * - Commands (intents) wait in a Redis list per epic; a successful run removes the ones it read.
 * - One epic is reconciled by one process at a time: a lease with a fencing check before each
 *   write (`EpicLocks`). A job whose epic is busy goes back to the delayed set, holding no worker.
 *   A process that dies stops renewing its lease and BullMQ's stalled-job check hands its job to
 *   another process, which takes the epic over.
 * - Wake-ups (retry backoff, agent polls) are delayed jobs, the resync a job scheduler: they
 *   survive restarts and run once across the fleet.
 */

interface EpicJob {
  ref: EpicRef;
  seq: number;
  enqueuedAt: number;
  /** Set when the job found its epic busy and waited for the other run. */
  behindRun?: boolean;
}

export interface RedisEpicQueueOptions {
  url: string;
  reconcile: ReconcileWithFence;
  log: Logger;
  debounceMs?: number;
  /** The epic lease and BullMQ's job lock: how long a dead process holds its epics. */
  leaseMs?: number;
  /** Reconciles this process runs at once. */
  concurrency?: number;
  /** Reconciles of one installation running at once across the fleet; 0 or absent: no limit. */
  installationConcurrency?: number;
  /** Attempts of one job before it is left failed (the next event or resync starts afresh). */
  maxFailures?: number;
  /** Prefix of every Redis key. */
  prefix?: string;
  resync?: () => Promise<unknown>;
  /** Period of the fleet-wide resync; 0 turns it off. */
  resyncIntervalMs?: number;
  onRunStart?: (waitedMs: number, wait: "idle" | "behind_run" | "slot") => void;
  onRunEnd?: (durationMs: number, outcome: "ok" | "error") => void;
  /**
   * A job ended: `ok`, `error`, `covered` (a newer run did its work), `busy` (epic reconciled
   * elsewhere), `installation_busy` (its installation runs as many reconciles as it may).
   */
  onJob?: (outcome: "ok" | "error" | "covered" | "busy" | "installation_busy") => void;
  onTakeover?: () => void;
}

const QUEUE = "epics";
const RECONCILE = "reconcile";
const RESYNC = "resync";

// Record what a run covered and drop the intents it read, only while it still holds the lease.
const COMMIT = `
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
local covered = tonumber(redis.call("GET", KEYS[2]) or "0")
if covered < tonumber(ARGV[2]) then redis.call("SET", KEYS[2], ARGV[2]) end
if tonumber(ARGV[3]) > 0 then redis.call("LTRIM", KEYS[3], ARGV[3], -1) end
return 1`;

export class RedisEpicQueue implements EpicQueue {
  private readonly redis: Redis;
  private readonly queue: Queue;
  private readonly worker: Worker;
  private readonly locks: EpicLocks;
  private readonly slots?: InstallationSlots;
  private readonly prefix: string;
  private readonly debounceMs: number;
  private readonly leaseMs: number;
  private readonly maxFailures: number;
  private readonly leases = new Set<HeldLease>();
  private readonly heldSlots = new Set<HeldSlot>();
  private readonly enqueuing = new Set<Promise<unknown>>();
  private readonly statsTimer: NodeJS.Timeout;
  private lastStats: QueueStats = { queued: 0, running: 0, oldestEventAgeMs: 0 };
  private lastSize = 0;
  private active = 0;
  private stopped = false;
  private subscriber?: Redis;
  private readonly handlers = new Map<string, (message: string) => void>();

  constructor(private readonly options: RedisEpicQueueOptions) {
    this.prefix = options.prefix ?? "orchestra";
    this.debounceMs = options.debounceMs ?? 250;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.maxFailures = options.maxFailures ?? 8;
    // BullMQ's workers block on Redis and must retry forever; the other clients share the rule.
    const connect = (name: string) => {
      const client = new Redis(options.url, { maxRetriesPerRequest: null, connectionName: `orchestra-${name}` });
      client.on("error", (error) => options.log.warn({ err: error, client: name }, "Redis connection error; retrying"));
      return client;
    };
    this.redis = connect("commands");
    const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
    this.locks = new EpicLocks(this.redis, { prefix: this.prefix, leaseMs: this.leaseMs, owner });
    if (options.installationConcurrency) {
      this.slots = new InstallationSlots(this.redis, { prefix: this.prefix, limit: options.installationConcurrency, leaseMs: this.leaseMs });
    }
    this.queue = new Queue(QUEUE, { connection: connect("queue"), prefix: this.prefix });
    this.queue.on("error", (error) => options.log.warn({ err: error }, "BullMQ queue error"));
    this.worker = new Worker<EpicJob>(QUEUE, (job, token) => this.process(job, token), {
      connection: connect("worker"),
      prefix: this.prefix,
      concurrency: options.concurrency ?? 16,
      lockDuration: this.leaseMs,
      stalledInterval: this.leaseMs,
      // A job is handed over once per process death; a few deaths in a row must not fail it.
      maxStalledCount: 10,
    });
    this.worker.on("error", (error) => options.log.warn({ err: error }, "BullMQ worker error"));
    this.worker.on("failed", (job, error) => {
      if (job && job.attemptsMade >= this.maxFailures) {
        options.log.error({ err: error, epic: job.data.ref && this.keyOf(job.data.ref), attempts: job.attemptsMade }, "reconcile keeps failing; waiting for the next event or resync");
      }
    });
    this.statsTimer = setInterval(() => void this.refreshStats(), 5_000);
    this.statsTimer.unref();
    void this.startResync();
  }

  schedule(ref: EpicRef, intents: Intent[] = [], delayMs = this.debounceMs): void {
    if (this.stopped) return;
    const queued = this.enqueue(ref, intents, delayMs).catch((error: unknown) =>
      this.options.log.error({ err: error, epic: this.keyOf(ref) }, "could not queue a reconcile in Redis; the next resync retries it"),
    );
    this.enqueuing.add(queued);
    void queued.finally(() => this.enqueuing.delete(queued));
  }

  /**
   * Tells every process of the fleet (this one included) about `message` on `channel`, for the
   * in-memory caches that must agree: an agent Cursor says changed is forgotten everywhere.
   */
  broadcast(channel: string, message: string): void {
    void this.redis.publish(`${this.prefix}:${channel}`, message).catch((error: unknown) =>
      this.options.log.warn({ err: error, channel }, "could not broadcast through Redis"),
    );
  }

  onBroadcast(channel: string, handler: (message: string) => void): void {
    if (!this.subscriber) {
      this.subscriber = new Redis(this.options.url, { maxRetriesPerRequest: null, connectionName: "orchestra-subscriber" });
      this.subscriber.on("error", (error) => this.options.log.warn({ err: error, client: "subscriber" }, "Redis connection error; retrying"));
      this.subscriber.on("message", (received: string, message: string) => this.handlers.get(received)?.(message));
    }
    this.handlers.set(`${this.prefix}:${channel}`, handler);
    void this.subscriber.subscribe(`${this.prefix}:${channel}`).catch((error: unknown) =>
      this.options.log.warn({ err: error, channel }, "could not subscribe in Redis"),
    );
  }

  /** The connection for commands, shared by the fleet's caches and counters (closed by `drain`). */
  get connection(): Redis {
    return this.redis;
  }

  /** Prefix of every Redis key of this fleet. */
  get keyPrefix(): string {
    return this.prefix;
  }

  /** Pings Redis (the readiness check). */
  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async idle(horizonMs = 1_000): Promise<void> {
    // A job moves between sets (delayed → wait → active) between two reads: be quiet twice.
    for (let quiet = 0; quiet < 2; ) {
      await Promise.allSettled([...this.enqueuing]);
      const counts = await this.queue.getJobCounts("wait", "active", "prioritized", "delayed");
      const delayed = counts.delayed ? await this.queue.getDelayed() : [];
      const soon = delayed.some((job) => job.name === RECONCILE && job.timestamp + job.delay - Date.now() <= horizonMs);
      const busy = this.active > 0 || counts.wait || counts.active || counts.prioritized || soon;
      quiet = busy ? 0 : quiet + 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  get size(): number {
    return this.lastSize;
  }

  stats(): QueueStats {
    return this.lastStats;
  }

  /**
   * Stops taking jobs and waits up to `timeoutMs` for the ones running here. Queued jobs stay in
   * Redis for the other processes (or this one's successor). Leases still held after the wait
   * (and installation slots) are released, so another process takes their epics over at once; the fence stops the
   * abandoned runs before their next write.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.stopped) return true;
    this.stopped = true;
    clearInterval(this.statsTimer);
    const closing = this.worker.close().then(() => true);
    const finished = await Promise.race([closing, new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref())]);
    if (!finished) {
      await Promise.allSettled([...this.leases, ...this.heldSlots].map((held) => held.release()));
      await this.worker.close(true).catch(() => {});
    }
    await Promise.allSettled([...this.enqueuing]);
    await this.queue.close().catch(() => {});
    this.subscriber?.disconnect();
    this.redis.disconnect();
    return finished;
  }

  stop(): void {
    void this.drain(0);
  }

  private keyOf(ref: EpicRef): string {
    return epicKey(ref.owner, ref.repo, ref.issueNumber);
  }

  private key(epic: string, what: "seq" | "covered" | "intents" | "lock"): string {
    return `${this.prefix}:${what}:${epic}`;
  }

  private async enqueue(ref: EpicRef, intents: Intent[], delayMs: number): Promise<void> {
    const epic = this.keyOf(ref);
    intents = await this.firstDeliveries(epic, intents);
    const multi = this.redis.multi();
    for (const intent of intents) multi.rpush(this.key(epic, "intents"), JSON.stringify(intent));
    multi.incr(this.key(epic, "seq"));
    const results = await multi.exec();
    const seq = Number(results?.at(-1)?.[1]);
    const data: EpicJob = { ref, seq, enqueuedAt: Date.now() };
    await this.queue.add(RECONCILE, data, {
      jobId: `${epic}@${seq}`,
      delay: Math.max(0, delayMs),
      attempts: this.maxFailures,
      backoff: { type: "exponential", delay: 1_000 },
      removeOnComplete: true,
      removeOnFail: { count: 1_000 },
    });
  }

  /**
   * A webhook delivered twice, to two processes, carries the same command twice: keep it once
   * across the fleet (a week), so that it is answered once. Other intents are idempotent.
   */
  private async firstDeliveries(epic: string, intents: Intent[]): Promise<Intent[]> {
    const kept: Intent[] = [];
    for (const intent of intents) {
      if (intent.kind !== "command" || intent.commentId === undefined) {
        kept.push(intent);
        continue;
      }
      const key = `${this.prefix}:command:${epic}:${intent.commentId}:${JSON.stringify(intent.command)}`;
      if ((await this.redis.set(key, "1", "EX", 7 * 24 * 3600, "NX")) === "OK") kept.push(intent);
    }
    return kept;
  }

  private async startResync(): Promise<void> {
    const { resync, resyncIntervalMs = 0 } = this.options;
    if (!resync || resyncIntervalMs <= 0) return;
    try {
      // One job scheduler for the fleet; each process that starts also asks for one resync soon.
      await this.queue.upsertJobScheduler(RESYNC, { every: resyncIntervalMs }, { name: RESYNC, opts: { removeOnComplete: true, removeOnFail: 100 } });
      await this.queue.add(RESYNC, {}, { jobId: "resync-at-start", delay: 1_000, removeOnComplete: true, removeOnFail: true });
    } catch (error) {
      this.options.log.warn({ err: error }, "could not schedule the resync in Redis");
    }
  }

  private async process(job: Job, token?: string): Promise<string> {
    if (job.name === RESYNC) {
      await this.options.resync?.();
      return "resync";
    }
    const { ref, seq, enqueuedAt, behindRun } = job.data as EpicJob;
    const epic = this.keyOf(ref);
    if (seq <= Number((await this.redis.get(this.key(epic, "covered"))) ?? 0)) {
      this.options.onJob?.("covered");
      return "covered";
    }
    // One installation's many epics wait for its slots, holding no worker, while others run.
    const slot = this.slots ? await this.slots.acquire(ref.installationId, `${job.id}:${randomBytes(4).toString("hex")}`) : undefined;
    if (slot === null) {
      this.options.onJob?.("installation_busy");
      await job.moveToDelayed(Date.now() + 250 + Math.floor(Math.random() * 250), token);
      throw new DelayedError();
    }
    const lease = await this.locks.acquire(epic).catch(async (error: unknown) => {
      await slot?.release().catch(() => {});
      throw error;
    });
    if (!lease) {
      await slot?.release().catch(() => {});
      // Reconciled elsewhere right now: come back after a short while, holding no worker.
      this.options.onJob?.("busy");
      await job.updateData({ ...(job.data as EpicJob), behindRun: true });
      await job.moveToDelayed(Date.now() + Math.min(1_000, Math.max(50, this.debounceMs)) + Math.floor(Math.random() * 100), token);
      throw new DelayedError();
    }
    this.leases.add(lease);
    if (slot) this.heldSlots.add(slot);
    this.active++;
    if (lease.tookOver) {
      this.options.onTakeover?.();
      this.options.log.warn({ epic }, "took over an epic whose previous holder's lease ran out (that process died or stalled)");
    }
    const startedAt = Date.now();
    try {
      const read = await this.redis.multi().get(this.key(epic, "seq")).lrange(this.key(epic, "intents"), 0, -1).get(this.key(epic, "covered")).exec();
      const startSeq = Number(read?.[0]?.[1] ?? 0);
      const rawIntents = (read?.[1]?.[1] as string[] | undefined) ?? [];
      if (seq <= Number(read?.[2]?.[1] ?? 0)) {
        this.options.onJob?.("covered");
        return "covered";
      }
      this.options.onRunStart?.(startedAt - enqueuedAt, behindRun ? "behind_run" : "idle");
      const intents = rawIntents.map((raw) => JSON.parse(raw) as Intent);
      let result;
      try {
        result = await this.options.reconcile(ref, intents, lease.check);
      } catch (error) {
        this.options.onRunEnd?.(Date.now() - startedAt, "error");
        this.options.onJob?.("error");
        this.options.log.warn({ err: error, epic, attempt: job.attemptsMade + 1 }, "reconcile failed; retrying");
        throw error;
      }
      this.options.onRunEnd?.(Date.now() - startedAt, "ok");
      this.options.onJob?.("ok");
      await this.redis.eval(COMMIT, 3, this.key(epic, "lock"), this.key(epic, "covered"), this.key(epic, "intents"), lease.token, startSeq, rawIntents.length);
      if (result.wakeAfterMs !== undefined) await this.enqueue(ref, [], result.wakeAfterMs);
      return "ok";
    } finally {
      this.active--;
      this.leases.delete(lease);
      await lease.release().catch(() => {});
      if (slot) this.heldSlots.delete(slot);
      await slot?.release().catch(() => {});
    }
  }

  private async refreshStats(): Promise<void> {
    try {
      const counts = await this.queue.getJobCounts("wait", "delayed", "active", "prioritized");
      const [oldest] = await this.queue.getJobs(["wait"], 0, 0, true);
      const enqueuedAt = (oldest?.data as EpicJob | undefined)?.enqueuedAt;
      this.lastStats = {
        queued: (counts.wait ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0),
        running: counts.active ?? 0,
        oldestEventAgeMs: enqueuedAt ? Math.max(0, Date.now() - enqueuedAt) : 0,
      };
      this.lastSize = this.lastStats.queued + this.lastStats.running;
    } catch {
      // Redis unreachable: keep the last figures; /ready says so.
    }
  }
}
