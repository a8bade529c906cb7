import { afterEach, describe, expect, it } from "vitest";
import { agentLaunches, botComments, commentAs, type E2E, E2E_OPTIONS, isDone, startE2E, taskLines, taskMeta } from "./harness.js";

const CHAIN = ["Add a Todo model", "Add a store, after the model", "Add a REST API, after the store"];

describe("end to end: commands", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  afterEach(async () => e2e?.stop());

  it("a read-only person's /orchestra start launches nothing", async () => {
    e2e = await startE2E({ tasks: 2, start: false });
    const { github, cursor } = e2e.sandbox;
    github.addCollaborator(e2e.repo, "bob", "read");
    commentAs(e2e, "bob", "/orchestra start");
    await e2e.until(() => botComments(e2e!).some((c) => c.body.includes("@bob, sorry")), "the polite refusal");
    await github.idle();

    expect(cursor.requestCount("POST /v0/agents")).toBe(0);
    // Still planned (the default, so not written), no task touched.
    expect(e2e.body()).not.toMatch(/status=(?!planned)/);
    expect(taskLines(e2e.body()).some((line) => line.includes("state="))).toBe(false);
    expect(github.pulls(e2e.repo)).toEqual([]);
    expect(github.validationErrors).toEqual([]);
  }, 40_000);

  it("a writer's /skip of the running task unblocks the task after it", async () => {
    // t2's agent expires without a PR (and without a webhook), so t2 stays stuck until skipped.
    e2e = await startE2E({ tasks: 3, bullets: CHAIN, scenarios: { t2: "expire" } });
    const { github } = e2e.sandbox;
    github.addCollaborator(e2e.repo, "carol", "write");
    const t2Branch = `orchestra/${e2e.epic}-t2-a1`;
    await e2e.until(() => agentLaunches(e2e!).some((launch) => launch.branch === t2Branch), "t2's agent");
    const skip = commentAs(e2e, "carol", "/skip t2");
    const skippedAt = e2e.sandbox.transcript.events.length - 1;

    await e2e.until(() => isDone(e2e!), "the epic to close", 15_000);
    expect(taskMeta(e2e.body(), "t2")).toMatchObject({ state: "skipped", checked: "true" });
    expect(taskMeta(e2e.body(), "t3")).toMatchObject({ state: "merged", checked: "true" });
    const t3Launch = agentLaunches(e2e).find((launch) => launch.branch === `orchestra/${e2e!.epic}-t3-a1`);
    expect(t3Launch!.seq).toBeGreaterThan(skippedAt);
    expect(agentLaunches(e2e).filter((launch) => launch.branch.includes("-t2-"))).toHaveLength(1);
    expect(github.pulls(e2e.repo).map((pull) => pull.head)).not.toContain(t2Branch);
    const reactions = github.comments(e2e.repo, e2e.epic).find((c) => c.id === skip)!.reactions;
    expect(reactions).toContainEqual({ content: "rocket", user: "orchestra[bot]" });
    expect(github.validationErrors).toEqual([]);
  }, 40_000);

  it("/orchestra pause holds a green pull request unmerged until /orchestra resume", async () => {
    // Slow agents: the pause lands well before t1's PR exists.
    e2e = await startE2E({ tasks: 1, agentDelayMs: 150 });
    const { github } = e2e.sandbox;
    await e2e.until(() => taskMeta(e2e!.body(), "t1")?.state === "running", "t1 to run");
    e2e.comment("/orchestra pause");
    await e2e.until(() => e2e!.body().includes("status=paused"), "the epic to pause");
    expect(github.pulls(e2e.repo).some((pull) => pull.merged), "paused before any merge").toBe(false);

    const green = () => {
      const [pull] = github.pulls(e2e!.repo);
      return !!pull && pull.checks.length > 0 && pull.checks.every((c) => c.sha === pull.headSha && c.conclusion === "success");
    };
    await e2e.until(green, "t1's PR to turn green");
    await github.idle();
    // Let Orchestra look at the green PR again (webhooks, then the periodic resync) before judging.
    const looks = github.requestCount("graphql OrchestraSnapshot");
    await e2e.until(() => github.requestCount("graphql OrchestraSnapshot") > looks + 1, "two more reconciles", 10_000);
    expect(github.pulls(e2e.repo)[0]!.merged).toBe(false);
    expect(isDone(e2e)).toBe(false);

    e2e.comment("/orchestra resume");
    await e2e.until(() => isDone(e2e!), "the epic to close after resume", 15_000);
    expect(github.pulls(e2e.repo)[0]!.merged).toBe(true);
    expect(github.validationErrors).toEqual([]);
  }, 40_000);
});
