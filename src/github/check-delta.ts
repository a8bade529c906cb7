import { AUDIT_CHECK_NAME } from "../orchestration/audit-gate.js";
import { contextsState } from "./pull-request-view.js";
import type { GqlCheckRun, GqlPullRequest, GqlSnapshot, GqlStatusContext } from "./snapshot-query.js";

/**
 * A check that finished, as GitHub's signed webhook tells it: what the snapshot cache needs to
 * bring an earlier snapshot up to date without asking GitHub again. Only completions: the
 * checks a snapshot saw start are all that can change under it unseen.
 */
export type CheckDelta =
  | { kind: "check_run"; sha: string; id: number; name: string; conclusion: string | null; title: string | null; summary: string | null }
  | { kind: "check_suite"; sha: string; appId: number | null; conclusion: string | null }
  | { kind: "status"; sha: string; context: string; state: string; description: string | null };

const PASSING = new Set(["SUCCESS", "NEUTRAL", "SKIPPED"]);
/** GitHub's verdicts that do not depend on anything but the checks. */
const CHECK_DEPENDENT = new Set(["CLEAN", "UNSTABLE", "HAS_HOOKS"]);

/**
 * Applies a finished check to a snapshot's answer, in place. False when the snapshot cannot be
 * brought up to date from it alone — a check it never saw start, a head it did not read, a PR
 * whose merge verdict rests on more than its checks (a rule, a review, a conflict, a verdict
 * GitHub had not computed), a failure (whose details the snapshot must read), Orchestra's own
 * audit — and the next reconcile must read GitHub. Nothing is ever guessed: what is patched is
 * what GitHub said, and GitHub's merge verdict is only carried from UNSTABLE to CLEAN (and back)
 * as GitHub derives it, from the checks alone.
 */
export function applyCheckDelta(data: GqlSnapshot, branchCount: number, delta: CheckDelta): boolean {
  const repository = data.repository;
  if (!repository) return false;
  const heads: GqlPullRequest[] = [];
  for (let i = 0; i < branchCount; i++) {
    for (const pr of repository[`b${i}`]?.nodes ?? []) {
      if (pr.state === "OPEN" && pr.commits.nodes[0]?.commit.oid === delta.sha) heads.push(pr);
    }
  }
  if (heads.length === 0) return false;
  return heads.every((pr) => applyToPull(pr, delta));
}

function applyToPull(pr: GqlPullRequest, delta: CheckDelta): boolean {
  const rollup = pr.commits.nodes[0]?.commit.statusCheckRollup;
  if (!rollup || pr.mergeable !== "MERGEABLE" || !pr.mergeStateStatus || !CHECK_DEPENDENT.has(pr.mergeStateStatus)) return false;
  const contexts = rollup.contexts.nodes;
  if (rollup.contexts.pageInfo?.hasNextPage) return false;
  if (delta.kind === "check_run") {
    const run = contexts.find((context): context is GqlCheckRun => context.__typename === "CheckRun" && context.databaseId === delta.id);
    const conclusion = delta.conclusion?.toUpperCase() ?? "";
    if (!run || run.name === AUDIT_CHECK_NAME || !PASSING.has(conclusion)) return false;
    Object.assign(run, { status: "COMPLETED", conclusion, title: delta.title, summary: delta.summary });
  } else if (delta.kind === "check_suite") {
    // A suite's runs each report on their own: its completion adds nothing, but must agree.
    const runs = contexts.filter((context): context is GqlCheckRun => context.__typename === "CheckRun" && context.checkSuite?.app?.databaseId === delta.appId);
    const settled = runs.length > 0 && runs.every((run) => run.status === "COMPLETED" && PASSING.has(run.conclusion ?? ""));
    if (!settled || !PASSING.has(delta.conclusion?.toUpperCase() ?? "")) return false;
  } else {
    const status = contexts.find((context): context is GqlStatusContext => context.__typename === "StatusContext" && context.context === delta.context);
    const state = delta.state.toUpperCase();
    if (!status || state !== "SUCCESS") return false;
    Object.assign(status, { state, description: delta.description });
  }
  rollup.state = contextsState(contexts);
  if (pr.mergeStateStatus !== "HAS_HOOKS") pr.mergeStateStatus = rollup.state === "SUCCESS" ? "CLEAN" : "UNSTABLE";
  return true;
}
