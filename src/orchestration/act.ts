import type { Logger } from "pino";
import { announceCompletion, announceTransitions } from "./announce.js";
import { writeBody } from "./body-writer.js";
import { commentOnce } from "./comment-once.js";
import type { OrchestraConfig } from "./config.js";
import { statusTablePlaceholder, type Decision, type Notification, type Step } from "./decide.js";
import * as messages from "./messages.js";
import { activeBranches, branchName, epicKey, pullNumberOf } from "./naming.js";
import type { EpicRef, ReconcileDeps } from "./reconcile-deps.js";
import type { Snapshot } from "./snapshot.js";
import { renderStatusTable } from "./status-comment.js";
import { ordered } from "./ordered-write.js";
import { deferStatusRefresh, refreshStatusComment, statusView } from "./status-comment-writer.js";
import type { WriteOp, WriteOutcome } from "../github/write-batch.js";
import type { Plan, PlanPatch, TaskPatch } from "./types.js";
import type { CursorClient } from "../cursor/client.js";
import { isLive } from "../cursor/agent.js";
import { isKeyRejected } from "../cursor/errors.js";
import type { TokenUsage } from "../llm/audit-types.js";
import { addLlmUsage, tokenBudgetReached } from "./llm-usage.js";
import { runAuditStep } from "../runtime/audit-step.js";
import { lookBeforeEveryLaunch } from "../cursor/launch-ledger.js";

/**
 * Carries out a decision: its steps in order (a hard failure stops the rest), then one write of
 * the body with what succeeded, then the comments, the status comment and closing the issue.
 */

const CURSOR_KEY_REJECTED = { reason: "Cursor rejected the API key Orchestra runs with", key: "cursor-key-rejected" };

/** A merged branch's deletion waits this long for a write to ride with before it goes alone. */
const CLEANUP_PATIENCE_MS = 30_000;

/** A status comment GitHub would not take is drawn again this long after. */
const STATUS_RETRY_MS = 30_000;

export interface ActOutcome {
  plan: Plan;
  error?: unknown;
  wakeAfterMs?: number;
}

export async function act(
  ref: EpicRef,
  snapshot: Snapshot,
  decision: Decision,
  config: OrchestraConfig,
  deps: ReconcileDeps,
  log: Logger,
): Promise<ActOutcome> {
  const succeeded: TaskPatch[] = [];
  // What steps announce (a merge) comes before what the decision concludes (the epic completed).
  const notify: Notification[] = [];
  let runsDelta = 0;
  let error: unknown;
  let wakeAfterMs: number | undefined;
  let allDone = true;
  let keyRejected: unknown;
  const closedOut: string[] = [];
  let auditPause: { key: string; body: string } | undefined;
  // What the audits of this pass cost, counted in the same write against `budget.llmTokens`.
  const auditUsage: TokenUsage[] = [];

  // Deleting a merged branch is cleanup: it runs after the launches (so the next agent starts a
  // write sooner), and only when it was reached, as if in its place: everything before it succeeded.
  // Nothing rests on it; a branch left behind by a crash is harmless (the PR is merged).
  const postponed: Step[] = [];
  for (const step of decision.steps) {
    if (isCleanup(step)) {
      postponed.push(step);
      continue;
    }
    if (step.effect.kind === "audit" && tokenBudgetReached(snapshot.parsed.plan!, config, auditUsage)) {
      // An audit of this pass spent what `budget.llmTokens` left: no further model call; the next pass pauses and says so.
      allDone = false;
      wakeAfterMs = 0;
      continue;
    }
    try {
      const result = await runStep(ref, snapshot, step, config, deps, log);
      if (result.patch) succeeded.push(...result.patch);
      if (result.llmTokens) auditUsage.push(result.llmTokens);
      if (result.pause) {
        // The audit gave no verdict: nothing is merged unaudited, and the epic waits for a writer.
        auditPause = result.pause;
        allDone = false;
        break;
      }
      if (result.halt) {
        // A refused merge: what follows rested on it. The next pass (at once, for what else was
        // decided) sees the refusal recorded and does not send the same merge again.
        allDone = false;
        wakeAfterMs = 0;
        break;
      }
      if (result.closedOut) closedOut.push(...result.closedOut);
      if (result.waitMs !== undefined) wakeAfterMs = Math.min(wakeAfterMs ?? result.waitMs, result.waitMs);
      runsDelta += result.runs ?? 0;
      if (result.notify) notify.push(...result.notify);
    } catch (caught) {
      if (isKeyRejected(caught)) {
        // Retrying cannot help, and every epic would spin on it: pause and say so, once.
        keyRejected = caught;
        allDone = false;
        break;
      }
      if (step.soft) {
        log.warn({ err: caught, effect: step.effect.kind }, "step failed; going on");
        if (step.onFailure) succeeded.push(...step.onFailure);
        continue;
      }
      log.error({ err: caught, effect: step.effect.kind }, "step failed; the reconcile will be retried");
      error = caught;
      allDone = false;
      break;
    }
  }

  // Deletions that go in the body write's request when there is no write queue to carry them.
  const deletions: WriteOp[] = [];
  for (const step of postponed) {
    const cleanUp = () => runStep(ref, snapshot, step, config, deps, log);
    const failed = (caught: unknown) => log.warn({ err: caught, effect: step.effect.kind }, "step failed; going on");
    const refId = step.effect.kind === "delete-branch" ? step.effect.refId : undefined;
    // With a write queue, once the epic is quiet (the next check's merge does not wait for it), or
    // sooner in the request of a write that carries it (the body write just below).
    if (deps.writes) {
      deps.writes.defer(`cleanup-${JSON.stringify(step.effect)}`, "cleanup", cleanUp, failed, {
        ...(refId ? { ride: { op: { kind: "delete-ref" as const, refId }, rode: deletedRef } } : {}),
        patientMs: CLEANUP_PATIENCE_MS,
      });
    } else if (refId) deletions.push({ kind: "delete-ref", refId });
    else await cleanUp().catch(failed);
  }

  const patch: PlanPatch = addLlmUsage(
    {
      ...decision.patch,
      tasks: mergeTaskPatches([...(decision.patch.tasks ?? []), ...succeeded]),
      ...(runsDelta ? { runsDelta } : {}),
      ...(closedOut.length ? { closedOut } : {}),
    },
    auditUsage,
  );
  if (!allDone && decision.patch.status === "completed") delete patch.status;
  if ((keyRejected || auditPause) && (patch.status ?? snapshot.parsed.plan!.status) === "running") patch.status = "paused";
  if (auditPause) notify.push({ kind: "comment", ...auditPause });
  // A completion written but never announced (the process died in between) is announced now; one
  // that was announced and then reopened by a person is left open.
  const announced = decision.completionUnannounced && (await deps.gateway.findComment(ref.issueNumber, messages.commentMarker("completed"))) !== null;
  // The completion in the body's request: the body, the comment, closing the issue, in that order
  // (as they went one by one), when nothing else is said in between.
  const completion = allDone && !announced && decision.closeIssue && notify.length === 0 && decision.notify.length === 0 && !keyRejected ? completionComment(decision) : undefined;
  const completed = { comment: false, closed: false };
  // The reactions to commands this pass carried out, sent after the body that records their effect.
  const reactions = decision.notify.filter((item): item is Extract<Notification, { kind: "react" }> => item.kind === "react" && item.subjectId !== undefined);
  const reacted = new Set<Notification>();
  // What goes in the body's request, and what each one's outcome means.
  let along: Array<{ op: WriteOp; heard: (outcome: WriteOutcome) => void }> = [];
  const plan = await writeBody(ref, patch, deps, log, snapshot.parsed.plan!, {}, {
    before: (next) => void deferStatusRefresh(ref, snapshot, decision, next, config, deps),
    ops: (next, issueId) => {
      along = [
        ...reactions.map((item) => {
          deps.gateway.markAnswered(item.commentId);
          return { op: { kind: "add-reaction" as const, subjectId: item.subjectId!, content: item.content }, heard: (outcome: WriteOutcome) => void (outcome.ok && reacted.add(item)) };
        }),
        ...(completion && next.status === "completed"
          ? [
              { op: { kind: "add-comment" as const, subjectId: issueId, body: commentText(ref, snapshot, decision, next, completion, deps) }, heard: (outcome: WriteOutcome) => void (completed.comment = outcome.ok) },
              { op: { kind: "close-issue" as const, issueId }, heard: (outcome: WriteOutcome) => void (completed.closed = outcome.ok) },
            ]
          : []),
        ...deletions.map((op) => ({
          op,
          heard: (outcome: WriteOutcome) => {
            try {
              deletedRef(outcome);
            } catch (caught) {
              log.warn({ err: caught, effect: "delete-branch" }, "step failed; going on");
            }
          },
        })),
      ];
      return along.map((entry) => entry.op);
    },
    sent: (outcomes) => {
      outcomes.forEach((outcome, i) => along[i]?.heard(outcome));
      deletions.length = 0;
    },
  });
  // Not sent with the body (it did not change): as without a write queue.
  for (const op of deletions) {
    const step = postponed.find((candidate) => candidate.effect.kind === "delete-branch" && candidate.effect.refId === (op as { refId: string }).refId);
    if (step) await runStep(ref, snapshot, step, config, deps, log).catch((caught: unknown) => log.warn({ err: caught, effect: "delete-branch" }, "step failed; going on"));
  }
  const cause = decision.pause ?? (keyRejected ? CURSOR_KEY_REJECTED : auditPause ? { reason: "the audit of a task's PR gave no verdict", key: auditPause.key } : undefined);
  announceTransitions(ref, snapshot, plan, cause, config, deps, log);
  deps.launchLedger?.recorded(`${deps.webUrl}/${ref.owner}/${ref.repo}`, recordedBranches(ref.issueNumber, plan));
  deps.branchCache.set(epicKey(ref.owner, ref.repo, ref.issueNumber), activeBranches(ref.issueNumber, plan));
  notify.push(...decision.notify.filter((item) => !reacted.has(item)), ...(allDone && !announced ? decision.final.filter((item) => !(completed.comment && item === completion)) : []));
  if (keyRejected) notify.push({ kind: "comment", key: "cursor-key-rejected", body: messages.cursorKeyRejected(String((keyRejected as Error).message)), once: true });

  for (const item of notify) await sendNotification(ref, snapshot, decision, plan, item, deps);
  if (!(await refreshStatusComment(ref, snapshot, decision, plan, config, deps))) wakeAfterMs = Math.min(wakeAfterMs ?? STATUS_RETRY_MS, STATUS_RETRY_MS);
  if (decision.closeIssue && allDone && !announced && plan.status === "completed" && !completed.closed) await deps.gateway.closeIssue(ref.issueNumber);
  if (allDone && !announced && decision.final.some((item) => item.kind === "comment" && item.key === "completed")) announceCompletion(ref, snapshot, plan, config, deps, log);
  return { plan, error, ...(wakeAfterMs !== undefined ? { wakeAfterMs } : {}) };
}

/** A merged branch's deletion, said as GitHub answered it: gone already is the outcome wanted. */
function deletedRef(outcome: WriteOutcome): void {
  if (!outcome.ok && outcome.error.status !== 404 && outcome.error.status !== 422) throw outcome.error;
}

/** The completion comment of a decision, when it is its only final word. */
function completionComment(decision: Decision): Extract<Notification, { kind: "comment" }> | undefined {
  const comments = decision.final.filter((item): item is Extract<Notification, { kind: "comment" }> => item.kind === "comment");
  const only = comments.length === 1 && decision.final.length === 1 ? comments[0] : undefined;
  return only && only.key === "completed" && !only.once && only.target === undefined ? only : undefined;
}

/**
 * When the epic's first run starts in this reconcile: no task ever launched, and the oldest
 * command starting it (ms); undefined when it ran before or nothing starts it here.
 */
function firstRunStart(snapshot: Snapshot): number | undefined {
  const before = snapshot.parsed.plan;
  if (!before || before.status !== "planned" || before.tasks.some((task) => task.attempt > 0 || task.agent)) return undefined;
  const starts = snapshot.intents.filter((intent) => intent.kind === "command" && (intent.command.name === "start" || intent.command.name === "resume"));
  const times = starts.map((intent) => (intent.kind === "command" && intent.at ? Date.parse(intent.at) : NaN));
  if (times.length === 0 || times.some((time) => !Number.isFinite(time))) return undefined;
  return Math.min(...times);
}

/** The attempts whose agent the body records: none of them is launched again. */
function recordedBranches(issueNumber: number, plan: Plan): string[] {
  return plan.tasks.filter((task) => task.agent && task.attempt > 0).map((task) => branchName(issueNumber, task.id, task.attempt));
}

/** A soft step nothing else rests on and that records nothing: deleting a merged branch. */
function isCleanup(step: Step): boolean {
  return step.effect.kind === "delete-branch" && step.soft === true && !step.onSuccess && !step.onFailure && !step.notify;
}

function mergeTaskPatches(patches: TaskPatch[]): TaskPatch[] {
  const byId = new Map<string, TaskPatch>();
  for (const patch of patches) byId.set(patch.id, { ...byId.get(patch.id), ...patch });
  return [...byId.values()];
}

/** `halt`: the step was refused (not failed): its patch is kept and the steps after it are not run. */
type StepResult = {
  patch?: TaskPatch[];
  runs?: number;
  notify?: Notification[];
  halt?: boolean;
  closedOut?: string[];
  waitMs?: number;
  /** The epic pauses with this comment and no later step runs. */
  pause?: { key: string; body: string };
  llmTokens?: TokenUsage;
};

async function runStep(
  ref: EpicRef,
  snapshot: Snapshot,
  step: Step,
  config: OrchestraConfig,
  deps: ReconcileDeps,
  log: Logger,
): Promise<StepResult> {
  const effect = step.effect;
  const done = { ...(step.onSuccess ? { patch: step.onSuccess } : {}), ...(step.notify ? { notify: step.notify } : {}) };
  switch (effect.kind) {
    case "launch": {
      const cursor = requireCursor(deps);
      const repository = `${deps.webUrl}/${ref.owner}/${ref.repo}`;
      // Deterministic branch: an agent created by a run that died before recording it is found,
      // not doubled. Such an agent is among the newest, so the first page of the list suffices.
      const ledger = deps.launchLedger ?? lookBeforeEveryLaunch;
      const firstRun = firstRunStart(snapshot);
      if (firstRun !== undefined) ledger.firstRun?.(repository, ref.issueNumber, firstRun);
      const existing = await ledger.existing(cursor, repository, effect.branch);
      // Counted against the installation's daily cap; over it, the task waits (reconcile wakes the epic then).
      if (!existing && deps.launches && !(await deps.launches.take())) {
        log.info({ task: effect.taskId, cap: deps.launches.cap }, "daily cap on agent launches reached; the task waits");
        return { waitMs: deps.launches.resetsInMs() };
      }
      const agent =
        existing ??
        (await ledger.create(cursor, {
          prompt: effect.prompt,
          repository,
          ref: snapshot.repo.defaultBranch,
          branchName: effect.branch,
          ...(effect.model ? { model: effect.model } : {}),
          ...(deps.publicUrl && deps.cursorWebhookSecret
            ? { webhookUrl: `${deps.publicUrl.replace(/\/$/, "")}/orchestra/cursor`, webhookSecret: deps.cursorWebhookSecret }
            : {}),
        }));
      const now = (deps.now ?? Date.now)();
      deps.agents.remember(agent, now);
      deps.onAgent?.(agent.id);
      // An agent found from a run that died was launched when Cursor says, not now.
      const launchedAt = existing ? Date.parse(existing.createdAt ?? "") : now;
      log.info({ task: effect.taskId, agent: agent.id, branch: effect.branch, reused: Boolean(existing) }, "agent launched");
      return {
        patch: [
          {
            id: effect.taskId,
            state: "running",
            attempt: effect.attempt,
            agent: agent.id,
            pr: undefined,
            fixes: 0,
            followup: undefined,
            reason: undefined,
            notBefore: undefined,
            launchedAt: Number.isFinite(launchedAt) ? launchedAt : undefined,
            ...(effect.attempt === 1 ? { startedAt: now } : {}),
          },
        ],
        // Launching means the body does not record this agent yet, found or created: count it now.
        runs: 1,
        ...(step.notify ? { notify: step.notify } : {}),
      };
    }
    case "stop-agent":
      await requireCursor(deps).stop(effect.agentId);
      deps.agents.forget(effect.agentId);
      return done;
    case "followup":
      await requireCursor(deps).followup(effect.agentId, effect.text);
      // The agent is working again; its cached FINISHED no longer holds.
      deps.agents.forget(effect.agentId);
      log.info({ task: effect.taskId, agent: effect.agentId }, "follow-up sent");
      return done;
    case "merge": {
      const outcome = await ordered(deps, "merge", () => deps.gateway.merge(effect.pr, effect.sha, effect.method));
      if (outcome.merged) {
        log.info({ task: effect.taskId, pr: effect.pr, sha: effect.sha }, "merged");
        return done;
      }
      // 405 also answers a merge of a PR already merged (by a run that died, or a person).
      if (outcome.status === 405 && (await deps.gateway.getPullState(effect.pr)).merged) return done;
      log.warn({ task: effect.taskId, pr: effect.pr, status: outcome.status, cause: outcome.cause, message: outcome.message }, "merge refused");
      return {
        patch: [
          {
            id: effect.taskId,
            refused: `${outcome.cause}:${effect.dependsOn ?? ""}`,
            refusals: (effect.refusals ?? 0) + 1,
            refusedAt: (deps.now ?? Date.now)(),
            // GitHub's words, shown with the refusal; its own text, never a secret.
            reason: `GitHub refused the merge (${outcome.status}): ${outcome.message}`.slice(0, 200),
          },
        ],
        halt: true,
      };
    }
    case "update-branch":
      await deps.gateway.updateBranch(effect.pr, effect.sha);
      return done;
    case "audit": {
      const outcome = await runAuditStep(ref, effect, config, deps, log);
      const tokens = outcome.usage ? { llmTokens: outcome.usage } : {};
      return "pause" in outcome ? { pause: outcome.pause, ...tokens } : { waitMs: outcome.waitMs, ...tokens };
    }
    case "delete-branch":
      await deps.gateway.deleteBranch(effect.branch);
      return done;
    case "close-pr":
      await deps.gateway.closePull(effect.pr);
      return done;
    case "close-issue":
      await deps.gateway.closeIssue(effect.issue);
      log.info({ issue: effect.issue }, "sub-issue closed as completed");
      return done;
    case "close-out": {
      let agentsPull: number | undefined;
      if (deps.cursor) {
        const agent = await deps.cursor.findAgentByBranch(`${deps.webUrl}/${ref.owner}/${ref.repo}`, effect.branch, 1);
        if (agent && isLive(agent.status)) await deps.cursor.stop(agent.id);
        agentsPull = pullNumberOf(agent?.target.prUrl);
      }
      if (effect.closePull) {
        // Only the agent's PR is closed, and the branch deleted only when no one else's PR uses it:
        // a maintainer who took the work over in a PR of their own keeps it.
        const open = await deps.gateway.openPullsForBranch(effect.branch);
        for (const pr of open.filter((number) => number === agentsPull)) {
          await deps.gateway.createComment(pr, messages.pullOfRemovedTask(effect.taskId, ref.issueNumber));
          await deps.gateway.closePull(pr);
        }
        if (open.every((number) => number === agentsPull)) await deps.gateway.deleteBranch(effect.branch);
      }
      log.info({ task: effect.taskId, attempt: effect.attempt, closedPull: effect.closePull }, "attempt of a removed task closed out");
      return { closedOut: [`${effect.taskId}.${effect.attempt}`] };
    }
  }
}

function requireCursor(deps: ReconcileDeps): CursorClient {
  if (!deps.cursor) throw new Error("CURSOR_API_KEY is not set");
  return deps.cursor;
}

async function sendNotification(
  ref: EpicRef,
  snapshot: Snapshot,
  decision: Decision,
  plan: Plan,
  item: Notification,
  deps: ReconcileDeps,
): Promise<void> {
  if (item.kind === "react") {
    // "Done" on a person's command: they wait for it, and commands are rare: sent at once.
    deps.gateway.markAnswered(item.commentId);
    await ordered(deps, "notification", () => deps.gateway.reactToComment(item.commentId, item.content));
    return;
  }
  if (item.kind === "comment-edit") {
    const id = await deps.gateway.findComment(item.target, messages.commentMarker(item.key));
    if (id !== null) await ordered(deps, "notification", () => deps.gateway.updateComment(id, messages.withMarker(item.key, item.body)));
    return;
  }
  // A reply answers its command (`reply-<comment id>-…`, `status-<comment id>`): no 👀 for it later.
  const answers = /^(?:reply|status)-(\d+)/.exec(item.key);
  if (answers) deps.gateway.markAnswered(Number(answers[1]));
  if (item.once) {
    const key = `${epicKey(ref.owner, ref.repo, ref.issueNumber)}:${item.key}`;
    if (await deps.reported.get(key)) return;
    await commentOnce(deps, item.target ?? ref.issueNumber, item.key, item.body);
    await deps.reported.set(key, "1");
    return;
  }
  await ordered(deps, "notification", () => deps.gateway.createComment(item.target ?? ref.issueNumber, commentText(ref, snapshot, decision, plan, item, deps)));
}

function commentText(ref: EpicRef, snapshot: Snapshot, decision: Decision, plan: Plan, item: { key: string; body: string }, deps: ReconcileDeps): string {
  const body = item.body.includes(statusTablePlaceholder)
    ? item.body.replace(statusTablePlaceholder, renderStatusTable(statusView(ref, snapshot, decision, plan, deps)))
    : item.body;
  return messages.withMarker(item.key, body);
}
