/**
 * SANDBOX FAKE — never part of src/. A pretend CI: for a pushed head it creates a check suite
 * with one check run, `ci / test`, that goes queued → in_progress → completed after
 * `ciDelayMs`, then sends check_run.completed and check_suite.completed. The conclusion is the
 * commit's own (set by a scenario), else the CI hook's, else success.
 */
import * as shapes from "./shapes.js";
import type { CheckConclusion, CheckRun, CheckSuite, Repo } from "./state.js";
import { isoNow, nodeId } from "./state.js";
import type { World } from "./world.js";

export const CI_CHECK_NAME = "ci / test";

const FAILURE_LOG = [
  "> vitest run",
  "",
  " FAIL  test/app.test.ts > handles the new case",
  "AssertionError: expected 'todo' to deeply equal 'done'",
  " ❯ test/app.test.ts:14:23",
  "",
  " Test Files  1 failed | 3 passed (4)",
  "      Tests  1 failed | 41 passed (42)",
].join("\n");

function output(conclusion: CheckConclusion): { title: string; summary: string; text: string | null } {
  if (conclusion === "success") return { title: "42 tests passed", summary: "All 42 tests passed.", text: null };
  return { title: "1 test failed", summary: "1 of 42 tests failed.", text: FAILURE_LOG };
}

/** Starts CI for `sha`; `before` is the previous head, reported in the suite like GitHub does. */
export function runCi(world: World, repo: Repo, sha: string, branch: string | null, before: string | null): void {
  const now = isoNow();
  const suiteId = world.state.newId();
  const suite: CheckSuite = {
    id: suiteId,
    nodeId: nodeId("CheckSuite", suiteId),
    headSha: sha,
    headBranch: branch,
    before,
    status: "queued",
    conclusion: null,
    createdAt: now,
    updatedAt: now,
  };
  const runId = world.state.newId();
  const run: CheckRun = {
    id: runId,
    nodeId: nodeId("CheckRun", runId),
    suiteId,
    name: CI_CHECK_NAME,
    headSha: sha,
    status: "queued",
    conclusion: null,
    startedAt: now,
    completedAt: null,
    title: null,
    summary: null,
    text: null,
    externalId: `ci-${runId}`,
  };
  repo.checkSuites.push(suite);
  repo.checkRuns.push(run);
  const delay = world.options.ciDelayMs;

  world.later(Math.floor(delay / 3), () => {
    // Under load Node may run this timer after the completion below: never undo a completion.
    if (run.status === "completed") return;
    run.status = "in_progress";
    suite.status = "in_progress";
    run.startedAt = isoNow();
  });
  world.later(delay, () => {
    const commit = repo.commits.get(sha);
    const conclusion =
      commit?.ciConclusion ??
      world.options.ciHook({ repo: `${repo.owner.login}/${repo.name}`, sha, branch, message: commit?.message ?? "" }) ??
      "success";
    const done = isoNow();
    run.status = "completed";
    run.conclusion = conclusion;
    run.completedAt = done;
    Object.assign(run, output(conclusion));
    suite.status = "completed";
    suite.conclusion = conclusion;
    suite.updatedAt = done;
    const ctx = world.ctx;
    const pulls = [...repo.pulls.values()].filter((pull) => pull.state === "open" && pull.headSha === sha);
    const where = pulls.length > 0 ? pulls.map((pull) => `#${pull.number}`).join(", ") : (branch ?? sha.slice(0, 7));
    world.transcript.record("check", `${CI_CHECK_NAME} ${conclusion} on ${sha.slice(0, 7)} (${where})`);
    const suiteShape = shapes.checkSuite(ctx, repo, suite, world.ciApp);
    const runShape = { ...shapes.checkRun(ctx, repo, run, world.ciApp), check_suite: webhookSuite(suiteShape) };
    world.webhook(repo, "check_run", "completed", world.ciApp.bot, { check_run: runShape }, `${CI_CHECK_NAME} ${conclusion} ${sha.slice(0, 7)}`);
    world.webhook(repo, "check_suite", "completed", world.ciApp.bot, { check_suite: suiteShape }, `${conclusion} ${sha.slice(0, 7)}`);
    world.ciCompleted({
      repo: `${repo.owner.login}/${repo.name}`,
      sha,
      branch,
      conclusion,
      pulls: pulls.map((pull) => pull.number),
    });
  });
}

/** check_run webhooks embed the suite without its repository and head commit. */
function webhookSuite(suite: Record<string, unknown>): Record<string, unknown> {
  const { repository: _repository, head_commit: _headCommit, ...rest } = suite;
  return rest;
}
