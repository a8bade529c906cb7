import { writeBody } from "./body-writer.js";
import type { OrchestraConfig } from "./config.js";
import type { Decision } from "./decide.js";
import * as messages from "./messages.js";
import type { EpicRef, ReconcileDeps } from "./reconcile-deps.js";
import type { Snapshot } from "./snapshot.js";
import { renderStatusComment, STATUS_MARKER, type StatusView } from "./status-comment.js";
import type { Plan, Task } from "./types.js";
import type { EpicWrites } from "../runtime/epic-write-queue.js";

/** The key of the epic's pending status edit in its write queue: a newer one replaces it. */
const STATUS_WRITE = "status-comment";

/**
 * A status edit that only shows progress (nothing for a person to do) waits this long for a
 * write to ride with before it goes alone; one that announces a pause, a failure or the end goes
 * once the epic is quiet.
 */
export const PROGRESS_PATIENCE_MS = 30_000;

/**
 * The epic's one status comment: what it shows, and editing it only when that changed. A status
 * comment someone deleted is posted again. Returns whether it is up to date.
 */

/** While an epic waits for `/orchestra start`, its status comment says how many tasks wait. */
function headline(plan: Plan): { headline?: string } {
  return plan.status === "planned" ? { headline: messages.planWritten(plan.tasks.length, false) } : {};
}

export function statusView(
  ref: EpicRef,
  snapshot: Snapshot,
  decision: Decision,
  plan: Plan,
  deps: ReconcileDeps,
  budgetLimit = 0,
  tokenLimit?: number,
): StatusView {
  return {
    ...headline(plan),
    plan,
    issueNumber: ref.issueNumber,
    waitingFor: decision.waitingFor,
    budget: { used: plan.runs, limit: budgetLimit },
    tokens: { used: plan.llmTokens ?? 0, ...(tokenLimit !== undefined ? { limit: tokenLimit } : {}) },
    tasks: plan.tasks.map((written) => {
      const observation = snapshot.observations[written.id];
      const agent = written.agent ? deps.agents.peek(written.agent) : undefined;
      // An open PR is not written to the body (it is found again at every read): show it here.
      const openPr = written.state === "running" && observation?.pr?.state === "open" ? observation.pr : undefined;
      const task: Task = openPr ? { ...written, state: "pr_open", pr: openPr.number } : written;
      return {
        task,
        ...(observation?.pr ? { prUrl: observation.pr.url } : task.pr ? { prUrl: `${deps.webUrl}/${ref.owner}/${ref.repo}/pull/${task.pr}` } : {}),
        ...(agent ? { agentStatus: agent.status } : {}),
        ...(decision.waiting[task.id] ? { waitingFor: decision.waiting[task.id] } : {}),
      };
    }),
  };
}

/**
 * The status edit for `plan`, deferred when it can be without a request (the comment is known
 * and this process last wrote it); true when it was (or GitHub already shows it). Called right
 * before a body write, so that the edit rides in the body's request.
 */
export function deferStatusRefresh(
  ref: EpicRef,
  snapshot: Snapshot,
  decision: Decision,
  plan: Plan,
  config: OrchestraConfig,
  deps: ReconcileDeps,
): boolean {
  const id = plan.statusComment;
  if (!id || !deps.writes || !deps.statusCache.get(id)) return false;
  const body = statusBody(ref, snapshot, decision, plan, config, deps);
  if (deps.statusCache.get(id) === body) {
    deps.writes.cancel(STATUS_WRITE);
    return true;
  }
  deferStatusEdit(deps, deps.writes, id, body, onlyProgress(plan, decision));
  return true;
}

/** The status comment's text for `plan`. */
function statusBody(ref: EpicRef, snapshot: Snapshot, decision: Decision, plan: Plan, config: OrchestraConfig, deps: ReconcileDeps): string {
  return renderStatusComment(statusView(ref, snapshot, decision, plan, deps, config.budget.agentRuns, config.budget.llmTokens));
}

/** What a task routinely waits for while an epic runs: nothing there for a person to act on. */
const ROUTINE_WAITS = /^(agent working|agent|checks|merge|pull request|waiting for a free slot|waiting for [\w, -]+)$/;

/** Nothing in the status a person needs to act on or would wait for. */
function onlyProgress(plan: Plan, decision: Decision): boolean {
  return (
    plan.status === "running" &&
    !decision.pause &&
    !plan.tasks.some((task) => task.state === "failed") &&
    Object.values(decision.waiting).every((text) => ROUTINE_WAITS.test(text))
  );
}

export async function refreshStatusComment(
  ref: EpicRef,
  snapshot: Snapshot,
  decision: Decision,
  plan: Plan,
  config: OrchestraConfig,
  deps: ReconcileDeps,
): Promise<boolean> {
  const body = statusBody(ref, snapshot, decision, plan, config, deps);
  try {
    let id = plan.statusComment ?? (await deps.gateway.findComment(ref.issueNumber, STATUS_MARKER)) ?? undefined;
    if (id && id === plan.statusComment && deps.statusCache.get(id) === body) {
      // What GitHub shows is already this; an older edit still waiting would undo it.
      deps.writes?.cancel(STATUS_WRITE);
      return true;
    }
    // Deferred only when this process last wrote it (so it exists): otherwise the edit is made now,
    // and a deleted comment is posted again and recorded within this reconcile.
    if (id && id === plan.statusComment && deps.writes && deps.statusCache.get(id)) {
      deferStatusEdit(deps, deps.writes, id, body, onlyProgress(plan, decision));
      return true;
    }
    if (id && !(await deps.gateway.updateComment(id, body))) id = undefined; // someone deleted it
    if (!id) id = await deps.gateway.createComment(ref.issueNumber, body);
    deps.statusCache.set(id, body);
    if (id !== plan.statusComment) await writeBody(ref, { statusComment: id }, deps, deps.log);
    return true;
  } catch (error) {
    // Cosmetic: the state is written and the commands are recorded; the next reconcile redraws it.
    deps.log.warn({ err: error }, "status comment not updated; the next reconcile tries again");
    return false;
  }
}

/**
 * An edit of the known status comment, sent once the epic is quiet; a newer one replaces it. The
 * cache says what GitHub shows only once the edit is made: on failure (or a deleted comment) it
 * is cleared, so the next reconcile draws the comment again (or posts it anew).
 */
function deferStatusEdit(deps: ReconcileDeps, writes: EpicWrites, id: number, body: string, patient: boolean): void {
  const { gateway, statusCache, log } = deps;
  // Its node id is known once this process wrote it (REST answers it): then it may ride.
  const nodeId = gateway.commentNodeId(id);
  writes.defer(
    STATUS_WRITE,
    "status",
    async () => {
      const edited = await gateway.updateComment(id, body);
      statusCache.set(id, edited ? body : "");
    },
    (error) => {
      statusCache.set(id, "");
      log.warn({ err: error }, "status comment not updated; the next reconcile tries again");
    },
    {
      ...(nodeId
        ? {
            ride: {
              op: { kind: "update-comment" as const, commentId: nodeId, body },
              rode: (outcome) => {
                if (outcome.ok) return void statusCache.set(id, body);
                // Deleted meanwhile: the next reconcile posts it again, as after a REST 404.
                if (outcome.error.status === 404) return void statusCache.set(id, "");
                throw outcome.error;
              },
            },
          }
        : {}),
      ...(patient ? { patientMs: PROGRESS_PATIENCE_MS } : {}),
    },
  );
}
