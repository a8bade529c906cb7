import { afterEach, describe, expect, it } from "vitest";
import { type E2E, E2E_OPTIONS, isDone, pullMerges, startE2E, taskMeta } from "./harness.js";

describe("end to end: red CI fixed after a follow-up", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  afterEach(async () => e2e?.stop());

  it("sends the agent the failing check, merges at the green sha and completes the epic", async () => {
    e2e = await startE2E({ tasks: 3, scenarios: { t2: "ci-fix" } });
    await e2e.until(() => isDone(e2e!), "the epic to close", 15_000);
    const { github, cursor } = e2e.sandbox;

    const agents = cursor.agents.filter((agent) => agent.taskId === "t2");
    expect(agents, "the fix came from the same agent, not a relaunch").toHaveLength(1);
    const agent = agents[0]!;
    expect(agent.commits).toHaveLength(2);
    const [red, green] = agent.commits as [string, string];
    expect(agent.followups).toHaveLength(1);
    expect(agent.followups[0]).toContain("ci / test");
    expect(agent.followups[0]).toContain(red.slice(0, 7));
    expect(agent.followups[0]).toMatch(/failed/i);

    const pull = github.pullsForBranch(e2e.repo, `orchestra/${e2e.epic}-t2-a1`)[0]!;
    expect(pull.merged).toBe(true);
    expect(pull.headSha).toBe(green);
    expect(pull.checks.length).toBeGreaterThan(0);
    expect(pull.checks.every((check) => check.sha === green && check.conclusion === "success")).toBe(true);
    expect(pullMerges(e2e).filter((merge) => merge.pr === pull.number)).toHaveLength(1);

    const meta = taskMeta(e2e.body(), "t2");
    expect(meta).toMatchObject({ state: "merged", attempt: "1", fixes: "1", checked: "true" });
    expect(github.pulls(e2e.repo).every((p) => p.merged)).toBe(true);
    expect(github.validationErrors).toEqual([]);
  }, 40_000);
});
