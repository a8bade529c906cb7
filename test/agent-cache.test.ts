import nock from "nock";
import { describe, expect, it } from "vitest";
import { CursorClient } from "../src/cursor/client.js";
import { AgentCache } from "../src/orchestration/agent-cache.js";

const agent = (status: string) => ({ id: "bc-1", status, source: { repository: "https://github.com/o/r" }, target: {} });

describe("AgentCache", () => {
  it("polls a live agent at most once per interval and a finished one never again", async () => {
    const cursor = new CursorClient({ apiKey: "k", baseUrl: "http://cursor.test", maxRetries: 0 });
    const cache = new AgentCache();
    const scope = nock("http://cursor.test")
      .get("/v0/agents/bc-1")
      .reply(200, agent("RUNNING"))
      .get("/v0/agents/bc-1")
      .reply(200, agent("FINISHED"));
    expect((await cache.read("bc-1", cursor, 0, { maxAgeMs: 1000 }))?.status).toBe("RUNNING");
    expect((await cache.read("bc-1", cursor, 500, { maxAgeMs: 1000 }))?.status).toBe("RUNNING");
    expect((await cache.read("bc-1", cursor, 1500, { maxAgeMs: 1000 }))?.status).toBe("FINISHED");
    expect((await cache.read("bc-1", cursor, 99_000, { maxAgeMs: 1000 }))?.status).toBe("FINISHED");
    expect(scope.isDone()).toBe(true);
    expect(cursor.requestCount).toBe(2);
  });

  it("reads again at once after a webhook made it forget, and remembers unknown agents as null", async () => {
    const cursor = new CursorClient({ apiKey: "k", baseUrl: "http://cursor.test", maxRetries: 0 });
    const cache = new AgentCache();
    const scope = nock("http://cursor.test")
      .get("/v0/agents/bc-1")
      .reply(200, agent("FINISHED"))
      .get("/v0/agents/bc-1")
      .reply(404, { error: "not found" });
    await cache.read("bc-1", cursor, 0, { maxAgeMs: 1000 });
    cache.forget("bc-1");
    expect(await cache.read("bc-1", cursor, 1, { maxAgeMs: 1000 })).toBeNull();
    expect(await cache.read("bc-1", cursor, 2, { maxAgeMs: 1000 })).toBeNull();
    expect(scope.isDone()).toBe(true);
  });
});
