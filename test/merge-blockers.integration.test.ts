import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, TEST_NOW, type TestApp } from "./helpers/app.js";
import { checkRunCompleted, count, epic, issueComment, item, seedAgent, seedStatusComment, STATUS_COMMENT_ID } from "./helpers/epic-events.js";
import { MERGE_REFUSALS, NockWorld, type WorldCheck, type WorldPull } from "./helpers/nock-world.js";

/**
 * A task's PR that GitHub will not merge yet, through Probot against NockWorld answering as
 * GitHub does: branch protection with required checks and up-to-date branches,
 * `mergeStateStatus`, check contexts paginated by 100, and GitHub's own refusal bodies (405, 409,
 * 403, 422). Each test counts the requests: a blocked merge waits, it never loops.
 */

const BRANCH = "orchestra/1-t1-a1";
const MINUTE = 60_000;

/** t1's agent works on its first attempt; t2 waits for t1. */
const RUNNING = epic(
  `status=running runs=1 comment=${STATUS_COMMENT_ID}`,
  item("Add the model", `id=t1 state=running attempt=1 agent=bc-1 launched=${TEST_NOW}`),
  item("Add the API", "id=t2 deps=t1"),
);

const green = (name: string): WorldCheck => ({ name, status: "COMPLETED", conclusion: "SUCCESS" });

describe("merge blockers are states, not errors", () => {
  let app: TestApp;
  let world: NockWorld;
  let clock = TEST_NOW;
  afterEach(() => app?.stop());

  async function setup(body = RUNNING): Promise<void> {
    clock = TEST_NOW;
    world = new NockWorld(body);
    seedStatusComment(world);
    seedAgent(world, "bc-1", BRANCH);
    app = await createTestApp({ now: () => clock });
  }

  /** A check event on the task's branch: the hint that something about its PR changed. */
  async function ciChanged(): Promise<void> {
    await app.receive("check_run", checkRunCompleted(BRANCH));
    await app.settle();
  }

  /** t1's agent finishes with its PR open. */
  function openPull(over: Partial<WorldPull> = {}): WorldPull {
    const pull = world.openPull(world.agents[0]!);
    Object.assign(pull, { baseSha: world.baseSha, ...over });
    return pull;
  }

  const status = () => world.comments.find((comment) => comment.id === STATUS_COMMENT_ID)!.body;
  const merges = () => count(world, "merge #");

  it("a PR blocked by a required check that appears only later is merged once green, after one merge attempt, the wait explained", async () => {
    await setup();
    world.protection = { checks: ["ci / test", "ci / e2e"] };
    const pull = openPull({ contexts: [green("ci / test")] });

    await ciChanged();
    expect(app.failures()).toEqual([]);
    expect(merges()).toBe(0);
    expect(status()).toContain("required check `ci / e2e` to start");

    pull.contexts = [green("ci / test"), { name: "ci / e2e", status: "IN_PROGRESS" }];
    await ciChanged();
    expect(merges()).toBe(0);

    pull.contexts = [green("ci / test"), green("ci / e2e")];
    await ciChanged();
    expect(app.failures()).toEqual([]);
    expect(merges()).toBe(1);
    expect(world.merges).toEqual([{ pr: pull.number, sha: pull.sha, checks: pull.checks }]);
    expect(count(world, "cursor create orchestra/1-t2-a1")).toBe(1);
  });

  it("a PR behind a strict base is updated once and merged at its new head", async () => {
    await setup();
    world.protection = { checks: ["ci / test"], strict: true };
    const pull = openPull({ contexts: [green("ci / test")] });
    const oldHead = pull.sha;
    world.baseSha = "base1";

    await ciChanged();
    expect(app.failures()).toEqual([]);
    expect(count(world, "update-branch")).toBe(1);
    expect(merges()).toBe(0);
    expect(pull.sha).not.toBe(oldHead);

    // The new head's checks run: nothing is sent again meanwhile.
    await ciChanged();
    expect(count(world, "update-branch")).toBe(1);
    expect(merges()).toBe(0);

    pull.contexts = [green("ci / test")];
    await ciChanged();
    expect(app.failures()).toEqual([]);
    expect(world.merges).toEqual([{ pr: pull.number, sha: pull.sha, checks: "PENDING" }]);
    expect(pull.sha).toBe(`${oldHead}u`);
    expect(count(world, "update-branch")).toBe(1);
  });

  it("a PR with 60 checks of which one is red is never merged, and its agent is told which", async () => {
    await setup();
    const contexts = Array.from({ length: 60 }, (_, i) => green(`check ${i + 1}`));
    contexts[51] = { name: "check 52", status: "COMPLETED", conclusion: "FAILURE", summary: "lint: 3 errors" };
    openPull({ checks: "FAILURE", contexts });

    await ciChanged();
    expect(app.failures()).toEqual([]);
    expect(merges()).toBe(0);
    expect(world.agents[0]!.followups).toHaveLength(1);
    expect(world.agents[0]!.followups[0]).toContain("- check 52: its output");
    expect(world.agents[0]!.followups[0]).toContain("lint: 3 errors");
    expect(world.agents[0]!.followups[0]).not.toContain("check 51");
  });

  it("reads every page of a head's 250 check contexts, and a red one on the third page blocks the merge", async () => {
    await setup();
    const contexts = Array.from({ length: 250 }, (_, i) => green(`check ${i + 1}`));
    contexts[230] = { name: "check 231", status: "COMPLETED", conclusion: "TIMED_OUT", kind: "check" };
    openPull({ checks: "FAILURE", contexts });

    await ciChanged();
    expect(app.failures()).toEqual([]);
    expect(world.calls.filter((call) => call.startsWith("GET check contexts"))).toEqual(["GET check contexts after 100", "GET check contexts after 200"]);
    expect(merges()).toBe(0);
    expect(world.agents[0]!.followups[0]).toContain("- check 231");
  });

  it("a refused merge does not loop: over 10 simulated minutes of events, a handful of attempts with a growing backoff", async () => {
    await setup();
    // GitHub says CLEAN but refuses, as it does for a rule it does not show the App.
    const pull = openPull({ refuseMerge: MERGE_REFUSALS.notMergeable });

    for (let at = 0; at <= 10 * MINUTE; at += 10_000) {
      clock = TEST_NOW + at;
      await ciChanged();
    }
    expect(app.failures()).toEqual([]);
    // 0 s, then after 15 s, 30 s, 1 min, 2 min, 4 min of backoff: not one a reconcile.
    expect(merges()).toBeLessThanOrEqual(6);
    expect(merges()).toBeGreaterThanOrEqual(4);
    expect(count(world, `GET pull #${pull.number}`)).toBe(merges());
    expect(status()).toMatch(/a new merge attempt at \d\d:\d\d:\d\d UTC or when the pull request changes \(GitHub refused the merge \(405\): Pull Request is not mergeable\)/);
    expect(world.plainBody).toMatch(/refused=not-mergeable:[^ ]+ refusals=\d refusedat=\d+/);
    expect(world.comments.filter((comment) => comment.body.includes("has refused to merge"))).toHaveLength(merges() >= 5 ? 1 : 0);

    // Something it depends on changes (a new head): the merge goes out at once.
    pull.refuseMerge = undefined;
    pull.sha = "sha-new";
    await ciChanged();
    expect(world.merges).toEqual([{ pr: pull.number, sha: "sha-new", checks: "SUCCESS" }]);
  });

  it("a 409 (head modified) is not retried by Octokit, and the merge goes out again at the new head", async () => {
    await setup();
    const pull = openPull({ refuseMerge: MERGE_REFUSALS.headModified });
    await ciChanged();
    expect(merges()).toBe(1);
    expect(count(world, "GET pull")).toBe(0);

    pull.refuseMerge = undefined;
    pull.sha = "sha-pushed";
    await ciChanged();
    expect(app.failures()).toEqual([]);
    expect(world.merges.map((merge) => merge.sha)).toEqual(["sha-pushed"]);
  });

  it("a 403 for a PR touching workflow files pauses the epic with one comment naming the permission, and merges after /orchestra resume", async () => {
    await setup();
    const pull = openPull({ refuseMerge: MERGE_REFUSALS.workflows });

    await ciChanged();
    await ciChanged();
    expect(app.failures()).toEqual([]);
    expect(merges()).toBe(1);
    const notices = world.comments.filter((comment) => comment.body.includes("GitHub refused to merge"));
    expect(notices).toHaveLength(1);
    expect(notices[0]!.body).toContain("lacks the **Workflows** permission");
    expect(notices[0]!.body).toContain("`/orchestra resume`");
    expect(world.plainBody).toContain("status=paused");

    // An owner grants the permission and resumes: the merge is sent again, once.
    pull.refuseMerge = undefined;
    await app.receive("issue_comment", issueComment(world, "/orchestra resume"));
    await app.settle();
    expect(app.failures()).toEqual([]);
    expect(merges()).toBe(2);
    expect(world.merges).toHaveLength(1);
  });

  it("a 422 from a ruleset's required check is waited out, not a pause", async () => {
    await setup();
    openPull({ refuseMerge: MERGE_REFUSALS.rulesetCheck("ci / e2e") });
    await ciChanged();
    await ciChanged();
    expect(app.failures()).toEqual([]);
    expect(merges()).toBe(1);
    expect(world.plainBody).toContain("status=running");
    expect(world.plainBody).toContain("refused=blocked:");
    expect(world.comments.filter((comment) => comment.body.includes("paused"))).toEqual([]);
  });

  describe("a paused epic sends nothing new", () => {
    const PAUSED = RUNNING.replace("status=running", "status=paused");

    it.each([
      { name: "red checks: no follow-up", over: { checks: "FAILURE" as const } },
      { name: "a conflict: no branch update", over: { mergeable: "CONFLICTING" as const } },
      { name: "a branch behind a strict base: no update", over: { baseSha: "base-old" } },
      { name: "green and clean: no merge", over: {} },
    ])("$name", async ({ over }) => {
      await setup(PAUSED);
      world.protection = { checks: ["ci / test"], strict: true };
      openPull(over);
      await ciChanged();
      expect(app.failures()).toEqual([]);
      expect(world.calls.filter((call) => /^(merge|update-branch|cursor followup|cursor create|cursor stop)/.test(call))).toEqual([]);
      expect(world.agents[0]!.followups).toEqual([]);
    });
  });

  describe("every stuck state has a deadline and a message", () => {
    it("required checks that never start are reported once after 30 minutes, and merged when they come", async () => {
      await setup();
      world.protection = { checks: ["ci / test"] };
      const pull = openPull({ checks: "NONE", committedAt: new Date(TEST_NOW).toISOString() });
      await ciChanged();
      clock = TEST_NOW + 31 * MINUTE;
      await ciChanged();
      await ciChanged();
      expect(app.failures()).toEqual([]);
      const notices = world.comments.filter((comment) => comment.body.includes("never") || comment.body.includes("waited 30 minutes"));
      expect(notices).toHaveLength(1);
      expect(notices[0]!.body).toContain("the required check `ci / test`");
      expect(merges()).toBe(0);

      pull.checks = "SUCCESS";
      await ciChanged();
      expect(world.merges).toHaveLength(1);
    });

    it("a PR the agent reported that GitHub never shows fails the attempt after 10 minutes, and a new attempt starts", async () => {
      await setup();
      world.configText = "retryBackoffSeconds: 0\n";
      const agent = world.agents[0]!;
      agent.status = "FINISHED";
      agent.prUrl = "https://github.com/Codertocat/Hello-World/pull/404";
      await ciChanged();
      expect(world.plainBody).toContain("stuck=pr");
      clock = TEST_NOW + 11 * MINUTE;
      await ciChanged();
      expect(app.failures()).toEqual([]);
      expect(count(world, "cursor create orchestra/1-t1-a2")).toBe(1);
      expect(world.plainBody).toContain("id=t1 state=running attempt=2");
      expect(world.plainBody).not.toContain("stuck=");
    });

    it("an agent still running after agent.timeoutMinutes is stopped and its attempt counted as failed", async () => {
      await setup();
      world.configText = "agent:\n  timeoutMinutes: 60\nretryBackoffSeconds: 0\n";
      clock = TEST_NOW + 61 * MINUTE;
      await ciChanged();
      expect(app.failures()).toEqual([]);
      expect(count(world, "cursor stop bc-1")).toBe(1);
      expect(count(world, "cursor create orchestra/1-t1-a2")).toBe(1);
    });
  });
});
