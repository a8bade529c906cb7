import { isLive } from "../cursor/agent.js";
import { buildAgentPrompt } from "./agent-prompt.js";
import { helpText, resolveTaskRef } from "./commands.js";
import type { OrchestraConfig } from "./config.js";
import * as messages from "./messages.js";
import { branchName } from "./naming.js";
import type { AgentView, Intent, PullRequestView, Snapshot } from "./snapshot.js";
import { ACTIVE_STATES, type EpicStatus, type PlanPatch, type Task, type TaskPatch } from "./types.js";

/**
 * decide(snapshot, config) -> Decision. Pure: everything Orchestra does follows from what it
 * observed, so a duplicated, late or reordered webhook cannot make it act twice.
 */

export type Notification =
  | { kind: "comment"; key: string; body: string; target?: number }
  | { kind: "react"; commentId: number; content: "rocket" | "confused" };

export type Effect =
  | { kind: "launch"; taskId: string; attempt: number; branch: string; prompt: string; model?: string }
  | { kind: "stop-agent"; agentId: string; taskId?: string }
  | { kind: "followup"; taskId: string; agentId: string; text: string }
  | { kind: "merge"; taskId: string; pr: number; sha: string; method: OrchestraConfig["mergeMethod"] }
  | { kind: "update-branch"; taskId: string; pr: number; sha: string }
  | { kind: "delete-branch"; branch: string }
  | { kind: "close-pr"; pr: number };

export interface Step {
  effect: Effect;
  /** Recorded in the body only when the effect succeeded. */
  onSuccess?: TaskPatch[];
  /** Posted only when the effect succeeded. */
  notify?: Notification[];
  /** A soft step's failure is recorded and the reconcile goes on; a hard one stops it. */
  soft?: boolean;
  onFailure?: TaskPatch[];
}

export interface Decision {
  /** Changes that follow from observation alone, written whatever the steps do. */
  patch: PlanPatch;
  notify: Notification[];
  steps: Step[];
  /** Posted only when every step succeeded: the epic's completion rests on its last merge. */
  final: Notification[];
  closeIssue: boolean;
  /** What each unfinished task waits for, and the epic as a whole; shown in the status comment. */
  waiting: Record<string, string>;
  waitingFor: string;
  /** Reconcile again after this long even if no event arrives (mergeability being computed…). */
  wakeAfterMs?: number;
}

/** Unknown statuses count as live, so an agent we do not understand is never doubled. */
export function isAgentLive(status: string): boolean {
  return isLive(status.toUpperCase());
}

const SATISFIED: ReadonlySet<Task["state"]> = new Set(["merged", "skipped", "done"]);
const MAX_FOLLOWUP_LOG = 2_000;

class Planner {
  readonly tasks: Task[];
  status: EpicStatus;
  readonly patches = new Map<string, TaskPatch>();
  readonly decision: Decision;
  /** `/orchestra status` requests, answered once observation is done. */
  readonly statusRequests: Array<{ commentId?: number; line: string; target?: number }> = [];
  /**
   * Merges seen or sent in this pass, with the tasks pending at that point: each gets its
   * "merged, starting …" comment once the launches are known (on the step when Orchestra sends
   * the merge, so it is posted only if the merge succeeds).
   */
  readonly merges: Array<{ step?: Step; task: Task; pr: number; pending: Task[] }> = [];
  /** Tasks launched in this pass. */
  readonly launched: string[] = [];
  private pausedReason?: string;

  constructor(
    readonly snapshot: Snapshot,
    readonly config: OrchestraConfig,
  ) {
    const plan = snapshot.parsed.plan!;
    this.tasks = plan.tasks.map((task) => ({ ...task, deps: [...task.deps] }));
    this.status = plan.status;
    this.decision = { patch: {}, notify: [], steps: [], final: [], closeIssue: false, waiting: {}, waitingFor: "" };
  }

  get issueNumber(): number {
    return this.snapshot.issue.number;
  }

  task(id: string): Task | undefined {
    return this.tasks.find((task) => task.id === id);
  }

  /** Changes a task now, in the working copy and in the patch written back. */
  set(task: Task, change: Omit<TaskPatch, "id">): void {
    Object.assign(task, change);
    this.patches.set(task.id, { ...this.patches.get(task.id), ...change, id: task.id });
  }

  comment(key: string, body: string, target?: number): void {
    this.decision.notify.push({ kind: "comment", key, body, ...(target ? { target } : {}) });
  }

  /** Pauses the epic; `comment` is false when the failure comment already says so. */
  pause(reason: string, key: string, comment = true): void {
    if (this.status === "running") this.status = "paused";
    if (this.pausedReason === undefined) {
      this.pausedReason = reason;
      if (comment) this.comment(key, messages.epicPaused(reason));
    }
  }

  /** A task failed for good: one comment saying why and how to continue, and the epic pauses. */
  fail(task: Task, key: string, reason: string, detail: string, change: Omit<TaskPatch, "id"> = {}): void {
    this.set(task, { ...(task.pr ? { pr: task.pr } : {}), ...change, state: "failed", reason });
    this.comment(key, messages.taskFailed(task.id, reason, detail));
    this.pause(`${task.id} failed`, key, false);
  }

  agentOf(task: Task): AgentView | null | undefined {
    return this.snapshot.observations[task.id]?.agent;
  }

  liveAgentId(task: Task): string | undefined {
    if (!task.agent) return undefined;
    const agent = this.agentOf(task);
    // Not read this time: assume live, stopping an already finished agent is harmless.
    if (agent === undefined) return ACTIVE_STATES.has(task.state) ? task.agent : undefined;
    return agent && isAgentLive(agent.status) ? agent.id : undefined;
  }

  stopAgent(task: Task): void {
    const agentId = this.liveAgentId(task);
    if (agentId) this.decision.steps.push({ effect: { kind: "stop-agent", agentId, taskId: task.id }, soft: true });
  }
}

export function decide(snapshot: Snapshot, config: OrchestraConfig): Decision {
  if (!snapshot.parsed.plan) {
    return { patch: {}, notify: [], steps: [], final: [], closeIssue: false, waiting: {}, waitingFor: "a plan" };
  }
  const p = new Planner(snapshot, config);
  for (const intent of snapshot.intents) applyIntent(p, intent);
  if (snapshot.issue.state === "closed") {
    stopEpic(p, false);
  } else if (p.status !== "stopped" && p.status !== "completed") {
    for (const task of p.tasks) observeTask(p, task);
    if (p.status === "running") launchReady(p);
    completeIfDone(p);
  }
  describeWaiting(p);
  return finish(p);
}

function finish(p: Planner): Decision {
  const plan = p.snapshot.parsed.plan!;
  const patch: PlanPatch = { ...p.decision.patch };
  if (p.status !== plan.status) patch.status = p.status;
  if (p.patches.size > 0) patch.tasks = [...p.patches.values()];
  p.decision.patch = patch;
  for (const merge of p.merges) {
    const starting = p.launched.filter((id) => merge.pending.some((task) => task.id === id));
    const comment: Notification = {
      kind: "comment",
      key: `merged-${merge.task.id}`,
      body: messages.taskMerged(merge.task.id, merge.pr, starting),
    };
    if (merge.step) merge.step.notify = [comment];
    else p.decision.notify.push(comment);
  }
  return p.decision;
}

// --- commands -------------------------------------------------------------------------------

function applyIntent(p: Planner, intent: Intent): void {
  if (intent.kind === "stop-agents") {
    for (const agentId of intent.agentIds) {
      p.decision.steps.push({ effect: { kind: "stop-agent", agentId }, soft: true });
    }
    return;
  }
  if (intent.kind === "untrusted-edit") {
    if (p.status === "running") p.status = "paused";
    p.comment(`untrusted-edit-${intent.actor}`, messages.untrustedEdit(intent.actor));
    return;
  }
  if (intent.kind !== "command") return;
  const { command, commentId, target } = intent;
  const reply = (text: string) =>
    p.comment(`reply-${commentId ?? "none"}-${command.line}`, messages.commandReply(command.line, text), target);
  const done = () => {
    if (commentId) p.decision.notify.push({ kind: "react", commentId, content: "rocket" });
  };
  switch (command.name) {
    case "start":
    case "resume":
      if (p.status === "running") return reply("the epic is already running.");
      if (p.status === "completed") return reply("the epic is already completed.");
      p.status = "running";
      return done();
    case "pause":
      if (p.status !== "running") return reply(`the epic is ${p.status}, not running.`);
      p.status = "paused";
      return done();
    case "stop":
      if (p.status === "stopped" || p.status === "completed") return reply(`the epic is already ${p.status}.`);
      stopEpic(p, true);
      return done();
    case "status":
      // Answered after observation, so the table shows what is true now.
      p.statusRequests.push({ commentId, line: command.line, target });
      return;
    case "retry":
      return retryTask(p, command.arg, intent.prTaskId, reply, done);
    case "skip":
      return skipTask(p, command.arg, intent.prTaskId, reply, done);
    case "plan":
      // Planning needs the LLM: the reconciler runs it before deciding.
      return;
    case "help":
    case "unknown":
      return reply(helpText());
  }
}

function currentTaskId(p: Planner, prTaskId: string | undefined): string | undefined {
  if (prTaskId) return prTaskId;
  return (
    p.tasks.find((task) => task.state === "failed") ?? p.tasks.find((task) => ACTIVE_STATES.has(task.state))
  )?.id;
}

function resolve(p: Planner, ref: string, prTaskId: string | undefined, reply: (t: string) => void) {
  const result = resolveTaskRef(p.tasks, ref, { currentTaskId: currentTaskId(p, prTaskId) });
  if (!result.ok) {
    reply(result.error);
    return undefined;
  }
  return p.task(result.taskId);
}

function retryTask(p: Planner, ref: string, prTaskId: string | undefined, reply: (t: string) => void, done: () => void) {
  const task = resolve(p, ref, prTaskId, reply);
  if (!task) return;
  if (task.state !== "failed" && !ACTIVE_STATES.has(task.state)) {
    return reply(`${task.id} has not failed and is not running.`);
  }
  if (p.status === "completed") return reply("the epic is already completed.");
  p.stopAgent(task);
  // The new attempt works on a fresh branch; the old attempt's open PR would only confuse.
  const openPr = p.snapshot.observations[task.id]?.pr;
  if (openPr?.state === "open") p.decision.steps.push({ effect: { kind: "close-pr", pr: openPr.number }, soft: true });
  resetForRelaunch(p, task);
  if (p.status === "paused" || p.status === "stopped") p.status = "running";
  done();
}

function resetForRelaunch(p: Planner, task: Task, reason?: string): void {
  p.set(task, {
    state: "pending",
    agent: undefined,
    pr: undefined,
    fixes: 0,
    followup: undefined,
    reason,
    notBefore: undefined,
  });
}

function skipTask(p: Planner, ref: string, prTaskId: string | undefined, reply: (t: string) => void, done: () => void) {
  const task = resolve(p, ref, prTaskId, reply);
  if (!task) return;
  if (SATISFIED.has(task.state)) return reply(`${task.id} is already ${task.state}.`);
  p.stopAgent(task);
  p.set(task, { state: "skipped", checked: true });
  done();
}

function stopEpic(p: Planner, byCommand: boolean): void {
  if (p.status === "stopped" || p.status === "completed") return;
  const before = p.decision.steps.length;
  for (const task of p.tasks) {
    if (!ACTIVE_STATES.has(task.state)) continue;
    p.stopAgent(task);
    if (task.state === "running") p.set(task, { state: "pending", agent: undefined });
  }
  p.status = "stopped";
  p.comment(byCommand ? "stopped" : "stopped-closed", messages.epicStopped(p.decision.steps.length - before));
}

// --- observation ----------------------------------------------------------------------------

/** How long a task waits before its next attempt: the configured backoff, doubled each attempt, at most an hour. */
function retryDelayMs(config: OrchestraConfig, failedAttempt: number): number {
  return Math.min(3_600_000, config.retryBackoffSeconds * 1000 * 2 ** Math.max(0, failedAttempt - 1));
}

function failAttempt(p: Planner, task: Task, reason: string): void {
  if (task.attempt < p.config.maxAttempts) {
    resetForRelaunch(p, task, reason);
    const delay = retryDelayMs(p.config, task.attempt);
    if (delay > 0) p.set(task, { notBefore: p.snapshot.now + delay });
    return;
  }
  p.fail(task, `failed-${task.id}-a${task.attempt}`, reason, `Attempt ${task.attempt} of ${p.config.maxAttempts}.`);
}

function observeTask(p: Planner, task: Task): void {
  if (!ACTIVE_STATES.has(task.state)) return;
  const observation = p.snapshot.observations[task.id];
  const pr = observation?.pr;
  if (pr?.state === "merged") return recordMerged(p, task, pr);
  if (pr?.state === "closed") {
    p.fail(task, `closed-${task.id}-${pr.number}`, `#${pr.number} was closed without merging`, "", { pr: pr.number });
    return;
  }
  if (pr) {
    // Derived, not written: the branch's PR is found again at every read, so recording it
    // would cost a body write and a status edit per task for nothing the body needs.
    Object.assign(task, { state: "pr_open", pr: pr.number });
    return followPullRequest(p, task, pr);
  }
  if (task.state === "pr_open") {
    // The branch's PR vanished from view: once its agent is done, the attempt had no PR.
    if (p.liveAgentId(task)) return;
    return failAttempt(p, task, "the pull request of this attempt is gone");
  }
  const agent = p.agentOf(task);
  if (agent === undefined) return;
  if (agent === null) return failAttempt(p, task, `Cursor does not know agent ${task.agent ?? "(none)"}`);
  if (isAgentLive(agent.status)) return;
  if (agent.status === "FINISHED") {
    if (agent.prUrl) {
      // Cursor reported a PR that GitHub does not show yet.
      p.decision.wakeAfterMs = minWake(p.decision.wakeAfterMs, 5_000);
      return;
    }
    return failAttempt(p, task, "the agent finished without opening a pull request");
  }
  failAttempt(p, task, `the agent ended with ${agent.status}${agent.summary ? `: ${agent.summary}` : ""}`);
}

/** A PR merged outside this pass (by a person, or by a run that died before recording it). */
function recordMerged(p: Planner, task: Task, pr: PullRequestView): void {
  p.stopAgent(task);
  const pending = p.tasks.filter((other) => other.state === "pending");
  p.set(task, { state: "merged", pr: pr.number, checked: true, reason: undefined });
  p.merges.push({ task, pr: pr.number, pending });
  deleteMergedBranch(p, pr);
}

function deleteMergedBranch(p: Planner, pr: PullRequestView): void {
  // A repository that deletes merged head branches itself needs no request for it.
  if (p.config.deleteBranch && pr.sameRepo && !p.snapshot.repo.deleteBranchOnMerge) {
    p.decision.steps.push({ effect: { kind: "delete-branch", branch: pr.headRef }, soft: true });
  }
}

function followPullRequest(p: Planner, task: Task, pr: PullRequestView): void {
  const { config } = p;
  const agent = p.agentOf(task);
  if (agent && isAgentLive(agent.status)) return;
  if (!pr.sameRepo || pr.headRef !== branchName(p.issueNumber, task.id, task.attempt)) return;

  if (pr.checks === "failure") {
    const key = `ci:${pr.headSha}`;
    if (task.followup === key) return;
    if (task.fixes >= config.maxFixes || !task.agent) {
      const failing = pr.failingChecks.map((check) => check.name).join(", ");
      p.fail(
        task,
        `failed-ci-${task.id}-${pr.headSha}`,
        `checks are failing on #${pr.number}`,
        `Failing: ${failing || "(unnamed checks)"}. ${task.fixes} follow-up${task.fixes === 1 ? "" : "s"} asking the agent to fix them did not help.`,
      );
      return;
    }
    p.decision.steps.push({
      effect: { kind: "followup", taskId: task.id, agentId: task.agent, text: ciFollowup(pr) },
      onSuccess: [{ id: task.id, fixes: task.fixes + 1, followup: key }],
    });
    return;
  }
  if (pr.changesRequested && task.agent) {
    const key = `review:${pr.changesRequested.id}`;
    if (task.followup !== key) {
      p.decision.steps.push({
        effect: { kind: "followup", taskId: task.id, agentId: task.agent, text: reviewFollowup(pr) },
        onSuccess: [{ id: task.id, followup: key }],
      });
    }
    return;
  }
  if (pr.mergeable === false) return resolveConflict(p, task, pr);
  if (pr.checks === "pending" || (pr.checks === "none" && config.requireChecks)) return;
  if (config.requireApproval && !pr.approved) return;
  if (pr.mergeable === null) {
    p.decision.wakeAfterMs = minWake(p.decision.wakeAfterMs, 3_000);
    return;
  }
  if (p.status !== "running" || pr.checksSha !== pr.headSha || pr.isDraft) return;
  mergeTask(p, task, pr);
}

function mergeTask(p: Planner, task: Task, pr: PullRequestView): void {
  const pending = p.tasks.filter((other) => other.state === "pending");
  const step: Step = {
    effect: { kind: "merge", taskId: task.id, pr: pr.number, sha: pr.headSha, method: p.config.mergeMethod },
    onSuccess: [{ id: task.id, state: "merged", pr: pr.number, checked: true, reason: undefined }],
  };
  p.decision.steps.push(step);
  // Optimistic: later steps in this decision (launches of dependants) only run if the merge did.
  Object.assign(task, { state: "merged" });
  p.merges.push({ step, task, pr: pr.number, pending });
  deleteMergedBranch(p, pr);
}

function resolveConflict(p: Planner, task: Task, pr: PullRequestView): void {
  const updatedKey = `updated:${pr.headSha}`;
  const updateFailedKey = `update:${pr.headSha}`;
  const rebaseKey = `rebase:${pr.headSha}`;
  // GitHub updates the branch asynchronously: after a successful request, wait for the new head.
  if (task.followup === rebaseKey || task.followup === updatedKey) return;
  if (task.followup !== updateFailedKey) {
    p.decision.steps.push({
      effect: { kind: "update-branch", taskId: task.id, pr: pr.number, sha: pr.headSha },
      onSuccess: [{ id: task.id, followup: updatedKey }],
      onFailure: [{ id: task.id, followup: updateFailedKey }],
      soft: true,
    });
    return;
  }
  if (task.fixes >= p.config.maxFixes || !task.agent) {
    p.fail(
      task,
      `failed-conflict-${task.id}-${pr.headSha}`,
      `#${pr.number} has a merge conflict`,
      "Updating the branch did not resolve it, and neither did asking the agent to rebase.",
    );
    return;
  }
  p.decision.steps.push({
    effect: {
      kind: "followup",
      taskId: task.id,
      agentId: task.agent,
      text: `The pull request #${pr.number} has merge conflicts with its base branch \`${p.snapshot.repo.defaultBranch}\`. Rebase the branch onto it, resolve the conflicts, and push.`,
    },
    onSuccess: [{ id: task.id, fixes: task.fixes + 1, followup: rebaseKey }],
  });
}

function ciFollowup(pr: PullRequestView): string {
  const lines = [`The checks of pull request #${pr.number} failed at ${pr.headSha.slice(0, 7)}. Fix them and push.`, ""];
  let budget = MAX_FOLLOWUP_LOG;
  for (const check of pr.failingChecks) {
    const excerpt = check.summary.slice(0, Math.max(0, budget));
    budget -= excerpt.length;
    lines.push(`- ${check.name}${excerpt ? `:\n\n\`\`\`\n${excerpt}\n\`\`\`` : ""}`);
  }
  return lines.join("\n");
}

function reviewFollowup(pr: PullRequestView): string {
  const review = pr.changesRequested!;
  return `@${review.author} requested changes on pull request #${pr.number}. Address every comment and push.\n\n${review.text.slice(0, MAX_FOLLOWUP_LOG)}`;
}

function minWake(current: number | undefined, next: number): number {
  return current === undefined ? next : Math.min(current, next);
}

// --- launching ------------------------------------------------------------------------------

/** Pending, its backoff over, and every dependency merged, skipped or done. */
function isReady(p: Planner, task: Task): boolean {
  return (
    task.state === "pending" &&
    (task.notBefore === undefined || task.notBefore <= p.snapshot.now) &&
    task.deps.every((dep) => {
      const other = p.task(dep);
      // A dependency a person deleted is cancelled: it no longer blocks.
      return !other || SATISFIED.has(other.state);
    })
  );
}

function launchReady(p: Planner): void {
  const plan = p.snapshot.parsed.plan!;
  let active = p.tasks.filter((task) => ACTIVE_STATES.has(task.state)).length;
  let runs = plan.runs;
  for (const task of p.tasks) {
    if (active >= p.config.concurrency) break;
    if (task.state === "pending" && task.notBefore !== undefined && task.notBefore > p.snapshot.now) {
      p.decision.wakeAfterMs = minWake(p.decision.wakeAfterMs, task.notBefore - p.snapshot.now);
    }
    if (!isReady(p, task)) continue;
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

function completeIfDone(p: Planner): void {
  if (p.tasks.length === 0 || !p.tasks.every((task) => SATISFIED.has(task.state))) return;
  if (p.status !== "running") return;
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
      })),
      { closing: p.config.closeOnComplete },
    ),
  });
  p.decision.closeIssue = p.config.closeOnComplete;
}

// --- what the status comment shows ----------------------------------------------------------

function describeWaiting(p: Planner): void {
  const waiting = p.decision.waiting;
  for (const task of p.tasks) {
    const text = waitingText(p, task);
    if (text) waiting[task.id] = text;
  }
  p.decision.waitingFor = epicWaiting(p);
  for (const request of p.statusRequests) {
    p.comment(
      `status-${request.commentId ?? "none"}`,
      messages.commandReply(request.line, `\n\n${statusTablePlaceholder}`),
      request.target,
    );
  }
}

/** Replaced by the reconciler with the rendered status table: rendering needs PR urls. */
export const statusTablePlaceholder = "<!-- orchestra:status-table -->";

function waitingText(p: Planner, task: Task): string | undefined {
  const observation = p.snapshot.observations[task.id];
  switch (task.state) {
    case "pending":
      if (task.notBefore !== undefined && task.notBefore > p.snapshot.now) {
        return `a new attempt after ${new Date(task.notBefore).toISOString().slice(11, 19)} UTC${task.reason ? ` (${task.reason})` : ""}`;
      }
      if (!isReady(p, task)) return `waiting for ${task.deps.filter((dep) => !SATISFIED.has(p.task(dep)?.state ?? "done")).join(", ")}`;
      return p.status === "running" ? "waiting for a free slot" : `epic ${p.status}`;
    case "running":
      return "agent working";
    case "pr_open": {
      const pr = observation?.pr;
      const agent = observation?.agent;
      if (agent && isAgentLive(agent.status)) return "agent working on a follow-up";
      if (!pr) return "pull request";
      if (pr.checks === "pending" || (pr.checks === "none" && p.config.requireChecks)) return "checks";
      if (pr.checks === "failure") return "a fix for failing checks";
      if (pr.changesRequested) return "changes requested in review";
      if (pr.mergeable === false) return "merge conflict to be resolved";
      if (p.config.requireApproval && !pr.approved) return "an approving review";
      if (p.status !== "running") return `epic ${p.status}`;
      return "merge";
    }
    case "failed":
      return `\`/retry ${task.id}\` or \`/skip ${task.id}\``;
    default:
      return undefined;
  }
}

function epicWaiting(p: Planner): string {
  switch (p.status) {
    case "planned":
      return "`/orchestra start`";
    case "paused":
      return p.tasks.some((task) => task.state === "failed")
        ? "`/retry` or `/skip` of the failed task, then `/orchestra resume`"
        : "`/orchestra resume`";
    case "stopped":
      return "nothing: the epic is stopped (`/orchestra start` runs it again)";
    case "completed":
      return "nothing: the epic is completed";
    case "running": {
      const active = p.tasks.find((task) => ACTIVE_STATES.has(task.state));
      return active ? `${active.id}: ${p.decision.waiting[active.id] ?? "agent"}` : "nothing";
    }
  }
}
