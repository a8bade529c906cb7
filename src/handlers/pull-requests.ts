import type { Context, Probot } from "probot";
import type { CheckDelta } from "../github/check-delta.js";
import { parseBranchName } from "../orchestration/naming.js";
import type { EpicRef } from "../orchestration/reconcile.js";
import type { Orchestra } from "../orchestra.js";
import { isOwnEcho } from "./echo.js";
import { epicRefOf } from "./epic-ref.js";

/**
 * PR, check and review events are hints: each names a branch, an Orchestra branch names its
 * epic, and the epic is reconciled. What changed is read again by the reconcile, not taken
 * from the payload, so a late or repeated event does no harm — except a check that finished,
 * which GitHub's signed webhook states exactly: it brings the epic's last snapshot up to date
 * where it can (see SnapshotCache), so that the merge it allows needs no read first.
 */
export function registerPullRequestHandlers(app: Probot, orchestra: Orchestra): void {
  /** The epics the branches name, each reconciled; a finished check is also taken into the epic's last snapshot. */
  const scheduleBranches = (context: Context, branches: Array<string | null | undefined>, check?: CheckDelta) => {
    for (const ref of epicsOf(context, branches)) {
      if (check) orchestra.scheduleCheck(ref, check);
      else orchestra.schedule(ref);
    }
  };

  app.on(
    [
      "pull_request.opened",
      "pull_request.synchronize",
      "pull_request.closed",
      "pull_request.reopened",
      "pull_request_review.submitted",
    ],
    async (context) => {
      const { pull_request: pull, repository } = context.payload;
      // A fork's PR is never a task's, whatever its branch is called: no reconcile for it.
      if (pull.head.repo?.full_name !== repository.full_name) return;
      // Orchestra's own merge (or close-out) of a task PR: the reconcile that did it recorded it.
      if (context.payload.action === "closed" && (await isOwnEcho(orchestra, context.payload.sender))) {
        context.log.debug({ pr: pull.number }, "pull request closed by Orchestra itself; no reconcile");
        return;
      }
      scheduleBranches(context as Context, [pull.head.ref]);
    },
  );

  // Other changes to a task PR (made draft, a review dismissed, a base changed…) schedule nothing
  // of their own, but a merge must not be decided on a snapshot from before them.
  app.on(["pull_request", "pull_request_review"], async (context) => {
    const branch = parseBranchName(context.payload.pull_request.head.ref);
    const ref = branch ? epicRefOf(context as Context, branch.issueNumber) : null;
    if (ref) orchestra.forgetSnapshot(ref);
  });

  // A run that starts was in no snapshot read before it: the epic's snapshot takes it in as running.
  app.on(["check_run.created", "check_run.rerequested"], async (context) => {
    const run = context.payload.check_run;
    const delta: CheckDelta = {
      kind: "check_run_started",
      sha: run.head_sha,
      id: run.id,
      name: run.name,
      status: run.status,
      startedAt: run.started_at ?? null,
      suiteId: run.check_suite?.id ?? -1,
      appId: run.app?.id ?? null,
    };
    for (const ref of epicsOf(context as Context, [run.check_suite?.head_branch, ...run.pull_requests.map((pr) => pr.head.ref)])) orchestra.noteCheck(ref, delta);
  });

  // A suite run again may reset runs in ways no webhook of a run tells: the next pass reads GitHub.
  app.on("check_suite.rerequested", async (context) => {
    const suite = context.payload.check_suite;
    for (const ref of epicsOf(context as Context, [suite.head_branch, ...suite.pull_requests.map((pr) => pr.head.ref)])) orchestra.forgetSnapshot(ref);
  });

  app.on("check_suite.completed", async (context) => {
    const suite = context.payload.check_suite;
    const delta: CheckDelta = { kind: "check_suite", sha: suite.head_sha, id: suite.id, conclusion: suite.conclusion };
    scheduleBranches(context as Context, [suite.head_branch, ...suite.pull_requests.map((pr) => pr.head.ref)], delta);
  });

  app.on("check_run.completed", async (context) => {
    const run = context.payload.check_run;
    const delta: CheckDelta = {
      kind: "check_run",
      sha: run.head_sha,
      id: run.id,
      conclusion: run.conclusion,
      title: run.output?.title ?? null,
      summary: run.output?.summary ?? null,
      startedAt: run.started_at ?? null,
      suiteCompleted: (run.check_suite as { status?: string | null } | undefined)?.status === "completed",
    };
    scheduleBranches(context as Context, [run.check_suite?.head_branch, ...run.pull_requests.map((pr) => pr.head.ref)], delta);
  });

  app.on("status", async (context) => {
    scheduleBranches(context as Context, context.payload.branches.map((branch) => branch.name));
  });
}

/** The epics Orchestra branches among `branches` name (each once). */
function epicsOf(context: Context, branches: Array<string | null | undefined>): EpicRef[] {
  const epics = new Set<number>();
  for (const branch of branches) {
    const parsed = branch ? parseBranchName(branch) : null;
    if (parsed) epics.add(parsed.issueNumber);
  }
  return [...epics].map((issueNumber) => epicRefOf(context, issueNumber)).filter((ref): ref is EpicRef => ref !== null);
}
