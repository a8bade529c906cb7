/**
 * SANDBOX FAKE — never part of src/. One handler per REST operation the fake serves. By the
 * time a handler runs, the request has passed GitHub's OpenAPI validation (openapi.ts), so
 * handlers read typed input and answer with GitHub's statuses and shapes.
 */
import type { AppAuth, Caller } from "./auth.js";
import * as checkOps from "./check-ops.js";
import { ApiError, notFound } from "./errors.js";
import * as issueOps from "./issue-ops.js";
import type { OperationKey } from "./openapi.js";
import * as pullOps from "./pull-ops.js";
import * as subIssueOps from "./sub-issue-ops.js";
import * as shapes from "./shapes.js";
import type { Account, Permission, ReactionContent, Repo } from "./state.js";
import type { World } from "./world.js";

type Json = Record<string, unknown>;

export interface RestRequest {
  params: Record<string, string>;
  query: Record<string, unknown>;
  // `any` on purpose: the body was validated against the operation's JSON schema before the
  // handler runs, so handlers read the documented fields directly.
  body: any;
  caller: Caller;
  accept: string;
}

export interface RestResponse {
  status: number;
  body?: unknown;
  /** Raw text answered for `application/vnd.github.raw` requests. */
  raw?: string;
  /** A list to paginate with `per_page`/`page` and a Link header. */
  items?: unknown[];
  /** Wraps the page of `items` in an object (e.g. `{ total_count, check_runs }`). */
  wrap?: (page: unknown[], total: number) => unknown;
}

type RouteHandler = (world: World, request: RestRequest, auth: AppAuth) => RestResponse;

function requireApp(request: RestRequest): void {
  if (request.caller.kind !== "app") {
    throw new ApiError(401, "A JSON web token could not be decoded");
  }
}

/** The repository of the path, if the caller may see it; 404 otherwise, as GitHub hides it. */
function repoOf(world: World, request: RestRequest): Repo {
  const repo = world.state.repo(request.params.owner ?? "", request.params.repo ?? "");
  if (!repo) throw notFound();
  const caller = request.caller;
  if (caller.kind === "app") throw new ApiError(403, "Resource not accessible by integration");
  if (caller.kind === "installation") {
    const installation = world.state.installations.get(caller.installationId);
    if (!installation || installation.account.login.toLowerCase() !== repo.owner.login.toLowerCase()) throw notFound();
  } else if (repo.private) {
    throw notFound();
  }
  return repo;
}

/** Who acts: an installation token acts as the app's bot user. */
function actorOf(world: World, request: RestRequest): Account {
  if (request.caller.kind === "installation") return world.state.app.bot;
  if (request.caller.kind === "app") throw new ApiError(403, "Resource not accessible by integration");
  throw new ApiError(401, "Requires authentication");
}

function wantsRaw(request: RestRequest): boolean {
  return /application\/vnd\.github(\.v3)?\.raw/.test(request.accept);
}

function number(value: string | undefined): number {
  return Number(value);
}

/** A sha, a branch name or `heads/<branch>` → a commit sha of the repository. */
function resolveRef(repo: Repo, ref: string): string | undefined {
  if (/^[0-9a-f]{40}$/.test(ref) && repo.commits.has(ref)) return ref;
  const branch = ref.replace(/^refs\//, "").replace(/^heads\//, "");
  return repo.branches.get(branch);
}

/** The fields of `minimal-repository` that the combined status embeds. */
const MINIMAL_REPOSITORY_KEYS = new Set([
  "id", "node_id", "name", "full_name", "owner", "private", "html_url", "description", "fork", "url",
  "archive_url", "assignees_url", "blobs_url", "branches_url", "collaborators_url", "comments_url", "commits_url",
  "compare_url", "contents_url", "contributors_url", "deployments_url", "downloads_url", "events_url", "forks_url",
  "git_commits_url", "git_refs_url", "git_tags_url", "hooks_url", "issue_comment_url", "issue_events_url",
  "issues_url", "keys_url", "labels_url", "languages_url", "merges_url", "milestones_url", "notifications_url",
  "pulls_url", "releases_url", "stargazers_url", "statuses_url", "subscribers_url", "subscription_url", "tags_url",
  "teams_url", "trees_url",
]);

const PERMISSION_REPORT: Record<Permission, { permission: string; role: string }> = {
  admin: { permission: "admin", role: "admin" },
  maintain: { permission: "write", role: "maintain" },
  write: { permission: "write", role: "write" },
  triage: { permission: "read", role: "triage" },
  read: { permission: "read", role: "read" },
  none: { permission: "none", role: "none" },
};

/**
 * The qualifiers of an issue search the fake understands: `is:issue|pr|open|closed`,
 * `label:a` or `label:"a","b"` (an OR), `repo:`, `user:`, `org:`. Free text is not searched.
 */
function parseSearchQuery(q: string): { type?: "issue" | "pr"; state?: "open" | "closed"; labels: string[][]; owner?: string; repo?: string } {
  const result: ReturnType<typeof parseSearchQuery> = { labels: [] };
  for (const token of q.match(/(?:[^\s"]+|"[^"]*")+/g) ?? []) {
    const colon = token.indexOf(":");
    if (colon < 0) continue;
    const name = token.slice(0, colon).toLowerCase();
    const value = token.slice(colon + 1);
    const values = (value.match(/"[^"]*"|[^,]+/g) ?? []).map((part) => part.replace(/^"|"$/g, "").toLowerCase()).filter(Boolean);
    if (name === "is" && (value === "issue" || value === "pr")) result.type = value;
    else if (name === "is" && (value === "open" || value === "closed")) result.state = value;
    else if (name === "label") result.labels.push(values);
    else if (name === "user" || name === "org") result.owner = values[0];
    else if (name === "repo") result.repo = values[0];
  }
  return result;
}

function sortItems<T>(items: T[], key: (item: T) => string | number, direction: unknown, fallback: "asc" | "desc"): T[] {
  const dir = direction === "asc" || direction === "desc" ? direction : fallback;
  const sorted = [...items].sort((a, b) => {
    const left = key(a);
    const right = key(b);
    return left < right ? -1 : left > right ? 1 : 0;
  });
  return dir === "desc" ? sorted.reverse() : sorted;
}

export const ROUTES: Record<OperationKey, RouteHandler> = {
  "GET /app": (world, request) => {
    requireApp(request);
    return { status: 200, body: { ...shapes.integration(world.ctx, world.state.app), installations_count: world.state.installations.size } };
  },

  "POST /app/installations/{installation_id}/access_tokens": (world, request, auth) => {
    requireApp(request);
    const installation = world.state.installations.get(number(request.params.installation_id));
    if (!installation) throw notFound();
    const { token, expiresAt } = auth.issueToken(installation.id);
    return {
      status: 201,
      body: {
        token,
        expires_at: expiresAt,
        permissions: shapes.installation(world.ctx, installation, world.state.app).permissions,
        repository_selection: "all",
      },
    };
  },

  "GET /app/installations": (world, request) => {
    requireApp(request);
    const items = [...world.state.installations.values()].map((entry) => shapes.installation(world.ctx, entry, world.state.app));
    return { status: 200, items };
  },

  "GET /installation/repositories": (world, request) => {
    const caller = request.caller;
    if (caller.kind !== "installation") throw new ApiError(403, "This endpoint requires an installation token");
    const installation = world.state.installations.get(caller.installationId)!;
    const repos = [...world.state.repos.values()].filter(
      (repo) => repo.owner.login.toLowerCase() === installation.account.login.toLowerCase(),
    );
    return {
      status: 200,
      items: repos.map((repo) => shapes.repository(world.ctx, repo)),
      wrap: (page, total) => ({ total_count: total, repository_selection: "all", repositories: page }),
    };
  },

  "GET /search/issues": (world, request) => {
    const caller = request.caller;
    if (caller.kind === "app") throw new ApiError(403, "Resource not accessible by integration");
    const query = parseSearchQuery(String(request.query.q ?? ""));
    const account = caller.kind === "installation" ? world.state.installations.get(caller.installationId)?.account.login.toLowerCase() : undefined;
    const found: Array<{ repo: Repo; issue: ReturnType<typeof issueOps.getIssue> }> = [];
    for (const repo of world.state.repos.values()) {
      // An installation token finds its own account's repositories, and everyone's public ones.
      if (repo.private && repo.owner.login.toLowerCase() !== account) continue;
      if (query.owner && repo.owner.login.toLowerCase() !== query.owner) continue;
      if (query.repo && `${repo.owner.login}/${repo.name}`.toLowerCase() !== query.repo) continue;
      for (const issue of repo.issues.values()) {
        if (query.type && (query.type === "pr") !== issue.isPull) continue;
        if (query.state && issue.state !== query.state) continue;
        // Each `label:` qualifier must hold; within one, a comma is an OR.
        if (!query.labels.every((any) => any.some((name) => issue.labels.some((label) => label.toLowerCase() === name)))) continue;
        found.push({ repo, issue });
      }
    }
    const sort = request.query.sort === "updated" ? "updated" : request.query.sort === "created" ? "created" : undefined;
    const sorted = sortItems(found, (entry) => (sort === "updated" ? entry.issue.updatedAt : sort === "created" ? entry.issue.createdAt : entry.issue.number), request.query.order, "desc");
    return {
      status: 200,
      items: sorted.map(({ repo, issue }) => ({ ...shapes.issue(world.ctx, repo, issue), score: 1 })),
      wrap: (page, total) => ({ total_count: total, incomplete_results: false, items: page, search_type: "lexical" }),
    };
  },

  "GET /repos/{owner}/{repo}": (world, request) => {
    const repo = repoOf(world, request);
    const permissions = { admin: false, maintain: false, push: true, triage: true, pull: true };
    return { status: 200, body: shapes.repository(world.ctx, repo, permissions) };
  },

  "GET /repos/{owner}/{repo}/contents/{path}": (world, request) => {
    const repo = repoOf(world, request);
    const ref = typeof request.query.ref === "string" ? request.query.ref : repo.defaultBranch;
    const sha = resolveRef(repo, ref);
    if (!sha) throw new ApiError(404, `No commit found for the ref ${ref}`);
    const files = repo.commits.get(sha)!.files;
    const path = (request.params.path ?? "").replace(/^\/+|\/+$/g, "");
    const content = files.get(path);
    if (content !== undefined) {
      if (wantsRaw(request)) return { status: 200, raw: content };
      return { status: 200, body: shapes.fileContent(world.ctx, repo, path, content, ref) };
    }
    // A directory: its direct children, directories first as GitHub lists them by name.
    const prefix = path ? `${path}/` : "";
    const children = new Map<string, "file" | "dir">();
    for (const file of files.keys()) {
      if (!file.startsWith(prefix)) continue;
      const rest = file.slice(prefix.length);
      const [first, ...more] = rest.split("/");
      children.set(prefix + first, more.length > 0 ? "dir" : "file");
    }
    if (children.size === 0) throw notFound();
    const listing = [...children]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([child, type]) => shapes.directoryEntry(world.ctx, repo, child, type, type === "file" ? files.get(child)! : null, ref));
    return { status: 200, body: listing };
  },

  "GET /repos/{owner}/{repo}/readme": (world, request) => {
    const repo = repoOf(world, request);
    const ref = typeof request.query.ref === "string" ? request.query.ref : repo.defaultBranch;
    const sha = resolveRef(repo, ref);
    const files = sha ? repo.commits.get(sha)!.files : new Map<string, string>();
    const path = [...files.keys()].find((file) => /^readme(\.[a-z]+)?$/i.test(file));
    if (!path) throw notFound();
    const content = files.get(path)!;
    if (wantsRaw(request)) return { status: 200, raw: content };
    return { status: 200, body: shapes.fileContent(world.ctx, repo, path, content, ref) };
  },

  "GET /repos/{owner}/{repo}/issues/{issue_number}": (world, request) => {
    const repo = repoOf(world, request);
    return { status: 200, body: shapes.issue(world.ctx, repo, issueOps.getIssue(repo, number(request.params.issue_number))) };
  },

  "PATCH /repos/{owner}/{repo}/issues/{issue_number}": (world, request) => {
    const repo = repoOf(world, request);
    const actor = actorOf(world, request);
    const issueNumber = number(request.params.issue_number);
    const issue = issueOps.getIssue(repo, issueNumber);
    const patch = { ...(request.body ?? {}) } as issueOps.IssuePatch;
    if (issue.isPull && patch.state) {
      if (patch.state === "closed") pullOps.closePull(world, repo, issueNumber, actor);
      else pullOps.reopenPull(world, repo, issueNumber, actor);
      delete patch.state;
    }
    issueOps.updateIssue(world, repo, issueNumber, actor, patch);
    return { status: 200, body: shapes.issue(world.ctx, repo, issue) };
  },

  "GET /repos/{owner}/{repo}/issues": (world, request) => {
    const repo = repoOf(world, request);
    const state = (request.query.state as string | undefined) ?? "open";
    const labels = typeof request.query.labels === "string" ? request.query.labels.split(",").map((l) => l.trim().toLowerCase()).filter(Boolean) : [];
    const creator = typeof request.query.creator === "string" ? request.query.creator.toLowerCase() : undefined;
    const since = typeof request.query.since === "string" ? request.query.since : undefined;
    let issues = [...repo.issues.values()].filter(
      (issue) =>
        (state === "all" || issue.state === state) &&
        labels.every((name) => issue.labels.some((label) => label.toLowerCase() === name)) &&
        (!creator || issue.user.login.toLowerCase() === creator) &&
        (!since || issue.updatedAt >= since),
    );
    const sort = request.query.sort === "updated" ? "updated" : request.query.sort === "comments" ? "comments" : "created";
    issues = sortItems(
      issues,
      (issue) => (sort === "updated" ? issue.updatedAt : sort === "comments" ? issue.comments.length : issue.number),
      request.query.direction,
      "desc",
    );
    return { status: 200, items: issues.map((issue) => shapes.issue(world.ctx, repo, issue)) };
  },

  "POST /repos/{owner}/{repo}/issues": (world, request) => {
    const repo = repoOf(world, request);
    const actor = actorOf(world, request);
    const body = request.body as { title: string | number; body?: string | null; labels?: Array<string | { name?: string }> };
    const labels = (body.labels ?? []).map((entry) => (typeof entry === "string" ? entry : (entry.name ?? ""))).filter(Boolean);
    const issue = issueOps.openIssue(world, repo, actor, { title: String(body.title), body: body.body ?? null, labels });
    return { status: 201, body: shapes.issue(world.ctx, repo, issue) };
  },

  "GET /repos/{owner}/{repo}/issues/{issue_number}/comments": (world, request) => {
    const repo = repoOf(world, request);
    const issue = issueOps.getIssue(repo, number(request.params.issue_number));
    const since = typeof request.query.since === "string" ? request.query.since : undefined;
    const comments = issue.comments.filter((comment) => !since || comment.updatedAt >= since);
    return { status: 200, items: comments.map((comment) => shapes.issueComment(world.ctx, repo, comment)) };
  },

  "POST /repos/{owner}/{repo}/issues/{issue_number}/comments": (world, request) => {
    const repo = repoOf(world, request);
    const comment = issueOps.createComment(world, repo, number(request.params.issue_number), actorOf(world, request), request.body.body);
    return { status: 201, body: shapes.issueComment(world.ctx, repo, comment) };
  },

  "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}": (world, request) => {
    const repo = repoOf(world, request);
    const comment = issueOps.editComment(world, repo, number(request.params.comment_id), actorOf(world, request), request.body.body);
    return { status: 200, body: shapes.issueComment(world.ctx, repo, comment) };
  },

  "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions": (world, request) => {
    const repo = repoOf(world, request);
    const { comment } = issueOps.findComment(repo, number(request.params.comment_id));
    const result = issueOps.addReaction(world, comment, actorOf(world, request), request.body.content as ReactionContent);
    return { status: result.created ? 201 : 200, body: shapes.reaction(world.ctx, result.reaction) };
  },

  "POST /repos/{owner}/{repo}/issues/{issue_number}/reactions": (world, request) => {
    const repo = repoOf(world, request);
    const issue = issueOps.getIssue(repo, number(request.params.issue_number));
    const result = issueOps.addReaction(world, issue, actorOf(world, request), request.body.content as ReactionContent);
    return { status: result.created ? 201 : 200, body: shapes.reaction(world.ctx, result.reaction) };
  },

  "POST /repos/{owner}/{repo}/issues/{issue_number}/labels": (world, request) => {
    const repo = repoOf(world, request);
    const raw: unknown = Array.isArray(request.body) ? request.body : (request.body?.labels ?? []);
    const names = (raw as Array<string | { name?: string }>)
      .map((entry) => (typeof entry === "string" ? entry : (entry.name ?? "")))
      .filter(Boolean);
    const issue = issueOps.addLabels(world, repo, number(request.params.issue_number), actorOf(world, request), names);
    return { status: 200, body: shapes.issue(world.ctx, repo, issue).labels };
  },

  "GET /repos/{owner}/{repo}/issues/{issue_number}/sub_issues": (world, request) => {
    const repo = repoOf(world, request);
    const children = subIssueOps.subIssuesOf(repo, number(request.params.issue_number));
    return { status: 200, items: children.map((child) => shapes.issue(world.ctx, repo, child)) };
  },

  "POST /repos/{owner}/{repo}/issues/{issue_number}/sub_issues": (world, request) => {
    const repo = repoOf(world, request);
    const { sub_issue_id, replace_parent } = request.body as { sub_issue_id: number; replace_parent?: boolean };
    const parent = subIssueOps.addSubIssue(world, repo, number(request.params.issue_number), actorOf(world, request), sub_issue_id, replace_parent ?? false);
    return { status: 201, body: shapes.issue(world.ctx, repo, parent) };
  },

  "DELETE /repos/{owner}/{repo}/issues/{issue_number}/sub_issue": (world, request) => {
    const repo = repoOf(world, request);
    const { sub_issue_id } = request.body as { sub_issue_id: number };
    const parent = subIssueOps.removeSubIssue(world, repo, number(request.params.issue_number), actorOf(world, request), sub_issue_id);
    return { status: 200, body: shapes.issue(world.ctx, repo, parent) };
  },

  "PATCH /repos/{owner}/{repo}/issues/{issue_number}/sub_issues/priority": (world, request) => {
    const repo = repoOf(world, request);
    const parent = subIssueOps.reprioritizeSubIssue(world, repo, number(request.params.issue_number), actorOf(world, request), request.body);
    return { status: 200, body: shapes.issue(world.ctx, repo, parent) };
  },

  "GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by": (world, request) => {
    const repo = repoOf(world, request);
    const blockers = subIssueOps.blockedByOf(repo, number(request.params.issue_number));
    return { status: 200, items: blockers.map((other) => shapes.issue(world.ctx, repo, other)) };
  },

  "POST /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by": (world, request) => {
    const repo = repoOf(world, request);
    const { issue_id } = request.body as { issue_id: number };
    const blocked = subIssueOps.addBlockedBy(world, repo, number(request.params.issue_number), actorOf(world, request), issue_id);
    return { status: 201, body: shapes.issue(world.ctx, repo, blocked) };
  },

  "DELETE /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by/{issue_id}": (world, request) => {
    const repo = repoOf(world, request);
    const blocked = subIssueOps.removeBlockedBy(world, repo, number(request.params.issue_number), actorOf(world, request), number(request.params.issue_id));
    return { status: 200, body: shapes.issue(world.ctx, repo, blocked) };
  },

  "GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocking": (world, request) => {
    const repo = repoOf(world, request);
    const blocked = subIssueOps.blocking(repo, number(request.params.issue_number));
    return { status: 200, items: blocked.map((other) => shapes.issue(world.ctx, repo, other)) };
  },

  "GET /repos/{owner}/{repo}/collaborators/{username}/permission": (world, request) => {
    const repo = repoOf(world, request);
    const account = world.state.findAccount(request.params.username ?? "");
    if (!account || account.type === "Organization") throw new ApiError(404, `${request.params.username} is not a user`);
    const permission = world.permission(repo, account.login);
    const report = PERMISSION_REPORT[permission];
    const rank = ["none", "read", "triage", "write", "maintain", "admin"].indexOf(permission);
    return {
      status: 200,
      body: {
        permission: report.permission,
        role_name: report.role,
        user: {
          ...shapes.user(world.ctx, account),
          permissions: { pull: rank >= 1, triage: rank >= 2, push: rank >= 3, maintain: rank >= 4, admin: rank >= 5 },
          role_name: report.role,
        },
      },
    };
  },

  "POST /repos/{owner}/{repo}/pulls": (world, request) => {
    const repo = repoOf(world, request);
    const body = request.body as { title?: string; head: string; base: string; body?: string; draft?: boolean; maintainer_can_modify?: boolean };
    const input: pullOps.OpenPullInput = { head: body.head, base: body.base, title: body.title ?? "", body: body.body ?? null };
    if (body.draft !== undefined) input.draft = body.draft;
    if (body.maintainer_can_modify !== undefined) input.maintainerCanModify = body.maintainer_can_modify;
    const pull = pullOps.openPull(world, repo, actorOf(world, request), input);
    return { status: 201, body: shapes.pullRequest(world.ctx, repo, pull) };
  },

  "GET /repos/{owner}/{repo}/pulls": (world, request) => {
    const repo = repoOf(world, request);
    const state = (request.query.state as string | undefined) ?? "open";
    const head = typeof request.query.head === "string" ? request.query.head : undefined;
    const base = typeof request.query.base === "string" ? request.query.base : undefined;
    let headOwner: string | undefined;
    let headBranch: string | undefined;
    if (head) {
      // GitHub reads `head` as user:ref-name; a bare branch name matches nothing useful there.
      [headOwner, headBranch] = head.includes(":") ? [head.split(":")[0], head.split(":").slice(1).join(":")] : [head, undefined];
    }
    let pulls = [...repo.pulls.values()].filter(
      (pull) =>
        (state === "all" || pull.state === state) &&
        (!headOwner || headOwner.toLowerCase() === repo.owner.login.toLowerCase()) &&
        (!headBranch || pull.headRef === headBranch) &&
        (!base || pull.baseRef === base),
    );
    const sort = request.query.sort;
    pulls = sortItems(
      pulls,
      (pull) => (sort === "updated" ? repo.issues.get(pull.number)!.updatedAt : pull.number),
      request.query.direction,
      sort === undefined || sort === "created" ? "desc" : "asc",
    );
    return { status: 200, items: pulls.map((pull) => shapes.pullRequestSimple(world.ctx, repo, pull)) };
  },

  "GET /repos/{owner}/{repo}/pulls/{pull_number}": (world, request) => {
    const repo = repoOf(world, request);
    return { status: 200, body: shapes.pullRequest(world.ctx, repo, pullOps.getPull(repo, number(request.params.pull_number))) };
  },

  "PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge": (world, request) => {
    const repo = repoOf(world, request);
    const body = (request.body ?? {}) as { sha?: string; merge_method?: "merge" | "squash" | "rebase"; commit_title?: string; commit_message?: string };
    const input: pullOps.MergeInput = {};
    if (body.sha !== undefined) input.sha = body.sha;
    if (body.merge_method !== undefined) input.mergeMethod = body.merge_method;
    if (body.commit_title !== undefined) input.commitTitle = body.commit_title;
    if (body.commit_message !== undefined) input.commitMessage = body.commit_message;
    return { status: 200, body: pullOps.mergePull(world, repo, number(request.params.pull_number), actorOf(world, request), input) };
  },

  "PUT /repos/{owner}/{repo}/pulls/{pull_number}/update-branch": (world, request) => {
    const repo = repoOf(world, request);
    const expected = (request.body ?? {}).expected_head_sha as string | undefined;
    return { status: 202, body: pullOps.updateBranch(world, repo, number(request.params.pull_number), actorOf(world, request), expected) };
  },

  "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews": (world, request) => {
    const repo = repoOf(world, request);
    const pull = pullOps.getPull(repo, number(request.params.pull_number));
    return { status: 200, items: pull.reviews.map((review) => shapes.review(world.ctx, repo, pull, review)) };
  },

  "POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews": (world, request) => {
    const repo = repoOf(world, request);
    const pullNumber = number(request.params.pull_number);
    const body = (request.body ?? {}) as { event?: pullOps.ReviewInput["event"]; body?: string; commit_id?: string; comments?: pullOps.ReviewInput["comments"] };
    const input: pullOps.ReviewInput = {};
    if (body.event !== undefined) input.event = body.event;
    if (body.body !== undefined) input.body = body.body;
    if (body.commit_id !== undefined) input.commitId = body.commit_id;
    if (body.comments !== undefined) input.comments = body.comments;
    const review = pullOps.submitReview(world, repo, pullNumber, actorOf(world, request), input);
    return { status: 200, body: shapes.review(world.ctx, repo, pullOps.getPull(repo, pullNumber), review) };
  },

  "GET /repos/{owner}/{repo}/pulls/{pull_number}/comments": (world, request) => {
    const repo = repoOf(world, request);
    const pull = pullOps.getPull(repo, number(request.params.pull_number));
    return { status: 200, items: pull.reviewComments.map((comment) => shapes.reviewComment(world.ctx, repo, pull, comment)) };
  },

  "POST /repos/{owner}/{repo}/git/refs": (world, request) => {
    const repo = repoOf(world, request);
    const body = request.body as { ref: string; sha: string };
    pullOps.createRef(world, repo, body.ref, body.sha, actorOf(world, request));
    const name = body.ref.replace(/^refs\//, "");
    return { status: 201, body: shapes.gitRef(world.ctx, repo, name, body.sha) };
  },

  "GET /repos/{owner}/{repo}/git/ref/{ref}": (world, request) => {
    const repo = repoOf(world, request);
    const ref = (request.params.ref ?? "").replace(/^refs\//, "");
    const sha = ref.startsWith("heads/") ? repo.branches.get(ref.slice("heads/".length)) : undefined;
    if (!sha) throw notFound();
    return { status: 200, body: shapes.gitRef(world.ctx, repo, ref, sha) };
  },

  "DELETE /repos/{owner}/{repo}/git/refs/{ref}": (world, request) => {
    const repo = repoOf(world, request);
    pullOps.deleteRef(world, repo, request.params.ref ?? "", actorOf(world, request));
    return { status: 204 };
  },

  "GET /repos/{owner}/{repo}/commits/{ref}/check-runs": (world, request) => {
    const repo = repoOf(world, request);
    const sha = resolveRef(repo, request.params.ref ?? "");
    if (!sha) throw new ApiError(422, `No commit found for SHA: ${request.params.ref}`);
    const all = request.query.filter === "all";
    let runs = all ? repo.checkRuns.filter((run) => run.headSha === sha) : world.state.checksFor(repo, sha).runs;
    if (typeof request.query.check_name === "string") runs = runs.filter((run) => run.name === request.query.check_name);
    if (typeof request.query.status === "string") runs = runs.filter((run) => run.status === request.query.status);
    return {
      status: 200,
      items: runs.map((run) => shapes.checkRun(world.ctx, repo, run, world.appOf(run))),
      wrap: (page, total) => ({ total_count: total, check_runs: page }),
    };
  },

  "GET /repos/{owner}/{repo}/pulls/{pull_number}/files": (world, request) => {
    const repo = repoOf(world, request);
    const pull = pullOps.getPull(repo, number(request.params.pull_number));
    const base = { api: world.ctx.api, web: world.ctx.web, fullName: `${repo.owner.login}/${repo.name}`, headSha: pull.headSha };
    return { status: 200, items: checkOps.pullChanges(world, repo, pull).map((change) => checkOps.diffEntry(base, change)) };
  },

  "POST /repos/{owner}/{repo}/check-runs": (world, request) => {
    const repo = repoOf(world, request);
    // Only an App creates check runs: an installation token is the App's.
    if (request.caller.kind !== "installation") throw new ApiError(403, "You must authenticate via a GitHub App.");
    const run = checkOps.createCheckRun(world, repo, world.state.app.id, request.body as checkOps.CheckRunInput);
    return { status: 201, body: shapes.checkRun(world.ctx, repo, run, world.appOf(run)) };
  },

  "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}": (world, request) => {
    const repo = repoOf(world, request);
    if (request.caller.kind !== "installation") throw new ApiError(403, "You must authenticate via a GitHub App.");
    const run = checkOps.updateCheckRun(world, repo, world.state.app.id, number(request.params.check_run_id), (request.body ?? {}) as Partial<checkOps.CheckRunInput>);
    return { status: 200, body: shapes.checkRun(world.ctx, repo, run, world.appOf(run)) };
  },

  "GET /repos/{owner}/{repo}/commits/{ref}/check-suites": (world, request) => {
    const repo = repoOf(world, request);
    const sha = resolveRef(repo, request.params.ref ?? "");
    if (!sha) throw new ApiError(422, `No commit found for SHA: ${request.params.ref}`);
    const suites = repo.checkSuites.filter((suite) => suite.headSha === sha);
    return {
      status: 200,
      items: suites.map((suite) => shapes.checkSuite(world.ctx, repo, suite, world.appOf(suite))),
      wrap: (page, total) => ({ total_count: total, check_suites: page }),
    };
  },

  "GET /repos/{owner}/{repo}/commits/{ref}/status": (world, request) => {
    const repo = repoOf(world, request);
    const sha = resolveRef(repo, request.params.ref ?? "");
    if (!sha) throw new ApiError(404, `No commit found for SHA: ${request.params.ref}`);
    const { statuses } = world.state.checksFor(repo, sha);
    // GitHub's combined state is "pending" when there are no statuses at all.
    const state = statuses.some((s) => s.state === "failure" || s.state === "error")
      ? "failure"
      : statuses.length > 0 && statuses.every((s) => s.state === "success")
        ? "success"
        : "pending";
    const api = shapes.repoApiUrl(world.ctx, repo);
    const full = shapes.repository(world.ctx, repo);
    const minimal: Json = {};
    for (const [key, value] of Object.entries(full)) if (MINIMAL_REPOSITORY_KEYS.has(key)) minimal[key] = value;
    return {
      status: 200,
      body: {
        state,
        statuses: statuses.map((status) => ({
          url: `${api}/statuses/${status.sha}`,
          avatar_url: `${world.ctx.web}/avatars/u/${status.creator.id}?v=4`,
          id: status.id,
          node_id: status.nodeId,
          state: status.state,
          description: status.description,
          target_url: status.targetUrl,
          context: status.context,
          created_at: status.createdAt,
          updated_at: status.updatedAt,
        })),
        sha,
        total_count: statuses.length,
        repository: minimal,
        commit_url: `${api}/commits/${sha}`,
        url: `${api}/commits/${sha}/status`,
      },
    };
  },
};
