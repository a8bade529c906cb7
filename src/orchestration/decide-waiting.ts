import { DecisionDraft, isAgentLive, isReady, SATISFIED } from "./decision.js";
import * as messages from "./messages.js";
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
      if (pr.reviewsIncomplete) return "a person: the PR has more reviews than Orchestra reads";
      if (p.status !== "running") return `epic ${p.status}`;
      return "merge";
    }
    case "failed":
      return `\`/retry ${task.id}\` or \`/skip ${task.id}\``;
    default:
      return undefined;
  }
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
