import { EDIT_WINDOW } from "../orchestration/trust/attribution.js";
import { CHILD_ISSUE_FRAGMENT, SUB_ISSUES_FIELD, type GqlSubIssues } from "./sub-issues-query.js";

/**
 * One GraphQL query reads everything a reconcile needs from GitHub: the issue and, for each
 * task branch, its pull request with head sha, mergeability, reviews and the check rollup of
 * the head commit. REST would need four or five calls per task for the same picture.
 *
 * Branches are passed as variables `$b0`, `$b1`, … and read under the aliases `b0`, `b1`, …
 */
/** Deciding reviews read per PR (comment-only ones are not asked for, so they cannot crowd these out). */
export const REVIEW_WINDOW = 50;
/** GitHub's largest page of check contexts; a commit with more is read on with CONTEXTS_QUERY. */
export const CONTEXTS_PAGE = 100;

const CONTEXT_FIELDS = `
            nodes {
              __typename
              ... on CheckRun { databaseId name status conclusion title summary detailsUrl startedAt checkSuite { databaseId app { databaseId } } }
              ... on StatusContext { context state description targetUrl }
            }
            pageInfo { hasNextPage endCursor }`;

const PULL_REQUEST_FIELDS = `
  number
  url
  state
  merged
  mergeable
  mergeStateStatus
  reviewDecision
  isDraft
  headRefName
  headRefOid
  headRef { id }
  baseRefName
  baseRefOid
  baseRef { refUpdateRule { requiredStatusCheckContexts requiredApprovingReviewCount requiresCodeOwnerReviews requiresConversationResolution } }
  headRepository { nameWithOwner }
  createdAt
  comments(last: 20) { nodes { ...CommandComment } }
  reviews(last: ${REVIEW_WINDOW}, states: [APPROVED, CHANGES_REQUESTED, DISMISSED]) {
    totalCount
    nodes {
      databaseId
      state
      body
      authorCanPushToRepository
      author { __typename login }
      commit { oid }
      comments(first: 30) { nodes { path line body } }
    }
  }
  commits(last: 1) {
    nodes {
      commit {
        oid
        committedDate
        statusCheckRollup {
          state
          contexts(first: ${CONTEXTS_PAGE}) { ${CONTEXT_FIELDS} }
        }
      }
    }
  }`;

export function buildSnapshotQuery(branchCount: number): string {
  const variables = ["$owner: String!", "$repo: String!", "$issue: Int!"];
  const aliases: string[] = [];
  for (let i = 0; i < branchCount; i++) {
    variables.push(`$b${i}: String!`);
    aliases.push(
      `    b${i}: pullRequests(headRefName: $b${i}, first: ${PULLS_PER_BRANCH}, states: [OPEN, MERGED, CLOSED], orderBy: { field: CREATED_AT, direction: DESC }) { nodes { ...TaskPullRequest } }`,
    );
  }
  return `query OrchestraSnapshot(${variables.join(", ")}) {
  repository(owner: $owner, name: $repo) {
    nameWithOwner
    deleteBranchOnMerge
    defaultBranchRef { name }
    issue(number: $issue) {
      id
      number
      title
      body
      state
      createdAt
      labels(first: 100) { nodes { name } }
      userContentEdits(last: 1) { totalCount }
      timelineItems(itemTypes: [RENAMED_TITLE_EVENT], last: 1) { totalCount }
      comments(last: ${COMMENT_WINDOW}) { nodes { ...CommandComment } pageInfo { hasPreviousPage startCursor } }
      ${SUB_ISSUES_FIELD}
    }
${aliases.join("\n")}
  }
}
${
  // GraphQL rejects a fragment that is defined but not used.
  branchCount > 0 ? `\nfragment TaskPullRequest on PullRequest {${PULL_REQUEST_FIELDS}\n}` : ""
}
${COMMENT_FRAGMENT}
${CHILD_ISSUE_FRAGMENT}`;
}

/**
 * PRs read per task branch, newest first: the agent's, and any others someone opened from the
 * same branch name (a fork's, or a second one from the branch itself) that must not hide it.
 */
export const PULLS_PER_BRANCH = 20;

/** Comments read with every snapshot: commands are taken from them (see read-commands.ts). */
export const COMMENT_WINDOW = 50;
const COMMENT_FRAGMENT = `fragment CommandComment on IssueComment { id databaseId body createdAt author { __typename login } }`;

/** One PR by number: the agent's, when PRs of the same branch name crowd it out of the snapshot's window. */
export const PULL_QUERY = `query OrchestraPull($owner: String!, $repo: String!, $number: Int!) {
  repository(owner: $owner, name: $repo) {
    nameWithOwner
    pullRequest(number: $number) { ...TaskPullRequest }
  }
}
fragment TaskPullRequest on PullRequest {${PULL_REQUEST_FIELDS}
}
${COMMENT_FRAGMENT}`;

export interface GqlPull {
  repository: { nameWithOwner: string; pullRequest: GqlPullRequest | null } | null;
}

export interface GqlComment {
  /** The node id: what a reaction sent in a batch names. Absent in fixtures that predate reading it. */
  id?: string;
  databaseId: number;
  body: string;
  /** Absent in fixtures that predate reading it. */
  createdAt?: string;
  author: { __typename: string; login: string } | null;
}

/**
 * The issue alone: the re-read before every write of the body, with GitHub's counts of body
 * edits and title renames, so the write can record which edits it has accounted for.
 */
export const ISSUE_QUERY = `query OrchestraIssue($owner: String!, $repo: String!, $issue: Int!) {
  repository(owner: $owner, name: $repo) {
    issue(number: $issue) {
      id number title body state createdAt
      userContentEdits(last: 1) { totalCount }
      timelineItems(itemTypes: [RENAMED_TITLE_EVENT], last: 1) { totalCount }
    }
  }
}`;

/** The fields of an issue both the snapshot and the re-read before a write ask for. */
export interface GqlIssueFields {
  id: string;
  number: number;
  title: string;
  body: string;
  state: "OPEN" | "CLOSED";
  createdAt: string;
}

export interface GqlIssue {
  repository: {
    issue: (GqlIssueFields & { userContentEdits: { totalCount: number }; timelineItems: { totalCount: number } }) | null;
  } | null;
}

const EDIT_FIELDS = "nodes { id editedAt editor { __typename login } }";
const RENAME_FIELDS = "nodes { ... on RenamedTitleEvent { id createdAt actor { __typename login } } }";

/** Who edited the body and renamed the issue: read only when the text changed since Orchestra accepted it. */
export const EDIT_HISTORY_QUERY = `query OrchestraEditHistory($owner: String!, $repo: String!, $issue: Int!) {
  repository(owner: $owner, name: $repo) {
    issue(number: $issue) {
      editsHead: userContentEdits(first: ${EDIT_WINDOW}) { totalCount ${EDIT_FIELDS} }
      editsTail: userContentEdits(last: ${EDIT_WINDOW}) { ${EDIT_FIELDS} }
      renamesHead: timelineItems(itemTypes: [RENAMED_TITLE_EVENT], first: ${EDIT_WINDOW}) { totalCount ${RENAME_FIELDS} }
      renamesTail: timelineItems(itemTypes: [RENAMED_TITLE_EVENT], last: ${EDIT_WINDOW}) { ${RENAME_FIELDS} }
    }
  }
}`;

export interface GqlActor {
  __typename: string;
  login: string;
}

export interface GqlEditHistory {
  repository: {
    issue: {
      editsHead: { totalCount: number; nodes: Array<{ id: string; editedAt: string; editor: GqlActor | null }> };
      editsTail: { nodes: Array<{ id: string; editedAt: string; editor: GqlActor | null }> };
      renamesHead: { totalCount: number; nodes: Array<{ id?: string; createdAt?: string; actor?: GqlActor | null }> };
      renamesTail: { nodes: Array<{ id?: string; createdAt?: string; actor?: GqlActor | null }> };
    } | null;
  } | null;
}

/** A page of an issue's comments, newest last; `viewerDidAuthor` is how Orchestra knows its own. */
export const COMMENTS_QUERY = `query OrchestraComments($owner: String!, $repo: String!, $issue: Int!, $before: String) {
  repository(owner: $owner, name: $repo) {
    issue(number: $issue) {
      comments(last: 100, before: $before) {
        nodes { databaseId body createdAt viewerDidAuthor author { __typename login } }
        pageInfo { hasPreviousPage startCursor }
      }
    }
  }
}`;

export interface GqlComments {
  repository: {
    issue: {
      comments: {
        nodes: Array<GqlComment & { viewerDidAuthor: boolean }>;
        pageInfo: { hasPreviousPage: boolean; startCursor: string | null };
      };
    } | null;
  } | null;
}

/** The next page of a commit's check contexts, past the first page the snapshot read. */
export const CONTEXTS_QUERY = `query OrchestraCheckContexts($owner: String!, $repo: String!, $oid: GitObjectID!, $after: String) {
  repository(owner: $owner, name: $repo) {
    object(oid: $oid) {
      ... on Commit {
        statusCheckRollup {
          state
          contexts(first: ${CONTEXTS_PAGE}, after: $after) { ${CONTEXT_FIELDS} }
        }
      }
    }
  }
}`;

export interface GqlContextPage {
  nodes: Array<GqlCheckRun | GqlStatusContext>;
  pageInfo?: { hasNextPage: boolean; endCursor: string | null };
}

export interface GqlCheckContexts {
  repository: { object: { statusCheckRollup?: { state: string; contexts: GqlContextPage } | null } | null } | null;
}

/** GitHub's verdict on whether a PR can merge now (PullRequest.mergeStateStatus). */
export type GqlMergeStateStatus = "BEHIND" | "BLOCKED" | "CLEAN" | "DIRTY" | "DRAFT" | "HAS_HOOKS" | "UNKNOWN" | "UNSTABLE";

export interface GqlCheckRun {
  __typename: "CheckRun";
  databaseId: number;
  name: string;
  status: string;
  conclusion: string | null;
  title: string | null;
  summary: string | null;
  detailsUrl: string | null;
  /** Absent in older fixtures. */
  startedAt?: string | null;
  /** The App that created the run: how Orchestra tells its own audit from another's of the same name. Absent in older fixtures. */
  checkSuite?: { databaseId?: number | null; app: { databaseId: number | null } | null } | null;
}

export interface GqlStatusContext {
  __typename: "StatusContext";
  context: string;
  state: string;
  description: string | null;
  targetUrl: string | null;
}

export interface GqlPullRequest {
  number: number;
  url: string;
  state: "OPEN" | "CLOSED" | "MERGED";
  merged: boolean;
  mergeable: "MERGEABLE" | "CONFLICTING" | "UNKNOWN";
  /** Absent from older recorded answers. */
  mergeStateStatus?: GqlMergeStateStatus;
  reviewDecision?: "APPROVED" | "CHANGES_REQUESTED" | "REVIEW_REQUIRED" | null;
  isDraft: boolean;
  headRefName: string;
  headRefOid: string;
  /** The head branch's ref (its node id: what a batched deletion names); null once deleted. */
  headRef?: { id: string } | null;
  baseRefName: string;
  baseRefOid?: string;
  /** The base branch's protection as GitHub shows it to non-admins (classic rules and rulesets). */
  baseRef?: {
    refUpdateRule: {
      requiredStatusCheckContexts: Array<string | null> | null;
      requiredApprovingReviewCount: number | null;
      requiresCodeOwnerReviews: boolean;
      requiresConversationResolution: boolean;
    } | null;
  } | null;
  headRepository: { nameWithOwner: string } | null;
  createdAt: string;
  /** Absent in fixtures that predate reading commands from comments. */
  comments?: { nodes: GqlComment[] };
  reviews: {
    /** Absent in fixtures that predate reading it. */
    totalCount?: number;
    nodes: Array<{
      databaseId: number;
      state: string;
      body: string;
      authorCanPushToRepository: boolean;
      author: { __typename?: string; login: string } | null;
      commit: { oid: string } | null;
      comments: { nodes: Array<{ path: string; line: number | null; body: string }> };
    }>;
  };
  commits: {
    nodes: Array<{
      commit: {
        oid: string;
        committedDate?: string;
        statusCheckRollup: {
          state: string;
          contexts: GqlContextPage;
        } | null;
      };
    }>;
  };
}

export interface GqlSnapshot {
  repository: {
    nameWithOwner: string;
    deleteBranchOnMerge: boolean;
    defaultBranchRef: { name: string } | null;
    issue: (GqlIssueFields & {
      labels: { nodes: Array<{ name: string }> } | null;
      /** Absent in fixtures that predate reading them. */
      userContentEdits?: { totalCount: number };
      timelineItems?: { totalCount: number };
      comments?: { nodes: GqlComment[]; pageInfo: { hasPreviousPage: boolean; startCursor: string | null } };
      /** Absent in fixtures that predate reading them. */
      subIssues?: GqlSubIssues;
    }) | null;
    [alias: `b${number}`]: { nodes: GqlPullRequest[] };
  } | null;
}

/** Who added the issue's labels, newest last: a label added while the app was down is still planned. */
export const LABELED_BY_QUERY = `query OrchestraLabeledBy($owner: String!, $repo: String!, $issue: Int!) {
  repository(owner: $owner, name: $repo) {
    issue(number: $issue) {
      timelineItems(itemTypes: [LABELED_EVENT], last: 20) {
        nodes { ... on LabeledEvent { createdAt actor { __typename login } label { name } } }
      }
    }
  }
}`;

export interface GqlLabeledBy {
  repository: {
    issue: {
      timelineItems: { nodes: Array<{ createdAt?: string; actor?: GqlActor | null; label?: { name: string } }> };
    } | null;
  } | null;
}
