import { toPullRequestView } from "./pull-request-view.js";
import { PULLS_PER_BRANCH, type GqlComment, type GqlIssueFields, type GqlSnapshot } from "./snapshot-query.js";
import { inRepository, toChildRead } from "./sub-issues-query.js";
import type { CommentRead, IssueRead, SnapshotRead } from "./gateway.js";
import type { PullRequestView } from "../orchestration/snapshot.js";

/** GitHub's answer to the snapshot query, every check context read, with what it was asked for. */
export interface SnapshotSource {
  data: GqlSnapshot;
  branches: string[];
  ownAppId?: number;
}

/** The issue's own fields, as the snapshot and the read before a write both ask for them. */
export function toIssueRead(issue: GqlIssueFields & { userContentEdits?: { totalCount: number }; timelineItems?: { totalCount: number } }): IssueRead {
  return {
    id: issue.id,
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: issue.state === "OPEN" ? "open" : "closed",
    createdAt: issue.createdAt,
    ...(issue.userContentEdits && issue.timelineItems ? { counts: { edits: issue.userContentEdits.totalCount, renames: issue.timelineItems.totalCount } } : {}),
  };
}

export function toComment(node: GqlComment): CommentRead {
  const login = node.author?.login ?? null;
  return { id: node.databaseId, ...(node.id ? { nodeId: node.id } : {}), body: node.body, ...(node.createdAt ? { createdAt: node.createdAt } : {}), author: login, bot: node.author?.__typename === "Bot" || Boolean(login?.endsWith("[bot]")) };
}

/** The facts a reconcile works with, from the snapshot query's answer (no I/O: it may be a cached answer). */
export function toSnapshotRead(source: SnapshotSource): SnapshotRead {
  const { data, branches, ownAppId } = source;
  const repository = data.repository;
  const pulls = new Map<string, PullRequestView[]>();
  const foreignPulls = new Map<string, PullRequestView[]>();
  const pullComments = new Map<number, CommentRead[]>();
  const crowdedBranches = new Set<string>();
  const empty = { comments: [], olderComments: null, pullComments, crowdedBranches };
  if (!repository) return { defaultBranch: "main", deleteBranchOnMerge: false, issue: null, pulls, foreignPulls, ...empty };
  branches.forEach((branch, i) => {
    if ((repository[`b${i}`]?.nodes.length ?? 0) >= PULLS_PER_BRANCH) crowdedBranches.add(branch);
    const nodes = (repository[`b${i}`]?.nodes ?? []).filter((node) => node.headRefName === branch);
    const views = nodes.map((node) => toPullRequestView(node, repository.nameWithOwner, ownAppId));
    const own = views.filter((pr) => pr.sameRepo);
    if (own.length > 0) pulls.set(branch, own);
    for (const pr of own) pullComments.set(pr.number, (nodes[views.indexOf(pr)]!.comments?.nodes ?? []).map(toComment));
    const foreign = views.filter((pr) => !pr.sameRepo);
    if (foreign.length > 0) foreignPulls.set(branch, foreign);
  });
  const issue = repository.issue;
  return {
    defaultBranch: repository.defaultBranchRef?.name ?? "main",
    deleteBranchOnMerge: repository.deleteBranchOnMerge,
    issue: issue && {
      ...toIssueRead(issue),
      labels: (issue.labels?.nodes ?? []).map((label) => label.name),
      ...(issue.subIssues ? { children: issue.subIssues.nodes.filter((node) => inRepository(node, repository.nameWithOwner)).map(toChildRead) } : {}),
    },
    pulls,
    foreignPulls,
    comments: (issue?.comments?.nodes ?? []).map(toComment),
    olderComments: issue?.comments?.pageInfo.hasPreviousPage ? issue.comments.pageInfo.startCursor : null,
    pullComments,
    crowdedBranches,
    source,
  };
}
