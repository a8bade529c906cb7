import type { GitHubGateway, IssueRead } from "../github/gateway.js";
import { judgeChildren } from "./child-trust.js";
import type { ReconcileDeps } from "./reconcile-deps.js";
import { isSubIssueEpic, type ChildView } from "./sub-issues.js";
import type { Intent } from "./snapshot.js";
import type { Plan } from "./types.js";

/**
 * The sub-issues an epic adopts as its plan, with their "blocked by" links: GitHub shows those
 * only over REST, one request per open child, made once, when the child becomes a task. An epic
 * adopts only when it has an open child; closed ones come along as done (or left out).
 */
export async function childrenToAdopt(
  issue: Pick<IssueRead, "children">,
  gateway: Pick<GitHubGateway, "blockedBy">,
): Promise<Array<Pick<ChildView, "number" | "state" | "stateReason" | "blockedBy">>> {
  const children = issue.children ?? [];
  if (!children.some((child) => child.state === "open")) return [];
  return withBlockers(children, gateway);
}

/** The children, each open one with the issues it is blocked by. */
export async function withBlockers<T extends { number: number; state: "open" | "closed" }>(
  children: readonly T[],
  gateway: Pick<GitHubGateway, "blockedBy">,
): Promise<Array<T & { blockedBy?: number[] }>> {
  const out: Array<T & { blockedBy?: number[] }> = [];
  for (const child of children) {
    out.push(child.state === "open" ? { ...child, blockedBy: await gateway.blockedBy(child.number) } : { ...child });
  }
  return out;
}

/**
 * The children of an epic made of sub-issues, judged (child-trust.ts); the open ones that are
 * not tasks yet (added to the epic since) with their "blocked by" links. Nothing for a checklist
 * epic, nor when the snapshot did not read them.
 */
export async function observeChildren(issue: Pick<IssueRead, "children">, plan: Plan, deps: ReconcileDeps, hints: readonly Intent[] = []): Promise<ChildView[] | undefined> {
  if (!issue.children || !isSubIssueEpic(plan.tasks)) return undefined;
  const views = await judgeChildren(issue.children, deps);
  const tasks = new Map(plan.tasks.map((task) => [task.issue, task]));
  // Links changed (a webhook said so) for children whose task has not started: read them again.
  const relinked = new Set(hints.flatMap((hint) => (hint.kind === "child-links" ? hint.issues : [])));
  for (const view of views) {
    const task = tasks.get(view.number);
    const unstarted = task?.state === "pending" && task.attempt === 0;
    if (view.state === "open" && (!task || (unstarted && relinked.has(view.number)))) view.blockedBy = await deps.gateway.blockedBy(view.number);
  }
  return views;
}
