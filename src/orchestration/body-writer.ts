import type { Logger } from "pino";
import { applyPatch, parseBody } from "./checklist.js";
import { commentOnce } from "./comment-once.js";
import * as messages from "./messages.js";
import type { EpicRef, ReconcileDeps } from "./reconcile-deps.js";
import type { Plan, PlanPatch } from "./types.js";

function isEmptyPatch(patch: PlanPatch): boolean {
  return (
    patch.status === undefined &&
    patch.statusComment === undefined &&
    !patch.runsDelta &&
    !patch.tasks?.length &&
    !patch.replacePending
  );
}

/** Re-reads the body and applies only Orchestra's own changes, so a person's edit made meanwhile survives. */
export async function writeBody(
  ref: EpicRef,
  patch: PlanPatch,
  deps: ReconcileDeps,
  log: Logger,
  current?: Plan,
): Promise<Plan> {
  if (current && isEmptyPatch(patch)) return current;
  const fresh = await deps.gateway.getIssue(ref.issueNumber);
  const result = applyPatch(fresh.body, patch);
  if (!result.ok) {
    await commentOnce(deps, ref.issueNumber, "body-invalid", messages.bodyParseError(result.error));
    throw new Error(`cannot write the plan: ${result.error}`);
  }
  if (result.changed) {
    await deps.gateway.updateIssueBody(ref.issueNumber, result.body);
    if (result.folded) await commentOnce(deps, ref.issueNumber, "details-folded", messages.detailsFolded());
    log.info({ status: patch.status, tasks: patch.tasks?.map((t) => `${t.id}:${t.state ?? "~"}`) }, "plan written");
  }
  return parsePlan(result.body);
}

export function parsePlan(body: string): Plan {
  const parsed = parseBody(body);
  return parsed.ok && parsed.parsed.plan ? parsed.parsed.plan : { status: "planned", runs: 0, tasks: [] };
}
