import type { Logger } from "pino";
import { applyPatch, parseBody, type WriteTrust } from "./checklist.js";
import type { IssueRead } from "../github/gateway.js";
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
): Promise<Plan> {
  if (current && isEmptyPatch(patch)) return current;
  const fresh = await deps.gateway.getIssue(ref.issueNumber);
  const result = applyPatch(fresh.body, patch, { trust: writeTrust(fresh, deps, accept) });
  if (!result.ok) {
    await commentOnce(deps, ref.issueNumber, "body-invalid", messages.bodyParseError(result.error));
    throw new Error(`cannot write the plan: ${result.error}`);
  }
  if (result.changed) {
    await ordered(deps, "body", () => deps.gateway.updateIssueBody(ref.issueNumber, result.body));
    if (result.folded) await commentOnce(deps, ref.issueNumber, "details-folded", messages.detailsFolded());
    log.info({ status: patch.status, tasks: patch.tasks?.map((t) => `${t.id}:${t.state ?? "~"}`) }, "plan written");
  }
  return parsePlan(result.body);
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
