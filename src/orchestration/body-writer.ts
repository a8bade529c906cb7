import type { Logger } from "pino";
import { applyPatch, parseBody, type WriteTrust } from "./checklist.js";
import type { IssueRead } from "../github/gateway.js";
import type { WriteOp, WriteOutcome } from "../github/write-batch.js";
import { createStateSigner } from "./trust/state-mac.js";
import { commentOnce } from "./comment-once.js";
import * as messages from "./messages.js";
import { ordered } from "./ordered-write.js";
import type { EpicRef, ReconcileDeps } from "./reconcile-deps.js";
import type { Plan, PlanPatch } from "./types.js";

function isEmptyPatch(patch: PlanPatch): boolean {
  return (
    patch.status === undefined &&
    patch.statusComment === undefined &&
    !patch.runsDelta &&
    !patch.llmTokensDelta &&
    !patch.tasks?.length &&
    !patch.replacePending &&
    patch.acceptDigest === undefined &&
    patch.held === undefined &&
    patch.commandCursor === undefined &&
    !patch.closedOut?.length &&
    !patch.addTasks?.length &&
    !patch.subIssuesCreated?.length &&
    !patch.taskDeps?.length
  );
}

/** What goes out with a body write, in its request. */
export interface AlongWrites {
  /** Called with the plan the write produces, before it is sent: what may ride with it is deferred now. */
  before?: (plan: Plan) => void;
  /** Writes sent after the body in its request (the completion comment, closing the issue). */
  ops?: (plan: Plan, issueId: string) => WriteOp[];
  /** Their outcomes, in order; not called when the body did not change (nothing was sent). */
  sent?: (outcomes: WriteOutcome[]) => void;
}

/**
 * Re-reads the body and applies only Orchestra's own changes, so a person's edit made meanwhile
 * survives; signs what it writes (see WriteTrust for what text it accepts).
 */
export async function writeBody(
  ref: EpicRef,
  patch: PlanPatch,
  deps: ReconcileDeps,
  log: Logger,
  current?: Plan,
  accept: Pick<WriteTrust, "acceptAll" | "believeUnsigned"> = {},
  along: AlongWrites = {},
): Promise<Plan> {
  if (current && isEmptyPatch(patch)) return current;
  const fresh = await deps.gateway.getIssue(ref.issueNumber);
  const result = applyPatch(fresh.body, patch, { trust: writeTrust(fresh, deps, accept) });
  if (!result.ok) {
    await commentOnce(deps, ref.issueNumber, "body-invalid", messages.bodyParseError(result.error));
    throw new Error(`cannot write the plan: ${result.error}`);
  }
  if (result.changed) {
    const plan = parsePlan(result.body);
    along.before?.(plan);
    const outcomes = await sendBody(ref, fresh.id, result.body, along.ops?.(plan, fresh.id) ?? [], deps);
    along.sent?.(outcomes);
    if (result.folded) await commentOnce(deps, ref.issueNumber, "details-folded", messages.detailsFolded());
    log.info({ status: patch.status, tasks: patch.tasks?.map((t) => `${t.id}:${t.state ?? "~"}`) }, "plan written");
  }
  return parsePlan(result.body);
}

/**
 * The body write, with `extra` writes after it and the epic's deferred writes that may ride (a
 * status edit, a merged branch's deletion) in the same GraphQL request; alone, over REST, when
 * there is nothing to carry. Throws the body's own refusal; returns the outcomes of `extra`.
 */
async function sendBody(ref: EpicRef, issueId: string, body: string, extra: WriteOp[], deps: ReconcileDeps): Promise<WriteOutcome[]> {
  const batch = async (rides: Array<{ op: WriteOp; settle: (outcome: WriteOutcome) => void }>): Promise<WriteOutcome[]> => {
    if (rides.length === 0 && extra.length === 0) {
      await deps.gateway.updateIssueBody(ref.issueNumber, body);
      return [];
    }
    const outcomes = await deps.gateway.writeBatch([{ kind: "update-issue", issueId, body }, ...extra, ...rides.map((ride) => ride.op)]);
    rides.forEach((ride, i) => ride.settle(outcomes[1 + extra.length + i]!));
    const own = outcomes[0]!;
    if (!own.ok) throw own.error;
    return outcomes.slice(1, 1 + extra.length);
  };
  if (deps.writes?.carry) return deps.writes.carry("body", batch);
  return ordered(deps, "body", () => batch([]));
}

/** How Orchestra signs a write onto the issue just read. */
export function writeTrust(fresh: IssueRead, deps: ReconcileDeps, accept: Pick<WriteTrust, "acceptAll" | "believeUnsigned"> = {}): WriteTrust {
  return {
    signer: createStateSigner(deps.stateKeys, fresh.id),
    title: fresh.title,
    ...(fresh.counts ? { counts: fresh.counts } : {}),
    ...accept,
  };
}

export function parsePlan(body: string): Plan {
  const parsed = parseBody(body);
  return parsed.ok && parsed.parsed.plan ? parsed.parsed.plan : { status: "planned", runs: 0, tasks: [] };
}
