/**
 * SANDBOX FAKE — never part of src/. Branches, commits and pull requests: pushing, opening,
 * closing, merging (with GitHub's 405/409 answers), updating a branch from its base, reviews,
 * and the CI and webhooks each change sets off.
 */
import { runCi } from "./ci.js";
import { ApiError, notFound } from "./errors.js";
import { getIssue, newIssueRecord, setIssueState } from "./issue-ops.js";
import * as shapes from "./shapes.js";
import type { Account, CheckConclusion, Commit, Pull, Repo, Review, ReviewState } from "./state.js";
import { isoNow, nodeId } from "./state.js";
import { Tree } from "./tree.js";
import type { World } from "./world.js";

export interface CommitInput {
  /** Files to write (path → content); null deletes the file. */
  files: Record<string, string | null>;
  message: string;
  author: Account;
  /** Branch a new branch starts from; the default branch when absent. */
  from?: string;
  /** The conclusion CI will reach for this commit (a scenario's choice). */
  ciConclusion?: CheckConclusion;
  /** A rebase by the author: the pull request's conflict with its base is gone. */
  resolvesConflict?: boolean;
}

const CLOSING_KEYWORDS = /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b:?\s+#(\d+)/gi;

export function getPull(repo: Repo, number: number): Pull {
  const pull = repo.pulls.get(number);
  if (!pull) throw notFound();
  return pull;
}

function short(sha: string): string {
  return sha.slice(0, 7);
}

function newCommit(
  world: World,
  repo: Repo,
  parents: string[],
  files: Tree,
  changes: Map<string, string | null>,
  message: string,
  author: Account,
  ciConclusion?: CheckConclusion,
): Commit {
  const sha = world.state.commitSha(parents, changes, message);
  const commit: Commit = { sha, message, parents, files, changes, author, date: isoNow() };
  if (ciConclusion) commit.ciConclusion = ciConclusion;
  repo.commits.set(sha, commit);
  return commit;
}

/** The first commit of a new repository. */
export function initialCommit(world: World, repo: Repo, files: Record<string, string>, author: Account): Commit {
  const tree = Tree.of(Object.entries(files));
  const commit = newCommit(world, repo, [], tree, new Map(tree), "Initial commit", author);
  repo.branches.set(repo.defaultBranch, commit.sha);
  return commit;
}

/** Pushes one commit to `branch` (created from `from` or the default branch when new). */
export function pushCommit(world: World, repo: Repo, branch: string, input: CommitInput): Commit {
  let before = repo.branches.get(branch);
  if (!before) {
    const start = repo.branches.get(input.from ?? repo.defaultBranch);
    if (!start) throw new ApiError(422, `Branch ${input.from ?? repo.defaultBranch} does not exist`);
    repo.branches.set(branch, start);
    before = start;
    world.transcript.record("branch", `${input.author.login} created branch ${branch}`);
  }
  const parent = repo.commits.get(before)!;
  const changes = new Map<string, string | null>(Object.entries(input.files));
  const files = parent.files.with(changes);
  const commit = newCommit(world, repo, [before], files, changes, input.message, input.author, input.ciConclusion);
  repo.branches.set(branch, commit.sha);
  repo.pushedAt = commit.date;
  world.transcript.record("branch", `${input.author.login} pushed ${short(commit.sha)} to ${branch}: ${input.message.split("\n")[0]}`);
  headMoved(world, repo, branch, before, commit.sha, input.author, input.resolvesConflict === true);
  return commit;
}

/** A branch got a new head: its open pull requests synchronize and CI runs once for the commit. */
function headMoved(
  world: World,
  repo: Repo,
  branch: string,
  before: string,
  after: string,
  actor: Account,
  resolvesConflict: boolean,
): void {
  const pulls = [...repo.pulls.values()].filter((pull) => pull.state === "open" && pull.headRef === branch);
  for (const pull of pulls) {
    pull.headSha = after;
    if (resolvesConflict) pull.conflict = null;
    pull.mergeableKnownAt = Date.now() + world.options.mergeabilityDelayMs;
    getIssue(repo, pull.number).updatedAt = isoNow();
    world.webhook(
      repo,
      "pull_request",
      "synchronize",
      actor,
      { number: pull.number, pull_request: shapes.pullRequest(world.ctx, repo, pull), before, after },
      `#${pull.number} ${short(before)}..${short(after)}`,
    );
  }
  if (pulls.length > 0) runCi(world, repo, after, branch, before);
}

/** The files a branch changed since it left `baseSha`'s history, replayed in order. */
function branchChanges(world: World, repo: Repo, headSha: string, baseSha: string): Map<string, string | null> {
  const chain: Commit[] = [];
  let current: string | undefined = headSha;
  const seen = new Set<string>();
  while (current && !seen.has(current) && !world.state.isAncestor(repo, current, baseSha)) {
    seen.add(current);
    const commit = repo.commits.get(current);
    if (!commit) break;
    chain.push(commit);
    current = commit.parents[0];
  }
  const changes = new Map<string, string | null>();
  for (const commit of chain.reverse()) for (const [path, content] of commit.changes) changes.set(path, content);
  return changes;
}

function applyChanges(files: Tree, changes: Map<string, string | null>): Tree {
  return files.with(changes);
}

export interface OpenPullInput {
  head: string;
  base?: string;
  title: string;
  body?: string | null;
  draft?: boolean;
  maintainerCanModify?: boolean;
}

export function openPull(world: World, repo: Repo, actor: Account, input: OpenPullInput): Pull {
  world.requirePermission(repo, actor, "write", "open pull requests from branches of this repository");
  const head = input.head.includes(":") ? input.head.split(":").slice(1).join(":") : input.head;
  const headOwner = input.head.includes(":") ? input.head.split(":")[0]! : repo.owner.login;
  const base = input.base ?? repo.defaultBranch;
  const invalid = (field: string) =>
    new ApiError(422, "Validation Failed", [{ resource: "PullRequest", field, code: "invalid" }]);
  const custom = (message: string) => new ApiError(422, "Validation Failed", [{ resource: "PullRequest", code: "custom", message }]);
  if (headOwner.toLowerCase() !== repo.owner.login.toLowerCase()) throw invalid("head");
  const headSha = repo.branches.get(head);
  if (!headSha) throw invalid("head");
  const baseSha = repo.branches.get(base);
  if (!baseSha) throw invalid("base");
  if (!input.title.trim()) throw new ApiError(422, "Validation Failed", [{ resource: "PullRequest", field: "title", code: "missing_field" }]);
  const duplicate = [...repo.pulls.values()].find((pull) => pull.state === "open" && pull.headRef === head && pull.baseRef === base);
  if (duplicate) throw custom(`A pull request already exists for ${repo.owner.login}:${head}.`);
  if (world.state.isAncestor(repo, headSha, baseSha)) throw custom(`No commits between ${base} and ${head}`);

  const issue = newIssueRecord(world, repo, actor, input, true);
  const { number } = issue;
  const pullId = world.state.newId();
  const pull: Pull = {
    number,
    id: pullId,
    nodeId: nodeId("PullRequest", pullId),
    headRef: head,
    headSha,
    baseRef: base,
    state: "open",
    merged: false,
    mergedAt: null,
    mergedBy: null,
    mergeCommitSha: null,
    draft: input.draft ?? false,
    maintainerCanModify: input.maintainerCanModify ?? false,
    conflict: null,
    mergeableKnownAt: Date.now() + world.options.mergeabilityDelayMs,
    reviews: [],
    reviewComments: [],
  };
  repo.issues.set(number, issue);
  repo.pulls.set(number, pull);
  world.transcript.record("pull", `${actor.login} opened PR #${number} "${input.title}" (${head} → ${base})`);
  world.webhook(
    repo,
    "pull_request",
    "opened",
    actor,
    { number, pull_request: shapes.pullRequest(world.ctx, repo, pull) },
    `#${number}`,
  );
  runCi(world, repo, headSha, head, null);
  return pull;
}

export function closePull(world: World, repo: Repo, number: number, actor: Account): Pull {
  const pull = getPull(repo, number);
  if (pull.state === "closed") return pull;
  const issue = getIssue(repo, number);
  if (actor.id !== issue.user.id) world.requirePermission(repo, actor, "triage", "close pull requests");
  const now = isoNow();
  pull.state = "closed";
  issue.state = "closed";
  issue.closedAt = now;
  issue.closedBy = actor;
  issue.updatedAt = now;
  world.transcript.record("pull", `${actor.login} closed PR #${number} without merging`);
  world.webhook(repo, "pull_request", "closed", actor, { number, pull_request: shapes.pullRequest(world.ctx, repo, pull) }, `#${number} (not merged)`);
  return pull;
}

export function reopenPull(world: World, repo: Repo, number: number, actor: Account): Pull {
  const pull = getPull(repo, number);
  if (pull.state === "open") return pull;
  if (pull.merged) throw new ApiError(422, "Validation Failed", [{ resource: "PullRequest", code: "custom", message: "state cannot be changed. The pull request has been merged." }]);
  world.requirePermission(repo, actor, "triage", "reopen pull requests");
  const headSha = repo.branches.get(pull.headRef);
  if (!headSha) throw new ApiError(422, "Validation Failed", [{ resource: "PullRequest", code: "custom", message: "state cannot be changed. The head branch was deleted." }]);
  const issue = getIssue(repo, number);
  pull.state = "open";
  pull.headSha = headSha;
  pull.mergeableKnownAt = Date.now() + world.options.mergeabilityDelayMs;
  issue.state = "open";
  issue.closedAt = null;
  issue.closedBy = null;
  issue.updatedAt = isoNow();
  world.transcript.record("pull", `${actor.login} reopened PR #${number}`);
  world.webhook(repo, "pull_request", "reopened", actor, { number, pull_request: shapes.pullRequest(world.ctx, repo, pull) }, `#${number}`);
  return pull;
}

export interface MergeInput {
  sha?: string;
  mergeMethod?: "merge" | "squash" | "rebase";
  commitTitle?: string;
  commitMessage?: string;
}

/** PUT /pulls/{n}/merge, with GitHub's refusals: 405 not mergeable, 409 head moved. */
export function mergePull(
  world: World,
  repo: Repo,
  number: number,
  actor: Account,
  input: MergeInput,
): { sha: string; merged: true; message: string } {
  const pull = getPull(repo, number);
  world.requirePermission(repo, actor, "write", "merge pull requests");
  if (pull.state === "closed") throw new ApiError(405, "Pull Request is not mergeable");
  if (input.sha !== undefined && input.sha !== pull.headSha) {
    throw new ApiError(409, "Head branch was modified. Review and try the merge again.");
  }
  if (pull.conflict) throw new ApiError(405, "Pull Request is not mergeable");
  if (pull.draft) throw new ApiError(405, "Pull Request is still a draft");
  // Branch protection, as GitHub enforces it on the merge API.
  const unmet = world.state.unmetRule(repo, pull);
  if (unmet) throw new ApiError(405, unmet);
  const baseSha = repo.branches.get(pull.baseRef);
  if (!baseSha) throw new ApiError(405, "Pull Request is not mergeable");
  if (repo.protection.get(pull.baseRef)?.strict && !world.state.isAncestor(repo, baseSha, pull.headSha)) {
    throw new ApiError(405, "Head branch is out of date. Review and try the merge again.");
  }

  const issue = getIssue(repo, number);
  const method = input.mergeMethod ?? "merge";
  const base = repo.commits.get(baseSha)!;
  const changes = branchChanges(world, repo, pull.headSha, baseSha);
  const files = applyChanges(base.files, changes);
  const title =
    input.commitTitle ??
    (method === "merge" ? `Merge pull request #${number} from ${repo.owner.login}/${pull.headRef}` : `${issue.title} (#${number})`);
  const message = input.commitMessage ? `${title}\n\n${input.commitMessage}` : title;
  const parents = method === "merge" ? [baseSha, pull.headSha] : [baseSha];
  const commit = newCommit(world, repo, parents, files, changes, message, actor);
  repo.branches.set(pull.baseRef, commit.sha);
  repo.pushedAt = commit.date;

  const now = isoNow();
  pull.state = "closed";
  pull.merged = true;
  pull.mergedAt = now;
  pull.mergedBy = actor;
  pull.mergeCommitSha = commit.sha;
  issue.state = "closed";
  issue.closedAt = now;
  issue.closedBy = actor;
  issue.updatedAt = now;
  world.transcript.record("merge", `${actor.login} merged PR #${number} into ${pull.baseRef} (${method}) at ${short(commit.sha)}`);
  world.webhook(repo, "pull_request", "closed", actor, { number, pull_request: shapes.pullRequest(world.ctx, repo, pull) }, `#${number} (merged)`);
  if (repo.deleteBranchOnMerge && repo.branches.has(pull.headRef)) {
    repo.branches.delete(pull.headRef);
    world.transcript.record("branch", `GitHub deleted branch ${pull.headRef} (delete head branches on merge)`);
  }

  // Other pull requests on this base must be re-checked for mergeability.
  for (const other of repo.pulls.values()) {
    if (other.state === "open" && other.baseRef === pull.baseRef) {
      other.mergeableKnownAt = Date.now() + world.options.mergeabilityDelayMs;
    }
  }
  // Like GitHub: closing keywords in a PR merged into the default branch close those issues.
  if (pull.baseRef === repo.defaultBranch) {
    for (const match of `${issue.body ?? ""}`.matchAll(CLOSING_KEYWORDS)) {
      const target = repo.issues.get(Number(match[1]));
      if (target && !target.isPull && target.state === "open") {
        world.transcript.record("issue", `PR #${number} says "${match[0]}": GitHub closes #${target.number}`);
        setIssueState(world, repo, target, actor, "closed", "completed");
      }
    }
  }
  return { sha: commit.sha, merged: true, message: "Pull Request successfully merged" };
}

/**
 * PUT /pulls/{n}/update-branch: merges the base into the head. A conflict marked resolvable
 * disappears; a real one answers 422 and stays until the author pushes a rebase.
 */
export function updateBranch(
  world: World,
  repo: Repo,
  number: number,
  actor: Account,
  expectedHeadSha?: string,
): { message: string; url: string } {
  const pull = getPull(repo, number);
  world.requirePermission(repo, actor, "write", "update pull request branches");
  if (pull.state === "closed") throw new ApiError(422, "Cannot update a closed pull request");
  if (expectedHeadSha !== undefined && expectedHeadSha !== pull.headSha) {
    throw new ApiError(422, "expected head sha didn't match current head ref.");
  }
  if (pull.conflict && !pull.conflict.resolvable) throw new ApiError(422, "merge conflict between base and head");
  const baseSha = repo.branches.get(pull.baseRef);
  if (!baseSha) throw new ApiError(422, "Base branch does not exist");
  if (!pull.conflict && world.state.isAncestor(repo, baseSha, pull.headSha)) {
    throw new ApiError(422, "There are no new commits on the base branch.");
  }
  const head = pull.headSha;
  // GitHub answers 202 at once and updates the branch in the background.
  world.later(5, () => {
    if (pull.state !== "open" || pull.headSha !== head) return;
    const base = repo.commits.get(baseSha)!;
    const changes = branchChanges(world, repo, head, baseSha);
    const files = applyChanges(base.files, changes);
    const commit = newCommit(
      world,
      repo,
      [head, baseSha],
      files,
      new Map(),
      `Merge branch '${pull.baseRef}' into ${pull.headRef}`,
      actor,
      repo.commits.get(head)?.ciConclusion,
    );
    repo.branches.set(pull.headRef, commit.sha);
    world.transcript.record("branch", `${actor.login} updated ${pull.headRef} from ${pull.baseRef} (${short(commit.sha)})`);
    headMoved(world, repo, pull.headRef, head, commit.sha, actor, true);
  });
  return { message: "Updating pull request branch.", url: `${shapes.repoHtmlUrl(world.ctx, repo)}/pull/${number}` };
}

export interface ReviewInput {
  event?: "APPROVE" | "REQUEST_CHANGES" | "COMMENT";
  body?: string;
  commitId?: string;
  comments?: Array<{ path: string; line?: number; position?: number; body: string }>;
}

const REVIEW_STATES: Record<NonNullable<ReviewInput["event"]>, ReviewState> = {
  APPROVE: "APPROVED",
  REQUEST_CHANGES: "CHANGES_REQUESTED",
  COMMENT: "COMMENTED",
};

export function submitReview(world: World, repo: Repo, number: number, actor: Account, input: ReviewInput): Review {
  const pull = getPull(repo, number);
  const issue = getIssue(repo, number);
  const body = input.body ?? "";
  const problem = (message: string) => new ApiError(422, "Unprocessable Entity", [{ code: "custom", message }]);
  if (pull.state === "closed" && input.event) throw problem("Can not review a closed pull request");
  if (input.event === "APPROVE" && actor.id === issue.user.id) throw problem("Can not approve your own pull request");
  if (input.event === "REQUEST_CHANGES" && actor.id === issue.user.id) throw problem("Can not request changes on your own pull request");
  if ((input.event === "REQUEST_CHANGES" || input.event === "COMMENT") && !body.trim() && !input.comments?.length) {
    throw problem(`Body is required when using ${input.event}`);
  }
  const id = world.state.newId();
  const state: ReviewState = input.event ? REVIEW_STATES[input.event] : "PENDING";
  const review: Review = {
    id,
    nodeId: nodeId("PullRequestReview", id),
    user: actor,
    body,
    state,
    commitId: input.commitId ?? pull.headSha,
    submittedAt: state === "PENDING" ? null : isoNow(),
  };
  pull.reviews.push(review);
  for (const comment of input.comments ?? []) {
    const commentId = world.state.newId();
    pull.reviewComments.push({
      id: commentId,
      nodeId: nodeId("PullRequestReviewComment", commentId),
      reviewId: id,
      path: comment.path,
      line: comment.line ?? comment.position ?? null,
      body: comment.body,
      user: actor,
      commitId: review.commitId,
      createdAt: isoNow(),
    });
  }
  if (state !== "PENDING") {
    world.transcript.record("review", `${actor.login} reviewed PR #${number}: ${state}${body ? ` "${body.split("\n")[0]}"` : ""}`);
    const reviewShape = shapes.review(world.ctx, repo, pull, review);
    world.webhook(
      repo,
      "pull_request_review",
      "submitted",
      actor,
      // Webhooks spell review states in lower case, unlike the REST API.
      { review: { ...reviewShape, state: state.toLowerCase() }, pull_request: shapes.pullRequest(world.ctx, repo, pull) },
      `#${number} ${state.toLowerCase()}`,
    );
  }
  return review;
}

/** A scenario's switch: the pull request conflicts with its base (or no longer does). */
export function setConflict(world: World, repo: Repo, number: number, conflict: { resolvable: boolean } | null): void {
  const pull = getPull(repo, number);
  pull.conflict = conflict;
  pull.mergeableKnownAt = Date.now() + world.options.mergeabilityDelayMs;
  world.transcript.record(
    "pull",
    conflict ? `PR #${number} now conflicts with ${pull.baseRef}${conflict.resolvable ? "" : " (needs a rebase)"}` : `PR #${number} no longer conflicts`,
  );
}

export function createRef(world: World, repo: Repo, ref: string, sha: string, actor: Account): void {
  world.requirePermission(repo, actor, "write", "create branches");
  const name = ref.replace(/^refs\//, "");
  if (!/^refs\/[^/]+\/.+/.test(ref)) throw new ApiError(422, "Reference name must start with 'refs/' and have at least two slashes.");
  if (!repo.commits.has(sha)) throw new ApiError(422, "Object does not exist");
  const branch = name.replace(/^heads\//, "");
  if (!name.startsWith("heads/")) throw new ApiError(422, "Only branches are supported by this sandbox");
  if (repo.branches.has(branch)) throw new ApiError(422, "Reference already exists");
  repo.branches.set(branch, sha);
  world.transcript.record("branch", `${actor.login} created branch ${branch} at ${short(sha)}`);
}

/** Deleting a pull request's head branch closes the pull request, as on GitHub. */
export function deleteRef(world: World, repo: Repo, ref: string, actor: Account): void {
  world.requirePermission(repo, actor, "write", "delete branches");
  const branch = ref.replace(/^refs\//, "").replace(/^heads\//, "");
  if (!ref.replace(/^refs\//, "").startsWith("heads/") || !repo.branches.has(branch)) {
    throw new ApiError(422, "Reference does not exist");
  }
  if (branch === repo.defaultBranch) throw new ApiError(422, "Cannot delete the default branch");
  repo.branches.delete(branch);
  world.transcript.record("branch", `${actor.login} deleted branch ${branch}`);
  for (const pull of repo.pulls.values()) {
    if (pull.state === "open" && pull.headRef === branch) closePull(world, repo, pull.number, actor);
  }
}

/** The open or closed pull requests of a repository whose head is `branch`. */
export function pullsForBranch(repo: Repo, branch: string): Pull[] {
  return [...repo.pulls.values()].filter((pull) => pull.headRef === branch);
}
