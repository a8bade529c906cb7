/**
 * One GraphQL query reads everything a reconcile needs from GitHub: the issue and, for each
 * task branch, its pull request with head sha, mergeability, reviews and the check rollup of
 * the head commit. REST would need four or five calls per task for the same picture.
 *
 * Branches are passed as variables `$b0`, `$b1`, … and read under the aliases `b0`, `b1`, …
 */
/** GitHub's largest page of check contexts; a commit with more is read on with CONTEXTS_QUERY. */
export const CONTEXTS_PAGE = 100;

const CONTEXT_FIELDS = `
            nodes {
              __typename
              ... on CheckRun { databaseId name status conclusion title summary detailsUrl }
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
  baseRefName
  baseRefOid
  baseRef { refUpdateRule { requiredStatusCheckContexts requiredApprovingReviewCount requiresCodeOwnerReviews requiresConversationResolution } }
  headRepository { nameWithOwner }
  createdAt
  reviews(last: 30) {
    nodes {
      databaseId
      state
      body
      authorCanPushToRepository
      author { login }
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
      `    b${i}: pullRequests(headRefName: $b${i}, first: 3, states: [OPEN, MERGED, CLOSED], orderBy: { field: CREATED_AT, direction: DESC }) { nodes { ...TaskPullRequest } }`,
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
    }
${aliases.join("\n")}
  }
}
${
  // GraphQL rejects a fragment that is defined but not used.
  branchCount > 0 ? `\nfragment TaskPullRequest on PullRequest {${PULL_REQUEST_FIELDS}\n}` : ""
}`;
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

export interface GqlIssue {
  repository: {
    issue: {
      id: string;
      number: number;
      title: string;
      body: string;
      state: "OPEN" | "CLOSED";
      createdAt: string;
      userContentEdits: { totalCount: number };
      timelineItems: { totalCount: number };
    } | null;
  } | null;
}

/** How many edits the attribution looks at, from each end of the history (GitHub's order is not documented). */
export const EDIT_WINDOW = 20;

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
        nodes { databaseId body viewerDidAuthor }
        pageInfo { hasPreviousPage startCursor }
      }
    }
  }
}`;

export interface GqlComments {
  repository: {
    issue: {
      comments: {
        nodes: Array<{ databaseId: number; body: string; viewerDidAuthor: boolean }>;
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
  reviews: {
    nodes: Array<{
      databaseId: number;
      state: string;
      body: string;
      authorCanPushToRepository: boolean;
      author: { login: string } | null;
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
    issue: {
      id: string;
      number: number;
      title: string;
      body: string;
      state: "OPEN" | "CLOSED";
      createdAt: string;
      labels: { nodes: Array<{ name: string }> } | null;
    } | null;
    [alias: `b${number}`]: { nodes: GqlPullRequest[] };
  } | null;
}
