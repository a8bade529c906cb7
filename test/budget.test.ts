import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyPatch, parseBody, renderBody } from "../src/orchestration/checklist.js";
import { DEFAULT_CONFIG, parseConfigText, type OrchestraConfig } from "../src/orchestration/config.js";
import { decide, type Decision } from "../src/orchestration/decide.js";
import { addLlmUsage, llmTokensOf } from "../src/orchestration/llm-usage.js";
import { renderStatusComment, type StatusView } from "../src/orchestration/status-comment.js";
import { createStateSigner, deriveStateKeys } from "../src/orchestration/trust/state-mac.js";
import type { Plan } from "../src/orchestration/types.js";
import { commandIntent, makePlan, makeSnapshot, makeTask } from "./helpers/world.js";

const config = (budget: Partial<OrchestraConfig["budget"]> = {}): OrchestraConfig => ({ ...DEFAULT_CONFIG, budget: { ...DEFAULT_CONFIG.budget, ...budget } });
const comments = (decision: Decision) => decision.notify.flatMap((item) => (item.kind === "comment" ? [item] : []));

describe("an LLM answer's usage, added to the epic's count", () => {
  it("counts input and output tokens, of one answer or several; nothing when the API did not say", () => {
    expect(llmTokensOf({ inputTokens: 1117, outputTokens: 46 })).toBe(1163);
    expect(llmTokensOf([{ inputTokens: 10, outputTokens: 5 }, undefined, { inputTokens: 1, outputTokens: 1 }])).toBe(17);
    expect(llmTokensOf(undefined)).toBe(0);
    expect(llmTokensOf({ inputTokens: -5, outputTokens: Number.NaN })).toBe(0);
  });

  it("adds to the patch about to be written, on top of what it already adds", () => {
    expect(addLlmUsage({ status: "paused" }, { inputTokens: 100, outputTokens: 20 })).toEqual({ status: "paused", llmTokensDelta: 120 });
    expect(addLlmUsage({ llmTokensDelta: 5 }, [{ inputTokens: 1, outputTokens: 2 }])).toEqual({ llmTokensDelta: 8 });
    const untouched = { status: "running" as const };
    expect(addLlmUsage(untouched, undefined)).toBe(untouched);
  });
});

describe("the count in the block", () => {
  const keys = deriveStateKeys(["state-secret"]);
  const signer = createStateSigner(keys, "I_node1");
  const body = (plan: Plan) => renderBody({ before: "Build it.\n\n", after: "", eol: "\n", plan }, signer);

  it("is written as `tokens=` on the plan marker and read back", () => {
    const text = body(makePlan([makeTask("t1")], { runs: 2, llmTokens: 1163 }));
    expect(text).toMatch(/<!-- orchestra:plan v1 status=running runs=2 next=2 tokens=1163 mac=\S+ -->/);
    const parsed = parseBody(text, { verifier: signer });
    expect(parsed.ok && parsed.parsed.plan?.llmTokens).toBe(1163);
    expect(parsed.ok && parsed.parsed.trust?.plan).toBe(true);
  });

  it("adds a write's tokens to the fresh body's count", () => {
    const fresh = body(makePlan([makeTask("t1")], { llmTokens: 100 }));
    const written = applyPatch(fresh, { llmTokensDelta: 50 }, { trust: { signer, title: "The shop" } });
    expect(written.ok && parseBody(written.body).ok).toBe(true);
    const parsed = written.ok ? parseBody(written.body, { verifier: signer }) : undefined;
    expect(parsed?.ok && parsed.parsed.plan?.llmTokens).toBe(150);
  });

  it("leaves bodies signed before the attribute existed verifying, and no one can lower the count", () => {
    const old = body(makePlan([makeTask("t1")], { runs: 1 }));
    expect(old).not.toContain("tokens=");
    const parsedOld = parseBody(old, { verifier: signer });
    expect(parsedOld.ok && parsedOld.parsed.trust?.plan).toBe(true);

    const spent = body(makePlan([makeTask("t1")], { runs: 1, llmTokens: 5000 }));
    for (const forged of [spent.replace(" tokens=5000", ""), spent.replace("tokens=5000", "tokens=1")]) {
      const parsed = parseBody(forged, { verifier: signer });
      expect(parsed.ok && parsed.parsed.trust?.plan).toBe(false);
      expect(parsed.ok && parsed.parsed.plan?.llmTokens).toBeUndefined();
    }
  });
});

describe("budget.llmTokens", () => {
  const running = (llmTokens: number) => makePlan([makeTask("t1"), makeTask("t2")], { llmTokens });

  it("is optional: valid as a positive whole number, and absent by default", () => {
    expect(DEFAULT_CONFIG.budget.llmTokens).toBeUndefined();
    expect(parseConfigText("budget:\n  llmTokens: 20000\n")).toMatchObject({ ok: true, config: { budget: { llmTokens: 20000, agentRuns: 50 } } });
    for (const [input, error] of [
      ["budget:\n  llmTokens: 0\n", "→ at budget.llmTokens"],
      ["budget:\n  llmTokens: lots\n", "→ at budget.llmTokens"],
    ]) {
      const result = parseConfigText(input!);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toContain(error);
    }
  });

  it("reached: the epic pauses, launches nothing, and its comment says what was spent", () => {
    const decision = decide(makeSnapshot(running(12_345)), config({ llmTokens: 10_000 }));
    expect(decision.steps).toEqual([]);
    expect(decision.patch.status).toBe("paused");
    expect(decision.pause).toEqual({ reason: expect.stringContaining("12,345 LLM tokens"), key: "paused-tokens-12345" });
    expect(comments(decision)).toEqual([
      {
        kind: "comment",
        key: "paused-tokens-12345",
        body: "⏸️ **The epic is paused**: the epic has spent 12,345 LLM tokens (planning and audits), and its budget is 10,000. Raise `budget.llmTokens` in `.github/orchestra.yml` to allow more.\n\nComment `/orchestra resume` to continue.",
      },
    ]);
  });

  it("below it, or without it, nothing pauses", () => {
    expect(decide(makeSnapshot(running(9_999)), config({ llmTokens: 10_000 })).patch.status).toBeUndefined();
    const unlimited = decide(makeSnapshot(running(10_000_000)), config());
    expect(unlimited.patch.status).toBeUndefined();
    expect(unlimited.steps.map((step) => step.effect.kind)).toEqual(["launch"]);
  });

  it("a planned epic waits as before; started over budget, it pauses at once", () => {
    const planned = makePlan([makeTask("t1")], { status: "planned", llmTokens: 500 });
    expect(decide(makeSnapshot(planned), config({ llmTokens: 100 })).patch).toEqual({});
    const started = decide(makeSnapshot(planned, { intents: [commandIntent("start")] }), config({ llmTokens: 100 }));
    expect(started.patch.status).toBe("paused");
    expect(started.steps).toEqual([]);
  });

  it("drives the real decide(): at the budget nothing starts, is followed up or merges, below it the budget says nothing (property)", () => {
    const taskArb = (id: string) =>
      fc.constantFrom("pending", "merged", "skipped", "failed").map((state) => makeTask(id, state === "pending" ? {} : { state: state as Plan["tasks"][number]["state"], attempt: 1 }));
    fc.assert(
      fc.property(
        fc.tuple(taskArb("t1"), taskArb("t2"), taskArb("t3")),
        fc.constantFrom<Plan["status"]>("running", "planned", "paused"),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 1, max: 2000 }),
        (tasks, status, spent, limit) => {
          const decision = decide(makeSnapshot(makePlan(tasks, { status, llmTokens: spent })), config({ llmTokens: limit }));
          const budgetComments = comments(decision).filter((comment) => comment.key.startsWith("paused-tokens-"));
          if (spent >= limit && status === "running") {
            expect(decision.steps.filter((step) => ["launch", "merge", "followup", "update-branch"].includes(step.effect.kind))).toEqual([]);
            expect(decision.patch.status).toBe("paused");
            expect(budgetComments).toHaveLength(1);
            expect(budgetComments[0]!.body).toContain(`spent ${spent.toLocaleString("en-US")} LLM tokens`);
          } else {
            expect(budgetComments).toEqual([]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the status comment shows the tokens spent next to the agent runs, and the limit when set", () => {
    const view = (plan: Plan, limit?: number): StatusView => ({
      plan,
      tasks: [],
      waitingFor: "",
      budget: { used: plan.runs, limit: 50 },
      tokens: { used: plan.llmTokens ?? 0, ...(limit !== undefined ? { limit } : {}) },
      issueNumber: 7,
    });
    const line = (text: string) => text.split("\n").find((candidate) => candidate.startsWith("Agent runs"));
    expect(line(renderStatusComment(view(makePlan([], { runs: 2 }))))).toBe("Agent runs: 2 of 50");
    expect(line(renderStatusComment(view(makePlan([], { runs: 2, llmTokens: 1163 }))))).toBe("Agent runs: 2 of 50 · LLM tokens: 1,163");
    expect(line(renderStatusComment(view(makePlan([], { runs: 2, llmTokens: 1163 }), 20_000)))).toBe("Agent runs: 2 of 50 · LLM tokens: 1,163 of 20,000");
    expect(line(renderStatusComment(view(makePlan([], { status: "paused", runs: 2, llmTokens: 20_000 }), 20_000)))).toBe(
      "Agent runs: 2 of 50 · LLM tokens: 20,000 of 20,000: the budget is used up; raise `budget.llmTokens` in `.github/orchestra.yml` to go on.",
    );
  });
});

describe("notify.events", () => {
  it("defaults to every event; takes a subset or none; names the key of a typo", () => {
    expect(DEFAULT_CONFIG.notify.events).toEqual(["planned", "paused", "failed", "completed"]);
    expect(parseConfigText("notify:\n  events: [paused, failed]\n")).toMatchObject({ ok: true, config: { notify: { events: ["paused", "failed"] } } });
    expect(parseConfigText("notify:\n  events: []\n")).toMatchObject({ ok: true, config: { notify: { events: [] } } });
    const typo = parseConfigText("notify:\n  events: [pasued]\n");
    expect(typo.ok).toBe(false);
    if (!typo.ok) expect(typo.error).toContain("→ at notify.events[0]");
  });
});
