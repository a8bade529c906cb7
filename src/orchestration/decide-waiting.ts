import { AUDIT_CHECK_NAME, blockedOnlyByAudit, missingChecksOf } from "./audit-gate.js";
import { checksNotStarted, refusalBackoffMs, refusalCause } from "./decide-tasks.js";
import { DecisionDraft, isAgentLive, isReady, SATISFIED } from "./decision.js";
import * as messages from "./messages.js";
import type { PullRequestView } from "./snapshot.js";
import { ACTIVE_STATES, type Task } from "./types.js";

/** What each task and the epic wait for: the status comment's "Waiting for". */

export function describeWaiting(p: DecisionDraft): void {
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

function waitingText(p: DecisionDraft, task: Task): string | undefined {
  const observation = p.snapshot.observations[task.id];
  switch (task.state) {
    case "pending":
      if (task.notBefore !== undefined && task.notBefore > p.snapshot.now) {
        return `a new attempt after ${new Date(task.notBefore).toISOString().slice(11, 19)} UTC${task.reason ? ` (${task.reason})` : ""}`;
      }
      if (!isReady(p, task)) return `waiting for ${task.deps.filter((dep) => !SATISFIED.has(p.task(dep)?.state ?? "done")).join(", ")}`;
      return p.status === "running" ? "waiting for a free slot" : `epic ${p.status}`;
    case "pr_open": {
      const pr = observation?.pr;
      const agent = observation?.agent;
      if (agent && isAgentLive(agent.status)) return "agent working on a follow-up";
      if (!pr) return task.stuck === "pr" ? "GitHub to show the pull request the agent reported" : "pull request";
      return pullWaiting(p, task, pr);
    }
    case "running":
      if (task.stuck === "pr") return "GitHub to show the pull request the agent reported";
      return "agent working";
    case "failed":
      return `\`/retry ${task.id}\` or \`/skip ${task.id}\``;
    default:
      return undefined;
  }
}

/** What an open PR waits for, in the order decide-tasks acts on it, naming what GitHub's rules miss. */
function pullWaiting(p: DecisionDraft, task: Task, pr: PullRequestView): string {
  if (pr.checks === "failure") return "a fix for failing checks";
  if (pr.changesRequested) return "changes requested in review";
  if (pr.mergeable === false || pr.mergeState === "DIRTY") return "merge conflict to be resolved";
  const missing = missingChecksOf(pr, p.config);
  if (missing.length > 0) {
    return `required check${missing.length === 1 ? "" : "s"} ${missing.map((name) => messages.inlineCode(name)).join(", ")} to start`;
  }
  // One text for "not started" and "running": the status is not edited as CI queues a run.
  if (checksNotStarted(pr, p.config) || pr.checks === "pending") return "checks";
  if (p.config.requireApproval && !pr.approved) return "an approving review";
  if (pr.reviewsIncomplete) return "a person: the pull request has more reviews than Orchestra reads";
  if (p.status !== "running") return `epic ${p.status}`;
  if (pr.mergeState === "BEHIND") {
    return task.followup === `behind:${pr.baseSha ?? pr.headSha}`
      ? "GitHub to update the branch with its base (required to be up to date)"
      : "an update of the branch with its base (required to be up to date)";
  }
  if (pr.mergeState === "BLOCKED" && !blockedOnlyByAudit(pr, p.config)) return `what the base branch's rules require: ${blockers(pr).join("; ")}`;
  if (pr.mergeState === "DRAFT" || pr.isDraft) return "the pull request to be marked ready for review";
  if (p.config.audit.enabled && !pr.audit?.passed) return auditWaiting(task, pr);
  const cause = refusalCause(task, pr);
  if (cause !== undefined && task.refusedAt !== undefined) {
    const at = new Date(task.refusedAt + refusalBackoffMs(task.refusals ?? 1)).toISOString().slice(11, 19);
    return `a new merge attempt at ${at} UTC or when the pull request changes (${task.reason ?? `GitHub refused the merge: ${cause}`})`;
  }
  return "merge";
}

/** What GitHub's rules still miss on a PR it reports as blocked, as far as the App can see. */
function blockers(pr: PullRequestView): string[] {
  const missing: string[] = [];
  const approvals = pr.required?.approvals ?? 0;
  if (pr.reviewDecision === "REVIEW_REQUIRED") {
    const count = approvals > 1 ? `${approvals} approving reviews` : "an approving review";
    missing.push(pr.required?.codeOwners ? `${count} (including a code owner)` : `${count} from people with write access`);
  }
  if (pr.reviewDecision === "CHANGES_REQUESTED") missing.push("a requested change to be addressed or the review dismissed");
  if (missing.length === 0 && pr.required?.conversations) missing.push("every review conversation resolved");
  if (missing.length === 0) missing.push("a rule GitHub does not name to the App (see the pull request's merge box)");
  return missing;
}

function epicWaiting(p: DecisionDraft): string {
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

function auditWaiting(task: Task, pr: PullRequestView): string {
  if (!pr.audit) return `the audit (\`${AUDIT_CHECK_NAME}\`)`;
  return task.followup === `audit:${pr.headSha}` ? "a fix for the auditor's findings" : "the auditor's findings to be sent to the agent";
}
