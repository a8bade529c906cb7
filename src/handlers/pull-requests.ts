import type { Context, Probot } from "probot";
import { parseBranchName } from "../orchestration/naming.js";
import type { Orchestra } from "../orchestra.js";
import { isOwnEcho } from "./echo.js";
import { epicRefOf } from "./epic-ref.js";

/**
 * PR, check and review events are hints: each names a branch, an Orchestra branch names its
 * epic, and the epic is reconciled. What changed is read again by the reconcile, not taken
 * from the payload, so a late or repeated event does no harm.
 */
export function registerPullRequestHandlers(app: Probot, orchestra: Orchestra): void {
  const scheduleBranches = (context: Context, branches: Array<string | null | undefined>) => {
    const epics = new Set<number>();
    for (const branch of branches) {
      const parsed = branch ? parseBranchName(branch) : null;
      if (parsed) epics.add(parsed.issueNumber);
    }
    for (const issueNumber of epics) {
      const ref = epicRefOf(context, issueNumber);
      if (ref) orchestra.schedule(ref);
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

  app.on("check_suite.completed", async (context) => {
    const suite = context.payload.check_suite;
    scheduleBranches(context as Context, [suite.head_branch, ...suite.pull_requests.map((pr) => pr.head.ref)]);
  });

  app.on("check_run.completed", async (context) => {
    const run = context.payload.check_run;
    scheduleBranches(context as Context, [run.check_suite?.head_branch, ...run.pull_requests.map((pr) => pr.head.ref)]);
  });

  app.on("status", async (context) => {
    scheduleBranches(context as Context, context.payload.branches.map((branch) => branch.name));
  });
}
