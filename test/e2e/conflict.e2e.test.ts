import { afterEach, describe, expect, it } from "vitest";
import { type E2E, E2E_OPTIONS, firstHappening, isDone, pullMerges, startE2E, taskMeta } from "./harness.js";

describe("end to end: pull requests that conflict with their base", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  afterEach(async () => e2e?.stop());

  it("updates the branch, or asks the agent to rebase when an update cannot resolve it", async () => {
    // One epic, both kinds: t2's conflict goes away with update-branch, t3's only with a rebase.
    e2e = await startE2E({ tasks: 3, scenarios: { t2: "conflict", t3: "conflict-rebase" } });
    await e2e.until(() => isDone(e2e!), "the epic to close", 15_000);
    const { github, cursor } = e2e.sandbox;
    const branchOf = (id: string) => `orchestra/${e2e!.epic}-${id}-a1`;
    const agentOf = (id: string) => {
      const agents = cursor.agents.filter((agent) => agent.taskId === id);
      expect(agents, `one agent for ${id}`).toHaveLength(1);
      return agents[0]!;
    };

    // t2: updated from main, merged after that at the update's head, whose checks passed.
    const [t2Pull] = github.pullsForBranch(e2e.repo, branchOf("t2"));
    expect(t2Pull?.merged).toBe(true);
    const updated = firstHappening(e2e, "branch", new RegExp(`updated ${branchOf("t2")} from main`));
    expect(updated, "t2's branch was updated from main").toBeDefined();
    expect(pullMerges(e2e).find((merge) => merge.pr === t2Pull!.number)!.seq).toBeGreaterThan(updated!.seq);
    expect(t2Pull!.headSha).not.toBe(agentOf("t2").commits.at(-1));
    expect(t2Pull!.checks.every((check) => check.sha === t2Pull!.headSha && check.conclusion === "success")).toBe(true);
    expect(agentOf("t2").followups, "update-branch was enough for t2").toEqual([]);

    // t3: update-branch refused (a real conflict), so the agent was asked to rebase, and its push merged.
    const [t3Pull] = github.pullsForBranch(e2e.repo, branchOf("t3"));
    expect(t3Pull?.merged).toBe(true);
    expect(agentOf("t3").followups).toHaveLength(1);
    expect(agentOf("t3").followups[0]).toMatch(/merge conflicts.*Rebase/s);
    expect(t3Pull!.headSha).toBe(agentOf("t3").commits.at(-1));

    // One update-branch request per conflicting PR: t2's succeeded, t3's was refused.
    expect(github.requestCount("PUT /repos/{owner}/{repo}/pulls/{pull_number}/update-branch")).toBe(2);
    expect(taskMeta(e2e.body(), "t2")).toMatchObject({ state: "merged", attempt: "1" });
    expect(taskMeta(e2e.body(), "t3")).toMatchObject({ state: "merged", attempt: "1" });
    expect(github.validationErrors).toEqual([]);
  }, 40_000);
});
