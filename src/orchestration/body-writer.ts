import type { Logger } from "pino";
import { applyPatch, parseBody, type WriteTrust } from "./checklist.js";
import type { IssueRead } from "../github/gateway.js";
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
    await ordered(deps, "body", () => deps.gateway.updateIssueBody(ref.issueNumber, result.body));
    wrote(deps, fresh, result.body, [{ patch, accept }]);
    if (result.folded) await commentOnce(deps, ref.issueNumber, "details-folded", messages.detailsFolded());
    log.info({ status: patch.status, tasks: patch.tasks?.map((t) => `${t.id}:${t.state ?? "~"}`) }, "plan written");
  }
  return parsePlan(result.body);
}

/** Orchestra's write is what the body is now, and what its webhook will be checked against. */
function wrote(deps: ReconcileDeps, fresh: IssueRead, body: string, patches: BodyWrite["patches"]): void {
  deps.snapshot?.wroteBody({ ...fresh, body, ...(fresh.counts ? { counts: { ...fresh.counts, edits: fresh.counts.edits + 1 } } : {}) });
  deps.bodyLog?.record({ base: fresh.body, written: body, patches });
}

/**
 * A person's edit that one of Orchestra's writes overwrote (its webhook said so) is written back,
 * with Orchestra's changes since applied to it again; as long as nobody edited the body after
 * Orchestra's last write (then their edit stands, and this one is logged). The edit is judged
 * like any other: its author's permission decides whether the epic holds.
 */
export async function restoreOverwrittenEdit(ref: EpicRef, current: IssueRead, deps: ReconcileDeps, log: Logger): Promise<boolean> {
  const overwritten = deps.bodyLog?.takeOverwritten();
  if (!overwritten) return false;
  if (current.body !== overwritten.written) {
    log.warn({ issue: ref.issueNumber }, "an edit Orchestra overwrote was not written back: the body was edited again since");
    return false;
  }
  let body = overwritten.from;
  for (const { patch, accept } of overwritten.patches) {
    const result = applyPatch(body, patch, { trust: writeTrust({ ...current, body }, deps, accept) });
    if (!result.ok) {
      log.warn({ issue: ref.issueNumber, error: result.error }, "an edit Orchestra overwrote could not be written back");
      return false;
    }
    body = result.body;
  }
  await ordered(deps, "body", () => deps.gateway.updateIssueBody(ref.issueNumber, body));
  wrote(deps, current, body, overwritten.patches);
  log.info({ issue: ref.issueNumber }, "wrote back an edit that Orchestra's own write had overwritten");
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
