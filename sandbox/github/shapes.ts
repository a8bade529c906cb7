/**
 * SANDBOX FAKE — never part of src/. REST representations of the fake's state, field for
 * field in the shapes of GitHub's OpenAPI schemas (simple-user, full-repository, issue,
 * pull-request, …), so a client reading any documented field finds it. The sandbox test
 * validates these against the schemas of `@octokit/openapi`.
 */
import type {
  Account,
  AppIdentity,
  CheckRun,
  CheckSuite,
  GitHubState,
  Installation,
  Issue,
  IssueComment,
  Label,
  Pull,
  Reaction,
  Repo,
  Review,
  ReviewComment,
} from "./state.js";
import { blobSha } from "./state.js";
import { Tree } from "./tree.js";

export interface ShapeContext {
  state: GitHubState;
  /** `http://127.0.0.1:<port>/api/v3` */
  api: string;
  /** `http://127.0.0.1:<port>`, where html_url links point. */
  web: string;
}

type Json = Record<string, unknown>;

export function user(ctx: ShapeContext, account: Account): Json {
  // Bot logins end in "[bot]", which GitHub percent-encodes in its addresses.
  const path = encodeURIComponent(account.login);
  const url = `${ctx.api}/users/${path}`;
  return {
    login: account.login,
    id: account.id,
    node_id: account.nodeId,
    avatar_url: `${ctx.web}/avatars/u/${account.id}?v=4`,
    gravatar_id: "",
    url,
    html_url: account.type === "Bot" ? `${ctx.web}/apps/${account.login.replace(/\[bot\]$/, "")}` : `${ctx.web}/${path}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: account.type,
    user_view_type: "public",
    site_admin: false,
  };
}

const REPO_URLS: Array<[string, string]> = [
  ["forks_url", "/forks"],
  ["keys_url", "/keys{/key_id}"],
  ["collaborators_url", "/collaborators{/collaborator}"],
  ["teams_url", "/teams"],
  ["hooks_url", "/hooks"],
  ["issue_events_url", "/issues/events{/number}"],
  ["events_url", "/events"],
  ["assignees_url", "/assignees{/user}"],
  ["branches_url", "/branches{/branch}"],
  ["tags_url", "/tags"],
  ["blobs_url", "/git/blobs{/sha}"],
  ["git_tags_url", "/git/tags{/sha}"],
  ["git_refs_url", "/git/refs{/sha}"],
  ["trees_url", "/git/trees{/sha}"],
  ["statuses_url", "/statuses/{sha}"],
  ["languages_url", "/languages"],
  ["stargazers_url", "/stargazers"],
  ["contributors_url", "/contributors"],
  ["subscribers_url", "/subscribers"],
  ["subscription_url", "/subscription"],
  ["commits_url", "/commits{/sha}"],
  ["git_commits_url", "/git/commits{/sha}"],
  ["comments_url", "/comments{/number}"],
  ["issue_comment_url", "/issues/comments{/number}"],
  ["contents_url", "/contents/{+path}"],
  ["compare_url", "/compare/{base}...{head}"],
  ["merges_url", "/merges"],
  ["archive_url", "/{archive_format}{/ref}"],
  ["downloads_url", "/downloads"],
  ["issues_url", "/issues{/number}"],
  ["pulls_url", "/pulls{/number}"],
  ["milestones_url", "/milestones{/number}"],
  ["notifications_url", "/notifications{?since,all,participating}"],
  ["labels_url", "/labels{/name}"],
  ["releases_url", "/releases{/id}"],
  ["deployments_url", "/deployments"],
];

function fullName(repo: Repo): string {
  return `${repo.owner.login}/${repo.name}`;
}

export function repoApiUrl(ctx: ShapeContext, repo: Repo): string {
  return `${ctx.api}/repos/${fullName(repo)}`;
}

export function repoHtmlUrl(ctx: ShapeContext, repo: Repo): string {
  return `${ctx.web}/${fullName(repo)}`;
}

/** The `repository` schema (full-repository adds a few counts on top). */
export function repository(
  ctx: ShapeContext,
  repo: Repo,
  permissions?: { admin: boolean; maintain: boolean; push: boolean; triage: boolean; pull: boolean },
): Json {
  const url = repoApiUrl(ctx, repo);
  const host = new URL(ctx.web).host;
  const openIssues = [...repo.issues.values()].filter((issue) => issue.state === "open").length;
  const shape: Json = {
    id: repo.id,
    node_id: repo.nodeId,
    name: repo.name,
    full_name: fullName(repo),
    private: repo.private,
    owner: user(ctx, repo.owner),
    html_url: repoHtmlUrl(ctx, repo),
    description: repo.description,
    fork: false,
    url,
  };
  for (const [key, suffix] of REPO_URLS) shape[key] = `${url}${suffix}`;
  Object.assign(shape, {
    created_at: repo.createdAt,
    updated_at: repo.pushedAt,
    pushed_at: repo.pushedAt,
    git_url: `git://${host}/${fullName(repo)}.git`,
    ssh_url: `git@${host}:${fullName(repo)}.git`,
    clone_url: `${repoHtmlUrl(ctx, repo)}.git`,
    svn_url: repoHtmlUrl(ctx, repo),
    homepage: null,
    size: repo.commits.get(repo.branches.get(repo.defaultBranch) ?? "")?.files.kib ?? 0,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: true,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: openIssues,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: repo.private ? "private" : "public",
    forks: 0,
    open_issues: openIssues,
    watchers: 0,
    default_branch: repo.defaultBranch,
    allow_squash_merge: true,
    allow_merge_commit: true,
    allow_rebase_merge: true,
    allow_auto_merge: false,
    delete_branch_on_merge: repo.deleteBranchOnMerge,
    allow_update_branch: true,
    network_count: 0,
    subscribers_count: 0,
  });
  if (permissions) shape.permissions = permissions;
  if (repo.owner.type === "Organization") shape.organization = user(ctx, repo.owner);
  return shape;
}

export function label(ctx: ShapeContext, repo: Repo, entry: Label): Json {
  return {
    id: entry.id,
    node_id: entry.nodeId,
    url: `${repoApiUrl(ctx, repo)}/labels/${encodeURIComponent(entry.name)}`,
    name: entry.name,
    description: entry.description,
    color: entry.color,
    default: false,
  };
}

export function reactionRollup(url: string, reactions: Reaction[]): Json {
  const count = (content: string) => reactions.filter((reaction) => reaction.content === content).length;
  return {
    url: `${url}/reactions`,
    total_count: reactions.length,
    "+1": count("+1"),
    "-1": count("-1"),
    laugh: count("laugh"),
    hooray: count("hooray"),
    confused: count("confused"),
    heart: count("heart"),
    rocket: count("rocket"),
    eyes: count("eyes"),
  };
}

/** OWNER, MEMBER, COLLABORATOR or NONE, as GitHub words a person's relation to a repository. */
export function authorAssociation(repo: Repo, account: Account): string {
  if (account.login.toLowerCase() === repo.owner.login.toLowerCase()) return "OWNER";
  const permission = repo.collaborators.get(account.login.toLowerCase());
  if (permission && permission !== "none") return "COLLABORATOR";
  return "NONE";
}

export function issue(ctx: ShapeContext, repo: Repo, entry: Issue): Json {
  const url = `${repoApiUrl(ctx, repo)}/issues/${entry.number}`;
  const html = `${repoHtmlUrl(ctx, repo)}/${entry.isPull ? "pull" : "issues"}/${entry.number}`;
  const shape: Json = {
    id: entry.id,
    node_id: entry.nodeId,
    url,
    repository_url: repoApiUrl(ctx, repo),
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: html,
    number: entry.number,
    state: entry.state,
    state_reason: entry.stateReason,
    title: entry.title,
    body: entry.body,
    user: user(ctx, entry.user),
    labels: entry.labels.flatMap((name) => {
      const found = repo.labels.get(name.toLowerCase());
      return found ? [label(ctx, repo, found)] : [];
    }),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments: entry.comments.length,
    closed_at: entry.closedAt,
    created_at: entry.createdAt,
    updated_at: entry.updatedAt,
    closed_by: entry.closedBy ? user(ctx, entry.closedBy) : null,
    author_association: authorAssociation(repo, entry.user),
    reactions: reactionRollup(url, entry.reactions),
    timeline_url: `${url}/timeline`,
    performed_via_github_app: null,
  };
  if (!entry.isPull) Object.assign(shape, subIssueFields(url, repo, entry));
  if (entry.isPull) {
    const pull = repo.pulls.get(entry.number);
    shape.draft = pull?.draft ?? false;
    shape.pull_request = {
      url: `${repoApiUrl(ctx, repo)}/pulls/${entry.number}`,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      merged_at: pull?.mergedAt ?? null,
    };
  }
  return shape;
}

/** The sub-issue and dependency summaries GitHub adds to an issue (see sub-issue-ops.ts). */
function subIssueFields(url: string, repo: Repo, entry: Issue): Json {
  const children = entry.subIssues.map((number) => repo.issues.get(number)).filter((child) => child !== undefined);
  const completed = children.filter((child) => child.state === "closed").length;
  const blockers = entry.blockedBy.map((number) => repo.issues.get(number)).filter((other) => other !== undefined);
  const blocked = [...repo.issues.values()].filter((other) => other.blockedBy.includes(entry.number));
  const fields: Json = {
    sub_issues_summary: {
      total: children.length,
      completed,
      percent_completed: children.length === 0 ? 0 : Math.floor((completed * 100) / children.length),
    },
    issue_dependencies_summary: {
      blocked_by: blockers.filter((other) => other.state === "open").length,
      blocking: blocked.filter((other) => other.state === "open").length,
      total_blocked_by: blockers.length,
      total_blocking: blocked.length,
    },
  };
  if (entry.parent !== null) fields.parent_issue_url = url.replace(/\/issues\/\d+$/, `/issues/${entry.parent}`);
  return fields;
}

export function issueComment(ctx: ShapeContext, repo: Repo, comment: IssueComment): Json {
  const url = `${repoApiUrl(ctx, repo)}/issues/comments/${comment.id}`;
  const issueEntry = repo.issues.get(comment.issueNumber);
  const kind = issueEntry?.isPull ? "pull" : "issues";
  return {
    id: comment.id,
    node_id: comment.nodeId,
    url,
    html_url: `${repoHtmlUrl(ctx, repo)}/${kind}/${comment.issueNumber}#issuecomment-${comment.id}`,
    body: comment.body,
    user: user(ctx, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    issue_url: `${repoApiUrl(ctx, repo)}/issues/${comment.issueNumber}`,
    author_association: authorAssociation(repo, comment.user),
    reactions: reactionRollup(url, comment.reactions),
    performed_via_github_app: null,
  };
}

export function reaction(ctx: ShapeContext, entry: Reaction): Json {
  return {
    id: entry.id,
    node_id: entry.nodeId,
    user: user(ctx, entry.user),
    content: entry.content,
    created_at: entry.createdAt,
  };
}

function branchRef(ctx: ShapeContext, repo: Repo, ref: string, sha: string, owner: Account): Json {
  return {
    label: `${repo.owner.login}:${ref}`,
    ref,
    sha,
    user: user(ctx, owner),
    repo: repository(ctx, repo),
  };
}

function pullLinks(ctx: ShapeContext, repo: Repo, pull: Pull): Json {
  const api = `${repoApiUrl(ctx, repo)}`;
  return {
    self: { href: `${api}/pulls/${pull.number}` },
    html: { href: `${repoHtmlUrl(ctx, repo)}/pull/${pull.number}` },
    issue: { href: `${api}/issues/${pull.number}` },
    comments: { href: `${api}/issues/${pull.number}/comments` },
    review_comments: { href: `${api}/pulls/${pull.number}/comments` },
    review_comment: { href: `${api}/pulls/comments{/number}` },
    commits: { href: `${api}/pulls/${pull.number}/commits` },
    statuses: { href: `${api}/statuses/${pull.headSha}` },
  };
}

/** `pull-request-simple`, the shape of list items. */
export function pullRequestSimple(ctx: ShapeContext, repo: Repo, pull: Pull): Json {
  const entry = repo.issues.get(pull.number)!;
  const api = repoApiUrl(ctx, repo);
  const html = `${repoHtmlUrl(ctx, repo)}/pull/${pull.number}`;
  const baseSha = repo.branches.get(pull.baseRef) ?? pull.headSha;
  return {
    url: `${api}/pulls/${pull.number}`,
    id: pull.id,
    node_id: pull.nodeId,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${pull.number}`,
    commits_url: `${api}/pulls/${pull.number}/commits`,
    review_comments_url: `${api}/pulls/${pull.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${pull.number}/comments`,
    statuses_url: `${api}/statuses/${pull.headSha}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: entry.title,
    user: user(ctx, entry.user),
    body: entry.body,
    labels: (issue(ctx, repo, entry).labels as Json[]) ?? [],
    milestone: null,
    active_lock_reason: null,
    created_at: entry.createdAt,
    updated_at: entry.updatedAt,
    closed_at: entry.closedAt,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: branchRef(ctx, repo, pull.headRef, pull.headSha, repo.owner),
    base: branchRef(ctx, repo, pull.baseRef, baseSha, repo.owner),
    _links: pullLinks(ctx, repo, pull),
    author_association: authorAssociation(repo, entry.user),
    auto_merge: null,
    draft: pull.draft,
  };
}

/** The full `pull-request` shape of GET /pulls/{n} and of webhooks. */
export function pullRequest(ctx: ShapeContext, repo: Repo, pull: Pull, now = Date.now()): Json {
  const entry = repo.issues.get(pull.number)!;
  const commits = commitsOnBranch(ctx.state, repo, pull);
  const changed = new Set(commits.flatMap((commit) => [...commit.changes.keys()]));
  return {
    ...pullRequestSimple(ctx, repo, pull),
    merged: pull.merged,
    mergeable: ctx.state.mergeable(pull, now),
    rebaseable: ctx.state.mergeable(pull, now),
    mergeable_state: ctx.state.mergeableState(repo, pull, now),
    merged_by: pull.mergedBy ? user(ctx, pull.mergedBy) : null,
    comments: entry.comments.length,
    review_comments: pull.reviewComments.length,
    maintainer_can_modify: pull.maintainerCanModify,
    commits: commits.length,
    additions: commits.length * 3,
    deletions: 0,
    changed_files: changed.size,
  };
}

/** The commits a pull request adds to its base, newest first (first-parent walk). */
export function commitsOnBranch(state: GitHubState, repo: Repo, pull: Pull) {
  const baseSha = pull.merged ? null : (repo.branches.get(pull.baseRef) ?? null);
  const result = [];
  let current: string | undefined = pull.headSha;
  const guard = new Set<string>();
  while (current && !guard.has(current)) {
    guard.add(current);
    if (baseSha && state.isAncestor(repo, current, baseSha)) break;
    const commit = repo.commits.get(current);
    if (!commit || commit.parents.length === 0) break;
    result.push(commit);
    current = commit.parents[0];
  }
  return result;
}

export function review(ctx: ShapeContext, repo: Repo, pull: Pull, entry: Review): Json {
  const html = `${repoHtmlUrl(ctx, repo)}/pull/${pull.number}`;
  const shape: Json = {
    id: entry.id,
    node_id: entry.nodeId,
    user: user(ctx, entry.user),
    body: entry.body,
    state: entry.state,
    html_url: `${html}#pullrequestreview-${entry.id}`,
    pull_request_url: `${repoApiUrl(ctx, repo)}/pulls/${pull.number}`,
    _links: {
      html: { href: `${html}#pullrequestreview-${entry.id}` },
      pull_request: { href: `${repoApiUrl(ctx, repo)}/pulls/${pull.number}` },
    },
    author_association: authorAssociation(repo, entry.user),
    commit_id: entry.commitId,
  };
  if (entry.submittedAt) shape.submitted_at = entry.submittedAt;
  return shape;
}

export function reviewComment(ctx: ShapeContext, repo: Repo, pull: Pull, entry: ReviewComment): Json {
  const url = `${repoApiUrl(ctx, repo)}/pulls/comments/${entry.id}`;
  const html = `${repoHtmlUrl(ctx, repo)}/pull/${pull.number}#discussion_r${entry.id}`;
  return {
    url,
    pull_request_review_id: entry.reviewId,
    id: entry.id,
    node_id: entry.nodeId,
    diff_hunk: "@@ -1,3 +1,3 @@",
    path: entry.path,
    position: entry.line,
    original_position: entry.line,
    commit_id: entry.commitId,
    original_commit_id: entry.commitId,
    user: user(ctx, entry.user),
    body: entry.body,
    created_at: entry.createdAt,
    updated_at: entry.createdAt,
    html_url: html,
    pull_request_url: `${repoApiUrl(ctx, repo)}/pulls/${pull.number}`,
    author_association: authorAssociation(repo, entry.user),
    _links: {
      self: { href: url },
      html: { href: html },
      pull_request: { href: `${repoApiUrl(ctx, repo)}/pulls/${pull.number}` },
    },
    line: entry.line,
    original_line: entry.line,
    side: "RIGHT",
    subject_type: "line",
    reactions: reactionRollup(url, []),
  };
}

/** The GitHub App that runs the fake CI, like GitHub Actions does for real repositories. */
export function integration(ctx: ShapeContext, app: Pick<AppIdentity, "id" | "slug" | "name" | "nodeId" | "owner" | "createdAt">): Json {
  return {
    id: app.id,
    slug: app.slug,
    node_id: app.nodeId,
    client_id: `Iv1.${app.id.toString(16).padStart(16, "0")}`,
    owner: user(ctx, app.owner),
    name: app.name,
    description: `${app.name} (sandbox fake)`,
    external_url: `${ctx.web}/apps/${app.slug}`,
    html_url: `${ctx.web}/apps/${app.slug}`,
    created_at: app.createdAt,
    updated_at: app.createdAt,
    permissions: { checks: "write", contents: "write", issues: "write", metadata: "read", pull_requests: "write" },
    events: ["check_run", "check_suite", "issue_comment", "issues", "pull_request", "pull_request_review"],
  };
}

function pullRequestMinimal(ctx: ShapeContext, repo: Repo, pull: Pull): Json {
  const repoRef = { id: repo.id, url: repoApiUrl(ctx, repo), name: repo.name };
  return {
    id: pull.id,
    number: pull.number,
    url: `${repoApiUrl(ctx, repo)}/pulls/${pull.number}`,
    head: { ref: pull.headRef, sha: pull.headSha, repo: repoRef },
    base: { ref: pull.baseRef, sha: repo.branches.get(pull.baseRef) ?? pull.headSha, repo: repoRef },
  };
}

/** Open pull requests whose head is this commit, in the minimal shape checks embed. */
export function pullsAt(ctx: ShapeContext, repo: Repo, sha: string): Json[] {
  return [...repo.pulls.values()]
    .filter((pull) => pull.state === "open" && pull.headSha === sha)
    .map((pull) => pullRequestMinimal(ctx, repo, pull));
}

export function checkSuite(ctx: ShapeContext, repo: Repo, suite: CheckSuite, ciApp: AppIdentity): Json {
  const url = `${repoApiUrl(ctx, repo)}/check-suites/${suite.id}`;
  const commit = repo.commits.get(suite.headSha);
  return {
    id: suite.id,
    node_id: suite.nodeId,
    head_branch: suite.headBranch,
    head_sha: suite.headSha,
    status: suite.status,
    conclusion: suite.conclusion,
    url,
    before: suite.before,
    after: suite.headSha,
    pull_requests: pullsAt(ctx, repo, suite.headSha),
    app: integration(ctx, ciApp),
    repository: repository(ctx, repo),
    created_at: suite.createdAt,
    updated_at: suite.updatedAt,
    head_commit: {
      id: suite.headSha,
      tree_id: (commit?.files ?? Tree.empty).idBy((paths) => blobSha(paths.join("\n"))),
      message: commit?.message ?? "",
      timestamp: commit?.date ?? suite.createdAt,
      author: { name: commit?.author.login ?? "unknown", email: `${commit?.author.login ?? "unknown"}@users.noreply.example` },
      committer: { name: "GitHub", email: "noreply@github.example" },
    },
    latest_check_runs_count: repo.checkRuns.filter((run) => run.suiteId === suite.id).length,
    check_runs_url: `${url}/check-runs`,
    rerequestable: true,
    runs_rerequestable: true,
  };
}

export function checkRun(ctx: ShapeContext, repo: Repo, run: CheckRun, ciApp: AppIdentity): Json {
  const url = `${repoApiUrl(ctx, repo)}/check-runs/${run.id}`;
  const html = `${repoHtmlUrl(ctx, repo)}/runs/${run.id}`;
  return {
    id: run.id,
    head_sha: run.headSha,
    node_id: run.nodeId,
    external_id: run.externalId,
    url,
    html_url: html,
    details_url: html,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: {
      title: run.title,
      summary: run.summary,
      text: run.text,
      annotations_count: run.annotations?.length ?? 0,
      annotations_url: `${url}/annotations`,
    },
    name: run.name,
    check_suite: { id: run.suiteId },
    app: integration(ctx, ciApp),
    pull_requests: pullsAt(ctx, repo, run.headSha),
  };
}

export function installation(ctx: ShapeContext, entry: Installation, app: AppIdentity): Json {
  return {
    id: entry.id,
    account: user(ctx, entry.account),
    repository_selection: "all",
    access_tokens_url: `${ctx.api}/app/installations/${entry.id}/access_tokens`,
    repositories_url: `${ctx.api}/installation/repositories`,
    html_url: `${ctx.web}/organizations/${entry.account.login}/settings/installations/${entry.id}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: entry.account.id,
    target_type: entry.account.type === "Organization" ? "Organization" : "User",
    permissions: { checks: "read", contents: "write", issues: "write", metadata: "read", pull_requests: "write" },
    events: ["check_run", "check_suite", "issue_comment", "issues", "pull_request", "pull_request_review"],
    created_at: entry.createdAt,
    updated_at: entry.createdAt,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: null,
  };
}

export function fileContent(ctx: ShapeContext, repo: Repo, path: string, content: string, ref: string): Json {
  const sha = blobSha(content);
  const url = `${repoApiUrl(ctx, repo)}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const html = `${repoHtmlUrl(ctx, repo)}/blob/${ref}/${path}`;
  const git = `${repoApiUrl(ctx, repo)}/git/blobs/${sha}`;
  return {
    type: "file",
    encoding: "base64",
    size: Buffer.byteLength(content),
    name: path.split("/").pop(),
    path,
    content: Buffer.from(content).toString("base64").replace(/(.{60})/g, "$1\n"),
    sha,
    url,
    git_url: git,
    html_url: html,
    download_url: `${ctx.web}/raw/${repo.owner.login}/${repo.name}/${ref}/${path}`,
    _links: { self: url, git, html },
  };
}

export function directoryEntry(
  ctx: ShapeContext,
  repo: Repo,
  path: string,
  type: "file" | "dir",
  content: string | null,
  ref: string,
): Json {
  const sha = blobSha(content ?? path);
  const url = `${repoApiUrl(ctx, repo)}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const html = `${repoHtmlUrl(ctx, repo)}/${type === "dir" ? "tree" : "blob"}/${ref}/${path}`;
  const git = `${repoApiUrl(ctx, repo)}/git/${type === "dir" ? "trees" : "blobs"}/${sha}`;
  return {
    type,
    size: content === null ? 0 : Buffer.byteLength(content),
    name: path.split("/").pop(),
    path,
    sha,
    url,
    git_url: git,
    html_url: html,
    download_url: type === "file" ? `${ctx.web}/raw/${repo.owner.login}/${repo.name}/${ref}/${path}` : null,
    _links: { self: url, git, html },
  };
}

export function gitRef(ctx: ShapeContext, repo: Repo, ref: string, sha: string): Json {
  return {
    ref: `refs/${ref}`,
    node_id: Buffer.from(`0:Ref${repo.id}:${ref}`).toString("base64").replace(/=+$/, ""),
    url: `${repoApiUrl(ctx, repo)}/git/refs/${ref}`,
    object: { type: "commit", sha, url: `${repoApiUrl(ctx, repo)}/git/commits/${sha}` },
  };
}
