import { DecisionDraft, minWake, SATISFIED } from "./decision.js";
import * as say from "./sub-issue-messages.js";
import { closedAsNotPlanned, depsOfAddedChild, isSubIssueEpic, relinkedDeps, subIssueTitle, type ChildView, type UntrustedChildChange } from "./sub-issues.js";
import type { PlannedTask, Task } from "./types.js";

/**
 * People steer an epic made of sub-issues through the issues themselves (pure): a child added to
 * the epic becomes a task, a child removed or closed as not planned is skipped (agent stopped, PR
 * closed), a child closed as completed is done, a merged child left open is closed as completed
 * (GitHub closes it from the PR's `Closes #…`; this makes sure), and a merged child reopened is
 * not run again (said once). A child whose text is not accepted (child-trust.ts) holds the epic
 * until a writer's `/orchestra resume`, which accepts the text as it was then.
 */
export function followChildren(p: DecisionDraft): void {
  const children = p.snapshot.children;
  if (!children || !isSubIssueEpic(p.tasks)) return;
  const byNumber = new Map(children.map((child) => [child.number, child]));
  // When a writer resumed in this pass. Only `resume`: the hold's comment asks for it, so the
  // writer has been told what they accept (a `start` given with the plan accepts no sub-issue).
  const resumedAt = p.snapshot.intents
    .filter((intent) => intent.kind === "command" && intent.command.name === "resume")
    .map((intent) => (intent.kind === "command" && intent.at ? Date.parse(intent.at) : Number.POSITIVE_INFINITY))
    .reduce<number | undefined>((latest, at) => Math.max(latest ?? at, at), undefined);
  const held = (task: Task, kind: UntrustedChildChange["kind"], detail = ""): boolean => heldForChange(p, task, kind, resumedAt, detail);
  for (const task of p.tasks) {
    if (task.issue === undefined) continue;
    const child = byNumber.get(task.issue);
    if (!child || closedAsNotPlanned(child)) {
      if (!SATISFIED.has(task.state) && held(task, child ? "closed" : "removed")) continue;
      dropTask(p, task, child ? "not-planned" : "removed");
    } else if (child.state === "closed") {
      // Closed as completed by a person: done, like an item ticked by hand (its agent is stopped).
      if (!SATISFIED.has(task.state) && !held(task, "closed")) p.set(task, { state: "done", checked: true, finishedAt: p.snapshot.now });
    } else if (task.state === "merged") {
      if (child.stateReason === "reopened") p.reportOnce(`child-reopened-${task.id}`, say.mergedChildReopened(task.id, child.number, task.pr));
      else p.decision.steps.push({ effect: { kind: "close-issue", issue: child.number } });
    } else if (task.state === "pending") {
      const deps = relinkedDeps(child, task, p.tasks);
      if (deps && !held(task, "relinked", deps.join("+"))) relink(p, task, deps);
      holdUnlessAccepted(p, task, child, resumedAt);
    }
  }
  addNewChildren(p, children);
}

function dropTask(p: DecisionDraft, task: Task, why: "removed" | "not-planned"): void {
  if (SATISFIED.has(task.state)) return;
  p.stopAgent(task);
  const pr = p.snapshot.observations[task.id]?.pr;
  if (pr?.state === "open") p.decision.steps.push({ effect: { kind: "close-pr", pr: pr.number }, soft: true });
  p.set(task, { state: "skipped", checked: true, finishedAt: p.snapshot.now });
  p.comment(`child-dropped-${task.id}`, say.childDropped(task.id, task.issue!, why));
}

/** A new or removed "blocked by" link of a child whose task has not started changes its order. */
function relink(p: DecisionDraft, task: Task, deps: string[]): void {
  task.deps = deps;
  (p.decision.patch.taskDeps ??= []).push({ id: task.id, deps });
}

/**
 * A change that would skip or reorder `task`, made by someone without write access (or someone
 * GitHub does not name), holds the epic like an outsider's edit of its text: nothing new starts,
 * one comment says who did what, and a writer's `/orchestra resume` posted after the change
 * accepts it (then it takes effect as any other).
 */
function heldForChange(p: DecisionDraft, task: Task, kind: UntrustedChildChange["kind"], resumedAt: number | undefined, detail: string): boolean {
  const change = p.snapshot.childChanges?.find((candidate) => candidate.issue === task.issue && candidate.kind === kind);
  if (!change) return false;
  if (resumedAt !== undefined && (!change.at || Date.parse(change.at) < resumedAt)) return false;
  p.held.add(task.id);
  const key = `untrusted-child-${kind}-${change.issue}-${change.at ?? detail}`;
  if (p.status === "running") {
    p.status = "paused";
    p.decision.pause ??= { reason: `a change to the sub-issue #${change.issue} that nobody with write access made waits for a maintainer`, key };
  }
  p.reportOnce(key, say.untrustedChildChange(task.id, change));
  return true;
}

function holdUnlessAccepted(p: DecisionDraft, task: Task, child: ChildView, resumedAt: number | undefined): void {
  if (child.byWriters || task.accepted === child.digest) return;
  // A writer's start or resume takes the sub-issue's text as it was when they asked, not an edit
  // made after (the command may be carried out much later).
  if (resumedAt !== undefined && (!child.editedAt || Date.parse(child.editedAt) < resumedAt)) {
    p.set(task, { accepted: child.digest });
    return;
  }
  p.held.add(task.id);
  if (p.status === "running") p.status = "paused";
  p.reportOnce(`untrusted-child-${child.number}-${child.digest}`, say.untrustedChild(child.number, child.untrustedBy ?? []));
}

/** Open children that are not tasks yet: appended, blocked by the tasks of their blockers. */
function addNewChildren(p: DecisionDraft, children: readonly ChildView[]): void {
  const known = new Set(p.tasks.map((task) => task.issue));
  const fresh = children.filter((child) => child.state === "open" && !known.has(child.number));
  if (fresh.length === 0) return;
  const numbers = new Set(fresh.map((child) => child.number));
  const added: PlannedTask[] = fresh.map((child) => ({
    id: `c${child.number}`,
    title: subIssueTitle(child.number),
    details: "",
    deps: depsOfAddedChild(child, p.tasks, numbers),
    issue: child.number,
  }));
  p.decision.patch.addTasks = added;
  // The new tasks are planned by this write; the next pass runs them.
  p.decision.wakeAfterMs = minWake(p.decision.wakeAfterMs, 0);
}

/**
 * A sub-issue whose agent starts gets one comment pointing to the epic, where its progress is
 * told (the status comment stays on the epic). Posted only if the first attempt's launch
 * succeeds: once per task, without a lookup of the sub-issue's comments.
 */
export function pointSubIssuesToTheEpic(p: DecisionDraft): void {
  for (const step of p.decision.steps) {
    if (step.effect.kind !== "launch" || step.effect.attempt !== 1) continue;
    const task = p.task(step.effect.taskId);
    if (task?.issue === undefined) continue;
    const pointer = { kind: "comment" as const, key: `pointer-${task.id}`, body: say.agentPointer(task.id, p.issueNumber), target: task.issue };
    step.notify = [...(step.notify ?? []), pointer];
  }
}

/**
 * Once a sub-issue's task has ended (merged, skipped, done), its pointer comment says so, edited
 * in place: the sub-issue does not keep saying an agent works on it. Only for tasks whose agent
 * was launched (the pointer is posted then); a merge sent in this pass edits it only if it succeeds.
 */
export function retirePointers(p: DecisionDraft): void {
  if (!p.snapshot.children) return;
  const before = new Map(p.snapshot.parsed.plan!.tasks.map((task) => [task.id, task]));
  for (const task of p.tasks) {
    const was = before.get(task.id);
    if (task.issue === undefined || !was || was.attempt < 1 || SATISFIED.has(was.state)) continue;
    const merge = p.decision.steps.find((step) => step.effect.kind === "merge" && step.effect.taskId === task.id);
    const ended = merge ? "merged" : p.patches.get(task.id)?.state;
    if (ended !== "merged" && ended !== "skipped" && ended !== "done") continue;
    const pr = merge?.effect.kind === "merge" ? merge.effect.pr : task.pr;
    const edit = { kind: "comment-edit" as const, key: `pointer-${task.id}`, body: say.agentPointerEnded(task.id, p.issueNumber, ended, pr), target: task.issue };
    if (merge) merge.notify = [...(merge.notify ?? []), edit];
    else p.decision.notify.push(edit);
  }
}

/** How soon to look again after a merge for GitHub to have closed the sub-issue (`Closes #…`). */
export const CHILD_CLOSE_WAKE_MS = 2_000;

/**
 * The epic completes when every sub-issue is closed: a merged task whose sub-issue the snapshot
 * shows open (GitHub closes it from the PR, or Orchestra does at the next pass) holds the
 * completion until a pass sees it closed. A merged sub-issue a person reopened does not.
 */
export function awaitingChildClosures(p: DecisionDraft): boolean {
  const children = p.snapshot.children;
  if (!children) return false;
  const open = p.tasks.some((task) => {
    if (task.issue === undefined || task.state !== "merged") return false;
    const child = children.find((candidate) => candidate.number === task.issue);
    return child !== undefined && child.state === "open" && child.stateReason !== "reopened";
  });
  if (open) p.decision.wakeAfterMs = minWake(p.decision.wakeAfterMs, CHILD_CLOSE_WAKE_MS);
  return open;
}
