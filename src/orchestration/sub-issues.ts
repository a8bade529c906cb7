import { createHash } from "node:crypto";
import type { PlannedTask, Task } from "./types.js";

/**
 * Epics made of sub-issues (pure). An epic whose issue has sub-issues takes them as its plan: one
 * task per child, in GitHub's priority order, its dependencies from the children's "blocked by"
 * links. The block lists them as `- [ ] #123` items whose signed marker names the child
 * (`issue=123`): only a child GitHub reports as a sub-issue of this epic ever becomes one, never
 * an `#123` typed into the body. The child's title and body are the task's instructions, so they
 * are judged like the epic's own text (see child-trust.ts).
 */

/** A sub-issue as decide() sees it: its text, its state, and whether its text may reach an agent. */
export interface ChildView {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  stateReason: "completed" | "not_planned" | "reopened" | null;
  /** Digest of the title and body: what a writer's resume accepts (Task.accepted). */
  digest: string;
  /** Written and changed only by people with write access (or Orchestra itself). */
  byWriters: boolean;
  /** When not: who else wrote or changed it (or why it cannot be told). */
  untrustedBy?: string[];
  /** When its text was last edited (ISO 8601): a resume accepts only text from before it was asked. */
  editedAt?: string;
  /** Comments by people with write access, oldest first: context for its agent. */
  context: Array<{ author: string; body: string }>;
  /** The children it is blocked by, read for children that are not tasks yet. */
  blockedBy?: number[];
}

/**
 * A change to the epic's children that skips a task or changes its order, made by someone
 * without write access, or by someone GitHub's history does not name: it takes effect only once
 * a writer's `/orchestra resume` (posted after it) accepts it; until then the epic holds.
 */
export interface UntrustedChildChange {
  issue: number;
  /** Removed from the epic, closed (as completed or not planned), or its "blocked by" links changed. */
  kind: "removed" | "closed" | "relinked";
  /** Who made it (logins), empty when GitHub does not say. */
  by: string[];
  /** When GitHub recorded it (ISO 8601); absent when it does not say (a link's change). */
  at?: string;
}

/** The item of a sub-issue task: GitHub shows `#123` in a task list with the issue's title. */
export function subIssueTitle(issue: number): string {
  return `#${issue}`;
}

export function childDigest(title: string, body: string): string {
  const text = `${title.trim()}\u0000${body.replace(/\r\n?/g, "\n").trim()}`;
  return createHash("sha256").update(text).digest("base64url").slice(0, 12);
}

/** An epic is made of sub-issues once one of its tasks is a sub-issue. */
export function isSubIssueEpic(tasks: readonly Task[]): boolean {
  return tasks.some((task) => task.issue !== undefined);
}

/** A child closed without its work being done: GitHub's "not planned" (duplicates included). */
export function closedAsNotPlanned(child: Pick<ChildView, "state" | "stateReason">): boolean {
  return child.state === "closed" && child.stateReason === "not_planned";
}

/**
 * The plan adopted from the children, in priority order: open children are pending, children
 * closed as completed are done, children closed as not planned are left out. A dependency is
 * another child of the same epic this one is blocked by; blockers outside the epic are not tasks.
 */
export function plannedFromChildren(children: ReadonlyArray<Pick<ChildView, "number" | "state" | "stateReason" | "blockedBy">>): PlannedTask[] {
  const adopted = children.filter((child) => !closedAsNotPlanned(child));
  const numbers = new Set(adopted.map((child) => child.number));
  return adopted.map((child) => ({
    id: `c${child.number}`,
    title: subIssueTitle(child.number),
    details: "",
    deps: (child.blockedBy ?? []).filter((blocker) => blocker !== child.number && numbers.has(blocker)).map((blocker) => `c${blocker}`),
    issue: child.number,
    ...(child.state === "closed" ? { done: true } : {}),
  }));
}

/**
 * Dependencies of a child added later, as ids of the plan's tasks: the tasks of the children it
 * is blocked by (`c<number>` for children added in the same pass).
 */
export function depsOfAddedChild(child: Pick<ChildView, "number" | "blockedBy">, tasks: readonly Task[], added: ReadonlySet<number>): string[] {
  const deps: string[] = [];
  for (const blocker of child.blockedBy ?? []) {
    if (blocker === child.number) continue;
    const task = tasks.find((candidate) => candidate.issue === blocker);
    if (task) deps.push(task.id);
    else if (added.has(blocker)) deps.push(`c${blocker}`);
  }
  return deps;
}

/**
 * The dependencies a task not started yet takes from its child's "blocked by" links, when they
 * differ from the ones it has; undefined when they do not, or the links were not read.
 */
export function relinkedDeps(child: Pick<ChildView, "number" | "blockedBy">, task: Task, tasks: readonly Task[]): string[] | undefined {
  if (!child.blockedBy || task.state !== "pending" || task.attempt > 0) return undefined;
  const deps = depsOfAddedChild(child, tasks, new Set());
  return deps.length === task.deps.length && deps.every((dep) => task.deps.includes(dep)) ? undefined : deps;
}
