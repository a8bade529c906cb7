import { LRUCache } from "lru-cache";
import type { ProbotOctokit } from "probot";
import { toPullRequestView } from "./pull-request-view.js";
import {
  buildSnapshotQuery,
  COMMENTS_QUERY,
  CONTEXTS_QUERY,
  EDIT_HISTORY_QUERY,
  ISSUE_QUERY,
  type GqlActor,
  type GqlCheckContexts,
  type GqlComments,
  type GqlEditHistory,
  type GqlIssue,
  type GqlLabeledBy,
  type GqlPull,
  PULL_QUERY,
  type GqlPullRequest,
  LABELED_BY_QUERY,
  type GqlSnapshot,
} from "./snapshot-query.js";
import type { PullRequestView } from "../orchestration/snapshot.js";
import { buildChildHistoryQuery, toChildHistory, type ChildHistory, type ChildRead, type GqlChildHistory } from "./sub-issues-query.js";
import { toComment, toIssueRead, toSnapshotRead, type SnapshotSource } from "./snapshot-read.js";
import type { ContentEdit, EditHistory } from "../orchestration/trust/attribution.js";
import type { EditCounts } from "../orchestration/types.js";
import { commentNodeId, rememberCommentNodeId, sendWriteBatch, type WriteOp, type WriteOutcome } from "./write-batch.js";

export type Octokit = InstanceType<typeof ProbotOctokit>;

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface IssueRead {
  /** GraphQL node id: what Orchestra's MACs bind its state to. */
  id: string;
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  createdAt?: string;
  /** Read with the snapshot. */
  labels?: string[];
  /** Read right before a write. */
  counts?: EditCounts;
  /** The issue's sub-issues in priority order, read with the snapshot (absent: not read). */
  children?: ChildRead[];
}



export interface PullFile {
  path: string;
  status: string;
  additions: number;
  deletions: number;
  /** Absent for binary files and for files GitHub finds too large to show. */
  patch?: string;
}

export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
}

export interface CheckRunInput {
  name: string;
  headSha: string;
  conclusion: "success" | "failure";
  title: string;
  summary: string;
  /** At most 50: GitHub's limit per request. */
  annotations: CheckAnnotation[];
}

export interface SnapshotRead {
  defaultBranch: string;
  /** The repository deletes merged head branches itself ("Automatically delete head branches"). */
  deleteBranchOnMerge: boolean;
  issue: IssueRead | null;
  /** The same-repository PRs of each branch asked for, newest first (usually one: the agent's). */
  pulls: Map<string, PullRequestView[]>;
  /** PRs from forks whose head branch has a task branch's name: never Orchestra's. */
  foreignPulls: Map<string, PullRequestView[]>;
  /** Branches whose window of PRs was full: the agent's may be among those not read. */
  crowdedBranches: Set<string>;
  /** The issue's newest comments, oldest first, and where older ones continue (null: no more). */
  comments: CommentRead[];
  olderComments: string | null;
  /** The newest comments of each task PR read, by PR number. */
  pullComments: Map<number, CommentRead[]>;
  /** GitHub's answer it was made from: what the snapshot cache keeps and brings up to date. */
  source?: SnapshotSource;
}

export interface CommentRead {
  id: number;
  /** GraphQL node id, when read. */
  nodeId?: string;
  body: string;
  createdAt?: string;
  /** null for a deleted account. */
  author: string | null;
  bot: boolean;
}


/**
 * Why GitHub refused a merge, from its status and message:
 * - `moved` (409): the head changed since it was read;
 * - `blocked` (405, or 422 from rulesets): a required check or review is missing;
 * - `not-mergeable` (405): GitHub's other "Pull Request is not mergeable" (conflict, state not computed);
 * - `workflows` (403): the PR changes `.github/workflows` and the App lacks the `workflows` permission;
 * - `forbidden` (403): another permission is missing;
 * - `method` (405): the repository does not allow the configured merge method;
 * - `invalid` (422): anything else GitHub calls unprocessable.
 * The first three pass when something changes; the others need a person.
 */
export type MergeRefusal = "moved" | "blocked" | "not-mergeable" | "workflows" | "forbidden" | "method" | "invalid";

export type MergeOutcome =
  | { merged: true; sha: string }
  | { merged: false; status: number; message: string; cause: MergeRefusal };

export function classifyMergeRefusal(status: number, message: string): MergeRefusal {
  if (status === 409) return "moved";
  if (status === 403) return /workflow/i.test(message) ? "workflows" : "forbidden";
  if (/(merge commits|squash merges|rebase merges) are not allowed/i.test(message)) return "method";
  if (/required status check|status checks? .*(expected|required)|approving review|review.*required|code owner|rule violation|protected branch/i.test(message)) {
    return "blocked";
  }
  return status === 405 ? "not-mergeable" : "invalid";
}
export const CONFIG_PATH = ".github/orchestra.yml";
const MAX_COMMENT_PAGES = 10;

/**
 * Commands Orchestra answered (🚀 or 😕), by repository and comment id: the 👀 that says "seen,
 * under way" is only for a command still unanswered after a few seconds. Bounded; forgetting one
 * costs at most a late 👀.
 */
const answeredCommands = new LRUCache<string, true>({ max: 10_000 });

function isStatus(error: unknown, ...statuses: number[]): boolean {
  return statuses.includes((error as { status?: number }).status ?? 0);
}

/** GitHub's own message from an error response (Octokit's message appends a documentation link). */
function responseMessage(error: unknown): string {
  const data = (error as { response?: { data?: unknown } }).response?.data;
  const message = data && typeof data === "object" ? (data as { message?: unknown }).message : undefined;
  return typeof message === "string" ? message : (error as Error).message;
}

/** Every GitHub call Orchestra makes, typed, in one place. */
export class GitHubGateway {
  constructor(
    readonly octokit: Octokit,
    readonly repo: RepoRef,
  ) {}

  get fullName(): string {
    return `${this.repo.owner}/${this.repo.repo}`;
  }

  /** One GraphQL request: the issue and the PR of every task branch, checks and reviews included. */
  async readSnapshot(issueNumber: number, branches: string[], ownAppId?: number): Promise<SnapshotRead> {
    const variables: Record<string, string | number> = {
      owner: this.repo.owner,
      repo: this.repo.repo,
      issue: issueNumber,
    };
    branches.forEach((branch, i) => (variables[`b${i}`] = branch));
    const data = await this.octokit.graphql<GqlSnapshot>(buildSnapshotQuery(branches.length), variables);
    const repository = data.repository;
    // Every check context, every time: a red 101st check is as red as the first.
    for (let i = 0; i < branches.length && repository; i++) {
      for (const node of repository[`b${i}`]?.nodes ?? []) {
        if (node.state === "OPEN" && node.headRepository?.nameWithOwner.toLowerCase() === repository.nameWithOwner.toLowerCase()) {
          await this.readAllContexts(node);
        }
      }
    }
    return toSnapshotRead({ data, branches, ...(ownAppId !== undefined ? { ownAppId } : {}) });
  }

  /** One PR by number, read as the snapshot reads a task's PR; null when there is none. */
  async pullByNumber(number: number, ownAppId?: number): Promise<PullRequestView | null> {
    const data = await this.octokit.graphql<GqlPull>(PULL_QUERY, { owner: this.repo.owner, repo: this.repo.repo, number }).catch((error: unknown) => {
      if ((error as { errors?: Array<{ type?: string }> }).errors?.some((e) => e.type === "NOT_FOUND")) return { repository: null };
      throw error;
    });
    const node = data.repository?.pullRequest;
    if (!node) return null;
    if (node.state === "OPEN") await this.readAllContexts(node);
    return toPullRequestView(node, data.repository!.nameWithOwner, ownAppId);
  }

  /** Who most recently added `label` to the issue: a login, `null` for an app or a deleted account, or undefined when GitHub shows no such event. */
  async labeledBy(issueNumber: number, label: string): Promise<string | null | undefined> {
    const data = await this.octokit.graphql<GqlLabeledBy>(LABELED_BY_QUERY, { owner: this.repo.owner, repo: this.repo.repo, issue: issueNumber });
    const events = (data.repository?.issue?.timelineItems.nodes ?? []).filter((node) => node.label?.name.toLowerCase() === label.toLowerCase());
    const newest = events.at(-1);
    if (!newest) return undefined;
    return newest.actor && newest.actor.__typename !== "Bot" ? newest.actor.login : null;
  }

  /** The page of the issue's comments before `cursor` (a GraphQL cursor), oldest first, and where older ones continue. */
  async commentsBefore(issueNumber: number, cursor: string): Promise<{ comments: CommentRead[]; older: string | null }> {
    const page = await this.commentsPage(issueNumber, cursor);
    if (!page) return { comments: [], older: null };
    return { comments: page.nodes.map(toComment), older: page.pageInfo.hasPreviousPage ? page.pageInfo.startCursor : null };
  }

  /**
   * Reads the pages of the head commit's check contexts past the first (GitHub serves at most
   * 100 a page) into `pr`: one request per further page, none for a commit with 100 or fewer.
   */
  private async readAllContexts(pr: GqlPullRequest): Promise<void> {
    const head = pr.commits.nodes[0]?.commit;
    const rollup = head?.statusCheckRollup;
    if (!head || !rollup) return;
    let pageInfo = rollup.contexts.pageInfo;
    while (pageInfo?.hasNextPage && pageInfo.endCursor) {
      const data: GqlCheckContexts = await this.octokit.graphql<GqlCheckContexts>(CONTEXTS_QUERY, {
        owner: this.repo.owner,
        repo: this.repo.repo,
        oid: head.oid,
        after: pageInfo.endCursor,
      });
      const page = data.repository?.object?.statusCheckRollup?.contexts;
      if (!page) return;
      rollup.contexts.nodes.push(...page.nodes);
      pageInfo = page.pageInfo;
    }
  }

  /**
   * The issue as it is now, read right before Orchestra writes its body. GraphQL rather than
   * REST: it is one request either way, and it leaves the REST budget to writes.
   */
  async getIssue(issueNumber: number): Promise<IssueRead> {
    return toIssueRead(await this.readIssue<GqlIssue>(ISSUE_QUERY, issueNumber));
  }

  /** `repository.issue` of a query about one issue; an error when GitHub does not show it. */
  private async readIssue<T extends { repository: { issue: unknown } | null }>(
    query: string,
    issueNumber: number,
  ): Promise<NonNullable<NonNullable<T["repository"]>["issue"]>> {
    const data = await this.octokit.graphql<T>(query, { owner: this.repo.owner, repo: this.repo.repo, issue: issueNumber });
    const issue = data.repository?.issue;
    if (!issue) throw new Error(`issue #${issueNumber} of ${this.fullName} is not readable`);
    return issue as NonNullable<NonNullable<T["repository"]>["issue"]>;
  }

  /**
   * Who edited the issue's body and title, newest first: the edits GitHub returns from both ends
   * of its history (at most 2 × EDIT_WINDOW of each), with the totals.
   */
  async readEditHistory(issueNumber: number): Promise<EditHistory> {
    const issue = await this.readIssue<GqlEditHistory>(EDIT_HISTORY_QUERY, issueNumber);
    const actor = (value: GqlActor | null | undefined) =>
      value ? { login: value.login, bot: value.__typename === "Bot" } : null;
    const newestFirst = (items: Array<ContentEdit & { id: string }>): ContentEdit[] => {
      const unique = new Map(items.map((item) => [item.id, item]));
      return [...unique.values()]
        .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
        .map(({ kind, at, actor: who }) => ({ kind, at, actor: who }));
    };
    const edits = [...issue.editsHead.nodes, ...issue.editsTail.nodes].map((node) => ({
      id: node.id,
      kind: "edit" as const,
      at: node.editedAt,
      actor: actor(node.editor),
    }));
    const renames = [...issue.renamesHead.nodes, ...issue.renamesTail.nodes]
      .filter((node) => node.id && node.createdAt)
      .map((node) => ({ id: node.id!, kind: "rename" as const, at: node.createdAt!, actor: actor(node.actor) }));
    return {
      counts: { edits: issue.editsHead.totalCount, renames: issue.renamesHead.totalCount },
      edits: newestFirst(edits),
      renames: newestFirst(renames),
    };
  }

  async updateIssueBody(issueNumber: number, body: string): Promise<void> {
    await this.octokit.rest.issues.update({ ...this.repo, issue_number: issueNumber, body });
  }

  async closeIssue(issueNumber: number): Promise<void> {
    await this.octokit.rest.issues.update({
      ...this.repo,
      issue_number: issueNumber,
      state: "closed",
      state_reason: "completed",
    });
  }

  async createComment(issueNumber: number, body: string): Promise<number> {
    const { data } = await this.octokit.rest.issues.createComment({ ...this.repo, issue_number: issueNumber, body });
    rememberCommentNodeId(this.fullName, data.id, data.node_id);
    return data.id;
  }

  /** false when the comment no longer exists. */
  async updateComment(commentId: number, body: string): Promise<boolean> {
    try {
      const { data } = await this.octokit.rest.issues.updateComment({ ...this.repo, comment_id: commentId, body });
      rememberCommentNodeId(this.fullName, commentId, data.node_id);
      return true;
    } catch (error) {
      if (isStatus(error, 404, 410)) return false;
      throw error;
    }
  }

  /**
   * Several writes in one GraphQL request, in order; one outcome per write (see write-batch.ts).
   * Never throws: each caller handles its own write's refusal.
   */
  async writeBatch(ops: WriteOp[]): Promise<WriteOutcome[]> {
    return sendWriteBatch(this.octokit, ops);
  }

  /** The GraphQL node id of a comment this process wrote or edited, when it still knows it. */
  commentNodeId(commentId: number): string | undefined {
    return commentNodeId(this.fullName, commentId);
  }

  /**
   * The id of the newest comment Orchestra wrote whose body contains `marker`, newest page first.
   * A marker in anyone else's comment means nothing: that is how a pasted marker cannot hide a
   * notice or make Orchestra edit someone's comment.
   */
  async findComment(issueNumber: number, marker: string): Promise<number | null> {
    let before: string | null = null;
    // Orchestra's notices are recent; a thousand comments back is far enough, and bounded.
    for (let page = 0; page < MAX_COMMENT_PAGES; page++) {
      const comments = await this.commentsPage(issueNumber, before);
      if (!comments) return null;
      const found = comments.nodes.filter((comment) => comment.viewerDidAuthor && comment.body.includes(marker)).pop();
      if (found) return found.databaseId;
      if (!comments.pageInfo.hasPreviousPage || !comments.pageInfo.startCursor) return null;
      before = comments.pageInfo.startCursor;
    }
    return null;
  }

  /** A page of the issue's comments, oldest first, ending before the GraphQL cursor `before` (the newest page without one). */
  private async commentsPage(issueNumber: number, before: string | null) {
    const data = await this.octokit.graphql<GqlComments>(COMMENTS_QUERY, { owner: this.repo.owner, repo: this.repo.repo, issue: issueNumber, before });
    return data.repository?.issue?.comments;
  }

  async reactToComment(commentId: number, content: "eyes" | "rocket" | "confused"): Promise<void> {
    if (content !== "eyes") this.markAnswered(commentId);
    await this.octokit.rest.reactions.createForIssueComment({ ...this.repo, comment_id: commentId, content });
  }

  /** The command in comment `commentId` is answered (its reaction may still wait in the write queue). */
  markAnswered(commentId: number): void {
    answeredCommands.set(`${this.fullName.toLowerCase()}#${commentId}`, true);
  }

  answered(commentId: number): boolean {
    return answeredCommands.has(`${this.fullName.toLowerCase()}#${commentId}`);
  }

  async reactToIssue(issueNumber: number, content: "eyes" | "rocket"): Promise<void> {
    await this.octokit.rest.reactions.createForIssue({ ...this.repo, issue_number: issueNumber, content });
  }

  /** `admin`, `maintain`, `write`, `triage`, `read` or `none`. */
  async permissionOf(username: string): Promise<string> {
    try {
      const { data } = await this.octokit.rest.repos.getCollaboratorPermissionLevel({ ...this.repo, username });
      return (data as { role_name?: string }).role_name ?? data.permission;
    } catch (error) {
      if (isStatus(error, 404)) return "none";
      throw error;
    }
  }

  /** The text of `.github/orchestra.yml` on the default branch, or null when there is none. */
  async readConfigText(): Promise<string | null> {
    try {
      const { data } = await this.octokit.rest.repos.getContent({
        ...this.repo,
        path: CONFIG_PATH,
        mediaType: { format: "raw" },
      });
      return typeof data === "string" ? data : null;
    } catch (error) {
      if (isStatus(error, 404)) return null;
      throw error;
    }
  }

  /**
   * A refusal is an answer, not an error: GitHub said no for a reason that repeating the same
   * request cannot change, so the retry plugin is told not to repeat it (it would retry 405 and
   * 409). A 403 for a rate limit is not a refusal: it is thrown, for the scheduler's backoff.
   */
  async merge(pullNumber: number, sha: string, method: "merge" | "squash" | "rebase"): Promise<MergeOutcome> {
    try {
      const { data } = await this.octokit.rest.pulls.merge({
        ...this.repo,
        pull_number: pullNumber,
        sha,
        merge_method: method,
        request: { retries: 0 },
      });
      return { merged: true, sha: data.sha };
    } catch (error) {
      const message = responseMessage(error);
      if (isStatus(error, 405, 409, 422) || (isStatus(error, 403) && !/rate limit/i.test(message))) {
        const status = (error as { status: number }).status;
        return { merged: false, status, message, cause: classifyMergeRefusal(status, message) };
      }
      throw error;
    }
  }

  async getPullState(pullNumber: number): Promise<{ merged: boolean; state: string; headSha: string }> {
    const { data } = await this.octokit.rest.pulls.get({ ...this.repo, pull_number: pullNumber });
    return { merged: data.merged, state: data.state, headSha: data.head.sha };
  }

  /** Open PRs whose head is `branch` in this repository (forks' branches of that name are not). */
  async openPullsForBranch(branch: string): Promise<number[]> {
    const { data } = await this.octokit.rest.pulls.list({ ...this.repo, head: `${this.repo.owner}:${branch}`, state: "open", per_page: 10 });
    return data.map((pull) => pull.number);
  }

  async closePull(pullNumber: number): Promise<void> {
    await this.octokit.rest.pulls.update({ ...this.repo, pull_number: pullNumber, state: "closed" });
  }

  /** A 422 (the head moved, or a conflict) is thrown at once: repeating it cannot help. */
  async updateBranch(pullNumber: number, sha: string): Promise<void> {
    await this.octokit.rest.pulls.updateBranch({
      ...this.repo,
      pull_number: pullNumber,
      expected_head_sha: sha,
      request: { retries: 0 },
    });
  }

  async deleteBranch(branch: string): Promise<void> {
    try {
      await this.octokit.rest.git.deleteRef({ ...this.repo, ref: `heads/${branch}` });
    } catch (error) {
      // Already gone (GitHub's auto-delete, or a person): that is the outcome we wanted.
      if (!isStatus(error, 404, 422)) throw error;
    }
  }

  /** The numbers of the issues `issueNumber` is "blocked by" (REST only: GraphQL does not show dependencies). */
  async blockedBy(issueNumber: number): Promise<number[]> {
    const issues = await this.octokit.paginate(this.octokit.rest.issues.listDependenciesBlockedBy, { ...this.repo, issue_number: issueNumber, per_page: 100 });
    // Blockers in other repositories have numbers of their own: only this repository's are tasks.
    const here = `/repos/${this.fullName}`.toLowerCase();
    return issues.filter((issue) => issue.repository_url.toLowerCase().endsWith(here)).map((issue) => issue.number);
  }

  /** Who removed these children from `epic` (when `removed`), and who closed each of `closed`, and as what. */
  async childHistory(epic: number, removed: boolean, closed: readonly number[]): Promise<ChildHistory> {
    const variables: Record<string, string | number> = { owner: this.repo.owner, repo: this.repo.repo };
    if (removed) variables.issue = epic;
    closed.forEach((number, i) => (variables[`c${i}`] = number));
    const data = await this.octokit.graphql<GqlChildHistory>(buildChildHistoryQuery(removed, closed.length), variables);
    return toChildHistory(data, closed);
  }

  /** Opens an issue; its REST database id is what the sub-issue and dependency APIs take. */
  async createIssue(input: { title: string; body: string; labels: string[] }): Promise<{ number: number; id: number }> {
    const { data } = await this.octokit.rest.issues.create({ ...this.repo, ...input });
    return { number: data.number, id: data.id };
  }

  /** Issues (open or closed) that `creator` opened with `label`, newest first: at most `limit`. */
  async issuesBy(creator: string, label: string, limit = 100): Promise<Array<{ number: number; id: number; body: string }>> {
    const { data } = await this.octokit.rest.issues.listForRepo({ ...this.repo, creator, labels: label, state: "all", sort: "created", direction: "desc", per_page: limit });
    return data.filter((issue) => !issue.pull_request).map((issue) => ({ number: issue.number, id: issue.id, body: issue.body ?? "" }));
  }

  /** Makes the issue with database id `subIssueId` a sub-issue of `parent`; already one is fine (422). */
  async addSubIssue(parent: number, subIssueId: number): Promise<void> {
    try {
      await this.octokit.rest.issues.addSubIssue({ ...this.repo, issue_number: parent, sub_issue_id: subIssueId });
    } catch (error) {
      // Added by a run that died before recording it: GitHub says it exists, or is a duplicate.
      const said = responseMessage(error) + JSON.stringify((error as { response?: { data?: unknown } }).response?.data ?? "");
      if (!isStatus(error, 422) || !/already exists|duplicate/i.test(said)) throw error;
    }
  }

  /**
   * Records that `issueNumber` is blocked by the issue with database id `blockerId`. A link that
   * exists already (a run that died before recording it) is fine; any other 422 (a cycle, a
   * limit) is GitHub's refusal, returned in its words for the epic to explain.
   */
  async addBlockedBy(issueNumber: number, blockerId: number): Promise<{ refused: string } | undefined> {
    try {
      await this.octokit.rest.issues.addBlockedByDependency({ ...this.repo, issue_number: issueNumber, issue_id: blockerId });
      return undefined;
    } catch (error) {
      if (!isStatus(error, 422)) throw error;
      const errors = (error as { response?: { data?: { errors?: Array<{ message?: string } | string> } } }).response?.data?.errors ?? [];
      const details = errors.map((item) => (typeof item === "string" ? item : item.message ?? "")).filter((text) => text !== "");
      const said = [responseMessage(error), ...details].join(": ");
      return /already exists|duplicate/i.test(said) ? undefined : { refused: said };
    }
  }

  /** What the auditor reads of a PR besides its diff: its description, how many files it changes, and the head they are of. */
  async pullDescription(pullNumber: number): Promise<{ body: string; changedFiles: number; headSha: string }> {
    const { data } = await this.octokit.rest.pulls.get({ ...this.repo, pull_number: pullNumber });
    return { body: data.body ?? "", changedFiles: data.changed_files ?? 0, headSha: data.head.sha };
  }

  /**
   * The PR's changed files with their patches, page by page, until `maxBytes` of patches are
   * read: the pages past what the auditor can read are not asked for.
   */
  async pullFiles(pullNumber: number, maxBytes: number): Promise<PullFile[]> {
    const files: PullFile[] = [];
    let bytes = 0;
    for await (const { data } of this.octokit.paginate.iterator(this.octokit.rest.pulls.listFiles, { ...this.repo, pull_number: pullNumber, per_page: 100 })) {
      for (const file of data) {
        files.push({ path: file.filename, status: file.status, additions: file.additions, deletions: file.deletions, ...(file.patch !== undefined ? { patch: file.patch } : {}) });
        bytes += Buffer.byteLength(file.patch ?? "", "utf8");
      }
      if (bytes > maxBytes) break;
    }
    return files;
  }

  /** Creates a completed check run on `headSha`; returns its id. */
  async createCheckRun(run: CheckRunInput): Promise<number> {
    const { data } = await this.octokit.rest.checks.create({
      ...this.repo,
      name: run.name,
      head_sha: run.headSha,
      status: "completed",
      conclusion: run.conclusion,
      output: { title: run.title, summary: run.summary, ...(run.annotations.length > 0 ? { annotations: run.annotations } : {}) },
    });
    return data.id;
  }

  /** Adds annotations to a check run (GitHub takes at most 50 per request; earlier ones stay). */
  async addCheckRunAnnotations(checkRunId: number, output: { title: string; summary: string }, annotations: CheckAnnotation[]): Promise<void> {
    await this.octokit.rest.checks.update({ ...this.repo, check_run_id: checkRunId, output: { ...output, annotations } });
  }

  /** The open issues carrying `label`, with when each last changed (the resync's way when the search cannot answer). */
  async listOpenEpics(label: string): Promise<Array<{ number: number; updatedAt: string }>> {
    const issues = await this.octokit.paginate(this.octokit.rest.issues.listForRepo, {
      ...this.repo,
      labels: label,
      state: "open",
      per_page: 100,
    });
    return issues.filter((issue) => !issue.pull_request).map((issue) => ({ number: issue.number, updatedAt: issue.updated_at }));
  }
}
