import { randomBytes } from "node:crypto";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { EpicRef } from "../src/orchestration/reconcile.js";
import { Scheduler } from "../src/orchestration/scheduler.js";
import { RedisEpicQueue } from "../src/runtime/redis-queue.js";
import { redisUnavailable, startRedis, type RedisServer } from "./helpers/redis-server.js";
import { Redis } from "ioredis";
import { MemoryDailyLaunches, RedisDailyLaunches, untilNextUtcDay, utcDay } from "../src/runtime/daily-launches.js";
import { createTestApp, serveRoutes, type TestApp } from "./helpers/app.js";
import { CURSOR_WEBHOOK_ENV, epic, issueComment, item, postCursorStatus, seedStatusComment, STATUS_COMMENT_ID } from "./helpers/epic-events.js";
import { NockWorld } from "./helpers/nock-world.js";

const PLANNED = epic(
  `comment=${STATUS_COMMENT_ID}`,
  item("Add the model", "id=t1"),
  item("Add the API", "id=t2 deps=t1"),
  item("Write the docs", "id=t3"),
);

describe("the daily cap on agent launches per installation", () => {
  let app: TestApp | undefined;
  let routes: Awaited<ReturnType<typeof serveRoutes>> | undefined;
  afterEach(async () => {
    app?.stop();
    await routes?.close();
  });

  it("counts per installation and UTC day, and starts again the next day", async () => {
    const launches = new MemoryDailyLaunches(2);
    const day = Date.UTC(2026, 0, 1, 23, 0, 0);
    expect([await launches.take(1, day), await launches.take(1, day), await launches.take(1, day)]).toEqual([true, true, false]);
    expect(await launches.take(2, day)).toBe(true);
    expect(await launches.remaining(1, day)).toBe(0);
    expect(untilNextUtcDay(day)).toBe(60 * 60_000);
    expect(utcDay(day + untilNextUtcDay(day))).toBe("2026-01-02");
    expect(await launches.take(1, day + untilNextUtcDay(day))).toBe(true);
  });

  it("holds launches over the cap: the task waits, the epic says so once, nothing spins", async () => {
    const world = new NockWorld(PLANNED);
    seedStatusComment(world);
    app = await createTestApp({ processEnv: { ...CURSOR_WEBHOOK_ENV, ORCHESTRA_INSTALLATION_DAILY_AGENT_RUNS: "2" } });
    routes = await serveRoutes(app);

    await app.receive("issue_comment", issueComment(world, "/orchestra start"));
    await app.settle();
    // One task at a time (the default concurrency): t1, then t2 (2 of 2); t3 would be the third launch of the day.
    for (let round = 0; round < 4; round++) {
      for (const agent of world.agents.filter((a) => a.status === "CREATING")) {
        world.openPull(agent);
        await postCursorStatus(routes.url, agent, `delivery-${agent.id}`);
        await app.settle();
      }
    }

    expect(app.failures()).toEqual([]);
    expect(world.agents.map((agent) => agent.branch)).toEqual(["orchestra/1-t1-a1", "orchestra/1-t2-a1"]);
    expect(world.plainBody).toMatch(/- \[ \] Write the docs <!-- orchestra:task id=t3 -->/);
    const notices = world.comments.filter((comment) => comment.body.includes("key=agent-cap-"));
    expect(notices).toHaveLength(1);
    expect(notices[0]!.body).toContain("Agent launches wait until 2026-01-02 00:00 UTC");
    expect(world.issueState).toBe("OPEN");
    // Another event the same day: still held, and not said again.
    await app.receive("issue_comment", issueComment(world, "/orchestra status"));
    await app.settle();
    expect(world.agents).toHaveLength(2);
    expect(world.comments.filter((comment) => comment.body.includes("key=agent-cap-"))).toHaveLength(1);
  });
});

/** Runs of two installations, recording how many of each ran at once. */
function installationRecorder(runMs: number) {
  const live = new Map<number, number>();
  const peak = new Map<number, number>();
  const finished: number[] = [];
  const reconcile = async (ref: EpicRef) => {
    live.set(ref.installationId, (live.get(ref.installationId) ?? 0) + 1);
    peak.set(ref.installationId, Math.max(peak.get(ref.installationId) ?? 0, live.get(ref.installationId)!));
    await sleep(runMs);
    live.set(ref.installationId, live.get(ref.installationId)! - 1);
    finished.push(ref.installationId);
    return {};
  };
  return { reconcile, peak, finished };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const silent = pino({ level: "silent" });
const ref = (installationId: number, issueNumber: number): EpicRef => ({ installationId, owner: `org${installationId}`, repo: "r", issueNumber });

describe("per-installation concurrency, in process", () => {
  it("runs at most N reconciles of one installation at once, while another installation's epics go on", async () => {
    const { reconcile, peak, finished } = installationRecorder(40);
    const scheduler = new Scheduler({ log: silent, debounceMs: 0, installationConcurrency: 2, reconcile });
    for (let issue = 1; issue <= 6; issue++) scheduler.schedule(ref(1, issue));
    scheduler.schedule(ref(2, 1));
    await sleep(5);
    await scheduler.idle();
    expect(peak.get(1)).toBe(2);
    expect(finished.filter((id) => id === 1)).toHaveLength(6);
    // The other installation did not wait behind the first one's six epics.
    expect(finished.indexOf(2)).toBeLessThan(3);
  });
});

const unavailable = redisUnavailable();
if (unavailable) {
  console.warn(unavailable);
  describe("per-installation concurrency over Redis", () => it.skip(unavailable, () => {}));
}

describe.skipIf(unavailable !== undefined)("fairness across two processes over a real redis-server", () => {
  let redis: RedisServer;
  const queues: RedisEpicQueue[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(queues.splice(0).map((queue) => queue.drain(2_000)));
    await redis?.stop();
  });

  it("runs at most N reconciles of one installation across the fleet; the other installation goes on", async () => {
    const prefix = `t-${randomBytes(4).toString("hex")}`;
    const { reconcile, peak, finished } = installationRecorder(150);
    for (let i = 0; i < 2; i++) {
      queues.push(new RedisEpicQueue({ url: redis.url, log: silent, prefix, debounceMs: 10, leaseMs: 1_500, installationConcurrency: 2, reconcile }));
    }
    for (let issue = 1; issue <= 6; issue++) queues[issue % 2]!.schedule(ref(1, issue));
    queues[0]!.schedule(ref(2, 1));
    await sleep(200);
    await Promise.all(queues.map((queue) => queue.idle()));
    expect(peak.get(1)).toBe(2);
    expect(finished.filter((id) => id === 1)).toHaveLength(6);
    expect(finished.indexOf(2)).toBeLessThan(3);
  });

  it("counts the daily cap once for the fleet: two processes racing for the last launches get exactly the cap", async () => {
    const prefix = `t-${randomBytes(4).toString("hex")}`;
    const clients = [new Redis(redis.url), new Redis(redis.url)];
    try {
      const fleet = clients.map((client) => new RedisDailyLaunches(client, prefix, 3));
      const now = Date.UTC(2026, 0, 1, 12);
      const taken = await Promise.all(Array.from({ length: 10 }, (_, i) => fleet[i % 2]!.take(7, now)));
      expect(taken.filter(Boolean)).toHaveLength(3);
      expect(await fleet[1]!.remaining(7, now)).toBe(0);
      expect(await fleet[0]!.remaining(8, now)).toBe(3);
      expect(await fleet[0]!.take(7, now + untilNextUtcDay(now))).toBe(true);
    } finally {
      for (const client of clients) client.disconnect();
    }
  });
});
