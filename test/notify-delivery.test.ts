import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deliver, type DeliveryOptions } from "../src/notify/deliver.js";
import { Notifier } from "../src/notify/notifier.js";
import { plannedEvent, type EpicEvent } from "../src/orchestration/epic-events.js";
import { MemoryFleetCache, RedisFleetCache } from "../src/runtime/fleet-cache.js";
import { redisUnavailable, startRedis, type RedisServer } from "./helpers/redis-server.js";

/** A local receiver whose answers the test scripts: a status, or no answer at all (a stall). */
interface Receiver {
  url: string;
  bodies: unknown[];
  answers: Array<number | "stall" | { status: number; retryAfter: string }>;
  close(): Promise<void>;
}

const servers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function receiver(answers: Receiver["answers"] = []): Promise<Receiver> {
  const bodies: unknown[] = [];
  const stalled: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", () => {
      bodies.push(JSON.parse(text));
      const answer = result.answers.shift() ?? 200;
      if (answer === "stall") return void stalled.push(res);
      if (typeof answer === "object") return void res.writeHead(answer.status, { "retry-after": answer.retryAfter }).end();
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const result: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/SECRET-PATH-T0/B0/xyz`,
    bodies,
    answers,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of stalled) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(result);
  return result;
}

const FAST: DeliveryOptions = { attempts: 3, timeoutMs: 300, backoffMs: 10, maxRetryAfterMs: 50 };

function event(overrides: Partial<EpicEvent> = {}): EpicEvent {
  const subject = { owner: "acme", repo: "widgets", issueNumber: 7, title: "Sign-in", webUrl: "https://github.com", now: 0 };
  return { ...plannedEvent(subject, { status: "planned", runs: 0, tasks: [] }, false), ...overrides };
}

function capture() {
  const lines: string[] = [];
  const log = pino(
    { level: "debug" },
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    }),
  );
  return { log, lines };
}

describe("delivering one notification", () => {
  it("retries a 500 and a 429 (honouring Retry-After), then succeeds", async () => {
    const server = await receiver([500, { status: 429, retryAfter: "0" }, 200]);
    const waits: number[] = [];
    const result = await deliver(server.url, JSON.stringify({ a: 1 }), FAST, { sleep: async (ms) => void waits.push(ms) });
    expect(result).toEqual({ ok: true, attempts: 3, status: 200 });
    expect(server.bodies).toEqual([{ a: 1 }, { a: 1 }, { a: 1 }]);
    expect(waits).toEqual([10, 0]);
  });

  it("gives up at once on a 4xx a retry cannot fix, saying nothing of the URL", async () => {
    const server = await receiver([404]);
    const result = await deliver(server.url, "{}", FAST);
    expect(result).toEqual({ ok: false, attempts: 1, error: "HTTP 404" });
  });

  it("times out a receiver that never answers, and retries it", async () => {
    const server = await receiver(["stall", "stall", "stall"]);
    const started = Date.now();
    const result = await deliver(server.url, "{}", FAST);
    expect(result).toEqual({ ok: false, attempts: 3, error: "timeout" });
    expect(server.bodies).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("names a refused connection by its code, never by the URL", async () => {
    const server = await receiver();
    const url = server.url;
    await server.close();
    const result = await deliver(url, "{}", { ...FAST, attempts: 2 });
    expect(result).toMatchObject({ ok: false, attempts: 2 });
    expect(JSON.stringify(result)).not.toContain("SECRET-PATH");
  });
});

describe("the notifier", () => {
  it("queues without waiting: notify() returns before the receiver answers", async () => {
    const server = await receiver(["stall"]);
    const { log } = capture();
    const notifier = new Notifier({ url: server.url, claim: async () => true, log, delivery: { ...FAST, attempts: 1, timeoutMs: 200 } });
    const started = performance.now();
    notifier.notify(event());
    expect(performance.now() - started).toBeLessThan(20);
    expect(notifier.pending).toBe(1);
    expect(await notifier.drain(2_000)).toBe(true);
    expect(notifier.pending).toBe(0);
  });

  it("sends one event once, however often it is seen; never logs the URL", async () => {
    const server = await receiver([503]);
    const { log, lines } = capture();
    const seen = new MemoryFleetCache(60_000, 100);
    const outcomes: string[] = [];
    const notifier = new Notifier({ url: server.url, claim: (key) => seen.claim(key), log, delivery: FAST, onOutcome: (outcome) => outcomes.push(outcome) });
    notifier.notify(event());
    notifier.notify(event());
    notifier.notify(event({ kind: "completed", key: "acme/widgets#7:completed" }));
    await notifier.drain(2_000);
    expect(server.bodies.map((body) => (body as { event: string }).event)).toEqual(["planned", "planned", "completed"]); // the 503 was retried
    expect(outcomes).toEqual(["sent", "duplicate", "sent"]);
    expect(lines.join("")).not.toContain("SECRET-PATH");
    expect(lines.join("")).not.toContain("127.0.0.1");
  });

  it("a receiver that fails for good costs a warning, not an exception; the next event goes on", async () => {
    const server = await receiver([500, 500, 500, 200]);
    const { log, lines } = capture();
    const notifier = new Notifier({ url: server.url, claim: async () => true, log, delivery: FAST });
    notifier.notify(event());
    notifier.notify(event({ kind: "completed", key: "acme/widgets#7:completed" }));
    await notifier.drain(2_000);
    expect(server.bodies).toHaveLength(4);
    const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string; error?: string }).filter((line) => line.level === 40);
    expect(warnings).toEqual([expect.objectContaining({ msg: "notification not delivered; giving up on it", error: "HTTP 500" })]);
  });

  it("drops the oldest event when the queue is full, and says so", async () => {
    const server = await receiver(["stall"]);
    const { log, lines } = capture();
    const notifier = new Notifier({ url: server.url, claim: async () => true, log, capacity: 1, delivery: { ...FAST, attempts: 1, timeoutMs: 100 } });
    for (const issueNumber of [1, 2, 3]) notifier.notify(event({ key: `k${issueNumber}`, issueNumber }));
    await notifier.drain(2_000);
    // #1 was being sent, #2 was dropped for #3.
    expect(server.bodies.map((body) => (body as { issue: { number: number } }).issue.number)).toEqual([1, 3]);
    expect(lines.join("")).toContain("notification dropped");
  });
});

const unavailable = redisUnavailable();
describe.skipIf(unavailable !== undefined)("dedupe across processes through Redis", () => {
  let redis: RedisServer;
  const clients: Redis[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await redis?.stop();
  });

  it("two processes that see the same event send it once (SET NX with a TTL)", async () => {
    const server = await receiver();
    const { log } = capture();
    const notifiers = [0, 1].map(() => {
      const client = new Redis(redis.url);
      clients.push(client);
      const cache = new RedisFleetCache(client, { prefix: "test-notify", name: "notified", ttlMs: 60_000, log });
      return new Notifier({ url: server.url, claim: (key) => cache.claim(key), log, delivery: FAST });
    });
    for (const notifier of notifiers) notifier.notify(event());
    await Promise.all(notifiers.map((notifier) => notifier.drain(2_000)));
    expect(server.bodies).toHaveLength(1);
    const ttl = await clients[0]!.pttl("test-notify:cache:notified:acme/widgets#7:planned");
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});
