/**
 * One GraphQL query reads everything a reconcile needs from GitHub: the issue and, for each
 * task branch, its pull request with head sha, mergeability, reviews and the check rollup of
 * the head commit. REST would need four or five calls per task for the same picture.
 *
 * Branches are passed as variables `$b0`, `$b1`, … and read under the aliases `b0`, `b1`, …
 */
const PULL_REQUEST_FIELDS = `
  number
  url
  state
  merged
  mergeable
  isDraft
  headRefName
  headRefOid
  baseRefName
  headRepository { nameWithOwner }
  reviews(last: 30) {
    nodes {
      databaseId
      state
      body
      author { login }
      commit { oid }
      comments(first: 30) { nodes { path line body } }
    }
  }
  commits(last: 1) {
    nodes {
      commit {
        oid
        statusCheckRollup {
          state
          contexts(first: 50) {
            nodes {
              __typename
              ... on CheckRun { databaseId name status conclusion title summary detailsUrl }
              ... on StatusContext { context state description targetUrl }
            }
          }
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
      number
      title
      body
      state
      createdAt
      author { login }
    }
${aliases.join("\n")}
  }
}
${
  // GraphQL rejects a fragment that is defined but not used.
  branchCount > 0 ? `\nfragment TaskPullRequest on PullRequest {${PULL_REQUEST_FIELDS}\n}` : ""
}`;
}

/** The issue alone: the re-read before every write of the body. */
export const ISSUE_QUERY = `query OrchestraIssue($owner: String!, $repo: String!, $issue: Int!) {
  repository(owner: $owner, name: $repo) {
    issue(number: $issue) { number title body state createdAt }
  }
}`;

export interface GqlIssue {
  repository: {
    issue: { number: number; title: string; body: string; state: "OPEN" | "CLOSED"; createdAt: string } | null;
  } | null;
}

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
  isDraft: boolean;
  headRefName: string;
  headRefOid: string;
  baseRefName: string;
  headRepository: { nameWithOwner: string } | null;
  reviews: {
    nodes: Array<{
      databaseId: number;
      state: string;
      body: string;
      author: { login: string } | null;
      commit: { oid: string } | null;
      comments: { nodes: Array<{ path: string; line: number | null; body: string }> };
    }>;
  };
  commits: {
    nodes: Array<{
      commit: {
        oid: string;
        statusCheckRollup: {
          state: string;
          contexts: { nodes: Array<GqlCheckRun | GqlStatusContext> };
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
      number: number;
      title: string;
      body: string;
      state: "OPEN" | "CLOSED";
      createdAt: string;
      author: { login: string } | null;
    } | null;
    [alias: `b${number}`]: { nodes: GqlPullRequest[] };
  } | null;
}
