import { buildAgentPrompt } from "./agent-prompt.js";
import type { OrchestraConfig } from "./config.js";
import { applyIntent, holdForUntrustedText, stopEpic } from "./decide-commands.js";
import { observeTask } from "./decide-tasks.js";
import { describeWaiting } from "./decide-waiting.js";
import { awaitingChildClosures, followChildren, pointSubIssuesToTheEpic, retirePointers } from "./decide-children.js";
import { DecisionDraft, isReady, minWake, SATISFIED, type Decision, type Notification } from "./decision.js";
import * as messages from "./messages.js";
import { branchName } from "./naming.js";
import type { Snapshot } from "./snapshot.js";
import { ACTIVE_STATES, type PlanPatch } from "./types.js";

export { isAgentLive, type Decision, type Effect, type Notification, type Step } from "./decision.js";
export { statusTablePlaceholder } from "./decide-waiting.js";

/**
 * decide(snapshot, config) -> Decision. Pure: everything Orchestra does follows from what it
 * observed, so a duplicated, late or reordered webhook cannot make it act twice.
 */

export function decide(snapshot: Snapshot, config: OrchestraConfig): Decision {
  if (!snapshot.parsed.plan) {
    return { patch: {}, notify: [], steps: [], final: [], closeIssue: false, waiting: {}, waitingFor: "a plan" };
  }
  const p = new DecisionDraft(snapshot, config);
  for (const intent of snapshot.intents) applyIntent(p, intent);
  holdForUntrustedText(p);
  followChildren(p);
  closeOutTakenAway(p);
  if (snapshot.issue.state === "closed") {
    stopEpic(p, false);
  } else if (p.status !== "stopped" && p.status !== "completed") {
    pauseAtTokenBudget(p);
    for (const task of p.tasks) observeTask(p, task);
    if (p.status === "running") launchReady(p);
    pointSubIssuesToTheEpic(p);
    retirePointers(p);
    completeIfDone(p);
  } else if (p.status === "completed") {
    completeIfDone(p);
  }
  describeWaiting(p);
  return finish(p);
}

function finish(p: DecisionDraft): Decision {
  const plan = p.snapshot.parsed.plan!;
  const patch: PlanPatch = { ...p.decision.patch };
  if (p.status !== plan.status) patch.status = p.status;
  if (p.patches.size > 0) patch.tasks = [...p.patches.values()];
  p.decision.patch = patch;
  // Per-merge news is in the status comment; a comment for it only when asked for (`comments: all`).
  for (const merge of p.config.comments === "all" ? p.merges : []) {
    const starting = p.launched.filter((id) => merge.pending.some((task) => task.id === id));
    const comment: Notification = {
      kind: "comment",
      key: `merged-${merge.task.id}`,
      body: messages.taskMerged(merge.task.id, merge.pr, starting),
    };
    if (merge.step) merge.step.notify = [...(merge.step.notify ?? []), comment];
    else p.decision.notify.push(comment);
  }
  return p.decision;
}

/**
 * Attempts whose task a person deleted (cancelled: agent stopped, PR closed with a word, branch
 * deleted) or ticked by hand (done: its agent stopped). Level-triggered from the block's `live`
 * list, so it happens even when the edit's webhook was lost.
 */
function closeOutTakenAway(p: DecisionDraft): void {
  // Only for a change someone with write access made (or a writer accepted): an outsider who
  // deletes a task's line cancels nothing; the close-out waits for a writer's resume.
  const trust = p.snapshot.trust;
  if (trust && !trust.accepted && p.decision.patch.acceptDigest !== trust.digest) return;
  for (const attempt of p.snapshot.parsed.plan!.live ?? []) {
    const task = p.task(attempt.id);
    const deleted = !task;
    if (!deleted && !(task.state === "done" && task.attempt === attempt.attempt)) continue;
    const branch = branchName(p.issueNumber, attempt.id, attempt.attempt);
    p.decision.steps.push({ effect: { kind: "close-out", taskId: attempt.id, attempt: attempt.attempt, branch, closePull: deleted }, soft: true });
  }
}

// --- launching and completing ---------------------------------------------------------------

function launchReady(p: DecisionDraft): void {
  const plan = p.snapshot.parsed.plan!;
  let active = p.tasks.filter((task) => ACTIVE_STATES.has(task.state)).length;
  let runs = plan.runs;
  for (const task of p.tasks) {
    if (active >= p.config.concurrency) break;
    if (task.state === "pending" && task.notBefore !== undefined && task.notBefore > p.snapshot.now) {
      p.decision.wakeAfterMs = minWake(p.decision.wakeAfterMs, task.notBefore - p.snapshot.now);
    }
    if (!isReady(p, task) || p.held.has(task.id)) continue;
    if (runs >= p.config.budget.agentRuns) {
      p.pause(messages.budgetExhausted(runs, p.config.budget.agentRuns), `paused-budget-${runs}`);
      break;
    }
    const attempt = task.attempt + 1;
    const branch = branchName(p.issueNumber, task.id, attempt);
    const merged = p.tasks
      .filter((other) => other.state === "merged")
      .map((other) => ({ id: other.id, title: other.title, ...(other.pr ? { pr: other.pr } : {}) }));
    p.decision.steps.push({
      effect: {
        kind: "launch",
        taskId: task.id,
        attempt,
        branch,
        prompt: buildAgentPrompt({
          issueNumber: p.issueNumber,
          issueTitle: p.snapshot.issue.title,
          epicText: p.snapshot.parsed.before + p.snapshot.parsed.after,
          task,
          merged,
          ...subIssueOf(p, task),
        }),
        ...(p.config.agent.model ? { model: p.config.agent.model } : {}),
      },
    });
    Object.assign(task, { state: "running", attempt });
    p.launched.push(task.id);
    active++;
    runs++;
  }
}

/**
 * `budget.llmTokens` reached (planning and audits count): nothing more starts, is followed up or
 * merges until a writer raises the budget and resumes; agents at work finish. Without the key,
 * no limit.
 */
function pauseAtTokenBudget(p: DecisionDraft): void {
  const limit = p.config.budget.llmTokens;
  const spent = p.snapshot.parsed.plan!.llmTokens ?? 0;
  if (limit === undefined || spent < limit || p.status !== "running") return;
  p.pause(messages.llmTokenBudgetExhausted(spent, limit), `paused-tokens-${spent}`);
}

function completeIfDone(p: DecisionDraft): void {
  if (p.tasks.length === 0 || !p.tasks.every((task) => SATISFIED.has(task.state)) || awaitingChildClosures(p)) return;
  if (p.status === "completed" && p.snapshot.parsed.plan!.status === "completed") {
    // Completed in the body but the issue is open: either a process died between writing that
    // and announcing it, or a person reopened the issue. Announce and close unless announced.
    if (!p.config.closeOnComplete) return;
    p.decision.completionUnannounced = true;
  } else if (p.status !== "running") {
    return;
  }
  p.status = "completed";
  p.decision.final.push({
    kind: "comment",
    key: "completed",
    body: messages.epicCompleted(
      p.tasks.map((task) => ({
        id: task.id,
        title: task.title,
        state: task.state,
        attempts: task.attempt,
        ...(task.pr ? { pr: task.pr } : {}),
        ...(task.startedAt !== undefined && task.finishedAt !== undefined
          ? { durationText: messages.formatDuration(task.finishedAt - task.startedAt) }
          : {}),
      })),
      { closing: p.config.closeOnComplete },
    ),
  });
  p.decision.closeIssue = p.config.closeOnComplete;
}

/** A sub-issue task's instructions: the sub-issue's title, body and writers' comments. */
function subIssueOf(p: DecisionDraft, task: { issue?: number }) {
  const child = task.issue === undefined ? undefined : p.snapshot.children?.find((candidate) => candidate.number === task.issue);
  return child ? { subIssue: { number: child.number, title: child.title, body: child.body, context: child.context } } : {};
}
