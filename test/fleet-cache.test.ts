import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import nock from "nock";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CURSOR_WEBHOOK_PATH, createCursorWebhookHandler, signCursorPayload } from "../src/cursor/webhook.js";
import { RedisEpicStates } from "../src/runtime/epic-states.js";
import { MemoryFleetCache, RedisFleetCache } from "../src/runtime/fleet-cache.js";
import { createTestApp, type TestApp } from "./helpers/app.js";
import { redisUnavailable, startRedis, type RedisServer } from "./helpers/redis-server.js";

const log = pino({ level: "silent" });
const ref = { installationId: 42, owner: "acme", repo: "widgets", issueNumber: 7 };

describe("in-process fleet cache (no REDIS_URL)", () => {
  it("claims a key once until it expires", async () => {
    let now = 0;
    const cache = new MemoryFleetCache(1_000, 10, () => now);
    expect(await cache.claim("a")).toBe(true);
    expect(await cache.claim("a")).toBe(false);
    now = 1_000;
    expect(await cache.claim("a")).toBe(true);
    await cache.set("b", "write");
    expect(await cache.get("b")).toBe("write");
  });
});

const unavailable = redisUnavailable();
if (unavailable) {
  console.warn(unavailable);
  describe("fleet caches over Redis", () => it.skip(unavailable, () => {}));
}

describe.skipIf(unavailable !== undefined)("fleet caches over a real redis-server", () => {
  let redis: RedisServer;
  const clients: Redis[] = [];
  const apps: TestApp[] = [];
  const servers: Server[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.orchestra.shutdown(1_000)));
    for (const server of servers.splice(0)) server.close();
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await redis?.stop();
  });

  /** Two Orchestra processes sharing one Redis, as the fleet runs them. */
  async function twoOrchestras(): Promise<[TestApp, TestApp]> {
    const make = () => createTestApp({ env: { redisUrl: redis.url } });
    const pair = [await make(), await make()] as [TestApp, TestApp];
    apps.push(...pair);
    return pair;
  }

  function cacheOverItsOwnConnection(name: string, ttlMs: number, prefix: string): RedisFleetCache {
    const client = new Redis(redis.url);
    clients.push(client);
    return new RedisFleetCache(client, { prefix, name, ttlMs, log });
  }

  it("asks GitHub for a person's permission once for the whole fleet", async () => {
    const [a, b] = await twoOrchestras();
    const scope = nock("https://api.github.com")
      .post("/app/installations/42/access_tokens")
      .reply(201, { token: "installation-token", expires_at: "2099-01-01T00:00:00Z" })
      .get("/repos/acme/widgets/collaborators/Outsider-1/permission")
      .reply(200, { permission: "read", role_name: "read" });
    const octokit = await a.probot.auth(42);
    expect(await a.orchestra.canWrite(a.orchestra.gateway(octokit as never, { owner: "acme", repo: "widgets" }), "Outsider-1")).toBe(false);
    // The second process finds the answer in Redis: nock has no second reply, so asking would fail.
    expect(await b.orchestra.canWrite(b.orchestra.gateway(octokit as never, { owner: "acme", repo: "widgets" }), "outsider-1")).toBe(false);
    expect(scope.isDone()).toBe(true);
  });

  it("tells an outsider no once per epic and hour across processes, not once per process", async () => {
    const [a, b] = await twoOrchestras();
    const replies = await Promise.all([
      a.orchestra.shouldReplyToRefusal(ref, "mallory"),
      b.orchestra.shouldReplyToRefusal(ref, "Mallory"),
      a.orchestra.shouldReplyToRefusal(ref, "mallory"),
      b.orchestra.shouldReplyToRefusal(ref, "mallory"),
    ]);
    expect(replies.filter(Boolean)).toHaveLength(1);
    // Another epic, another person: told once each.
    expect(await b.orchestra.shouldReplyToRefusal({ ...ref, issueNumber: 8 }, "mallory")).toBe(true);
    expect(await a.orchestra.shouldReplyToRefusal(ref, "eve")).toBe(true);
  });

  it("posts a once-only notice once: a notice one process posted is known to the other", async () => {
    const prefix = `t-${randomBytes(4).toString("hex")}`;
    const [a, b] = [cacheOverItsOwnConnection("reported", 60_000, prefix), cacheOverItsOwnConnection("reported", 60_000, prefix)];
    expect(await b.get("acme/widgets#7:foreign-pr")).toBeUndefined();
    await a.set("acme/widgets#7:foreign-pr", "1");
    expect(await b.get("acme/widgets#7:foreign-pr")).toBe("1");
  });

  it("drops a Cursor webhook redelivered to the other process", async () => {
    const prefix = `t-${randomBytes(4).toString("hex")}`;
    const received: string[] = [];
    const urls = await Promise.all(
      [0, 1].map(async () => {
        const handler = createCursorWebhookHandler({
          secret: "cursor-secret",
          seen: cacheOverItsOwnConnection("cursor-delivery", 60_000, prefix),
          onStatusChange: (payload) => void received.push(payload.id),
        });
        const server = createServer(async (req, res) => {
          if (!(await handler(req, res))) res.writeHead(404).end();
        });
        servers.push(server);
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return `http://127.0.0.1:${(server.address() as AddressInfo).port}${CURSOR_WEBHOOK_PATH}`;
      }),
    );
    const body = JSON.stringify({ event: "statusChange", id: "bc-1", status: "FINISHED" });
    const headers = { "content-type": "application/json", "x-webhook-signature": await signCursorPayload("cursor-secret", body), "x-webhook-id": "delivery-9" };
    const statuses = [];
    for (const url of [...urls, ...urls]) statuses.push((await fetch(url, { method: "POST", headers, body })).status);
    expect(statuses).toEqual([204, 204, 204, 204]);
    expect(received).toEqual(["bc-1"]);
  });

  it("counts an epic once in the fleet's epic and task gauges, whichever process reconciled it last", async () => {
    const prefix = `t-${randomBytes(4).toString("hex")}`;
    const [a, b] = [0, 1].map(() => {
      const client = new Redis(redis.url);
      clients.push(client);
      return new RedisEpicStates(client, `${prefix}:epic-states`);
    }) as [RedisEpicStates, RedisEpicStates];
    const plan = (status: string, states: string[]) => ({ status, tasks: states.map((state) => ({ state })) }) as never;
    const now = Date.UTC(2026, 0, 1, 12);
    await a.record("o/r#1", plan("running", ["running", "pending"]), now);
    await b.record("o/r#1", plan("running", ["merged", "running"]), now + 1_000);
    await b.record("o/r#2", plan("completed", ["merged"]), now - 2 * 24 * 3_600_000);
    expect(await a.all(now + 2_000)).toEqual([{ status: "running", tasks: ["merged", "running"], at: now + 1_000 }]);
    // An epic nobody reconciled for a day dropped out, in Redis too.
    expect(await b.all(now + 2_000)).toHaveLength(1);
  });

  it("goes on without Redis when it does not answer: a claim succeeds, a look-up finds nothing", async () => {
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    const cache = new RedisFleetCache(client, { prefix: "t", name: "down", ttlMs: 1_000, log });
    expect(await cache.claim("x")).toBe(true);
    expect(await cache.get("x")).toBeUndefined();
    client.disconnect();
  });
});
