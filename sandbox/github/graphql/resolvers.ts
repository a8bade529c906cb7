/**
 * SANDBOX FAKE — never part of src/. Resolvers of the GraphQL subset over the fake's state.
 * Objects are classes whose methods are fields, the shape graphql-js resolves by default.
 * Connections enforce GitHub's rule that `first` or `last` is given and at most 100.
 */
import { GraphQLError } from "graphql";
import { ApiError } from "../errors.js";
import * as issueOps from "../issue-ops.js";
import * as pullOps from "../pull-ops.js";
import * as subIssueOps from "../sub-issue-ops.js";
import type { World } from "../world.js";
import type { Account, CheckRun, Commit, CommitStatus, Issue, Pull, Repo, Review, ReviewComment, StructureEvent } from "../state.js";
import { nodeId } from "../state.js";

const MAX_PAGE = 100;

interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

export interface GraphqlContext {
  world: World;
  /** The login of the installation's account, or null for any public repository. */
  installationOwner: string | null;
}

function notFound(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { type: "NOT_FOUND" } });
}

function cursor(index: number): string {
  return Buffer.from(`cursor:v2:${index}`).toString("base64");
}

function cursorIndex(value: string): number {
  const match = /^cursor:v2:(\d+)$/.exec(Buffer.from(value, "base64").toString("utf8"));
  if (!match) throw new GraphQLError(`\`${value}\` does not appear to be a valid cursor.`);
  return Number(match[1]);
}

/** A connection over `items`, paged like GitHub pages: first/last required, at most 100. */
function connection<T, N>(name: string, items: T[], args: PageArgs, wrap: (item: T) => N) {
  const { first, last } = args;
  if (first == null && last == null) {
    throw new GraphQLError(`You must provide a \`first\` or \`last\` value to properly paginate the \`${name}\` connection.`, {
      extensions: { type: "MISSING_PAGINATION_BOUNDARIES" },
    });
  }
  for (const [label, value] of [["first", first], ["last", last]] as const) {
    if (value != null && value > MAX_PAGE) {
      throw new GraphQLError(
        `Requesting ${value} records on the \`${name}\` connection exceeds the \`${label}\` limit of ${MAX_PAGE} records.`,
        { extensions: { type: "EXCESSIVE_PAGINATION" } },
      );
    }
    if (value != null && value < 0) throw new GraphQLError(`\`${label}\` on the \`${name}\` connection cannot be less than zero.`);
  }
  let start = args.after ? cursorIndex(args.after) + 1 : 0;
  let end = args.before ? cursorIndex(args.before) : items.length;
  if (first != null) end = Math.min(end, start + first);
  if (last != null) start = Math.max(start, end - last);
  const page = items.slice(start, end);
  return {
    nodes: page.map(wrap),
    totalCount: items.length,
    pageInfo: {
      startCursor: page.length > 0 ? cursor(start) : null,
      endCursor: page.length > 0 ? cursor(end - 1) : null,
      hasNextPage: end < items.length,
      hasPreviousPage: start > 0,
    },
  };
}

class ActorNode {
  readonly __typename: "User" | "Bot" | "Organization";
  readonly id: string;
  readonly databaseId: number;
  readonly login: string;
  constructor(
    private readonly world: World,
    account: Account,
  ) {
    this.__typename = account.type;
    this.id = account.nodeId;
    this.databaseId = account.id;
    // GraphQL names a bot without its "[bot]" suffix, unlike REST.
    this.login = account.type === "Bot" ? account.login.replace(/\[bot\]$/, "") : account.login;
  }
  avatarUrl(): string {
    return `${this.world.ctx.web}/avatars/u/${this.databaseId}?v=4`;
  }
  resourcePath(): string {
    return this.__typename === "Bot" ? `/apps/${this.login}` : `/${this.login}`;
  }
  url(): string {
    return `${this.world.ctx.web}${this.resourcePath()}`;
  }
}

class CommitNode {
  readonly __typename = "Commit";
  constructor(
    private readonly world: World,
    private readonly repo: Repo,
    private readonly commit: Commit,
  ) {}
  get id(): string {
    return Buffer.from(`0:Commit${this.repo.id}:${this.commit.sha}`).toString("base64");
  }
  get oid(): string {
    return this.commit.sha;
  }
  get abbreviatedOid(): string {
    return this.commit.sha.slice(0, 7);
  }
  get message(): string {
    return this.commit.message;
  }
  get messageHeadline(): string {
    return this.commit.message.split("\n")[0] ?? "";
  }
  get committedDate(): string {
    return this.commit.date;
  }
  url(): string {
    return `${this.world.ctx.web}/${this.repo.owner.login}/${this.repo.name}/commit/${this.commit.sha}`;
  }
  statusCheckRollup(): RollupNode | null {
    const state = this.world.state.rollupState(this.repo, this.commit.sha);
    return state ? new RollupNode(this.world, this.repo, this, state) : null;
  }
}

class RollupNode {
  readonly __typename = "StatusCheckRollup";
  constructor(
    private readonly world: World,
    private readonly repo: Repo,
    readonly commit: CommitNode,
    readonly state: string,
  ) {}
  get id(): string {
    return Buffer.from(`0:StatusCheckRollup${this.repo.id}:${this.commit.oid}`).toString("base64");
  }
  contexts(args: PageArgs) {
    const { runs, statuses } = this.world.state.checksFor(this.repo, this.commit.oid);
    const items: Array<CheckRun | CommitStatus> = [...runs, ...statuses];
    return connection("contexts", items, args, (item) =>
      "suiteId" in item ? checkRunNode(this.world, this.repo, item) : statusContextNode(item),
    );
  }
}

function checkRunNode(world: World, repo: Repo, run: CheckRun) {
  return {
    __typename: "CheckRun",
    id: run.nodeId,
    databaseId: run.id,
    name: run.name,
    status: run.status.toUpperCase(),
    conclusion: run.conclusion ? run.conclusion.toUpperCase() : null,
    title: run.title,
    summary: run.summary,
    text: run.text,
    detailsUrl: `${world.ctx.web}/${repo.owner.login}/${repo.name}/runs/${run.id}`,
    startedAt: run.startedAt,
    completedAt: run.completedAt,
    url: `${world.ctx.web}/${repo.owner.login}/${repo.name}/runs/${run.id}`,
    checkSuite: () => {
      const suite = repo.checkSuites.find((candidate) => candidate.id === run.suiteId);
      const app = world.appOf(run);
      return {
        id: suite?.nodeId ?? nodeId("CheckSuite", run.suiteId),
        databaseId: run.suiteId,
        status: (suite?.status ?? run.status).toUpperCase(),
        conclusion: suite?.conclusion ? suite.conclusion.toUpperCase() : null,
        app: { id: app.nodeId, databaseId: app.id, name: app.name, slug: app.slug },
      };
    },
  };
}

function statusContextNode(status: CommitStatus) {
  return {
    __typename: "StatusContext",
    id: status.nodeId,
    context: status.context,
    state: status.state.toUpperCase(),
    description: status.description,
    targetUrl: status.targetUrl,
    createdAt: status.createdAt,
  };
}

/** The timeline's item type of an event (`SubIssueRemovedEvent` → `SUB_ISSUE_REMOVED_EVENT`). */
function timelineItemType(typename: string): string {
  return typename.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

class IssueNode {
  readonly __typename = "Issue";
  constructor(
    private readonly world: World,
    private readonly repo: Repo,
    private readonly issue: Issue,
  ) {}
  get id(): string {
    return this.issue.nodeId;
  }
  get databaseId(): number {
    return this.issue.id;
  }
  get number(): number {
    return this.issue.number;
  }
  get title(): string {
    return this.issue.title;
  }
  get body(): string {
    return this.issue.body ?? "";
  }
  get state(): string {
    return this.issue.state.toUpperCase();
  }
  get closed(): boolean {
    return this.issue.state === "closed";
  }
  get createdAt(): string {
    return this.issue.createdAt;
  }
  get updatedAt(): string {
    return this.issue.updatedAt;
  }
  url(): string {
    return `${this.world.ctx.web}/${this.repo.owner.login}/${this.repo.name}/issues/${this.issue.number}`;
  }
  author(): ActorNode {
    return new ActorNode(this.world, this.issue.user);
  }
  get lastEditedAt(): string | null {
    return this.issue.edits.at(-1)?.at ?? null;
  }
  labels(args: PageArgs) {
    const labels = this.issue.labels.map((name) => this.repo.labels.get(name.toLowerCase())).filter((label) => label !== undefined);
    return connection("labels", labels, args, (label) => ({ __typename: "Label", id: label.nodeId, name: label.name, color: label.color }));
  }
  comments(args: PageArgs) {
    return commentConnection(this.world, this.issue, args);
  }
  userContentEdits(args: PageArgs) {
    return connection("userContentEdits", this.issue.edits, args, (edit) => ({
      __typename: "UserContentEdit",
      id: Buffer.from(`0:UserContentEdit${edit.id}`).toString("base64"),
      createdAt: edit.at,
      editedAt: edit.at,
      updatedAt: edit.at,
      editor: new ActorNode(this.world, edit.editor),
    }));
  }
  timelineItems(args: PageArgs & { itemTypes?: string[] | null }) {
    const wanted = (type: string) => !args.itemTypes || args.itemTypes.includes(type);
    const items = [
      ...(wanted("RENAMED_TITLE_EVENT")
        ? this.issue.renames.map((rename) => ({
            __typename: "RenamedTitleEvent",
            id: Buffer.from(`0:RenamedTitleEvent${rename.id}`).toString("base64"),
            actor: new ActorNode(this.world, rename.actor),
            createdAt: rename.at,
            previousTitle: rename.from,
            currentTitle: rename.to,
          }))
        : []),
      ...(wanted("LABELED_EVENT")
        ? this.issue.labelEvents.map((event) => {
            const label = this.repo.labels.get(event.name.toLowerCase());
            return {
              __typename: "LabeledEvent",
              id: Buffer.from(`0:LabeledEvent${event.id}`).toString("base64"),
              actor: new ActorNode(this.world, event.actor),
              createdAt: event.at,
              label: { __typename: "Label", id: label?.nodeId ?? "", name: event.name, color: label?.color ?? "ededed" },
            };
          })
        : []),
      ...this.issue.structureEvents.filter((event) => wanted(timelineItemType(event.type))).map((event) => this.structureEvent(event)),
    ].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    const page = connection("timelineItems", items, args, (item) => item);
    return { ...page, filteredCount: items.length, pageCount: page.nodes.length };
  }
  stateReason(): string | null {
    return this.issue.stateReason?.toUpperCase() ?? null;
  }
  /** A sub-issue, parent or close event as GitHub's timeline shows it. */
  private structureEvent(event: StructureEvent) {
    const other = event.other === undefined ? undefined : this.repo.issues.get(event.other);
    const node = other ? new IssueNode(this.world, this.repo, other) : null;
    return {
      __typename: event.type,
      id: Buffer.from(`0:${event.type}${event.id}`).toString("base64"),
      actor: new ActorNode(this.world, event.actor),
      createdAt: event.at,
      ...(event.type === "ClosedEvent" ? { stateReason: event.stateReason?.toUpperCase() ?? null } : {}),
      ...(event.type.startsWith("SubIssue") ? { subIssue: node } : {}),
      ...(event.type.startsWith("ParentIssue") ? { parent: node } : {}),
    };
  }
  parent(): IssueNode | null {
    const parent = this.issue.parent === null ? undefined : this.repo.issues.get(this.issue.parent);
    return parent ? new IssueNode(this.world, this.repo, parent) : null;
  }
  subIssues(args: PageArgs) {
    const children = this.issue.subIssues.map((number) => this.repo.issues.get(number)!);
    return connection("subIssues", children, args, (child) => new IssueNode(this.world, this.repo, child));
  }
  subIssuesSummary() {
    const children = this.issue.subIssues.map((number) => this.repo.issues.get(number)!);
    const completed = children.filter((child) => child.state === "closed").length;
    return { total: children.length, completed, percentCompleted: children.length === 0 ? 0 : Math.floor((completed * 100) / children.length) };
  }
}

/** The issue with this node id in a repository the installation can see. */
function issueByNodeId(context: GraphqlContext, id: string): { repo: Repo; issue: Issue } {
  for (const repo of context.world.state.repos.values()) {
    if (context.installationOwner !== null && repo.owner.login.toLowerCase() !== context.installationOwner.toLowerCase()) continue;
    for (const issue of repo.issues.values()) if (issue.nodeId === id && !issue.isPull) return { repo, issue };
  }
  throw notFound(`Could not resolve to a node with the global id of '${id}'`);
}

/** The issue comment with this node id in a repository the installation can see. */
function commentByNodeId(context: GraphqlContext, id: string): { repo: Repo; issue: Issue; commentId: number } {
  for (const repo of context.world.state.repos.values()) {
    if (context.installationOwner !== null && repo.owner.login.toLowerCase() !== context.installationOwner.toLowerCase()) continue;
    for (const issue of repo.issues.values()) {
      const comment = issue.comments.find((entry) => entry.nodeId === id);
      if (comment) return { repo, issue, commentId: comment.id };
    }
  }
  throw notFound(`Could not resolve to a node with the global id of '${id}'`);
}

/** The branch of a Ref node id (see refNode) that still exists in a repository the installation can see. */
function refByNodeId(context: GraphqlContext, id: string): { repo: Repo; branch: string } {
  const match = /^0:Ref(\d+):refs\/heads\/(.+)$/.exec(Buffer.from(id, "base64").toString("utf8"));
  const repo = match ? [...context.world.state.repos.values()].find((candidate) => candidate.id === Number(match[1])) : undefined;
  const visible = repo && (context.installationOwner === null || repo.owner.login.toLowerCase() === context.installationOwner.toLowerCase());
  if (!match || !repo || !visible || !repo.branches.has(match[2]!)) throw notFound(`Could not resolve to a node with the global id of '${id}'`);
  return { repo, branch: match[2]! };
}

/** A REST refusal of the same write, as GitHub's GraphQL reports it: its type next to its message. */
function asGraphqlError(error: unknown): unknown {
  if (!(error instanceof ApiError)) return error;
  const type = error.status === 404 ? "NOT_FOUND" : error.status === 403 ? "FORBIDDEN" : "UNPROCESSABLE";
  return new GraphQLError(error.errors?.[0]?.message ?? error.message, { extensions: { type } });
}

function refused<T>(write: () => T): T {
  try {
    return write();
  } catch (error) {
    throw asGraphqlError(error);
  }
}

/** An issue's (or a pull request's) comments; the viewer is the installation's bot, the token Orchestra reads with. */
function commentConnection(world: World, issue: Issue, args: PageArgs) {
  const viewer = world.state.app.bot.id;
  return connection("comments", issue.comments, args, (comment) => ({
    __typename: "IssueComment",
    id: comment.nodeId,
    databaseId: comment.id,
    body: comment.body,
    author: new ActorNode(world, comment.user),
    createdAt: comment.createdAt,
    viewerDidAuthor: comment.user.id === viewer,
  }));
}

class ReviewNode {
  readonly __typename = "PullRequestReview";
  constructor(
    private readonly world: World,
    private readonly repo: Repo,
    private readonly pull: Pull,
    private readonly review: Review,
  ) {}
  get id(): string {
    return this.review.nodeId;
  }
  get databaseId(): number {
    return this.review.id;
  }
  get state(): string {
    return this.review.state;
  }
  get body(): string {
    return this.review.body;
  }
  get authorCanPushToRepository(): boolean {
    return ["write", "maintain", "admin"].includes(this.world.permission(this.repo, this.review.user.login));
  }
  get submittedAt(): string | null {
    return this.review.submittedAt;
  }
  author(): ActorNode {
    return new ActorNode(this.world, this.review.user);
  }
  commit(): CommitNode | null {
    const commit = this.repo.commits.get(this.review.commitId);
    return commit ? new CommitNode(this.world, this.repo, commit) : null;
  }
  comments(args: PageArgs) {
    const items = this.pull.reviewComments.filter((comment) => comment.reviewId === this.review.id);
    return connection("comments", items, args, (comment: ReviewComment) => ({
      __typename: "PullRequestReviewComment",
      id: comment.nodeId,
      databaseId: comment.id,
      path: comment.path,
      line: comment.line,
      body: comment.body,
      author: new ActorNode(this.world, comment.user),
    }));
  }
}

class PullRequestNode {
  readonly __typename = "PullRequest";
  private readonly issue: Issue;
  constructor(
    private readonly world: World,
    private readonly repo: Repo,
    private readonly pull: Pull,
  ) {
    this.issue = repo.issues.get(pull.number)!;
  }
  get id(): string {
    return this.pull.nodeId;
  }
  get databaseId(): number {
    return this.pull.id;
  }
  get number(): number {
    return this.pull.number;
  }
  get title(): string {
    return this.issue.title;
  }
  get body(): string {
    return this.issue.body ?? "";
  }
  get state(): string {
    return this.pull.merged ? "MERGED" : this.pull.state.toUpperCase();
  }
  get closed(): boolean {
    return this.pull.state === "closed";
  }
  get merged(): boolean {
    return this.pull.merged;
  }
  get mergedAt(): string | null {
    return this.pull.mergedAt;
  }
  get mergeable(): string {
    const mergeable = this.world.state.mergeable(this.pull);
    return mergeable === null ? "UNKNOWN" : mergeable ? "MERGEABLE" : "CONFLICTING";
  }
  get mergeStateStatus(): string {
    return this.world.state.mergeStateStatus(this.repo, this.pull);
  }
  get reviewDecision(): string | null {
    return this.world.state.reviewDecision(this.repo, this.pull);
  }
  baseRef() {
    const sha = this.repo.branches.get(this.pull.baseRef);
    const commit = sha ? this.repo.commits.get(sha) : undefined;
    return commit ? refNode(this.world, this.repo, this.pull.baseRef, commit) : null;
  }
  get isDraft(): boolean {
    return this.pull.draft;
  }
  headRef() {
    const sha = this.repo.branches.get(this.pull.headRef);
    const commit = sha ? this.repo.commits.get(sha) : undefined;
    return commit ? refNode(this.world, this.repo, this.pull.headRef, commit) : null;
  }
  get headRefName(): string {
    return this.pull.headRef;
  }
  get headRefOid(): string {
    return this.pull.headSha;
  }
  get baseRefName(): string {
    return this.pull.baseRef;
  }
  get baseRefOid(): string {
    return this.repo.branches.get(this.pull.baseRef) ?? this.pull.headSha;
  }
  get createdAt(): string {
    return this.issue.createdAt;
  }
  get updatedAt(): string {
    return this.issue.updatedAt;
  }
  url(): string {
    return `${this.world.ctx.web}/${this.repo.owner.login}/${this.repo.name}/pull/${this.pull.number}`;
  }
  author(): ActorNode {
    return new ActorNode(this.world, this.issue.user);
  }
  headRepository(): RepositoryNode | null {
    // GitHub reports null once the head repository is gone; a deleted branch keeps it.
    return new RepositoryNode(this.world, this.repo);
  }
  comments(args: PageArgs) {
    return commentConnection(this.world, this.issue, args);
  }
  reviews(args: PageArgs & { states?: string[] | null; author?: string | null }) {
    const items = this.pull.reviews.filter(
      (review) =>
        (!args.states || args.states.includes(review.state)) &&
        (!args.author || review.user.login.toLowerCase() === args.author.toLowerCase()),
    );
    return connection("reviews", items, args, (review) => new ReviewNode(this.world, this.repo, this.pull, review));
  }
  commits(args: PageArgs) {
    // Oldest first, like GitHub; the head commit is the last node.
    const chain: Commit[] = [];
    let current: string | undefined = this.pull.headSha;
    const baseSha = this.pull.merged ? undefined : this.repo.branches.get(this.pull.baseRef);
    const seen = new Set<string>();
    while (current && !seen.has(current)) {
      seen.add(current);
      if (baseSha && this.world.state.isAncestor(this.repo, current, baseSha)) break;
      const commit = this.repo.commits.get(current);
      if (!commit || commit.parents.length === 0) break;
      chain.push(commit);
      current = commit.parents[0];
    }
    chain.reverse();
    return connection("commits", chain, args, (commit) => {
      const node = new CommitNode(this.world, this.repo, commit);
      return {
        __typename: "PullRequestCommit",
        id: Buffer.from(`0:PullRequestCommit${this.pull.id}:${commit.sha}`).toString("base64"),
        commit: node,
        url: `${this.url()}/commits/${commit.sha}`,
      };
    });
  }
}

/** A branch, with the protection GitHub shows the App (RefUpdateRule: no admin access needed). */
function refNode(world: World, repo: Repo, branch: string, commit: Commit) {
  const protection = repo.protection.get(branch);
  return {
    __typename: "Ref",
    id: Buffer.from(`0:Ref${repo.id}:refs/heads/${branch}`).toString("base64"),
    name: branch,
    prefix: "refs/heads/",
    target: new CommitNode(world, repo, commit),
    refUpdateRule: protection
      ? {
          allowsDeletions: false,
          allowsForcePushes: false,
          blocksCreations: false,
          pattern: branch,
          requiredApprovingReviewCount: protection.approvals,
          requiredStatusCheckContexts: protection.checks,
          requiresCodeOwnerReviews: false,
          requiresConversationResolution: false,
          requiresLinearHistory: false,
          requiresSignatures: false,
          viewerAllowedToDismissReviews: false,
          viewerCanPush: true,
        }
      : null,
  };
}

export class RepositoryNode {
  readonly __typename = "Repository";
  constructor(
    private readonly world: World,
    private readonly repo: Repo,
  ) {}
  get id(): string {
    return this.repo.nodeId;
  }
  get databaseId(): number {
    return this.repo.id;
  }
  get name(): string {
    return this.repo.name;
  }
  get nameWithOwner(): string {
    return `${this.repo.owner.login}/${this.repo.name}`;
  }
  get isPrivate(): boolean {
    return this.repo.private;
  }
  get deleteBranchOnMerge(): boolean {
    return this.repo.deleteBranchOnMerge;
  }
  owner(): ActorNode {
    return new ActorNode(this.world, this.repo.owner);
  }
  url(): string {
    return `${this.world.ctx.web}/${this.nameWithOwner}`;
  }
  defaultBranchRef() {
    const sha = this.repo.branches.get(this.repo.defaultBranch);
    const commit = sha ? this.repo.commits.get(sha) : undefined;
    return commit ? refNode(this.world, this.repo, this.repo.defaultBranch, commit) : null;
  }
  object(args: { oid?: string | null; expression?: string | null }): CommitNode | null {
    const sha = args.oid ?? (args.expression ? this.repo.branches.get(args.expression) : undefined);
    const commit = sha ? this.repo.commits.get(sha) : undefined;
    return commit ? new CommitNode(this.world, this.repo, commit) : null;
  }
  issue(args: { number: number }): IssueNode {
    const issue = this.repo.issues.get(args.number);
    if (!issue || issue.isPull) throw notFound(`Could not resolve to an Issue with the number of ${args.number}.`);
    return new IssueNode(this.world, this.repo, issue);
  }
  pullRequest(args: { number: number }): PullRequestNode {
    const pull = this.repo.pulls.get(args.number);
    if (!pull) throw notFound(`Could not resolve to a PullRequest with the number of ${args.number}.`);
    return new PullRequestNode(this.world, this.repo, pull);
  }
  pullRequests(
    args: PageArgs & {
      states?: string[] | null;
      headRefName?: string | null;
      baseRefName?: string | null;
      labels?: string[] | null;
      orderBy?: { field: string; direction: string } | null;
    },
  ) {
    let pulls = [...this.repo.pulls.values()].filter((pull) => {
      const state = pull.merged ? "MERGED" : pull.state.toUpperCase();
      const issue = this.repo.issues.get(pull.number)!;
      return (
        (!args.states || args.states.includes(state)) &&
        (args.headRefName == null || pull.headRef === args.headRefName) &&
        (args.baseRefName == null || pull.baseRef === args.baseRefName) &&
        (!args.labels || args.labels.some((name) => issue.labels.some((label) => label.toLowerCase() === name.toLowerCase())))
      );
    });
    const field = args.orderBy?.field ?? "CREATED_AT";
    const key = (pull: Pull) => {
      const issue = this.repo.issues.get(pull.number)!;
      return field === "UPDATED_AT" ? issue.updatedAt : field === "COMMENTS" ? String(issue.comments.length).padStart(8, "0") : String(pull.number).padStart(8, "0");
    };
    pulls = pulls.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    if (args.orderBy?.direction === "DESC") pulls.reverse();
    return connection("pullRequests", pulls, args, (pull) => new PullRequestNode(this.world, this.repo, pull));
  }
}

export function rootValue(context: GraphqlContext) {
  return {
    repository(args: { owner: string; name: string }): RepositoryNode {
      const repo = context.world.state.repo(args.owner, args.name);
      const visible =
        repo &&
        (context.installationOwner === null
          ? !repo.private
          : repo.owner.login.toLowerCase() === context.installationOwner.toLowerCase());
      if (!repo || !visible) {
        throw notFound(`Could not resolve to a Repository with the name '${args.owner}/${args.name}'.`);
      }
      return new RepositoryNode(context.world, repo);
    },
    addSubIssue(args: { input: { issueId: string; subIssueId?: string | null; subIssueUrl?: string | null; replaceParent?: boolean | null; clientMutationId?: string | null } }) {
      if (!context.installationOwner) throw new GraphQLError("Resource not accessible by integration", { extensions: { type: "FORBIDDEN" } });
      const { input } = args;
      const parent = issueByNodeId(context, input.issueId);
      let child: Issue | undefined;
      if (input.subIssueId) child = issueByNodeId(context, input.subIssueId).issue;
      else if (input.subIssueUrl) child = parent.repo.issues.get(Number(/\/issues\/(\d+)$/.exec(input.subIssueUrl)?.[1]));
      if (!child || child.isPull) throw notFound("Could not resolve the sub-issue");
      try {
        subIssueOps.addSubIssue(context.world, parent.repo, parent.issue.number, context.world.state.app.bot, child.id, input.replaceParent ?? false);
      } catch (error) {
        if (error instanceof ApiError) throw new GraphQLError(error.errors?.[0]?.message ?? error.message, { extensions: { type: "UNPROCESSABLE" } });
        throw error;
      }
      return {
        clientMutationId: input.clientMutationId ?? null,
        issue: new IssueNode(context.world, parent.repo, parent.issue),
        subIssue: new IssueNode(context.world, parent.repo, child),
      };
    },
    addComment(args: { input: { subjectId: string; body: string; clientMutationId?: string | null } }) {
      const { input } = args;
      const { repo, issue } = issueByNodeId(context, input.subjectId);
      const comment = refused(() => issueOps.createComment(context.world, repo, issue.number, context.world.state.app.bot, input.body));
      const node = commentConnection(context.world, issue, { last: 1 }).nodes[0];
      return {
        clientMutationId: input.clientMutationId ?? null,
        commentEdge: { cursor: Buffer.from(`cursor:v2:${issue.comments.indexOf(comment)}`).toString("base64"), node },
        subject: new IssueNode(context.world, repo, issue),
      };
    },
    addReaction(args: { input: { subjectId: string; content: string; clientMutationId?: string | null } }) {
      const { input } = args;
      const content = ({ THUMBS_UP: "+1", THUMBS_DOWN: "-1" } as Record<string, string>)[input.content] ?? input.content.toLowerCase();
      let target: { reactions: Issue["reactions"] };
      try {
        const { issue, commentId } = commentByNodeId(context, input.subjectId);
        target = issue.comments.find((comment) => comment.id === commentId)!;
      } catch {
        target = issueByNodeId(context, input.subjectId).issue;
      }
      refused(() => issueOps.addReaction(context.world, target, context.world.state.app.bot, content as Parameters<typeof issueOps.addReaction>[3]));
      return { clientMutationId: input.clientMutationId ?? null };
    },
    closeIssue(args: { input: { issueId: string; stateReason?: "COMPLETED" | "DUPLICATE" | "NOT_PLANNED" | null; clientMutationId?: string | null } }) {
      const { input } = args;
      const { repo, issue } = issueByNodeId(context, input.issueId);
      const reason = input.stateReason === "NOT_PLANNED" || input.stateReason === "DUPLICATE" ? "not_planned" : "completed";
      refused(() => issueOps.updateIssue(context.world, repo, issue.number, context.world.state.app.bot, { state: "closed", state_reason: reason }));
      return { clientMutationId: input.clientMutationId ?? null, issue: new IssueNode(context.world, repo, issue) };
    },
    deleteRef(args: { input: { refId: string; clientMutationId?: string | null } }) {
      const { input } = args;
      const { repo, branch } = refByNodeId(context, input.refId);
      refused(() => pullOps.deleteRef(context.world, repo, `refs/heads/${branch}`, context.world.state.app.bot));
      return { clientMutationId: input.clientMutationId ?? null };
    },
    updateIssue(args: { input: { id: string; body?: string | null; title?: string | null; state?: "OPEN" | "CLOSED" | null; clientMutationId?: string | null } }) {
      const { input } = args;
      const { repo, issue } = issueByNodeId(context, input.id);
      const patch: issueOps.IssuePatch = {
        ...(input.body != null ? { body: input.body } : {}),
        ...(input.title != null ? { title: input.title } : {}),
        ...(input.state ? { state: input.state === "CLOSED" ? ("closed" as const) : ("open" as const) } : {}),
      };
      refused(() => issueOps.updateIssue(context.world, repo, issue.number, context.world.state.app.bot, patch));
      return { clientMutationId: input.clientMutationId ?? null, issue: new IssueNode(context.world, repo, issue), actor: new ActorNode(context.world, context.world.state.app.bot) };
    },
    updateIssueComment(args: { input: { id: string; body: string; clientMutationId?: string | null } }) {
      const { input } = args;
      const { repo, issue, commentId } = commentByNodeId(context, input.id);
      refused(() => issueOps.editComment(context.world, repo, commentId, context.world.state.app.bot, input.body));
      const index = issue.comments.findIndex((comment) => comment.id === commentId);
      return { clientMutationId: input.clientMutationId ?? null, issueComment: commentConnection(context.world, issue, { first: 1, after: index > 0 ? Buffer.from(`cursor:v2:${index - 1}`).toString("base64") : null }).nodes[0] };
    },
    rateLimit() {
      return { cost: 1, limit: 5000, nodeCount: 0, remaining: 4999, resetAt: new Date(Date.now() + 3_600_000).toISOString(), used: 1 };
    },
  };
}
