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
import type { BodyWrite } from "../runtime/body-write-log.js";

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
 * Applies only Orchestra's own changes to the body as it is now, so a person's edit made
 * meanwhile survives: read again unless the snapshot (or this reconcile's last write) is known to
 * be the latest, because no event about the epic came in since. Signs what it writes (see
 * WriteTrust for what text it accepts).
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
  // Nothing has told of an edit since the snapshot (or Orchestra's last write): no read first.
  const fresh = deps.snapshot?.issue() ?? (await deps.gateway.getIssue(ref.issueNumber));
  const result = applyPatch(fresh.body, patch, { trust: writeTrust(fresh, deps, accept) });
  if (!result.ok) {
    await commentOnce(deps, ref.issueNumber, "body-invalid", messages.bodyParseError(result.error));
    throw new Error(`cannot write the plan: ${result.error}`);
  }
  if (result.changed) {
    const plan = parsePlan(result.body);
    along.before?.(plan);
    const outcomes = await sendBody(ref, fresh.id, result.body, along.ops?.(plan, fresh.id) ?? [], deps);
    wrote(deps, fresh, result.body, [{ patch, accept }]);
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

/** Orchestra's write is what the body is now, and what its webhook will be checked against. */
function wrote(deps: ReconcileDeps, fresh: IssueRead, body: string, patches: BodyWrite["patches"]): void {
  deps.snapshot?.wroteBody({ ...fresh, body, ...(fresh.counts ? { counts: { ...fresh.counts, edits: fresh.counts.edits + 1 } } : {}) });
  deps.bodyLog?.record({ base: fresh.body, written: body, patches });
}

/**
 * A person's edit that one of Orchestra's writes overwrote (its webhook said so) is written back,
 * with Orchestra's changes since applied to it again, as long as nobody edited the body after
 * Orchestra's last write (their edit then stands, and the person is told where theirs is). The
 * write accepts nothing: the edit written back is judged like any other, from GitHub's history,
 * by the next pass (whose edit counts still ask about it).
 */
export async function restoreOverwrittenEdit(ref: EpicRef, deps: ReconcileDeps, log: Logger): Promise<boolean> {
  const overwritten = deps.bodyLog?.overwritten();
  if (!overwritten) return false;
  const current = await deps.gateway.getIssue(ref.issueNumber);
  let body: string | undefined = overwritten.from;
  if (current.body === overwritten.written) {
    for (const { patch } of overwritten.patches) {
      const result = applyPatch(body, patch, { trust: { ...writeTrust(current, deps), neverAccept: true } });
      body = result.ok ? result.body : undefined;
      if (body === undefined) break;
    }
  } else {
    body = undefined;
  }
  if (body === undefined) {
    log.warn({ issue: ref.issueNumber }, "an edit Orchestra overwrote could not be written back");
    await commentOnce(deps, ref.issueNumber, `edit-overwritten-${current.counts?.edits ?? 0}`, messages.editOverwritten());
  } else {
    await ordered(deps, "body", () => deps.gateway.updateIssueBody(ref.issueNumber, body));
    wrote(deps, current, body, overwritten.patches);
    log.info({ issue: ref.issueNumber }, "wrote back an edit that Orchestra's own write had overwritten");
  }
  deps.bodyLog?.settled();
  return true;
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
