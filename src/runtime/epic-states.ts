import type { Redis } from "ioredis";
import type { Plan } from "../orchestration/types.js";

/**
 * What each epic looked like after its last reconcile (its status and its tasks' states), for
 * the `orchestra_epics` and `orchestra_tasks` gauges. With Redis one record per epic for the
 * fleet, whichever process reconciled it last; otherwise this process's. An epic not reconciled
 * for a day drops out (the resync reconciles every open epic far more often).
 */
export interface EpicSummary {
  status: string;
  tasks: string[];
  at: number;
}

export interface EpicStates {
  record(epic: string, plan: Plan, now: number): Promise<void>;
  all(now: number): Promise<EpicSummary[]>;
}

const KEEP_MS = 24 * 60 * 60_000;
/** In process, the most epics remembered (the least recently reconciled is forgotten first). */
const CAPACITY = 10_000;

export function summarize(plan: Plan, now: number): EpicSummary {
  return { status: plan.status, tasks: plan.tasks.map((task) => task.state), at: now };
}

export class MemoryEpicStates implements EpicStates {
  private readonly epics = new Map<string, EpicSummary>();

  async record(epic: string, plan: Plan, now: number): Promise<void> {
    this.epics.delete(epic);
    this.epics.set(epic, summarize(plan, now));
    if (this.epics.size > CAPACITY) this.epics.delete(this.epics.keys().next().value!);
  }

  async all(now: number): Promise<EpicSummary[]> {
    for (const [epic, summary] of this.epics) if (summary.at < now - KEEP_MS) this.epics.delete(epic);
    return [...this.epics.values()];
  }
}

export class RedisEpicStates implements EpicStates {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async record(epic: string, plan: Plan, now: number): Promise<void> {
    await this.redis.hset(this.key, epic, JSON.stringify(summarize(plan, now)));
  }

  async all(now: number): Promise<EpicSummary[]> {
    const fields = await this.redis.hgetall(this.key);
    const kept: EpicSummary[] = [];
    const stale: string[] = [];
    for (const [epic, raw] of Object.entries(fields)) {
      const summary = JSON.parse(raw) as EpicSummary;
      if (summary.at < now - KEEP_MS) stale.push(epic);
      else kept.push(summary);
    }
    if (stale.length > 0) await this.redis.hdel(this.key, ...stale);
    return kept;
  }
}
