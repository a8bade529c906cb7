import { AUDIT_CHECK_NAME } from "../orchestration/audit-gate.js";
import { contextsState } from "./pull-request-view.js";
import type { GqlCheckRun, GqlPullRequest, GqlSnapshot } from "./snapshot-query.js";

/**
 * A check run or suite that finished, as GitHub's signed webhook tells it: what the snapshot
 * cache needs to bring an earlier snapshot up to date without asking GitHub again. Commit
 * statuses are not taken in: a status can go back to pending on the same context, and its
 * webhook carries nothing to tell a late success from the current one.
 */
export type CheckDelta =
  | {
      kind: "check_run";
      sha: string;
      id: number;
      conclusion: string | null;
      title: string | null;
      summary: string | null;
      /** When this run (this time) started: a late webhook of an earlier run of the same id does not match. */
      startedAt: string | null;
      /** Its suite had finished too: no run of the suite is still to come. */
      suiteCompleted: boolean;
    }
  | { kind: "check_suite"; sha: string; id: number; conclusion: string | null }
  /** A run that started (created, or re-requested on the same id): the snapshot holds it as running. */
  | { kind: "check_run_started"; sha: string; id: number; name: string; status: string; startedAt: string | null; suiteId: number; appId: number | null };

const PASSING = new Set(["SUCCESS", "NEUTRAL", "SKIPPED"]);
/** GitHub's verdicts that do not depend on anything but the checks. */
const CHECK_DEPENDENT = new Set(["CLEAN", "UNSTABLE", "HAS_HOOKS"]);

/**
 * Applies a finished check to a snapshot's answer, in place. "taken" when the snapshot is up to
 * date and a merge may be decided on it; "pending" when it took the check in but its suite may
 * still add runs (so only the suite's own completion can make it decisive); "stale" when it
 * cannot be brought up to date from the webhook alone — a check it never saw start, one it had
 * already seen finish (a late or repeated webhook), a head it did not read, a PR whose merge
 * verdict rests on more than its checks (a rule, a review, a conflict, a verdict GitHub had not
 * computed), a rollup its contexts do not explain, a failure (whose details must be read),
 * Orchestra's own audit — and the next reconcile must read GitHub. Nothing is guessed: what is
 * patched is what GitHub said, and GitHub's merge verdict is only carried from UNSTABLE to CLEAN
 * as GitHub derives it, from the checks alone.
 */
export function applyCheckDelta(data: GqlSnapshot, branchCount: number, delta: CheckDelta): "taken" | "pending" | "stale" {
  const repository = data.repository;
  if (!repository) return "stale";
  const heads: GqlPullRequest[] = [];
  for (let i = 0; i < branchCount; i++) {
    for (const pr of repository[`b${i}`]?.nodes ?? []) {
      if (pr.state === "OPEN" && pr.commits.nodes[0]?.commit.oid === delta.sha) heads.push(pr);
    }
  }
  if (heads.length === 0) return "stale";
  const results = heads.map((pr) => applyToPull(pr, delta));
  if (results.includes("stale")) return "stale";
  return results.includes("pending") ? "pending" : "taken";
}

function applyToPull(pr: GqlPullRequest, delta: CheckDelta): "taken" | "pending" | "stale" {
  const rollup = pr.commits.nodes[0]?.commit.statusCheckRollup;
  if (!rollup || pr.mergeable !== "MERGEABLE" || !pr.mergeStateStatus || !CHECK_DEPENDENT.has(pr.mergeStateStatus)) return "stale";
  const contexts = rollup.contexts.nodes;
  // GitHub's own verdict must be what the contexts held explain, or it covers something unseen.
  if (rollup.contexts.pageInfo?.hasNextPage || rollup.state !== contextsState(contexts)) return "stale";
  const runs = contexts.filter((context): context is GqlCheckRun => context.__typename === "CheckRun");
  let result: "taken" | "pending" = "taken";
  if (delta.kind === "check_run_started") {
    if (delta.name === AUDIT_CHECK_NAME) return "stale";
    const started: GqlCheckRun = {
      __typename: "CheckRun",
      databaseId: delta.id,
      name: delta.name,
      status: delta.status.toUpperCase() === "IN_PROGRESS" ? "IN_PROGRESS" : "QUEUED",
      conclusion: null,
      title: null,
      summary: null,
      detailsUrl: null,
      startedAt: delta.startedAt,
      checkSuite: { databaseId: delta.suiteId, app: { databaseId: delta.appId } },
    };
    const index = contexts.findIndex((context) => context.__typename === "CheckRun" && context.databaseId === delta.id);
    if (index >= 0) contexts[index] = started;
    else contexts.push(started);
    // Nothing was decided by a start: the pass it asks for may use the snapshot.
    result = "pending";
  } else if (delta.kind === "check_run") {
    const run = runs.find((candidate) => candidate.databaseId === delta.id);
    const conclusion = delta.conclusion?.toUpperCase() ?? "";
    if (!run || run.status === "COMPLETED" || run.name === AUDIT_CHECK_NAME || !PASSING.has(conclusion)) return "stale";
    if (run.startedAt && (!delta.startedAt || Date.parse(run.startedAt) !== Date.parse(delta.startedAt))) return "stale";
    Object.assign(run, { status: "COMPLETED", conclusion, title: delta.title, summary: delta.summary });
    if (!delta.suiteCompleted) result = "pending";
  } else {
    // A suite's runs each report on their own: its completion adds no result, but says no run of it is still to come.
    const own = runs.filter((run) => run.checkSuite?.databaseId === delta.id);
    const settled = own.length > 0 && own.every((run) => run.status === "COMPLETED" && PASSING.has(run.conclusion ?? ""));
    if (!settled || !PASSING.has(delta.conclusion?.toUpperCase() ?? "")) return "stale";
  }
  rollup.state = contextsState(contexts);
  if (pr.mergeStateStatus !== "HAS_HOOKS") pr.mergeStateStatus = rollup.state === "SUCCESS" ? "CLEAN" : "UNSTABLE";
  return result;
}
