import { afterEach, describe, expect, it } from "vitest";
import { botComments, type E2E, E2E_OPTIONS, firstHappening, isDone, startE2E, taskMeta } from "./harness.js";

describe("end to end: an agent that errors is retried", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  afterEach(async () => e2e?.stop());

  it("launches attempt 2 on its own branch, after the backoff, and it merges", async () => {
    // One second of backoff: long enough to see that the retry waits, short enough for a test.
    e2e = await startE2E({ tasks: 3, scenarios: { t2: "agent-error" }, config: "retryBackoffSeconds: 1\n" });
    await e2e.until(() => isDone(e2e!), "the epic to close", 15_000);
    const { github, cursor } = e2e.sandbox;

    const agents = cursor.agents.filter((agent) => agent.taskId === "t2");
    expect(agents.map((agent) => [agent.target.branchName, agent.status])).toEqual([
      [`orchestra/${e2e.epic}-t2-a1`, "ERROR"],
      [`orchestra/${e2e.epic}-t2-a2`, "FINISHED"],
    ]);
    expect(github.pullsForBranch(e2e.repo, `orchestra/${e2e.epic}-t2-a1`)).toEqual([]);
    const [pull] = github.pullsForBranch(e2e.repo, `orchestra/${e2e.epic}-t2-a2`);
    expect(pull?.merged).toBe(true);

    expect(taskMeta(e2e.body(), "t2")).toMatchObject({ state: "merged", attempt: "2", pr: String(pull!.number), checked: "true" });
    expect(taskMeta(e2e.body(), "t1")).toMatchObject({ state: "merged", attempt: "1" });
    // The new attempt waited for the backoff after the error.
    const failed = firstHappening(e2e, "agent", /ERROR/);
    const relaunched = firstHappening(e2e, "agent", new RegExp(`launched on orchestra/${e2e.epic}-t2-a2`));
    expect(relaunched!.at - failed!.at).toBeGreaterThanOrEqual(1_000);
    // A retry within the attempt budget is not a failure worth a comment.
    expect(botComments(e2e).some((comment) => comment.body.includes("failed**"))).toBe(false);
    expect(github.pulls(e2e.repo)).toHaveLength(3);
    expect(github.validationErrors).toEqual([]);
  }, 40_000);
});
