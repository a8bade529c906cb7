import type { ChecksState, FailingCheck, PullRequestView } from "../orchestration/snapshot.js";
import type { GqlPullRequest } from "./snapshot-query.js";

/** Turns GitHub's GraphQL picture of a task PR into the facts `decide()` needs. */

const PASSING_CONCLUSIONS = new Set(["SUCCESS", "NEUTRAL", "SKIPPED"]);
const MAX_SUMMARY = 1_000;

export function toPullRequestView(pr: GqlPullRequest, repoFullName: string): PullRequestView {
  const head = pr.commits.nodes[0]?.commit;
  const { checks, failing } = head ? checkState(head.statusCheckRollup) : { checks: "none" as const, failing: [] };
  const reviews = reviewState(pr);
  return {
    number: pr.number,
    url: pr.url,
    state: pr.merged ? "merged" : pr.state === "OPEN" ? "open" : "closed",
    headRef: pr.headRefName,
    headSha: pr.headRefOid,
    sameRepo: pr.headRepository?.nameWithOwner.toLowerCase() === repoFullName.toLowerCase(),
    isDraft: pr.isDraft,
    mergeable: pr.mergeable === "MERGEABLE" ? true : pr.mergeable === "CONFLICTING" ? false : null,
    checks,
    // The rollup belongs to the commit it was read at, which may lag the head by a push.
    checksSha: head?.oid ?? "",
    failingChecks: failing,
    ...reviews,
  };
}

function checkState(
  rollup: NonNullable<GqlPullRequest["commits"]["nodes"][number]>["commit"]["statusCheckRollup"],
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
  return { checks: failing.length > 0 ? "failure" : pending ? "pending" : "success", failing };
}

function reviewState(pr: GqlPullRequest): Pick<PullRequestView, "approved" | "changesRequested"> {
  const latestByAuthor = new Map<string, GqlPullRequest["reviews"]["nodes"][number]>();
  for (const review of pr.reviews.nodes) {
    // A comment-only review does not change what its author last decided.
    if (!["APPROVED", "CHANGES_REQUESTED", "DISMISSED"].includes(review.state)) continue;
    latestByAuthor.set(review.author?.login ?? "ghost", review);
  }
  const latest = [...latestByAuthor.values()];
  const blocking = latest.filter((review) => review.state === "CHANGES_REQUESTED");
  const newest = blocking.reduce<(typeof blocking)[number] | undefined>(
    (acc, review) => (!acc || review.databaseId > acc.databaseId ? review : acc),
    undefined,
  );
  return {
    approved: blocking.length === 0 && latest.some((review) => review.state === "APPROVED"),
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
