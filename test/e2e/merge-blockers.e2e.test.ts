import { afterEach, describe, expect, it } from "vitest";
import { botComments, type E2E, E2E_OPTIONS, firstHappening, isDone, pullMerges, startE2E, taskMeta } from "./harness.js";

const MERGE = "PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge";
const UPDATE_BRANCH = "PUT /repos/{owner}/{repo}/pulls/{pull_number}/update-branch";

describe("end to end: a protected default branch", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  afterEach(async () => e2e?.stop());

  it("waits for a required check that starts seconds after the others, says so in the status, then merges", async () => {
    e2e = await startE2E({ tasks: 1, start: false });
    const { github } = e2e.sandbox;
    github.protectBranch(e2e.repo, "main", { checks: ["ci / test", "ci / e2e"] });
    // Another CI service: its check appears 2 s after each push, long after `ci / test` passed.
    github.addLateCheck("ci / e2e", 2_000);
    e2e.comment("/orchestra start");

    let explained = "";
    const status = () => botComments(e2e!).find((comment) => comment.body.includes("<!-- orchestra:status"))?.body ?? "";
    await e2e.until(() => {
      if (!explained && status().includes("ci / e2e")) explained = status();
      return isDone(e2e!);
    }, "the epic to close", 20_000);

    expect(explained).toContain("required check `ci / e2e` to start");
    const [merge] = pullMerges(e2e);
    const e2eGreen = firstHappening(e2e, "check", /^ci \/ e2e success/);
    expect(e2eGreen, "the late check passed").toBeDefined();
    expect(merge!.seq).toBeGreaterThan(e2eGreen!.seq);
    // Blocked means waiting, not trying: GitHub's refusal is never asked for.
    expect(github.requestCount(MERGE)).toBe(1);
    expect(taskMeta(e2e.body(), "t1")).toMatchObject({ state: "merged" });
    expect(github.validationErrors).toEqual([]);
  }, 40_000);

  it("brings a PR behind a strict base up to date once, and merges it at its new head", async () => {
    e2e = await startE2E({
      tasks: 2,
      start: false,
      config: "concurrency: 2\n",
      bullets: ["Add a Todo model", "Add a README section"],
      // Both agents push before either PR can merge: the second to merge is behind the first.
      agentDelayMs: 60,
    });
    const { github, cursor } = e2e.sandbox;
    github.protectBranch(e2e.repo, "main", { checks: ["ci / test"], strict: true });
    e2e.comment("/orchestra start");
    await e2e.until(() => isDone(e2e!), "the epic to close", 20_000);

    const merges = pullMerges(e2e);
    expect(merges).toHaveLength(2);
    const second = github.pull(e2e.repo, merges[1]!.pr);
    const updated = firstHappening(e2e, "branch", new RegExp(`updated ${second.head} from main`));
    expect(updated, "the second PR was brought up to date").toBeDefined();
    expect(merges[1]!.seq).toBeGreaterThan(updated!.seq);
    // Merged at the update's head, not the agent's last commit.
    const agent = cursor.agents.find((candidate) => second.head === `orchestra/${e2e!.epic}-${candidate.taskId}-a1`)!;
    expect(second.headSha).not.toBe(agent.commits.at(-1));
    expect(github.requestCount(UPDATE_BRANCH)).toBe(1);
    expect(github.requestCount(MERGE)).toBeLessThanOrEqual(3);
    expect(github.validationErrors).toEqual([]);
  }, 40_000);
});
