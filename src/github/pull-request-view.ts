import { AUDIT_CHECK_NAME } from "../orchestration/audit-gate.js";
import type { AuditView, BaseRequirements, CheckResult, ChecksState, FailingCheck, PullRequestView } from "../orchestration/snapshot.js";
import type { GqlCheckRun, GqlContextPage, GqlPullRequest } from "./snapshot-query.js";

/** Turns GitHub's GraphQL picture of a task PR into the facts `decide()` needs. */

const PASSING_CONCLUSIONS = new Set(["SUCCESS", "NEUTRAL", "SKIPPED"]);
const MAX_SUMMARY = 1_000;

/**
 * `pr` carries every check context of its head: the gateway reads the pages past the first
 * before calling this.
 */
export function toPullRequestView(pr: GqlPullRequest, repoFullName: string, ownAppId?: number): PullRequestView {
  const head = pr.commits.nodes[0]?.commit;
  const audit = ownAppId !== undefined && head ? splitOwnAudit(head.statusCheckRollup, ownAppId) : undefined;
  const { checks, failing } = head ? checkState(audit?.others ?? head.statusCheckRollup) : { checks: "none" as const, failing: [] };
  const reviews = reviewState(pr);
  const required = requirements(pr);
  const present = new Set(
    (head?.statusCheckRollup?.contexts.nodes ?? []).map((context) => (context.__typename === "CheckRun" ? context.name : context.context)),
  );
  const missingChecks = required?.checks.filter((name) => !present.has(name)) ?? [];
  return {
    number: pr.number,
    url: pr.url,
    state: pr.merged ? "merged" : pr.state === "OPEN" ? "open" : "closed",
    headRef: pr.headRefName,
    headSha: pr.headRefOid,
    ...(pr.headRef?.id ? { headRefId: pr.headRef.id } : {}),
    baseRef: pr.baseRefName,
    ...(pr.createdAt ? { createdAt: pr.createdAt } : {}),
    sameRepo: pr.headRepository?.nameWithOwner.toLowerCase() === repoFullName.toLowerCase(),
    isDraft: pr.isDraft,
    mergeable: pr.mergeable === "MERGEABLE" ? true : pr.mergeable === "CONFLICTING" ? false : null,
    ...(pr.mergeStateStatus ? { mergeState: pr.mergeStateStatus } : {}),
    ...(pr.baseRefOid ? { baseSha: pr.baseRefOid } : {}),
    ...(required ? { required } : {}),
    ...(missingChecks.length > 0 ? { missingChecks } : {}),
    ...(pr.reviewDecision ? { reviewDecision: pr.reviewDecision } : {}),
    ...(head?.committedDate ? { headCommittedAt: head.committedDate } : {}),
    checks,
    // The rollup belongs to the commit it was read at, which may lag the head by a push.
    checksSha: head?.oid ?? "",
    failingChecks: failing,
    ...reviews,
    ...(audit?.view ? { audit: audit.view } : {}),
    ...(audit ? { checkResults: checkResults(audit.others) } : {}),
  };
}

type Rollup = NonNullable<GqlPullRequest["commits"]["nodes"][number]>["commit"]["statusCheckRollup"];

/** The auditor reads this much of its own verdict back: the findings it sends the agent. */
const MAX_AUDIT_SUMMARY = 8_000;

/**
 * Orchestra's own audit runs (by app id, never by name alone) taken out of the rollup, so its
 * verdict is neither a check that turns the PR red nor one that satisfies `requireChecks`. With
 * them out, GitHub's combined state no longer describes what is left: the contexts (all read,
 * see the gateway) say it instead.
 */
function splitOwnAudit(rollup: Rollup, ownAppId: number): { others: Rollup; view?: AuditView } {
  if (!rollup) return { others: rollup };
  const own = rollup.contexts.nodes.filter(
    (context) => context.__typename === "CheckRun" && context.name === AUDIT_CHECK_NAME && context.checkSuite?.app?.databaseId === ownAppId,
  );
  if (own.length === 0) return { others: rollup };
  const others = rollup.contexts.nodes.filter((context) => !own.includes(context));
  // The newest run decides (a higher database id is a later run).
  const latest = (own as GqlCheckRun[]).reduce((a, b) => (b.databaseId > a.databaseId ? b : a));
  const view: AuditView | undefined =
    latest.status === "COMPLETED"
      ? { passed: PASSING_CONCLUSIONS.has(latest.conclusion ?? ""), summary: (latest.summary ?? "").slice(0, MAX_AUDIT_SUMMARY) }
      : undefined;
  const state = others.length === 0 ? "SUCCESS" : contextsState(others);
  return { others: { state, contexts: { ...rollup.contexts, nodes: others } }, ...(view ? { view } : {}) };
}

/** The combined state of the contexts alone, as GitHub would compute it. */
export function contextsState(contexts: GqlContextPage["nodes"]): string {
  let pending = false;
  for (const context of contexts) {
    if (context.__typename === "CheckRun") {
      if (context.status !== "COMPLETED") pending = true;
      else if (!PASSING_CONCLUSIONS.has(context.conclusion ?? "")) return "FAILURE";
    } else if (context.state === "PENDING" || context.state === "EXPECTED") {
      pending = true;
    } else if (context.state !== "SUCCESS") {
      return "FAILURE";
    }
  }
  return pending ? "PENDING" : "SUCCESS";
}

const MAX_CHECK_RESULT_SUMMARY = 500;

function checkResults(rollup: Rollup): CheckResult[] {
  return (rollup?.contexts.nodes ?? []).map((context) =>
    context.__typename === "CheckRun"
      ? {
          name: context.name,
          result: (context.status === "COMPLETED" ? (context.conclusion ?? "completed") : context.status).toLowerCase(),
          summary: [context.title, context.summary].filter(Boolean).join("\n").slice(0, MAX_CHECK_RESULT_SUMMARY),
        }
      : { name: context.context, result: context.state.toLowerCase(), summary: (context.description ?? "").slice(0, MAX_CHECK_RESULT_SUMMARY) },
  );
}

function requirements(pr: GqlPullRequest): BaseRequirements | undefined {
  const rule = pr.baseRef?.refUpdateRule;
  if (!rule) return undefined;
  return {
    checks: [...new Set((rule.requiredStatusCheckContexts ?? []).filter((name): name is string => Boolean(name)))],
    approvals: rule.requiredApprovingReviewCount ?? 0,
    codeOwners: rule.requiresCodeOwnerReviews,
    conversations: rule.requiresConversationResolution,
  };
}

function checkState(
  rollup: Rollup,
): { checks: ChecksState; failing: FailingCheck[] } {
  const contexts = rollup?.contexts.nodes ?? [];
  if (contexts.length === 0) return { checks: "none", failing: [] };
  const failing: FailingCheck[] = [];
  let pending = false;
  for (const context of contexts) {
    if (context.__typename === "CheckRun") {
      if (context.status !== "COMPLETED") pending = true;
      else if (!PASSING_CONCLUSIONS.has(context.conclusion ?? "")) {
        failing.push({
          name: context.name,
          summary: [context.title, context.summary].filter(Boolean).join("\n").slice(0, MAX_SUMMARY),
        });
      }
    } else if (context.state === "PENDING" || context.state === "EXPECTED") {
      pending = true;
    } else if (context.state !== "SUCCESS") {
      failing.push({ name: context.context, summary: (context.description ?? "").slice(0, MAX_SUMMARY) });
    }
  }
  // The rollup's own verdict covers contexts beyond the page read: a red one there is red here.
  if (failing.length === 0 && (rollup?.state === "FAILURE" || rollup?.state === "ERROR")) {
    failing.push({ name: "(a check not listed here)", summary: `GitHub reports the combined state of the checks as ${rollup.state}.` });
  }
  if (!pending && failing.length === 0 && rollup?.state !== undefined && rollup.state !== "SUCCESS") pending = true;
  return { checks: failing.length > 0 ? "failure" : pending ? "pending" : "success", failing };
}

/**
 * Reviews count by the reviewer's permission, as GitHub reports it on the review itself
 * (`authorCanPushToRepository`, no extra request): only people with write access approve or
 * request changes, and an approval counts only at the head it approved. Anyone else's review is
 * listed as ignored, and its text never reaches an agent.
 */
function reviewState(pr: GqlPullRequest): Pick<PullRequestView, "approved" | "changesRequested" | "ignoredReviews" | "reviewsIncomplete"> {
  const latestByAuthor = new Map<string, GqlPullRequest["reviews"]["nodes"][number]>();
  const ignored: NonNullable<PullRequestView["ignoredReviews"]> = [];
  for (const review of pr.reviews.nodes) {
    // A comment-only review does not change what its author last decided.
    if (!["APPROVED", "CHANGES_REQUESTED", "DISMISSED"].includes(review.state)) continue;
    // Apps are not counted even with write access: a review bot can often be prompted by anyone.
    if (review.authorCanPushToRepository !== true || !review.author || review.author.__typename === "Bot") {
      if (review.state !== "DISMISSED") ignored.push({ id: review.databaseId, author: review.author?.login ?? "ghost", state: review.state });
      continue;
    }
    latestByAuthor.set(review.author.login, review);
  }
  const latest = [...latestByAuthor.values()];
  const blocking = latest.filter((review) => review.state === "CHANGES_REQUESTED");
  const newest = blocking.reduce<(typeof blocking)[number] | undefined>(
    (acc, review) => (!acc || review.databaseId > acc.databaseId ? review : acc),
    undefined,
  );
  return {
    approved:
      blocking.length === 0 && latest.some((review) => review.state === "APPROVED" && review.commit?.oid === pr.headRefOid),
    ...(ignored.length > 0 ? { ignoredReviews: ignored } : {}),
    // More deciding reviews than were read: an older change request may be among the unread.
    ...((pr.reviews.totalCount ?? 0) > pr.reviews.nodes.length ? { reviewsIncomplete: true } : {}),
    ...(newest
      ? {
          changesRequested: {
            id: newest.databaseId,
            author: newest.author?.login ?? "ghost",
            text: [
              newest.body,
              ...newest.comments.nodes.map((c) => `- \`${c.path}${c.line ? `:${c.line}` : ""}\`: ${c.body}`),
            ]
              .filter(Boolean)
              .join("\n"),
          },
        }
      : {}),
  };
}
