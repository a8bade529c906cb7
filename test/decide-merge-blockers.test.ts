import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, type OrchestraConfig } from "../src/orchestration/config.js";
import { decide, type Decision, type Effect } from "../src/orchestration/decide.js";
import { mergeDependsOn, refusalBackoffMs } from "../src/orchestration/decide-tasks.js";
import type { PullRequestView } from "../src/orchestration/snapshot.js";
import type { Plan, Task } from "../src/orchestration/types.js";
import { NOW, makeAgent, makePlan, makePr, makeSnapshot, makeTask, observation } from "./helpers/world.js";

/**
 * decide() on a task under way that GitHub will not let merge yet, or that waits for something
 * that should come by itself: each such state is waited in (with the reason in the status) or
 * acted on once, never retried in a loop, and every wait has a deadline.
 */

const config = (over: Partial<OrchestraConfig> = {}): OrchestraConfig => ({ ...DEFAULT_CONFIG, ...over });
const effects = (decision: Decision): Effect["kind"][] => decision.steps.map((step) => step.effect.kind);
const MINUTE = 60_000;
const BASE = "b".repeat(40);

function prOpen(status: Plan["status"] = "running", t1: Partial<Task> = {}): Plan {
  return makePlan(
    [makeTask("t1", { state: "pr_open", attempt: 1, agent: "bc-1", pr: 12, launchedAt: NOW - 20 * MINUTE, ...t1 }), makeTask("t2", { deps: ["t1"] })],
    { status, runs: 1 },
  );
}

function run(plan: Plan, pr: Partial<PullRequestView> = {}, over: Partial<OrchestraConfig> = {}, agentStatus = "FINISHED"): Decision {
  const view = makePr("t1", 1, { baseSha: BASE, mergeState: "CLEAN", ...pr });
  return decide(
    makeSnapshot(plan, { observations: { t1: observation("t1", 1, { pr: view, agent: makeAgent("bc-1", agentStatus) }) } }),
    config(over),
  );
}

const SHA = makePr("t1", 1).headSha;

describe("BEHIND: a base that requires up-to-date branches moved on", () => {
  it("updates the branch once per base sha, then waits for the new head's checks", () => {
    const first = run(prOpen(), { mergeState: "BEHIND" });
    expect(first.steps).toEqual([
      {
        effect: { kind: "update-branch", taskId: "t1", pr: 12, sha: SHA },
        onSuccess: [{ id: "t1", followup: `behind:${BASE}` }],
        onFailure: [{ id: "t1", followup: `update:${SHA}` }],
        soft: true,
      },
    ]);
    expect(first.waiting["t1"]).toBe("an update of the branch with its base (required to be up to date)");

    const again = run(prOpen("running", { followup: `behind:${BASE}` }), { mergeState: "BEHIND" });
    expect(again.steps).toEqual([]);
    expect(again.wakeAfterMs).toBeUndefined();
    expect(again.waiting["t1"]).toBe("GitHub to update the branch with its base (required to be up to date)");

    // The base moved again: one more update.
    const moved = run(prOpen("running", { followup: `behind:${BASE}` }), { mergeState: "BEHIND", baseSha: "c".repeat(40) });
    expect(effects(moved)).toEqual(["update-branch"]);
  });

  it("an update GitHub refused asks the agent to rebase, within the fix budget", () => {
    const decision = run(prOpen("running", { followup: `update:${SHA}` }), { mergeState: "BEHIND" });
    expect(effects(decision)).toEqual(["followup"]);
    expect(decision.steps[0]!.effect).toMatchObject({ text: expect.stringContaining("requires branches to be up to date") });
  });
});

describe("BLOCKED: a rule of the base branch is not met", () => {
  it("waits without a request or a wake-up, and names the missing reviews", () => {
    const decision = run(prOpen(), {
      mergeState: "BLOCKED",
      reviewDecision: "REVIEW_REQUIRED",
      required: { checks: ["ci / test"], approvals: 2, codeOwners: false, conversations: false },
    });
    expect(decision.steps).toEqual([]);
    expect(decision.wakeAfterMs).toBeUndefined();
    expect(decision.waiting["t1"]).toBe("what the base branch's rules require: 2 approving reviews from people with write access");
    expect(decision.waitingFor).toBe("t1: what the base branch's rules require: 2 approving reviews from people with write access");
  });

  it("a required check with no run yet: no merge, the check named, a wake-up at the deadline", () => {
    const decision = run(prOpen(), {
      mergeState: "BLOCKED",
      missingChecks: ["ci / e2e"],
      headCommittedAt: new Date(NOW - 5 * MINUTE).toISOString(),
    });
    expect(decision.steps).toEqual([]);
    expect(decision.waiting["t1"]).toBe("required check `ci / e2e` to start");
    expect(decision.wakeAfterMs).toBe(25 * MINUTE);
    expect(decision.notify).toEqual([]);
  });

  it("required checks that never started are reported once, after `timeouts.checksMinutes`, and the task keeps waiting", () => {
    const decision = run(
      prOpen(),
      { mergeState: "BLOCKED", missingChecks: ["ci / e2e"], headCommittedAt: new Date(NOW - 31 * MINUTE).toISOString() },
      {},
    );
    expect(decision.steps).toEqual([]);
    expect(decision.patch).toEqual({});
    expect(decision.notify).toEqual([
      expect.objectContaining({ key: `checks-missing-t1-${SHA}`, once: true, body: expect.stringContaining("waited 30 minutes for the required check `ci / e2e`") }),
    ]);
    const shorter = run(prOpen(), { checks: "none", headCommittedAt: new Date(NOW - 6 * MINUTE).toISOString() }, { timeouts: { checksMinutes: 5, pullRequestMinutes: 10 } });
    expect(shorter.notify).toEqual([expect.objectContaining({ body: expect.stringContaining("waited 5 minutes for any check") })]);
  });

  it("a draft waits to be marked ready", () => {
    const decision = run(prOpen(), { mergeState: "DRAFT", isDraft: true });
    expect(decision.steps).toEqual([]);
    expect(decision.waiting["t1"]).toBe("the pull request to be marked ready for review");
  });

  it("DIRTY takes the conflict path", () => {
    expect(effects(run(prOpen(), { mergeState: "DIRTY", mergeable: null }))).toEqual(["update-branch"]);
  });

  it("UNKNOWN (GitHub still computing) is read again shortly, without a merge", () => {
    const decision = run(prOpen(), { mergeState: "UNKNOWN" });
    expect(decision.steps).toEqual([]);
    expect(decision.wakeAfterMs).toBe(3_000);
  });
});

describe("a refused merge is not sent again until something changes", () => {
  const pr: Partial<PullRequestView> = { mergeState: "CLEAN" };
  const key = mergeDependsOn(makePr("t1", 1, { baseSha: BASE, mergeState: "CLEAN" }));

  it("within the backoff: no merge, a wake-up when it ends, the wait explained", () => {
    const decision = run(prOpen("running", { refused: `not-mergeable:${key}`, refusals: 1, refusedAt: NOW - 5_000, reason: "GitHub refused the merge (405): Pull Request is not mergeable" }), pr);
    expect(decision.steps).toEqual([]);
    expect(decision.wakeAfterMs).toBe(10_000);
    expect(decision.waiting["t1"]).toMatch(/^a new merge attempt at \d\d:\d\d:\d\d UTC or when the pull request changes \(GitHub refused the merge \(405\)/);
  });

  it("the backoff grows with each refusal, to minutes", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 10].map(refusalBackoffMs)).toEqual([15_000, 30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000]);
    const decision = run(prOpen("running", { refused: `blocked:${key}`, refusals: 5, refusedAt: NOW - 60_000 }), pr);
    expect(decision.steps).toEqual([]);
    expect(decision.wakeAfterMs).toBe(180_000);
  });

  it("refused five times with nothing changing: the epic is told once, and the retries go on", () => {
    const decision = run(prOpen("running", { refused: `not-mergeable:${key}`, refusals: 5, refusedAt: NOW, reason: "GitHub refused the merge (405): Pull Request is not mergeable" }), pr);
    expect(decision.steps).toEqual([]);
    expect(decision.patch).toEqual({});
    expect(decision.notify).toEqual([
      expect.objectContaining({ key: `merge-refused-t1-${SHA}`, once: true, body: expect.stringContaining("has refused to merge #12 of t1 5 times") }),
    ]);
    expect(decision.wakeAfterMs).toBe(refusalBackoffMs(5));
  });

  it("after the backoff, or at once when the head, base, checks or reviews changed, the merge goes out with the refusal count", () => {
    const after = run(prOpen("running", { refused: `blocked:${key}`, refusals: 2, refusedAt: NOW - 31_000 }), pr);
    expect(after.steps[0]!.effect).toMatchObject({ kind: "merge", refusals: 2, dependsOn: key });
    const newHead = run(prOpen("running", { refused: `blocked:${key}`, refusals: 2, refusedAt: NOW }), { ...pr, headSha: "d".repeat(40), checksSha: "d".repeat(40) });
    expect(effects(newHead)[0]).toBe("merge");
    const approved = run(prOpen("running", { refused: `blocked:${key}`, refusals: 2, refusedAt: NOW }), { ...pr, approved: true });
    expect(effects(approved)[0]).toBe("merge");
  });

  it.each([
    { cause: "workflows", says: "lacks the **Workflows** permission" },
    { cause: "method", says: "does not allow `squash` merges" },
    { cause: "forbidden", says: "is not allowed to merge it. GitHub said: GitHub refused the merge (403): Resource not accessible by integration" },
  ])("a refusal only a person can fix ($cause) pauses the epic once, with the cause and the fix", ({ cause, says }) => {
    const decision = run(
      prOpen("running", { refused: `${cause}:${key}`, refusals: 1, refusedAt: NOW, reason: "GitHub refused the merge (403): Resource not accessible by integration" }),
      pr,
    );
    expect(decision.steps).toEqual([]);
    expect(decision.patch).toEqual({
      status: "paused",
      tasks: [{ id: "t1", refused: undefined, refusals: undefined, refusedAt: undefined, reason: undefined }],
    });
    expect(decision.notify).toHaveLength(1);
    expect(decision.notify[0]).toMatchObject({ kind: "comment", body: expect.stringContaining(says) });
    expect(decision.notify[0]).toMatchObject({ body: expect.stringContaining("`/orchestra resume`") });
  });
});

describe("pause means no new side effects", () => {
  it.each([
    { name: "red checks", pr: { checks: "failure" as const, failingChecks: [{ name: "ci", summary: "" }] } },
    { name: "a conflict", pr: { mergeable: false, mergeState: "DIRTY" as const } },
    { name: "a branch behind its base", pr: { mergeState: "BEHIND" as const } },
    { name: "green and clean", pr: {} },
    { name: "a review requesting changes", pr: { changesRequested: { id: 7, author: "alice", text: "rename it" } } },
  ])("$name on a paused or stopped epic: no follow-up, update or merge", ({ pr }) => {
    for (const status of ["paused", "stopped"] as const) {
      const decision = run(prOpen(status), pr);
      expect(decision.steps).toEqual([]);
      expect(decision.patch).toEqual({});
    }
  });
});

describe("deadlines of a task under way", () => {
  it("an agent running past `agent.timeoutMinutes` is stopped and the attempt fails", () => {
    const plan = makePlan([makeTask("t1", { state: "running", attempt: 1, agent: "bc-1", launchedAt: NOW - 91 * MINUTE })], { runs: 1 });
    const snapshot = makeSnapshot(plan, { observations: { t1: observation("t1", 1, { agent: makeAgent("bc-1", "RUNNING") }) } });
    const decision = decide(snapshot, config());
    expect(decision.steps).toEqual([{ effect: { kind: "stop-agent", agentId: "bc-1", taskId: "t1" }, soft: true }]);
    expect(decision.patch.tasks).toEqual([
      expect.objectContaining({ id: "t1", state: "pending", agent: undefined, reason: "the agent was still running after 90 min (`agent.timeoutMinutes`)" }),
    ]);

    const early = decide(makeSnapshot(makePlan([makeTask("t1", { state: "running", attempt: 1, agent: "bc-1", launchedAt: NOW - 60 * MINUTE })], { runs: 1 }), { observations: snapshot.observations }), config());
    expect(early.steps).toEqual([]);
    expect(early.wakeAfterMs).toBe(30 * MINUTE);
  });

  it("an agent working on a follow-up past the limit is stopped, its PR closed, the attempt failed", () => {
    const decision = run(prOpen("running", { launchedAt: NOW - 120 * MINUTE, followupAt: NOW - 100 * MINUTE, followup: "ci:x" }), {}, { agent: { timeoutMinutes: 60 } }, "RUNNING");
    expect(effects(decision)).toEqual(["stop-agent", "close-pr"]);
    expect(decision.patch.tasks?.[0]).toMatchObject({ state: "pending", reason: expect.stringContaining("after 60 min") });
  });

  it("a PR the agent reported that GitHub does not show: recorded, polled less and less often, and failed after 10 min", () => {
    const finished = { t1: observation("t1", 1, { agent: makeAgent("bc-1", "FINISHED", { prUrl: "https://github.com/acme/shop/pull/99" }) }) };
    const plan = (t1: Partial<Task> = {}) => makePlan([makeTask("t1", { state: "running", attempt: 1, agent: "bc-1", launchedAt: NOW - 30 * MINUTE, ...t1 })], { runs: 1 });

    const first = decide(makeSnapshot(plan(), { observations: finished }), config());
    expect(first.patch.tasks).toEqual([{ id: "t1", stuck: "pr", stuckAt: NOW }]);
    expect(first.wakeAfterMs).toBe(5_000);
    expect(first.waiting["t1"]).toBe("GitHub to show the pull request the agent reported");

    const later = decide(makeSnapshot(plan({ stuck: "pr", stuckAt: NOW - 20_000 }), { observations: finished }), config());
    expect(later.patch).toEqual({});
    expect(later.wakeAfterMs).toBe(20_000);

    const late = decide(makeSnapshot(plan({ stuck: "pr", stuckAt: NOW - 10 * MINUTE }), { observations: finished }), config());
    expect(late.patch.tasks?.[0]).toMatchObject({
      state: "pending",
      stuck: undefined,
      reason: expect.stringContaining("which GitHub did not show within 10 min"),
    });
  });
});
