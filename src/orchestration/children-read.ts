import { LRUCache } from "lru-cache";
import type { GitHubGateway, IssueRead } from "../github/gateway.js";
import type { ChangeRecord } from "../github/sub-issues-query.js";
import { actorJudge, judgeChildren } from "./child-trust.js";
import { SATISFIED } from "./decision.js";
import type { ReconcileDeps } from "./reconcile-deps.js";
import { isSubIssueEpic, relinkedDeps, type ChildView, type UntrustedChildChange } from "./sub-issues.js";
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
 * How long a pass may go without reading the "blocked by" links of the children not started yet.
 * GraphQL does not show links, so only their webhooks tell of a change; one that was lost (or
 * came while Orchestra was down) is found by the first pass after this long (the first pass of a
 * process too). The reads are conditional: unchanged links cost a 304, not rate limit.
 */
export const LINKS_STALE_MS = 15 * 60_000;
/** When each epic's links were last all read (by its issue's node id), in this process. */
const linksReadAt = new LRUCache<string, number>({ max: 10_000 });

/**
 * The children of an epic made of sub-issues, judged (child-trust.ts); the open ones that are
 * not tasks yet (added to the epic since) with their "blocked by" links, and so are those whose
 * links a webhook said changed, all of them after LINKS_STALE_MS or with a writer's resume.
 * Nothing for a checklist epic, nor when the snapshot did not read them.
 */
export async function observeChildren(issue: Pick<IssueRead, "id" | "children">, plan: Plan, deps: ReconcileDeps, hints: readonly Intent[] = []): Promise<ChildView[] | undefined> {
  if (!issue.children || !isSubIssueEpic(plan.tasks)) return undefined;
  const views = await judgeChildren(issue.children, deps);
  const tasks = new Map(plan.tasks.map((task) => [task.issue, task]));
  // Links changed (a webhook said so) for children whose task has not started: read them again.
  const relinked = new Set(hints.flatMap((hint) => (hint.kind === "child-links" ? hint.issues : [])));
  const now = (deps.now ?? Date.now)();
  const last = linksReadAt.get(issue.id);
  const resumed = hints.some((hint) => hint.kind === "command" && hint.command.name === "resume");
  const all = resumed || last === undefined || now - last >= LINKS_STALE_MS;
  for (const view of views) {
    const task = tasks.get(view.number);
    const unstarted = task?.state === "pending" && task.attempt === 0;
    if (view.state !== "open" || (task && !(unstarted && (all || relinked.has(view.number))))) continue;
    view.blockedBy = await deps.gateway.blockedBy(view.number);
  }
  if (all) linksReadAt.set(issue.id, now);
  return views;
}

/**
 * Who made the changes this pass sees that skip a task (its child removed from the epic, or
 * closed before its task ended) or change its order (new "blocked by" links of a child not
 * started): the changes made by someone without write access, or by someone GitHub does not
 * name, are returned; they hold the epic until a writer resumes (decide-children.ts). Who removed
 * or closed a child is read from GitHub's timeline (one GraphQL query, only when such a change is
 * seen); who changed links only from their webhook (GraphQL keeps no history of links), so a
 * change seen without one is nobody's.
 */
export async function untrustedChildChanges(
  issue: Pick<IssueRead, "number">,
  plan: Plan,
  children: readonly ChildView[],
  deps: ReconcileDeps,
  hints: readonly Intent[] = [],
): Promise<UntrustedChildChange[]> {
  const byNumber = new Map(children.map((child) => [child.number, child]));
  const live = plan.tasks.filter((task) => task.issue !== undefined && !SATISFIED.has(task.state));
  const removed = live.filter((task) => !byNumber.has(task.issue!)).map((task) => task.issue!);
  const closed = live.filter((task) => byNumber.get(task.issue!)?.state === "closed").map((task) => task.issue!);
  const isTrusted = actorJudge(deps);
  const changes: UntrustedChildChange[] = [];

  if (removed.length > 0 || closed.length > 0) {
    const history = await deps.gateway.childHistory(issue.number, removed.length > 0, closed);
    const judge = async (issueNumber: number, kind: "removed" | "closed", record: ChangeRecord | undefined) => {
      if (record && (await isTrusted(record.actor))) return;
      changes.push({ issue: issueNumber, kind, by: record?.actor ? [record.actor.login] : [], ...(record ? { at: record.at } : {}) });
    };
    for (const number of removed) await judge(number, "removed", history.removed.get(number));
    for (const number of closed) await judge(number, "closed", history.closed.get(number));
  }

  for (const task of plan.tasks) {
    const child = task.issue === undefined ? undefined : byNumber.get(task.issue);
    if (!child) continue;
    if (!relinkedDeps(child, task, plan.tasks)) continue;
    const senders = hints.flatMap((hint) => (hint.kind === "child-links" && hint.issues.includes(child.number) ? [hint.actor ?? null] : []));
    const untrusted: string[] = [];
    for (const sender of senders) if (!(await isTrusted(sender))) untrusted.push(sender?.login ?? "");
    if (senders.length > 0 && untrusted.length === 0) continue;
    changes.push({ issue: child.number, kind: "relinked", by: [...new Set(untrusted.filter((login) => login !== ""))] });
  }
  return changes;
}
