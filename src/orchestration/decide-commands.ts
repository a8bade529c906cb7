import { helpText, resolveTaskRef } from "./commands.js";
import { DecisionDraft, resetForRelaunch, SATISFIED } from "./decision.js";
import * as messages from "./messages.js";
import type { Intent } from "./snapshot.js";
import { ACTIVE_STATES } from "./types.js";

/** What people ask for (commands, edits) applied to the draft before anything is observed. */

export function applyIntent(p: DecisionDraft, intent: Intent): void {
  if (intent.kind === "stop-agents") {
    for (const agentId of intent.agentIds) {
      p.decision.steps.push({ effect: { kind: "stop-agent", agentId }, soft: true });
    }
    return;
  }
  if (intent.kind !== "command") return;
  const { command, commentId, target } = intent;
  // One comment may hold several commands: each reaction once.
  const react = (content: "rocket" | "confused") => {
    const already = p.decision.notify.some((item) => item.kind === "react" && item.commentId === commentId && item.content === content);
    if (commentId && !already) p.decision.notify.push({ kind: "react", commentId, content, ...(intent.commentNodeId ? { subjectId: intent.commentNodeId } : {}) });
  };
  const done = () => react("rocket");
  // A command that cannot be carried out: its reply says why, 😕 marks it answered.
  const reply = (text: string) => {
    p.comment(`reply-${commentId ?? "none"}-${command.line}`, messages.commandReply(command.line, text), target);
    react("confused");
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
      p.decision.pause ??= { reason: "someone with write access paused it with `/orchestra pause`", key: `command-${commentId ?? "none"}` };
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
      // Planning needs the LLM: the reconciler runs it before deciding, unless the epic's text
      // is not accepted, when the planner (and then agents) would read what no writer approved.
      if (p.snapshot.trust && !p.snapshot.trust.accepted) {
        return reply("the epic's text changed without the approval of someone with write access. Comment `/orchestra resume` to accept it first.");
      }
      return;
    case "help":
      // The reply is the answer: no reaction besides.
      p.comment(`reply-${commentId ?? "none"}-${command.line}`, messages.commandReply(command.line, helpText()), target);
      return;
    case "unknown":
      return reply(helpText());
  }
}

function currentTaskId(p: DecisionDraft, prTaskId: string | undefined): string | undefined {
  if (prTaskId) return prTaskId;
  return (
    p.tasks.find((task) => task.state === "failed") ?? p.tasks.find((task) => ACTIVE_STATES.has(task.state))
  )?.id;
}

function resolve(p: DecisionDraft, ref: string, prTaskId: string | undefined, reply: (t: string) => void) {
  const result = resolveTaskRef(p.tasks, ref, { currentTaskId: currentTaskId(p, prTaskId) });
  if (!result.ok) {
    reply(result.error);
    return undefined;
  }
  return p.task(result.taskId);
}

function retryTask(p: DecisionDraft, ref: string, prTaskId: string | undefined, reply: (t: string) => void, done: () => void) {
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

function skipTask(p: DecisionDraft, ref: string, prTaskId: string | undefined, reply: (t: string) => void, done: () => void) {
  const task = resolve(p, ref, prTaskId, reply);
  if (!task) return;
  if (SATISFIED.has(task.state)) return reply(`${task.id} is already ${task.state}.`);
  p.stopAgent(task);
  p.set(task, { state: "skipped", checked: true, finishedAt: p.snapshot.now });
  done();
}

/**
 * The text agents read changed without a writer's approval: nothing new runs (the epic holds in
 * `paused`, or stays planned) until a writer's `/orchestra start` or `/orchestra resume` accepts
 * the text as it is now. Said once per version of the text. Changes only by writers are accepted
 * on their own.
 */
export function holdForUntrustedText(p: DecisionDraft): void {
  const trust = p.snapshot.trust;
  if (!trust) return;
  // A writer's start or resume accepts the text as it was when they posted it, not an edit made
  // after (a command is carried out whenever the next reconcile comes, maybe much later).
  const resumed = p.snapshot.intents.some(
    (intent) =>
      intent.kind === "command" &&
      (intent.command.name === "start" || intent.command.name === "resume") &&
      (!trust.changedAt || !intent.at || Date.parse(intent.at) > Date.parse(trust.changedAt)),
  );
  if (trust.accepted || resumed) {
    // Unchanged text needs no write; changed text is recorded as accepted.
    if (trust.byWriters || !trust.accepted) p.decision.patch.acceptDigest = trust.digest;
    return;
  }
  if (p.status === "running") {
    p.status = "paused";
    p.decision.pause ??= { reason: "the epic's text changed without the approval of someone with write access", key: `untrusted-text-${trust.digest}` };
  }
  // Said once per hold: further edits while it holds change the text to accept, not the news.
  const held = p.snapshot.parsed.plan?.held;
  if (held !== trust.digest) {
    if (held === undefined) p.comment(`untrusted-text-${trust.digest}`, messages.untrustedEdit(trust.editors ?? [], trust.changed ?? [], trust.reason));
    p.decision.patch.held = trust.digest;
  }
}

export function stopEpic(p: DecisionDraft, byCommand: boolean): void {
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
