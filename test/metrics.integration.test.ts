import { readFileSync } from "node:fs";
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { planTasks } from "../src/llm/planner.js";
import { Metrics } from "../src/metrics.js";
import { createTestApp, serveRoutes, type TestApp } from "./helpers/app.js";
import { CURSOR_WEBHOOK_ENV, epic, issueComment, item, postCursorStatus, seedStatusComment, STATUS_COMMENT_ID } from "./helpers/epic-events.js";
import { NockWorld } from "./helpers/nock-world.js";

const PLANNED = epic(`comment=${STATUS_COMMENT_ID}`, item("Add the model", "id=t1"), item("Add the API", "id=t2 deps=t1"), item("Write the docs", "id=t3"));

function fixture(name: string): Record<string, unknown> & { choices?: Array<{ message: { content: string } }>; content?: Array<{ text: string }> } {
  return JSON.parse(readFileSync(new URL(`../fixtures/api/${name}.json`, import.meta.url), "utf8")) as never;
}

const PLAN = { tasks: [{ id: "t1", title: "Add the user model", details: "Create the model.", deps: [] }] };
const INPUT = { title: "Let users sign in", body: "We need accounts." };

/** The value of one sample line of Prometheus text, or undefined. */
function sample(text: string, line: string): number | undefined {
  const found = text.split("\n").find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe("GET /metrics", () => {
  let app: TestApp | undefined;
  let routes: Awaited<ReturnType<typeof serveRoutes>> | undefined;
  afterEach(async () => {
    app?.stop();
    await routes?.close();
  });

  it("shows Cursor requests by endpoint and outcome with their latency, and epics and tasks by state", async () => {
    const world = new NockWorld(PLANNED);
    seedStatusComment(world);
    app = await createTestApp({ processEnv: CURSOR_WEBHOOK_ENV });
    routes = await serveRoutes(app);

    await app.receive("issue_comment", issueComment(world, "/orchestra start"));
    await app.settle();
    const midway = await (await fetch(`${routes.url}/metrics`)).text();
    expect(sample(midway, 'orchestra_epics{state="running"}')).toBe(1);
    expect(sample(midway, 'orchestra_tasks{state="running"}')).toBe(1);
    expect(sample(midway, 'orchestra_tasks{state="pending"}')).toBe(2);

    for (let round = 0; round < 6 && world.issueState === "OPEN"; round++) {
      for (const agent of world.agents.filter((a) => a.status === "CREATING")) {
        world.openPull(agent);
        await postCursorStatus(routes.url, agent, `delivery-${agent.id}`);
        await app.settle();
      }
    }
    expect(world.issueState).toBe("CLOSED");

    const text = await (await fetch(`${routes.url}/metrics`)).text();
    expect(sample(text, 'orchestra_cursor_requests_total{endpoint="POST /v0/agents",outcome="201"}')).toBe(3);
    expect(sample(text, 'orchestra_cursor_request_duration_seconds_count{endpoint="POST /v0/agents"}')).toBe(3);
    expect(sample(text, 'orchestra_cursor_requests_total{endpoint="GET /v0/agents/{id}",outcome="200"}')).toBeGreaterThan(0);
    expect(sample(text, 'orchestra_epics{state="completed"}')).toBe(1);
    expect(sample(text, 'orchestra_epics{state="running"}')).toBeUndefined();
    expect(sample(text, 'orchestra_tasks{state="merged"}')).toBe(3);
    expect(text).toContain("# TYPE orchestra_llm_requests_total counter");
    expect(text).toContain("# TYPE orchestra_llm_tokens_total counter");
  });

  it("shows the planner's LLM calls by provider and outcome, their latency and the tokens they cost", async () => {
    const metrics = new Metrics();
    const openai = fixture("llm-openai-chat-completion");
    openai.choices![0]!.message.content = JSON.stringify(PLAN);
    const anthropic = fixture("llm-anthropic-message");
    anthropic.content![0]!.text = JSON.stringify(PLAN);
    const scope = nock("http://llm.test")
      .post("/v1/chat/completions")
      .reply(503, { error: { message: "overloaded" } }, { "retry-after-ms": "1" });
    const fallback = nock("http://anthropic.test").post("/v1/messages").reply(200, anthropic);
    const first = await planTasks(INPUT, {
      env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: "http://llm.test/v1", ANTHROPIC_API_KEY: "sk-ant-test", ANTHROPIC_BASE_URL: "http://anthropic.test" },
      planner: { provider: "auto", maxTasks: 10 },
      sdkOptions: { maxRetries: 0, timeoutMs: 5_000 },
      observe: (call) => metrics.llmCall(call),
    });
    expect(first.ok).toBe(true);
    nock("http://llm.test").post("/v1/chat/completions").reply(200, openai);
    const second = await planTasks(INPUT, {
      env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: "http://llm.test/v1" },
      planner: { provider: "openai", maxTasks: 10 },
      sdkOptions: { maxRetries: 0, timeoutMs: 5_000 },
      observe: (call) => metrics.llmCall(call),
    });
    expect(second.ok).toBe(true);
    expect(scope.isDone() && fallback.isDone()).toBe(true);

    const text = await metrics.registry.metrics();
    expect(sample(text, 'orchestra_llm_requests_total{provider="openai",outcome="503"}')).toBe(1);
    expect(sample(text, 'orchestra_llm_requests_total{provider="anthropic",outcome="ok"}')).toBe(1);
    expect(sample(text, 'orchestra_llm_requests_total{provider="openai",outcome="ok"}')).toBe(1);
    expect(sample(text, 'orchestra_llm_request_duration_seconds_count{provider="openai"}')).toBe(2);
    // Labelled with the model Orchestra asked for (the provider's default here).
    expect(sample(text, 'orchestra_llm_tokens_total{provider="anthropic",model="claude-sonnet-4-5",kind="input"}')).toBe(1204);
    expect(sample(text, 'orchestra_llm_tokens_total{provider="anthropic",model="claude-sonnet-4-5",kind="output"}')).toBe(52);
    expect(text).toMatch(/orchestra_llm_tokens_total\{provider="openai",model="[^"]+",kind="input"\} 1117/);
  });
});
