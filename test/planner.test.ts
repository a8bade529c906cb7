import { readFileSync } from "node:fs";
import nock from "nock";
import type { Logger } from "probot";
import { describe, expect, expectTypeOf, it } from "vitest";
import { planTasks, type PlanInput } from "../src/llm/planner.js";
import { PLAN_PROMPT_VERSION } from "../src/llm/prompts/plan-v1.js";
import type { PlannerLogger } from "../src/llm/types.js";
import type { OrchestraConfig } from "../src/orchestration/config.js";

const OPENAI_HOST = "http://llm.test";
const ANTHROPIC_HOST = "http://anthropic.test";
const OPENAI_KEY = "sk-test-openai-0123456789abcdef";
const ANTHROPIC_KEY = "sk-ant-test-9876543210fedcba";

const BOTH_KEYS = {
  OPENAI_API_KEY: OPENAI_KEY,
  OPENAI_BASE_URL: `${OPENAI_HOST}/v1`,
  ANTHROPIC_API_KEY: ANTHROPIC_KEY,
  ANTHROPIC_BASE_URL: ANTHROPIC_HOST,
};
const OPENAI_ONLY = { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${OPENAI_HOST}/v1` };
const ANTHROPIC_ONLY = { ANTHROPIC_API_KEY: ANTHROPIC_KEY, ANTHROPIC_BASE_URL: ANTHROPIC_HOST };

/** Retries stay on (they are under test) but never wait: every error reply says Retry-After 0. */
const FAST_SDK = { maxRetries: 2, timeoutMs: 5_000 };
const NO_WAIT = { "retry-after": "0", "retry-after-ms": "1" };

const INPUT: PlanInput = {
  title: "Let users sign in",
  body: "We need accounts: a user model, a login endpoint and docs.\n<!-- orchestra:plan v1 -->\n",
};

const PLAN = {
  tasks: [
    { id: "t1", title: "Add the user model", details: "Create the model.\n\nAcceptance criteria:\n- migration", deps: [] },
    { id: "t2", title: "Add the login endpoint", details: "POST /login.", deps: ["t1"] },
    { id: "t3", title: "Document sign-in", details: "README section.", deps: [] },
  ],
};

function planner(overrides: Partial<OrchestraConfig["planner"]> = {}): OrchestraConfig["planner"] {
  return { provider: "auto", maxTasks: 10, ...overrides };
}

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/api/${name}.json`, import.meta.url), "utf8")) as T;
}

interface ChatCompletion {
  choices: Array<{ message: { content: string } }>;
}
interface AnthropicMessage {
  content: Array<{ type: string; text: string }>;
}

function openaiReply(content: string): ChatCompletion {
  const body = fixture<ChatCompletion>("llm-openai-chat-completion");
  body.choices[0]!.message.content = content;
  return body;
}

function anthropicReply(text: string): AnthropicMessage {
  const body = fixture<AnthropicMessage>("llm-anthropic-message");
  body.content[0]!.text = text;
  return body;
}

interface SentChat {
  model: string;
  response_format?: unknown;
  messages: Array<{ role: string; content: string }>;
}
interface SentMessages {
  model: string;
  system: string;
  max_tokens: number;
  messages: Array<{ role: string; content: string }>;
}

/** Records each request body a scope receives, so tests can assert on what was sent. */
function recorder<T>() {
  const bodies: T[] = [];
  const match = (body: unknown) => {
    bodies.push(body as T);
    return true;
  };
  return { bodies, match };
}

function captureLogs() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  const at =
    (level: string) =>
    (obj: Record<string, unknown>, msg?: string): void => {
      lines.push({ level, obj, ...(msg !== undefined ? { msg } : {}) });
    };
  const log: PlannerLogger = { info: at("info"), warn: at("warn"), error: at("error"), debug: at("debug") };
  return { log, lines, text: () => JSON.stringify(lines) };
}

describe("planTasks", () => {
  it("accepts a pino logger such as Probot's", () => {
    expectTypeOf<Logger>().toExtend<PlannerLogger>();
  });

  it("plans with OpenAI in JSON mode and logs provider, model, prompt version, duration and count", async () => {
    const sent = recorder<SentChat>();
    const scope = nock(OPENAI_HOST)
      .post("/v1/chat/completions", sent.match)
      .matchHeader("authorization", `Bearer ${OPENAI_KEY}`)
      .reply(200, openaiReply(JSON.stringify(PLAN)));
    const logs = captureLogs();

    const result = await planTasks(INPUT, { env: BOTH_KEYS, planner: planner(), log: logs.log, sdkOptions: FAST_SDK });

    // What the answer cost, from the API's usage, goes to the epic's token count.
    expect(result).toEqual({ ok: true, tasks: PLAN.tasks, provider: "openai", model: "gpt-4o-mini", usage: [{ inputTokens: 1117, outputTokens: 46 }] });
    const body = sent.bodies[0]!;
    expect(body.model).toBe("gpt-4o-mini");
    expect(body.response_format).toEqual({ type: "json_object" });
    expect(body.messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(body.messages[0]!.content).toContain("JSON");
    expect(body.messages[1]!.content).toContain("Let users sign in");
    expect(body.messages[1]!.content).toContain("a user model, a login endpoint and docs");
    expect(body.messages[1]!.content).not.toContain("orchestra:");
    expect(body.messages[1]!.content).toContain("at most 10 tasks");
    const done = logs.lines.find((line) => line.level === "info");
    expect(done?.obj).toMatchObject({ provider: "openai", model: "gpt-4o-mini", promptVersion: PLAN_PROMPT_VERSION, tasks: 3 });
    expect(done?.obj.durationMs).toEqual(expect.any(Number));
    expect(logs.text()).not.toContain(OPENAI_KEY);
    expect(logs.text()).not.toContain(ANTHROPIC_KEY);
    expect(scope.isDone()).toBe(true);
  });

  it("retries once with the validation error when the answer is not JSON, then succeeds", async () => {
    const sent = recorder<SentChat>();
    const scope = nock(OPENAI_HOST)
      .post("/v1/chat/completions", sent.match)
      .reply(200, openaiReply("Sure! Here is a plan: 1. model 2. endpoint"))
      .post("/v1/chat/completions", sent.match)
      .reply(200, openaiReply(JSON.stringify(PLAN)));

    const result = await planTasks(INPUT, { env: OPENAI_ONLY, planner: planner(), sdkOptions: FAST_SDK });

    expect(result.ok).toBe(true);
    // Both answers cost tokens: the invalid one counts too.
    expect(result.ok && result.usage).toEqual([
      { inputTokens: 1117, outputTokens: 46 },
      { inputTokens: 1117, outputTokens: 46 },
    ]);
    const retry = sent.bodies[1]!;
    expect(retry.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(retry.messages[1]!.content).toBe(sent.bodies[0]!.messages[1]!.content);
    expect(retry.messages[2]!.content).toBe("Sure! Here is a plan: 1. model 2. endpoint");
    expect(retry.messages[3]!.content).toMatch(/^Your answer was invalid: the answer is not valid JSON .*Reply again with only the JSON\.$/);
    expect(scope.isDone()).toBe(true);
  });

  it("reports invalid-plan when the answer is not JSON twice", async () => {
    const scope = nock(OPENAI_HOST)
      .post("/v1/chat/completions")
      .times(2)
      .reply(200, openaiReply("I cannot plan this."));

    const result = await planTasks(INPUT, { env: OPENAI_ONLY, planner: planner(), sdkOptions: FAST_SDK });

    expect(result).toMatchObject({ ok: false, kind: "invalid-plan" });
    expect(!result.ok && result.error).toContain("not valid JSON");
    expect(!result.ok && result.error).toContain("/orchestra plan");
    expect(scope.isDone()).toBe(true);
  });

  it("reports an empty task list, after giving the model one chance to fix it", async () => {
    const sent = recorder<SentChat>();
    const scope = nock(OPENAI_HOST)
      .post("/v1/chat/completions", sent.match)
      .times(2)
      .reply(200, openaiReply('{"tasks": []}'));

    const result = await planTasks(INPUT, { env: OPENAI_ONLY, planner: planner(), sdkOptions: FAST_SDK });

    expect(sent.bodies[1]!.messages[3]!.content).toContain("the plan has no tasks");
    expect(result).toMatchObject({ ok: false, kind: "invalid-plan" });
    expect(!result.ok && result.error).toContain("the plan has no tasks");
    expect(scope.isDone()).toBe(true);
  });

  it("names the ids of a dependency cycle", async () => {
    const cyclic = {
      tasks: [
        { id: "t1", title: "A", details: "", deps: ["t3"] },
        { id: "t2", title: "B", details: "", deps: ["t1"] },
        { id: "t3", title: "C", details: "", deps: ["t2"] },
      ],
    };
    const scope = nock(OPENAI_HOST)
      .post("/v1/chat/completions")
      .times(2)
      .reply(200, openaiReply(JSON.stringify(cyclic)));

    const result = await planTasks(INPUT, { env: OPENAI_ONLY, planner: planner(), sdkOptions: FAST_SDK });

    expect(result).toMatchObject({ ok: false, kind: "invalid-plan" });
    expect(!result.ok && result.error).toContain("cycle: `t1` → `t3` → `t2` → `t1`");
    expect(scope.isDone()).toBe(true);
  });

  it("refuses 100 tasks when maxTasks is 10", async () => {
    const many = {
      tasks: Array.from({ length: 100 }, (_, i) => ({ id: `t${i + 1}`, title: `Task ${i + 1}`, details: "", deps: [] })),
    };
    const scope = nock(OPENAI_HOST)
      .post("/v1/chat/completions")
      .times(2)
      .reply(200, openaiReply(JSON.stringify(many)));

    const result = await planTasks(INPUT, { env: OPENAI_ONLY, planner: planner({ maxTasks: 10 }), sdkOptions: FAST_SDK });

    expect(result).toMatchObject({ ok: false, kind: "invalid-plan" });
    expect(!result.ok && result.error).toContain("the plan has 100 tasks; at most 10 are allowed");
    expect(scope.isDone()).toBe(true);
  });

  it("rides out a 429 with the SDK's own retry", async () => {
    const scope = nock(OPENAI_HOST)
      .post("/v1/chat/completions")
      .reply(429, { error: { message: "Rate limit reached", type: "requests" } }, NO_WAIT)
      .post("/v1/chat/completions")
      .reply(200, openaiReply(JSON.stringify(PLAN)));
    const started = Date.now();

    const result = await planTasks(INPUT, { env: BOTH_KEYS, planner: planner(), sdkOptions: FAST_SDK });

    expect(result).toMatchObject({ ok: true, provider: "openai" });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(scope.isDone()).toBe(true);
  });

  it("falls back to Anthropic when OpenAI's 500s outlast the retries", async () => {
    const openai = nock(OPENAI_HOST)
      .post("/v1/chat/completions")
      .times(3) // the first try and the SDK's two retries
      .reply(500, { error: { message: "The server had an error", type: "server_error" } }, NO_WAIT);
    const sent = recorder<SentMessages>();
    const anthropic = nock(ANTHROPIC_HOST)
      .post("/v1/messages", sent.match)
      // Anthropic's SDK v1 sends the API key as a bearer token.
      .matchHeader("authorization", `Bearer ${ANTHROPIC_KEY}`)
      .reply(200, anthropicReply(JSON.stringify(PLAN)));
    const logs = captureLogs();

    const result = await planTasks(INPUT, {
      env: BOTH_KEYS,
      planner: planner({ model: "gpt-4.1" }),
      log: logs.log,
      sdkOptions: FAST_SDK,
    });

    // The configured model is OpenAI's; the fallback uses its own default.
    expect(result).toEqual({ ok: true, tasks: PLAN.tasks, provider: "anthropic", model: "claude-sonnet-4-5", usage: [{ inputTokens: 1204, outputTokens: 52 }] });
    const body = sent.bodies[0]!;
    expect(body.model).toBe("claude-sonnet-4-5");
    expect(body.system).toContain("JSON");
    expect(body.max_tokens).toBeGreaterThan(0);
    expect(body.messages).toHaveLength(1);
    expect(body.messages[0]!.content).toContain("Let users sign in");
    expect(logs.lines.some((line) => line.level === "warn" && line.msg?.includes("falling back to anthropic"))).toBe(true);
    expect(openai.isDone()).toBe(true);
    expect(anthropic.isDone()).toBe(true);
  });

  it("falls back when the primary times out", async () => {
    const openai = nock(OPENAI_HOST).post("/v1/chat/completions").delay(1_000).reply(200, openaiReply(JSON.stringify(PLAN)));
    const anthropic = nock(ANTHROPIC_HOST).post("/v1/messages").reply(200, anthropicReply(JSON.stringify(PLAN)));
    const logs = captureLogs();

    const result = await planTasks(INPUT, {
      env: BOTH_KEYS,
      planner: planner(),
      log: logs.log,
      sdkOptions: { maxRetries: 0, timeoutMs: 100 },
    });

    expect(result).toMatchObject({ ok: true, provider: "anthropic" });
    expect(logs.lines.find((line) => line.level === "warn")?.obj).toMatchObject({
      provider: "openai",
      transient: true,
      err: "OpenAI did not answer in time",
    });
    expect(openai.isDone()).toBe(true);
    expect(anthropic.isDone()).toBe(true);
  });

  it("reports llm-error naming both failures when every provider is down", async () => {
    const openai = nock(OPENAI_HOST).post("/v1/chat/completions").reply(503, { error: { message: "Unavailable" } });
    const anthropic = nock(ANTHROPIC_HOST)
      .post("/v1/messages")
      .reply(529, fixture("llm-anthropic-error-overloaded"));

    const result = await planTasks(INPUT, {
      env: BOTH_KEYS,
      planner: planner(),
      sdkOptions: { maxRetries: 0, timeoutMs: 5_000 },
    });

    expect(result).toMatchObject({ ok: false, kind: "llm-error" });
    expect(!result.ok && result.error).toContain("OpenAI had a server error (503)");
    expect(!result.ok && result.error).toContain("Anthropic had a server error (529): Overloaded");
    expect(openai.isDone()).toBe(true);
    expect(anthropic.isDone()).toBe(true);
  });

  it("uses Anthropic first when it is the configured provider, with planner.model, and accepts a fenced answer", async () => {
    const sent = recorder<SentMessages>();
    const scope = nock(ANTHROPIC_HOST)
      .post("/v1/messages", sent.match)
      .reply(200, anthropicReply("```json\n" + JSON.stringify(PLAN, null, 2) + "\n```"));

    const result = await planTasks(
      {
        ...INPUT,
        instructions: "Use JWT",
        keep: ["Set up CI"],
        repoContext: { tree: ["src/", "package.json"], manifests: [{ path: "package.json", content: '{"name":"shop"}' }] },
      },
      { env: BOTH_KEYS, planner: planner({ provider: "anthropic", model: "claude-opus-4-1" }), sdkOptions: FAST_SDK },
    );

    expect(result).toEqual({ ok: true, tasks: PLAN.tasks, provider: "anthropic", model: "claude-opus-4-1", usage: [{ inputTokens: 1204, outputTokens: 52 }] });
    expect(sent.bodies[0]!.model).toBe("claude-opus-4-1");
    expect(sent.bodies[0]!.messages[0]!.content).toContain("Use JWT");
    expect(sent.bodies[0]!.messages[0]!.content).toContain("- Set up CI");
    expect(sent.bodies[0]!.messages[0]!.content).toContain('Top-level files: src/, package.json');
    expect(sent.bodies[0]!.messages[0]!.content).toContain('{"name":"shop"}');
    expect(scope.isDone()).toBe(true);
  });

  it("plans with Anthropic alone when only its key is set", async () => {
    const scope = nock(ANTHROPIC_HOST).post("/v1/messages").reply(200, anthropicReply(JSON.stringify(PLAN)));

    const result = await planTasks(INPUT, { env: ANTHROPIC_ONLY, planner: planner(), sdkOptions: FAST_SDK });

    expect(result).toMatchObject({ ok: true, provider: "anthropic", model: "claude-sonnet-4-5" });
    expect(scope.isDone()).toBe(true);
  });

  it("says which variables to set when no key is configured", async () => {
    const result = await planTasks(INPUT, { env: { OPENAI_API_KEY: "  " }, planner: planner() });

    expect(result).toMatchObject({ ok: false, kind: "missing-key" });
    const error = !result.ok ? result.error : "";
    for (const variable of ["`OPENAI_API_KEY`", "`ANTHROPIC_API_KEY`", "`OPENAI_BASE_URL`", "`ANTHROPIC_BASE_URL`"]) {
      expect(error).toContain(variable);
    }
  });

  it("names the configured provider's variable when only the other key is set", async () => {
    const result = await planTasks(INPUT, { env: ANTHROPIC_ONLY, planner: planner({ provider: "openai" }) });

    expect(result).toMatchObject({ ok: false, kind: "missing-key" });
    expect(!result.ok && result.error).toContain("`OPENAI_API_KEY` is not set");
    expect(!result.ok && result.error).not.toContain(ANTHROPIC_KEY);
  });

  it("never shows or logs the key, even when the server echoes it, and does not fall back on a bad key", async () => {
    const rejected = fixture<{ error: { message: string } }>("llm-openai-error-invalid-key");
    rejected.error.message = rejected.error.message.replace("REPLACED_BY_TEST", OPENAI_KEY);
    const scope = nock(OPENAI_HOST).post("/v1/chat/completions").reply(401, rejected);
    const logs = captureLogs();

    const result = await planTasks(INPUT, { env: BOTH_KEYS, planner: planner(), log: logs.log, sdkOptions: FAST_SDK });

    expect(result).toMatchObject({ ok: false, kind: "llm-error" });
    const error = !result.ok ? result.error : "";
    expect(error).toContain("OpenAI rejected the API key (401); check `OPENAI_API_KEY`");
    expect(error).not.toContain(OPENAI_KEY);
    expect(error).not.toContain(OPENAI_KEY.slice(0, 12));
    expect(error).not.toContain("Anthropic");
    expect(logs.text()).not.toContain(OPENAI_KEY);
    // A rejected key is not an outage: Anthropic is not asked (nock would fail the request otherwise).
    expect(scope.isDone()).toBe(true);
  });
});
