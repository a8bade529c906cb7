import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { EpicRef, ReconcileResult } from "../src/orchestration/reconcile.js";
import type { Intent } from "../src/orchestration/snapshot.js";
import { EpicLocks, LeaseLostError } from "../src/runtime/epic-lock.js";
import type { Fence } from "../src/runtime/epic-queue.js";
import { RedisEpicQueue, type RedisEpicQueueOptions } from "../src/runtime/redis-queue.js";
import { SharedAgentCache } from "../src/runtime/shared-agent-cache.js";
import { SharedWriteCache } from "../src/runtime/shared-ttl-cache.js";
import { redisUnavailable, startRedis, type RedisServer } from "./helpers/redis-server.js";

const log = pino({ level: "silent" });
const epic = (issueNumber: number): EpicRef => ({ installationId: 1, owner: "o", repo: "r", issueNumber });
const stopIntent = (id: string): Intent => ({ kind: "stop-agents", agentIds: [id] });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const unavailable = redisUnavailable();
if (unavailable) {
  console.warn(unavailable);
  describe("Redis queue", () => it.skip(unavailable, () => {}));
}

describe.skipIf(unavailable !== undefined)("Redis queue over a real redis-server", () => {
  let redis: RedisServer;
  let client: Redis;
  const queues: RedisEpicQueue[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((queue) => queue.drain(2_000)));
  });

  /** One "process": a queue with its own connections; `prefix` shared by the fleet under test. */
  function process(prefix: string, options: Partial<RedisEpicQueueOptions> & Pick<RedisEpicQueueOptions, "reconcile">): RedisEpicQueue {
    const queue = new RedisEpicQueue({ url: redis.url, log, prefix, debounceMs: 20, leaseMs: 1_500, ...options });
    queues.push(queue);
    return queue;
  }

  /** Records runs and how many ran at once per epic. */
  function recorder(runMs = 30) {
    const runs: Array<{ issue: number; intents: Intent[] }> = [];
    const live = new Map<number, number>();
    let peak = 0;
    const reconcile = async (ref: EpicRef, intents: Intent[]): Promise<ReconcileResult> => {
      live.set(ref.issueNumber, (live.get(ref.issueNumber) ?? 0) + 1);
      peak = Math.max(peak, live.get(ref.issueNumber)!);
      runs.push({ issue: ref.issueNumber, intents });
      await sleep(runMs);
      live.set(ref.issueNumber, live.get(ref.issueNumber)! - 1);
      return {};
    };
    return { runs, reconcile, peak: () => peak };
  }

  it("two processes never reconcile one epic at once; duplicated events share runs and each command arrives once", async () => {
    const prefix = `t-${randomBytes(4).toString("hex")}`;
    const { runs, reconcile, peak } = recorder(80);
    const a = process(prefix, { reconcile });
    const b = process(prefix, { reconcile });
    for (let round = 0; round < 3; round++) {
      for (const issue of [1, 2, 3]) {
        // Each webhook delivered twice, to both processes.
        a.schedule(epic(issue), round === 0 ? [stopIntent(`${issue}-a`)] : []);
        b.schedule(epic(issue), round === 0 ? [stopIntent(`${issue}-b`)] : []);
      }
      await sleep(40);
    }
    await sleep(100);
    await a.idle();
    await b.idle();
    expect(peak()).toBe(1);
    for (const issue of [1, 2, 3]) {
      const intents = runs.filter((run) => run.issue === issue).flatMap((run) => run.intents);
      expect(intents.map((intent) => (intent.kind === "stop-agents" ? intent.agentIds[0] : "")).sort()).toEqual([`${issue}-a`, `${issue}-b`]);
      // Six events per epic, coalesced: far fewer runs than events.
      expect(runs.filter((run) => run.issue === issue).length).toBeLessThanOrEqual(4);
    }
  });

  it("answers a command delivered twice, to two processes, once", async () => {
    const prefix = `t-${randomBytes(4).toString("hex")}`;
    const { runs, reconcile } = recorder(10);
    const a = process(prefix, { reconcile });
    const b = process(prefix, { reconcile });
    const start: Intent = { kind: "command", command: { name: "start", arg: "", line: "/orchestra start" }, actor: "alice", commentId: 77 };
    a.schedule(epic(1), [start]);
    await sleep(100);
    await a.idle();
    b.schedule(epic(1), [start]);
    await sleep(100);
    await b.idle();
    expect(runs.flatMap((run) => run.intents)).toEqual([start]);
  });

  it("forgets an agent in every process when one process hears that it changed", async () => {
    const prefix = `t-${randomBytes(4).toString("hex")}`;
    const reconcile = async () => ({});
    const caches = [process(prefix, { reconcile }), process(prefix, { reconcile })].map((queue) => {
      const cache = new SharedAgentCache((agentId) => queue.broadcast("agent-changed", agentId));
      queue.onBroadcast("agent-changed", (agentId) => cache.forgetHere(agentId));
      return cache;
    });
    await sleep(100);
    const agent = { id: "bc-1", status: "RUNNING", target: {} } as never;
    for (const cache of caches) cache.remember(agent, Date.now());
    // The Cursor webhook reached the first process; the second must not keep "RUNNING".
    caches[0]!.forget("bc-1");
    const deadline = Date.now() + 2_000;
    while (caches[1]!.peek("bc-1") !== undefined && Date.now() < deadline) await sleep(10);
    expect(caches.map((cache) => cache.peek("bc-1"))).toEqual([undefined, undefined]);
  });

  it("clears another process's copy of the status comment's text when one process writes it", async () => {
    const prefix = `t-${randomBytes(4).toString("hex")}`;
    const reconcile = async () => ({});
    const caches = [process(prefix, { reconcile }), process(prefix, { reconcile })].map((queue) => {
      const cache = new SharedWriteCache<string>(60_000, 100, (message) => queue.broadcast("status-written", message));
      queue.onBroadcast("status-written", (message) => cache.heard(message));
      return cache;
    });
    await sleep(100);
    caches[0]!.set(7, "running");
    await sleep(100);
    caches[1]!.set(7, "merged");
    const deadline = Date.now() + 2_000;
    while (caches[0]!.get(7) !== undefined && Date.now() < deadline) await sleep(10);
    // The first process must write "running" again if that is its truth; the second keeps its own copy.
    expect([caches[0]!.get(7), caches[1]!.get(7)]).toEqual([undefined, "merged"]);
  });

  it("keeps a command whose run failed and retries it", async () => {
    const prefix = `t-${randomBytes(4).toString("hex")}`;
    const seen: Intent[][] = [];
    const a = process(prefix, {
      maxFailures: 3,
      reconcile: async (_ref, intents) => {
        seen.push(intents);
        if (seen.length === 1) throw new Error("GitHub answered 502");
        return {};
      },
    });
    a.schedule(epic(1), [stopIntent("x")]);
    const deadline = Date.now() + 5_000;
    while (seen.length < 2 && Date.now() < deadline) await sleep(20);
    expect(seen).toEqual([[stopIntent("x")], [stopIntent("x")]]);
    await sleep(100);
    expect(await client.llen(`${prefix}:intents:o/r#1`)).toBe(0);
  });

  it("wakes an epic when the reconcile asks to, as a delayed job", async () => {
    const prefix = `t-${randomBytes(4).toString("hex")}`;
    const startedAt: number[] = [];
    const a = process(prefix, {
      reconcile: async () => {
        startedAt.push(Date.now());
        return startedAt.length === 1 ? { wakeAfterMs: 300 } : {};
      },
    });
    a.schedule(epic(1));
    const deadline = Date.now() + 5_000;
    while (startedAt.length < 2 && Date.now() < deadline) await sleep(20);
    expect(startedAt).toHaveLength(2);
    expect(startedAt[1]! - startedAt[0]!).toBeGreaterThanOrEqual(290);
  });

  it("takes an epic over once the lease of a process that died has run out", async () => {
    const prefix = `t-${randomBytes(4).toString("hex")}`;
    // A process died holding the epic: its lease is there, nobody renews or releases it.
    await client.set(`${prefix}:lock:o/r#1`, "1:dead-process", "PX", 800);
    await client.set(`${prefix}:held:o/r#1`, "1:dead-process");
    const startedAt: number[] = [];
    let takeovers = 0;
    const scheduledAt = Date.now();
    const a = process(prefix, {
      onTakeover: () => takeovers++,
      reconcile: async () => {
        startedAt.push(Date.now());
        return {};
      },
    });
    a.schedule(epic(1));
    const deadline = Date.now() + 5_000;
    while (startedAt.length < 1 && Date.now() < deadline) await sleep(20);
    expect(startedAt).toHaveLength(1);
    expect(startedAt[0]! - scheduledAt).toBeGreaterThanOrEqual(700);
    expect(takeovers).toBe(1);
  });

  it("stops a run at its next write once its lease was lost (fencing)", async () => {
    const prefix = `t-${randomBytes(4).toString("hex")}`;
    const locks = new EpicLocks(client, { prefix, leaseMs: 5_000, owner: "me" });
    const lease = (await locks.acquire("o/r#9"))!;
    await lease.check();
    expect(await locks.acquire("o/r#9")).toBeNull();
    // The lease ran out (a long pause) and another process took the epic.
    await client.set(`${prefix}:lock:o/r#9`, "99:other");
    await expect(lease.check()).rejects.toBeInstanceOf(LeaseLostError);
    await lease.release();
    // Releasing does not free a lease another process holds.
    expect(await client.get(`${prefix}:lock:o/r#9`)).toBe("99:other");
  });

  it("hands the reconcile a fence that holds while the lease does", async () => {
    const prefix = `t-${randomBytes(4).toString("hex")}`;
    const fences: Array<Fence | undefined> = [];
    const a = process(prefix, {
      reconcile: async (_ref, _intents, fence) => {
        fences.push(fence);
        await fence?.();
        return {};
      },
    });
    a.schedule(epic(1));
    await sleep(50);
    await a.idle();
    expect(fences).toHaveLength(1);
    expect(typeof fences[0]).toBe("function");
  });

  it("lets the run under way finish on drain, leaving queued jobs in Redis for the other processes", async () => {
    const prefix = `t-${randomBytes(4).toString("hex")}`;
    const { runs, reconcile } = recorder(300);
    const a = process(prefix, { reconcile });
    a.schedule(epic(1), [], 0);
    // Under way, however long a loaded machine takes to hand the job to the worker.
    for (let waited = 0; runs.length === 0 && waited < 5_000; waited += 10) await sleep(10);
    a.schedule(epic(2), [], 60_000);
    expect(await a.drain(5_000)).toBe(true);
    expect(runs.map((run) => run.issue)).toEqual([1]);
    const b = process(prefix, { reconcile });
    expect(await client.zcard(`${prefix}:epics:delayed`)).toBe(1);
    await b.drain(100);
  });
});
