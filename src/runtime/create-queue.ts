import type { Logger } from "pino";
import type { OrchestraEnv } from "../env.js";
import type { Metrics } from "../metrics.js";
import { AgentCache } from "../orchestration/agent-cache.js";
import { Scheduler } from "../orchestration/scheduler.js";
import type { EpicQueue, ReconcileWithFence } from "./epic-queue.js";
import type { RedisEpicQueue } from "./redis-queue.js";
import { SharedAgentCache } from "./shared-agent-cache.js";
import { SharedWriteCache } from "./shared-ttl-cache.js";
import { stringBytes, TtlCache, type ByteBound } from "../ttl-cache.js";
import { MemoryEpicStates, RedisEpicStates, type EpicStates } from "./epic-states.js";
import { MemoryDailyLaunches, RedisDailyLaunches, type DailyLaunches } from "./daily-launches.js";
import { MemoryFleetCache, RedisFleetCache, type FleetCache } from "./fleet-cache.js";

/** Makes a cache that agrees across the fleet: named (its Redis keys), with a TTL and, in process, a bound. */
export type FleetCacheFactory = (name: string, ttlMs: number, capacity?: number) => FleetCache;

const DAY_MS = 24 * 60 * 60_000;
/**
 * The status comments this process last wrote, to skip writing the same text again: one per
 * epic, a few KB each. Bounded by count and by bytes; forgetting one costs at most one edit.
 */
const STATUS_CACHE_ENTRIES = 10_000;
const STATUS_CACHE_BYTES: ByteBound<string> = { maxBytes: 16 * 1024 * 1024, sizeOf: stringBytes };

/**
 * BullMQ and ioredis (with what they bring: OpenTelemetry's API, msgpackr, a cron parser, luxon)
 * are a fifth of the process's code and ~20 MB of memory: loaded only when REDIS_URL asks for
 * them, before the queue is made (`createApp` awaits this).
 */
let redisQueue: typeof RedisEpicQueue | undefined;

export async function loadQueueRuntime(env: Pick<OrchestraEnv, "redisUrl">): Promise<void> {
  if (env.redisUrl && !redisQueue) redisQueue = (await import("./redis-queue.js")).RedisEpicQueue;
}

/** The in-process scheduler (the embedded default), or BullMQ over Redis when REDIS_URL is set. */
export function createEpicQueue(
  env: OrchestraEnv,
  options: { reconcile: ReconcileWithFence; resync: () => Promise<unknown>; metrics: Metrics; log: Logger },
): {
  queue: EpicQueue;
  agents: AgentCache;
  statusCache: TtlCache<number, string>;
  cache: FleetCacheFactory;
  /** Each epic's state after its last reconcile, for the epic and task gauges. */
  epicStates: EpicStates;
  /** The daily cap on agent launches per installation, when one is set. */
  launches?: DailyLaunches;
  ping?: () => Promise<void>;
} {
  const { metrics } = options;
  const hooks = {
    reconcile: options.reconcile,
    debounceMs: env.debounceMs,
    onRunStart: (waitedMs: number, wait: "idle" | "behind_run" | "slot") => metrics.eventToReconcile.observe({ wait }, waitedMs / 1000),
    onRunEnd: (durationMs: number, outcome: "ok" | "error") => {
      metrics.reconcileDuration.observe({ outcome }, durationMs / 1000);
      metrics.reconciles.inc({ outcome });
    },
  };
  if (!env.redisUrl) {
    return {
      queue: new Scheduler({ ...hooks, installationConcurrency: env.installationConcurrency, log: options.log.child({ name: "scheduler" }) }),
      agents: new AgentCache(),
      statusCache: new TtlCache<number, string>(DAY_MS, STATUS_CACHE_ENTRIES, Date.now, STATUS_CACHE_BYTES),
      cache: (_name, ttlMs, capacity) => new MemoryFleetCache(ttlMs, capacity),
      epicStates: new MemoryEpicStates(),
      ...(env.installationDailyAgentRuns > 0 ? { launches: new MemoryDailyLaunches(env.installationDailyAgentRuns) } : {}),
    };
  }
  if (!redisQueue) throw new Error("REDIS_URL is set but the Redis queue was not loaded: await loadQueueRuntime(env) first");
  const queue = new redisQueue({
    ...hooks,
    url: env.redisUrl,
    log: options.log.child({ name: "redis-queue" }),
    leaseMs: env.leaseMs,
    installationConcurrency: env.installationConcurrency,
    resync: options.resync,
    resyncIntervalMs: env.resyncIntervalMs,
    onJob: (outcome) => metrics.jobs.inc({ outcome }),
    onTakeover: () => metrics.takeovers.inc(),
  });
  const agents = new SharedAgentCache((agentId) => queue.broadcast("agent-changed", agentId));
  queue.onBroadcast("agent-changed", (agentId) => agents.forgetHere(agentId));
  const statusCache = new SharedWriteCache<string>(DAY_MS, STATUS_CACHE_ENTRIES, (message) => queue.broadcast("status-written", message), STATUS_CACHE_BYTES);
  queue.onBroadcast("status-written", (message) => statusCache.heard(message));
  const cacheLog = options.log.child({ name: "fleet-cache" });
  const cache: FleetCacheFactory = (name, ttlMs) => new RedisFleetCache(queue.connection, { prefix: queue.keyPrefix, name, ttlMs, log: cacheLog });
  const launches = env.installationDailyAgentRuns > 0 ? new RedisDailyLaunches(queue.connection, queue.keyPrefix, env.installationDailyAgentRuns) : undefined;
  const epicStates = new RedisEpicStates(queue.connection, `${queue.keyPrefix}:epic-states`);
  return { queue, agents, statusCache, cache, epicStates, ...(launches ? { launches } : {}), ping: () => queue.ping() };
}
