import { readFileSync } from "node:fs";
import fc from "fast-check";
import nock from "nock";
import { describe, expect, it, vi } from "vitest";
import { normalizeRepository } from "../src/cursor/agent.js";
import { backoffDelay, parseRetryAfter } from "../src/cursor/backoff.js";
import { CursorApiError, CursorClient, isLive, type CursorLog } from "../src/cursor/client.js";

const BASE = "http://cursor.test";
const KEY = "key_test_0123456789abcdef";
const REPO = "https://github.com/octo-org/widgets";
const BRANCH = "orchestra/7-t2-a1";

type ApiFixture =
  | "cursor-agent-creating"
  | "cursor-agent-finished"
  | "cursor-agents-page-1"
  | "cursor-agents-page-2";

function fixture(name: ApiFixture): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/api/${name}.json`, import.meta.url), "utf8"));
}

/** A client whose waits are recorded instead of slept, with jitter pinned to its midpoint. */
function makeClient(overrides: { maxRetries?: number; timeoutMs?: number } = {}) {
  const sleep = vi.fn(async (_ms: number) => {});
  const logged: unknown[][] = [];
  const record = (...args: unknown[]) => {
    logged.push(args);
  };
  const log: CursorLog = { debug: record, info: record, warn: record, error: record };
  const client = new CursorClient({ apiKey: KEY, baseUrl: BASE, sleep, random: () => 0.5, log, ...overrides });
  return { client, sleep, logged };
}

const createInput = {
  prompt: "Add the login endpoint",
  repository: REPO,
  ref: "main",
  branchName: BRANCH,
};

describe("CursorClient.createAgent", () => {
  it("sends the v0 body with the bearer key and returns the agent", async () => {
    const body = vi.fn((_body: unknown) => true);
    const scope = nock(BASE, { reqheaders: { authorization: `Bearer ${KEY}` } })
      .post("/v0/agents", body)
      .reply(201, fixture("cursor-agent-creating"));
    const { client } = makeClient();

    const agent = await client.createAgent({
      ...createInput,
      model: "claude-4-sonnet",
      webhookUrl: "https://orchestra.example/orchestra/cursor",
      webhookSecret: "s".repeat(32),
    });

    expect(body.mock.lastCall?.[0]).toEqual({
      prompt: { text: "Add the login endpoint" },
      model: "claude-4-sonnet",
      source: { repository: REPO, ref: "main" },
      target: { branchName: BRANCH, autoCreatePr: true },
      webhook: { url: "https://orchestra.example/orchestra/cursor", secret: "s".repeat(32) },
    });
    expect(agent).toEqual({
      id: "bc-7f3a91c2",
      name: "Add the login endpoint",
      status: "CREATING",
      source: { repository: REPO, ref: "main" },
      target: {
        branchName: BRANCH,
        url: "https://cursor.com/agents?id=bc-7f3a91c2",
        autoCreatePr: true,
      },
      createdAt: "2025-06-02T09:14:03.221Z",
    });
    expect(client.counts).toEqual({ "POST /v0/agents": 1 });
    expect(scope.isDone()).toBe(true);
  });

  it("leaves model and webhook out when they are not given", async () => {
    const body = vi.fn((_body: unknown) => true);
    const scope = nock(BASE).post("/v0/agents", body).reply(200, fixture("cursor-agent-creating"));
    const { client } = makeClient();

    await client.createAgent(createInput);

    expect(body.mock.lastCall?.[0]).toEqual({
      prompt: { text: "Add the login endpoint" },
      source: { repository: REPO, ref: "main" },
      target: { branchName: BRANCH, autoCreatePr: true },
    });
    expect(scope.isDone()).toBe(true);
  });

  it("after a 502, returns the agent the failed create made instead of posting again", async () => {
    const scope = nock(BASE)
      .post("/v0/agents")
      .reply(502, "Bad Gateway")
      .get("/v0/agents")
      .query({ limit: "100" })
      .reply(200, fixture("cursor-agents-page-1"))
      .get("/v0/agents")
      .query({ limit: "100", cursor: "bc-55e0c1aa" })
      .reply(200, fixture("cursor-agents-page-2"));
    const { client, sleep } = makeClient();

    const agent = await client.createAgent(createInput);

    expect(agent.id).toBe("bc-7f3a91c2");
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(client.counts).toEqual({ "POST /v0/agents": 1, "GET /v0/agents": 2 });
    expect(scope.isDone()).toBe(true);
  });

  it("after a 502 with no agent on the branch, posts again", async () => {
    const scope = nock(BASE)
      .post("/v0/agents")
      .reply(502)
      .get("/v0/agents")
      .query({ limit: "100" })
      .reply(200, { agents: [] })
      .post("/v0/agents")
      .reply(200, fixture("cursor-agent-creating"));
    const { client } = makeClient();

    const agent = await client.createAgent(createInput);

    expect(agent.status).toBe("CREATING");
    expect(client.counts).toEqual({ "POST /v0/agents": 2, "GET /v0/agents": 1 });
    expect(scope.isDone()).toBe(true);
  });

  it("after a lost connection on the last attempt, still looks for the agent before giving up", async () => {
    const scope = nock(BASE)
      .post("/v0/agents")
      .replyWithError({ code: "ECONNRESET", message: "socket hang up" })
      .get("/v0/agents")
      .query({ limit: "100" })
      .reply(200, fixture("cursor-agents-page-2"));
    const { client } = makeClient({ maxRetries: 0 });

    const agent = await client.createAgent(createInput);

    expect(agent.id).toBe("bc-7f3a91c2");
    expect(scope.isDone()).toBe(true);
  });

  it("retries a 429 without looking for the agent: a rate-limited create did nothing", async () => {
    const scope = nock(BASE)
      .post("/v0/agents")
      .reply(429, { error: "slow down" }, { "Retry-After": "1" })
      .post("/v0/agents")
      .reply(200, fixture("cursor-agent-creating"));
    const { client, sleep } = makeClient();

    await client.createAgent(createInput);

    expect(sleep).toHaveBeenCalledWith(1000);
    expect(client.counts).toEqual({ "POST /v0/agents": 2 });
    expect(scope.isDone()).toBe(true);
  });
});

describe("CursorClient retries", () => {
  it("honours Retry-After on 429, then succeeds", async () => {
    const scope = nock(BASE)
      .get("/v0/agents/bc-7f3a91c2")
      .reply(429, "", { "Retry-After": "2" })
      .get("/v0/agents/bc-7f3a91c2")
      .reply(200, fixture("cursor-agent-finished"));
    const { client, sleep } = makeClient();

    const agent = await client.getAgent("bc-7f3a91c2");

    expect(agent?.target.prUrl).toBe("https://github.com/octo-org/widgets/pull/42");
    expect(sleep.mock.calls).toEqual([[2000]]);
    expect(client.requestCount).toBe(2);
    expect(scope.isDone()).toBe(true);
  });

  it("caps a long Retry-After at 60 s", async () => {
    const scope = nock(BASE)
      .get("/v0/agents/bc-1")
      .reply(429, "", { "Retry-After": "3600" })
      .get("/v0/agents/bc-1")
      .reply(200, { id: "bc-1", status: "RUNNING", source: { repository: REPO } });
    const { client, sleep } = makeClient();

    await client.getAgent("bc-1");

    expect(sleep.mock.calls).toEqual([[60_000]]);
    expect(scope.isDone()).toBe(true);
  });

  it("backs off exponentially through 500, 500, then succeeds", async () => {
    const scope = nock(BASE)
      .get("/v0/agents/bc-7f3a91c2")
      .times(2)
      .reply(500, { error: "internal" })
      .get("/v0/agents/bc-7f3a91c2")
      .reply(200, fixture("cursor-agent-finished"));
    const { client, sleep } = makeClient();

    const agent = await client.getAgent("bc-7f3a91c2");

    expect(agent?.status).toBe("FINISHED");
    // base 500 ms doubled per attempt, equal jitter at 0.5 => 3/4 of the ceiling
    expect(sleep.mock.calls).toEqual([[375], [750]]);
    expect(client.counts).toEqual({ "GET /v0/agents/{id}": 3 });
    expect(scope.isDone()).toBe(true);
  });

  it("retries a connection error, then succeeds", async () => {
    const scope = nock(BASE)
      .get("/v0/agents/bc-7f3a91c2")
      .replyWithError({ code: "ECONNREFUSED", message: "connect ECONNREFUSED" })
      .get("/v0/agents/bc-7f3a91c2")
      .reply(200, fixture("cursor-agent-finished"));
    const { client, sleep } = makeClient();

    expect(await client.getAgent("bc-7f3a91c2")).not.toBeNull();
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(scope.isDone()).toBe(true);
  });

  it("retries a request that times out", async () => {
    const scope = nock(BASE)
      .get("/v0/agents/bc-1")
      .delay(500)
      .reply(200, { id: "bc-1", status: "RUNNING", source: { repository: REPO } })
      .get("/v0/agents/bc-1")
      .reply(200, { id: "bc-1", status: "FINISHED", source: { repository: REPO } });
    const { client, logged } = makeClient({ timeoutMs: 50 });

    const agent = await client.getAgent("bc-1");

    expect(agent?.status).toBe("FINISHED");
    expect(JSON.stringify(logged)).toContain("did not answer GET /v0/agents/{id} within");
    expect(scope.isDone()).toBe(true);
  });

  it("gives up after maxRetries with a retryable error", async () => {
    const scope = nock(BASE).post("/v0/agents/bc-1/stop").times(3).reply(503, "unavailable");
    const { client, sleep } = makeClient({ maxRetries: 2 });

    const error = await client.stop("bc-1").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CursorApiError);
    expect(error).toMatchObject({ status: 503, retryable: true, endpoint: "POST /v0/agents/{id}/stop" });
    expect((error as Error).message).toBe("Cursor failed on POST /v0/agents/{id}/stop (503): unavailable");
    expect(sleep).toHaveBeenCalledTimes(2);
    expect(client.requestCount).toBe(3);
    expect(scope.isDone()).toBe(true);
  });
});

describe("CursorClient errors", () => {
  it("turns 401 into a message naming CURSOR_API_KEY, without the key, and does not retry", async () => {
    const scope = nock(BASE).get("/v0/agents/bc-1").reply(401, { error: `invalid key ${KEY}` });
    const { client, sleep, logged } = makeClient();

    const error = await client.getAgent("bc-1").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CursorApiError);
    expect((error as CursorApiError).message).toBe("Cursor rejected the API key (401): check CURSOR_API_KEY");
    expect(error).toMatchObject({ status: 401, retryable: false });
    expect(sleep).not.toHaveBeenCalled();
    expect(JSON.stringify(logged)).not.toContain(KEY);
    expect(scope.isDone()).toBe(true);
  });

  it("passes Cursor's explanation of a 400 on, with any echo of the key redacted", async () => {
    const scope = nock(BASE)
      .post("/v0/agents")
      .reply(400, { error: `Repository not accessible (token ${KEY})` });
    const { client } = makeClient();

    const error = (await client.createAgent(createInput).catch((e: unknown) => e)) as CursorApiError;

    expect(error.message).toBe(
      "Cursor rejected the request POST /v0/agents as invalid (400): Repository not accessible (token [redacted])",
    );
    expect(error.retryable).toBe(false);
    expect(client.requestCount).toBe(1);
    expect(scope.isDone()).toBe(true);
  });

  it("reports a 200 whose body is not an agent, without retrying", async () => {
    const scope = nock(BASE).get("/v0/agents/bc-1").reply(200, { agent: "bc-1" });
    const { client } = makeClient();

    const error = (await client.getAgent("bc-1").catch((e: unknown) => e)) as CursorApiError;

    expect(error).toBeInstanceOf(CursorApiError);
    expect(error.message).toMatch(/^Cursor answered GET \/v0\/agents\/\{id\} with an unexpected shape:/);
    expect(error.message).toContain("id");
    expect(error.retryable).toBe(false);
    expect(scope.isDone()).toBe(true);
  });

  it("refuses to be built without a key", () => {
    expect(() => new CursorClient({ apiKey: "  ", baseUrl: BASE })).toThrow(/CURSOR_API_KEY is empty/);
  });
});

describe("CursorClient reads", () => {
  it("tolerates statuses and fields it does not know, and counts them as live", async () => {
    const scope = nock(BASE)
      .get("/v0/agents/bc-9")
      .reply(200, {
        id: "bc-9",
        status: "AWAITING_APPROVAL",
        source: { repository: REPO, ref: "main", extra: 1 },
        target: { branchName: BRANCH, prUrl: null },
        summary: null,
        futureField: { nested: true },
      });
    const { client } = makeClient();

    const agent = await client.getAgent("bc-9");

    expect(agent).toEqual({
      id: "bc-9",
      status: "AWAITING_APPROVAL",
      source: { repository: REPO, ref: "main" },
      target: { branchName: BRANCH },
    });
    expect(isLive("AWAITING_APPROVAL")).toBe(true);
    expect(isLive("CREATING")).toBe(true);
    expect(isLive("FINISHED") || isLive("ERROR") || isLive("EXPIRED")).toBe(false);
    expect(scope.isDone()).toBe(true);
  });

  it("answers null for an agent Cursor does not know", async () => {
    const scope = nock(BASE).get("/v0/agents/bc-gone").reply(404, { error: "Agent not found" });
    const { client, sleep } = makeClient();

    expect(await client.getAgent("bc-gone")).toBeNull();
    expect(sleep).not.toHaveBeenCalled();
    expect(scope.isDone()).toBe(true);
  });

  it("lists a page with its query and passes the next cursor on", async () => {
    const scope = nock(BASE)
      .get("/v0/agents")
      .query({ limit: "2", cursor: "abc", prUrl: "https://github.com/octo-org/widgets/pull/42" })
      .reply(200, fixture("cursor-agents-page-1"));
    const { client } = makeClient();

    const page = await client.listAgents({
      limit: 2,
      cursor: "abc",
      prUrl: "https://github.com/octo-org/widgets/pull/42",
    });

    expect(page.agents.map((agent) => agent.id)).toEqual(["bc-0a11d5e0", "bc-55e0c1aa"]);
    expect(page.agents[0]).not.toHaveProperty("summary"); // null dropped
    expect(page.nextCursor).toBe("bc-55e0c1aa");
    expect(scope.isDone()).toBe(true);
  });

  it("omits nextCursor on the last page", async () => {
    const scope = nock(BASE).get("/v0/agents").reply(200, fixture("cursor-agents-page-2"));
    const { client } = makeClient();

    const page = await client.listAgents();

    expect(page).not.toHaveProperty("nextCursor");
    expect(scope.isDone()).toBe(true);
  });

  it("finds an agent by branch across pages, matching the repository too", async () => {
    const scope = nock(BASE)
      .get("/v0/agents")
      .query({ limit: "100" })
      .reply(200, fixture("cursor-agents-page-1"))
      .get("/v0/agents")
      .query({ limit: "100", cursor: "bc-55e0c1aa" })
      .reply(200, fixture("cursor-agents-page-2"));
    const { client } = makeClient();

    // Page 1 has the same branch name in another repository: it must not match.
    const agent = await client.findAgentByBranch("https://github.com/Octo-Org/widgets.git", BRANCH);

    expect(agent?.id).toBe("bc-7f3a91c2");
    expect(scope.isDone()).toBe(true);
  });

  it("stops searching after maxPages", async () => {
    const scope = nock(BASE)
      .get("/v0/agents")
      .query({ limit: "100" })
      .reply(200, fixture("cursor-agents-page-1"));
    const { client } = makeClient();

    expect(await client.findAgentByBranch(REPO, "orchestra/7-t9-a1", 1)).toBeNull();
    expect(client.requestCount).toBe(1);
    expect(scope.isDone()).toBe(true);
  });
});

describe("CursorClient writes", () => {
  it("sends a follow-up as a prompt", async () => {
    const body = vi.fn((_body: unknown) => true);
    const scope = nock(BASE).post("/v0/agents/bc-1/followup", body).reply(200, { id: "bc-1" });
    const { client } = makeClient();

    await client.followup("bc-1", "CI failed: fix the lint errors");

    expect(body.mock.lastCall?.[0]).toEqual({ prompt: { text: "CI failed: fix the lint errors" } });
    expect(client.counts).toEqual({ "POST /v0/agents/{id}/followup": 1 });
    expect(scope.isDone()).toBe(true);
  });

  it.each([404, 409])("treats stop answered %i as already stopped", async (status) => {
    const scope = nock(BASE).post("/v0/agents/bc-1/stop").reply(status, { error: "nope" });
    const { client, sleep } = makeClient();

    await expect(client.stop("bc-1")).resolves.toBeUndefined();
    expect(sleep).not.toHaveBeenCalled();
    expect(scope.isDone()).toBe(true);
  });
});

describe("backoff and repository helpers (properties)", () => {
  it("reads Retry-After seconds exactly", () => {
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), fc.nat(), (seconds, now) => {
        expect(parseRetryAfter(String(seconds), now)).toBe(seconds * 1000);
      }),
    );
  });

  it("reads Retry-After dates as the time left, never negative", () => {
    const now = Date.UTC(2025, 5, 2, 9, 0, 0);
    fc.assert(
      fc.property(fc.integer({ min: -3600, max: 3600 }), (offsetSeconds) => {
        const header = new Date(now + offsetSeconds * 1000).toUTCString();
        expect(parseRetryAfter(header, now)).toBe(Math.max(0, offsetSeconds * 1000));
      }),
    );
  });

  it("ignores unreadable Retry-After values", () => {
    for (const value of [undefined, null, "", "soon", "-1", "1.5"]) {
      expect(parseRetryAfter(value, 0)).toBeUndefined();
    }
  });

  it("keeps every backoff between half the ceiling and the ceiling", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 20 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 120_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseDelayMs, maxDelayMs, r) => {
          const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
          const delay = backoffDelay(attempt, { baseDelayMs, maxDelayMs, random: () => r });
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
          expect(delay).toBeLessThanOrEqual(Math.ceil(ceiling));
        },
      ),
    );
  });

  it("normalizes the spellings of one repository to one name", () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$/);
    fc.assert(
      fc.property(segment, segment, fc.boolean(), fc.boolean(), fc.boolean(), (owner, name, https, git, slash) => {
        const spelled = `${https ? "https://" : ""}github.com/${owner}/${name}${git ? ".git" : ""}${slash ? "/" : ""}`;
        expect(normalizeRepository(spelled)).toBe(normalizeRepository(`https://github.com/${owner}/${name}`));
      }),
    );
  });
});
