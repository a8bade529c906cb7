import { afterEach, describe, expect, it } from "vitest";
import { firstHappening, isDone, pullMerges, startE2E, taskMeta, type E2E } from "./harness.js";

describe("end to end: a pull request that conflicts with its base", () => {
  let e2e: E2E | undefined;
  afterEach(async () => e2e?.stop());

  it("updates the branch, then merges once the update's checks pass", async () => {
    e2e = await startE2E({ tasks: 2, scenarios: { t2: "conflict" } });
    await e2e.until(() => isDone(e2e!), "the epic to close", 15_000);
    const { github, cursor } = e2e.sandbox;
    const branch = `orchestra/${e2e.epic}-t2-a1`;

    const [pull] = github.pullsForBranch(e2e.repo, branch);
    expect(pull?.merged).toBe(true);
    const updated = firstHappening(e2e, "branch", new RegExp(`updated ${branch} from main`));
    expect(updated, "the branch was updated from main").toBeDefined();
    expect(pullMerges(e2e).find((merge) => merge.pr === pull!.number)!.seq).toBeGreaterThan(updated!.seq);
    expect(github.requestCount("PUT /repos/{owner}/{repo}/pulls/{pull_number}/update-branch")).toBe(1);
    // Merged at the update's head, whose checks passed.
    expect(pull!.checks.every((check) => check.sha === pull!.headSha && check.conclusion === "success")).toBe(true);
    // update-branch was enough: no follow-up, no second agent.
    const agents = cursor.agents.filter((agent) => agent.taskId === "t2");
    expect(agents).toHaveLength(1);
    expect(agents[0]!.followups).toEqual([]);
    expect(taskMeta(e2e.body(), "t2")).toMatchObject({ state: "merged", attempt: "1" });
    expect(github.validationErrors).toEqual([]);
  }, 40_000);

  it("asks the agent to rebase when update-branch cannot resolve it", async () => {
    e2e = await startE2E({ tasks: 2, scenarios: { t2: "conflict-rebase" } });
    await e2e.until(() => isDone(e2e!), "the epic to close", 15_000);
    const { github, cursor } = e2e.sandbox;

    const [pull] = github.pullsForBranch(e2e.repo, `orchestra/${e2e.epic}-t2-a1`);
    expect(pull?.merged).toBe(true);
    const agents = cursor.agents.filter((agent) => agent.taskId === "t2");
    expect(agents).toHaveLength(1);
    expect(agents[0]!.followups).toHaveLength(1);
    expect(agents[0]!.followups[0]).toMatch(/merge conflicts.*Rebase/s);
    expect(pull!.headSha).toBe(agents[0]!.commits.at(-1));
    expect(github.validationErrors).toEqual([]);
  }, 40_000);
});
