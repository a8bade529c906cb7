import type { Context, Probot } from "probot";
import type { Orchestra } from "../orchestra.js";
import { isOwnEcho } from "./echo.js";
import { epicRefOf } from "./epic-ref.js";

/**
 * Changes to an epic's sub-issues are hints to reconcile the epic (the parent): a child added or
 * removed, closed or reopened, a "blocked by" link added or removed. The reconcile reads what is
 * true from GitHub, and whether the epic is one at all (its label).
 */

/** The parent's number from an issue's `parent_issue_url` (…/issues/123). */
export function parentOf(issue: unknown): number | undefined {
  const url = (issue as { parent_issue_url?: string | null } | null)?.parent_issue_url;
  const match = url ? /\/issues\/(\d+)$/.exec(url) : null;
  return match ? Number(match[1]) : undefined;
}

export function registerSubIssueHandlers(app: Probot, orchestra: Orchestra): void {
  app.on(["sub_issues.sub_issue_added", "sub_issues.sub_issue_removed"], async (context) => {
    // Orchestra's own (plan.as: sub-issues) were recorded by the reconcile that made them.
    if (await isOwnEcho(orchestra, context.payload.sender)) return;
    const ref = epicRefOf(context as Context, context.payload.parent_issue.number);
    if (ref) orchestra.schedule(ref);
  });

  app.on(["issues.closed", "issues.reopened"], async (context) => {
    // Closed by Orchestra's merge or its own close: the reconcile that did it looks again.
    if (await isOwnEcho(orchestra, context.payload.sender)) return;
    const parent = parentOf(context.payload.issue);
    const ref = parent === undefined ? null : epicRefOf(context as Context, parent);
    if (ref) orchestra.schedule(ref);
  });

  app.on(["issue_dependencies.blocked_by_added", "issue_dependencies.blocked_by_removed"], async (context) => {
    if (await isOwnEcho(orchestra, context.payload.sender)) return;
    const parent = parentOf(context.payload.blocked_issue);
    const ref = parent === undefined ? null : epicRefOf(context as Context, parent);
    // GraphQL keeps no history of links: the sender GitHub names in the event is the only record
    // of who changed them, so it goes along (a link seen changed without it waits for a writer).
    const sender = context.payload.sender;
    const actor = { login: sender.login, bot: sender.type === "Bot" };
    if (ref) orchestra.schedule(ref, [{ kind: "child-links", issues: [context.payload.blocked_issue.number], actor }]);
  });
}
