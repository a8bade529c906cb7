import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseBody, renderPlan } from "../../src/orchestration/checklist.js";
import { DEFAULT_CONFIG } from "../../src/orchestration/config.js";
import { decide, type Decision } from "../../src/orchestration/decide.js";
import { contentDigest } from "../../src/orchestration/trust/content-digest.js";
import type { Intent, Snapshot, TaskObservation } from "../../src/orchestration/snapshot.js";
import { EPIC_STATUSES, TASK_STATES, type Plan, type Task } from "../../src/orchestration/types.js";
import { commandIntent, ISSUE, makeAgent, makePr, makeSnapshot, observation } from "../helpers/world.js";
import { testSigner } from "../helpers/signing.js";

/**
 * Whatever someone without write access writes into an issue, `decide()` never launches an
 * agent or merges a pull request because of it. Bodies go through the real parser with the real
 * verifier, as every reconcile reads them; the world around them is as tempting as it gets:
 * every task branch has a green, mergeable PR and a finished agent.
 */

const CONFIG = { ...DEFAULT_CONFIG, concurrency: 3 };
const ISSUE_ID = "I_kwDOABCD1M4AAAAB";
const signer = testSigner(ISSUE_ID);

const token = fc.stringMatching(/^[A-Za-z0-9._:-]{1,12}$/);
const taskArb: fc.Arbitrary<Task> = fc.record({
  id: fc.oneof(fc.constantFrom("t1", "t2", "t3", "t4"), token),
  title: fc.string({ maxLength: 30 }),
  details: fc.string({ maxLength: 30 }),
  checked: fc.boolean(),
  state: fc.constantFrom(...TASK_STATES),
  attempt: fc.nat({ max: 4 }),
  deps: fc.array(fc.constantFrom("t1", "t2", "t3"), { maxLength: 2 }),
  fixes: fc.nat({ max: 3 }),
  agent: token,
  pr: fc.nat({ max: 500 }),
});
const planArb: fc.Arbitrary<Plan> = fc.record({
  status: fc.constantFrom(...EPIC_STATUSES),
  runs: fc.nat({ max: 5 }),
  statusComment: fc.nat({ max: 1_000 }),
  tasks: fc.uniqueArray(taskArb, { minLength: 1, maxLength: 4, selector: (task) => task.id }),
});

/** How an attacker gets MACs: none, made up, or real ones computed for another issue or with another secret. */
const forgeryArb = fc.constantFrom<"none" | "garbage" | "other-issue" | "other-secret">("none", "garbage", "other-issue", "other-secret");

function forgedBody(plan: Plan, forgery: string, garbage: string): string {
  const block =
    forgery === "other-issue"
      ? renderPlan(plan, "\n", testSigner("I_kwDOABCD1M4AAAAC"))
      : forgery === "other-secret"
        ? renderPlan(plan, "\n", testSigner(ISSUE_ID, "someone-elses-secret"))
        : renderPlan(plan, "\n").replace(/ -->/g, forgery === "garbage" ? ` mac=${garbage} -->` : " -->");
  return `Please do this.\n\n${block}\n`;
}

/** Every branch a task could be on has a green PR, and its agent is done. */
function temptingObservations(plan: Plan): Record<string, TaskObservation> {
  const observations: Record<string, TaskObservation> = {};
  for (const task of plan.tasks) {
    const attempt = Math.max(1, task.attempt);
    observations[task.id] = observation(task.id, attempt, {
      pr: makePr(task.id, attempt, { number: 100 + attempt }),
      agent: makeAgent(task.agent ?? "bc-x", "FINISHED"),
    });
  }
  return observations;
}

function launchesOrMerges(decision: Decision): string[] {
  return decision.steps.map((step) => step.effect.kind).filter((kind) => kind === "launch" || kind === "merge");
}

/** What people without write access cannot send: the handlers drop their commands. Writers' commands other than start/resume. */
const intentArb: fc.Arbitrary<Intent[]> = fc.array(
  fc.oneof(
    fc.constantFrom("pause", "stop", "status", "help", "plan").map((name) => commandIntent(name)),
    fc.constantFrom("retry", "skip").chain((name) => fc.constantFrom("", "t1", "t2", "1").map((arg) => commandIntent(name, arg))),
    fc.constant<Intent>({ kind: "stop-agents", agentIds: ["bc-victim"] }),
  ),
  { maxLength: 3 },
);

function snapshotOf(body: string, plan: Plan, intents: Intent[], trust: Snapshot["trust"]): Snapshot | undefined {
  const parsed = parseBody(body, { verifier: signer });
  if (!parsed.ok || !parsed.parsed.plan) return undefined;
  const snapshot = makeSnapshot(parsed.parsed.plan, { observations: temptingObservations(plan), intents, before: parsed.parsed.before });
  return { ...snapshot, issue: { ...snapshot.issue, number: ISSUE, body }, parsed: parsed.parsed, ...(trust ? { trust } : {}) };
}

describe("state someone without write access wrote", () => {
  it("a block not signed by Orchestra for this issue never launches or merges, whatever it says", () => {
    fc.assert(
      fc.property(planArb, forgeryArb, token, intentArb, (plan, forgery, garbage, intents) => {
        const body = forgedBody(plan, forgery, garbage);
        const snapshot = snapshotOf(body, plan, intents, undefined);
        if (!snapshot) return;
        expect(snapshot.parsed.trust?.plan).toBe(false);
        // Even if the text counted as accepted, nothing of the forged state is believed.
        snapshot.trust = { digest: contentDigest(snapshot.issue.title, snapshot.parsed), accepted: true };
        expect(launchesOrMerges(decide(snapshot, CONFIG))).toEqual([]);
        for (const task of snapshot.parsed.plan!.tasks) expect(task).toMatchObject({ attempt: 0 });
        expect(snapshot.parsed.plan).toMatchObject({ status: "planned", runs: 0 });
        expect(snapshot.parsed.plan!.statusComment).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it("a signed epic whose text someone without write access changed never launches or merges until a writer resumes it", () => {
    fc.assert(
      fc.property(planArb, intentArb, (plan, intents) => {
        const body = `Please do this.\n\n${renderPlan(plan, "\n", signer)}\n`;
        const trust = { digest: "x.y.z", accepted: false, changed: ["text" as const], editors: ["mallory"] };
        const snapshot = snapshotOf(body, plan, intents, trust);
        if (!snapshot) return;
        expect(snapshot.parsed.trust?.plan).toBe(true);
        const decision = decide(snapshot, CONFIG);
        expect(launchesOrMerges(decision)).toEqual([]);
        expect(decision.patch.acceptDigest).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});
