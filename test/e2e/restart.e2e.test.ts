import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TranscriptEvent } from "../../sandbox/index.js";
import { botComments, type E2E, E2E_OPTIONS, isDone, pullMerges, repeated, startE2E, taskLines } from "./harness.js";

/** Kills the app (SIGKILL) the moment the fakes record an event that `when` picks, once. */
function killWhen(e2e: E2E, when: (event: TranscriptEvent) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const listener = (event: TranscriptEvent) => {
      if (!when(event)) return;
      e2e.sandbox.off("event", listener);
      // Synchronously, from inside the fake's request handler: the app never sees the answer.
      void e2e.kill().then(() => resolve());
    };
    e2e.sandbox.on("event", listener);
  });
}

/** Everything done once: one agent per branch, one merge per PR, no comment twice. */
function expectNothingTwice(e2e: E2E): void {
  const { github, cursor } = e2e.sandbox;
  expect(repeated(cursor.agents.map((agent) => agent.target.branchName)), "branches with two agents").toEqual([]);
  // Not even a launch Cursor refused (409 on a busy branch): one request per task.
  expect(cursor.requestCount("POST /v0/agents")).toBe(3);
  const pulls = github.pulls(e2e.repo);
  expect(pulls).toHaveLength(3);
  expect(pulls.every((pull) => pull.merged)).toBe(true);
  expect(repeated(pullMerges(e2e).map((merge) => merge.pr)), "PRs merged twice").toEqual([]);
  expect(github.requestCount("PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge")).toBe(3);
  const bodies = botComments(e2e).map((comment) => comment.body);
  expect(repeated(bodies), "comments posted twice").toEqual([]);
  expect(bodies.filter((body) => body.includes("<!-- orchestra:status -->"))).toHaveLength(1);
  expect(taskLines(e2e.body()).every((line) => line.startsWith("- [x]") && line.includes("state=merged"))).toBe(true);
  expect(github.validationErrors).toEqual([]);
}

describe("end to end: the app is killed right after the first merge and started again", E2E_OPTIONS, () => {
  // One run, read by the tests below: the kill and restart are the slow part.
  let e2e: E2E | undefined;
  beforeAll(async () => {
    e2e = await startE2E({ tasks: 3, start: false });
    const killed = killWhen(e2e, (event) => event.kind === "merge");
    e2e.comment("/orchestra start");
    await killed;
    // The merge happened in GitHub, but the app died before writing it down or starting t2.
    expect(e2e.body()).not.toContain("state=merged");
    await e2e.restart();
    await e2e.until(() => isDone(e2e!), "the epic to close after the restart", 15_000);
  }, 45_000);
  afterAll(async () => e2e?.stop());

  it("completes the epic, nothing launched, merged or commented twice", () => {
    expectNothingTwice(e2e!);
  });

  // A PR merged by a run that died before recording it is recorded by the next one, which
  // deletes its branch too.
  it("deletes the merged task's branch even though the app died before it could", async () => {
    const taskBranches = () => Object.keys(e2e!.sandbox.github.branches(e2e!.repo)).filter((branch) => branch.startsWith("orchestra/"));
    // Deleting a merged branch is cleanup, sent once the epic is quiet: shortly after it closes.
    await e2e!.until(() => taskBranches().length === 0, "the task branches to be deleted", 10_000);
    expect(taskBranches()).toEqual([]);
  });
});

describe("end to end: the app is killed while an agent is being launched and started again", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  afterEach(async () => e2e?.stop());

  it("adopts t2's agent instead of launching another, and completes", async () => {
    e2e = await startE2E({ tasks: 3, start: false });
    const branch = `orchestra/${e2e.epic}-t2-a1`;
    const killed = killWhen(e2e, (event) => event.kind === "agent" && event.text.includes(`launched on ${branch} `));
    e2e.comment("/orchestra start");
    await killed;
    // Cursor has the agent, but the app never heard its id.
    expect(e2e.body()).not.toMatch(/id=t2 state=running[^>]*agent=/);
    await e2e.restart();
    await e2e.until(() => isDone(e2e!), "the epic to close after the restart", 15_000);
    expect(e2e.sandbox.cursor.agents.filter((agent) => agent.taskId === "t2")).toHaveLength(1);
    expectNothingTwice(e2e);
  }, 40_000);
});
