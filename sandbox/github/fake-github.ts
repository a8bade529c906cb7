/**
 * SANDBOX FAKE — never part of src/. `FakeGitHub`: a local server that answers like GitHub
 * (REST validated against GitHub's OpenAPI description, GraphQL on a subset of GitHub's
 * schema), keeps its world in memory, runs a pretend CI and sends signed webhooks to the app.
 * People act through the in-process control API; the app acts through HTTP with its
 * installation token, and its changes come back as webhooks with `orchestra[bot]` as sender.
 */
import type { KeyObject } from "node:crypto";
import { listenOnLoopback, RequestCounter } from "../shared/http.js";
import type { Listening } from "../shared/http.js";
import { Transcript } from "../shared/transcript.js";
import { AppAuth } from "./auth.js";
import { ApiError } from "./errors.js";
import * as issueOps from "./issue-ops.js";
import { GitHubOpenApi } from "./openapi.js";
import * as pullOps from "./pull-ops.js";
import * as subIssueOps from "./sub-issue-ops.js";
import { createGitHubHandler, type RequestLogEntry } from "./server.js";
import type { ResponseProblem, ValidationFailure } from "./server.js";
import type { ShapeContext } from "./shapes.js";
import { GitHubState, isoNow, nodeId } from "./state.js";
import type { Account, CheckConclusion, Permission, ReactionContent, Repo, ReviewState } from "./state.js";
import { WebhookSender } from "./webhooks.js";
import type { WebhookDelivery, WebhookTarget } from "./webhooks.js";
import { World } from "./world.js";
import type { CiCompleted, CiHook } from "./world.js";

export type { CiCompleted, CiHook } from "./world.js";
export type { WebhookDelivery, WebhookTarget } from "./webhooks.js";
export type { ValidationFailure, ResponseProblem, RequestLogEntry } from "./server.js";

export interface FakeGitHubOptions {
  appId?: number;
  /** The app's slug; its bot user is `<slug>[bot]`. Default "orchestra". */
  appSlug?: string;
  /** When given, app JWTs must be signed by the matching private key. */
  appPublicKey?: string | KeyObject;
  /** Time a CI run takes from queued to completed. Default 150 ms. */
  ciDelayMs?: number;
  /** Time `mergeable` stays null after a push. Default 30 ms. */
  mergeabilityDelayMs?: number;
  /** Conclusion of CI for commits that did not choose one. Default: success. */
  ciHook?: CiHook;
  transcript?: Transcript;
  /** Also check every JSON response against GitHub's documented response schema. */
  validateResponses?: boolean;
  /** Fixed port (0 = any free port). */
  port?: number;
  /** Keep a timed log of every request (`requestLog`), for the benchmark. */
  logRequests?: boolean;
}

/** A person acting in the sandbox, by login. */
export type Login = string;

export interface IssueView {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  stateReason: string | null;
  labels: string[];
  author: string;
  isPull: boolean;
  closedBy: string | null;
  reactions: Array<{ content: string; user: string }>;
}

export interface CommentView {
  id: number;
  body: string;
  author: string;
  createdAt: string;
  updatedAt: string;
  reactions: Array<{ content: string; user: string }>;
}

export interface PullView {
  number: number;
  title: string;
  body: string;
  author: string;
  head: string;
  headSha: string;
  base: string;
  state: "open" | "closed";
  merged: boolean;
  mergeable: boolean | null;
  mergeableState: string;
  mergedBy: string | null;
  htmlUrl: string;
  reviews: Array<{ id: number; state: ReviewState; author: string; body: string; commitId: string }>;
  checks: Array<{ name: string; status: string; conclusion: string | null; sha: string; app: string }>;
}

export class FakeGitHub {
  readonly transcript: Transcript;
  readonly state: GitHubState;
  readonly validationErrors: ValidationFailure[] = [];
  readonly responseErrors: ResponseProblem[] = [];
  readonly unknownRoutes: string[] = [];
  private readonly counter = new RequestCounter();
  private readonly sender: WebhookSender;
  private readonly world: World;
  private readonly auth: AppAuth;
  private readonly openapi = new GitHubOpenApi();
  private listening: Listening | undefined;
  private ciHookValue: CiHook;

  constructor(private readonly options: FakeGitHubOptions = {}) {
    const appId = options.appId ?? 1;
    this.transcript = options.transcript ?? new Transcript();
    this.state = new GitHubState(appId, options.appSlug ?? "orchestra");
    this.sender = new WebhookSender(this.state.newId(), appId, this.transcript);
    this.auth = new AppAuth(appId, options.appPublicKey);
    this.ciHookValue = options.ciHook ?? (() => undefined);
    this.world = new World(
      this.state,
      this.sender,
      this.transcript,
      {
        ciDelayMs: options.ciDelayMs ?? 150,
        mergeabilityDelayMs: options.mergeabilityDelayMs ?? 30,
        ciHook: (context) => this.ciHookValue(context),
      },
      () => this.shapeContext(),
    );
  }

  /** Every request with its time, when `logRequests` is set. */
  readonly requestLog: RequestLogEntry[] = [];

  async start(): Promise<{ url: string }> {
    if (this.listening) return { url: this.listening.url };
    const handler = createGitHubHandler(
      this.world,
      this.openapi,
      this.auth,
      {
        counter: this.counter,
        validationErrors: this.validationErrors,
        responseErrors: this.responseErrors,
        unknownRoutes: this.unknownRoutes,
        ...(this.options.logRequests ? { log: this.requestLog } : {}),
      },
      { validateResponses: this.options.validateResponses ?? false },
    );
    this.listening = await listenOnLoopback(handler, this.options.port ?? 0);
    this.transcript.record("info", `fake GitHub (sandbox) listening on ${this.listening.url}`);
    return { url: this.listening.url };
  }

  async stop(): Promise<void> {
    this.world.stop();
    this.sender.stop();
    await this.listening?.close();
    this.listening = undefined;
  }

  /** `http://127.0.0.1:<port>`; GHE_HOST is its host part. */
  get url(): string {
    if (!this.listening) throw new Error("FakeGitHub is not started");
    return this.listening.url;
  }

  get apiUrl(): string {
    return `${this.url}/api/v3`;
  }

  get graphqlUrl(): string {
    return `${this.url}/api/graphql`;
  }

  /** Where webhooks go: the app's `/api/github/webhooks` and its WEBHOOK_SECRET. */
  get webhookTarget(): WebhookTarget | null {
    return this.sender.target;
  }

  set webhookTarget(target: WebhookTarget | null) {
    this.sender.target = target;
  }

  get deliveries(): readonly WebhookDelivery[] {
    return this.sender.deliveries;
  }

  get appBot(): Account {
    return this.state.app.bot;
  }

  /** Replaces the CI hook: the conclusion for commits that did not choose one. */
  set ciHook(hook: CiHook) {
    this.ciHookValue = hook;
  }

  onCiCompleted(listener: (event: CiCompleted) => void): () => void {
    return this.world.onCiCompleted(listener);
  }

  /** Requests seen for `METHOD /route-template`, e.g. `GET /repos/{owner}/{repo}/issues/{issue_number}`; GraphQL as `graphql <OperationName>`. */
  requestCount(key: string): number {
    return this.counter.get(key);
  }

  requestCounts(): Record<string, number> {
    return this.counter.all();
  }

  resetRequestCounts(): void {
    this.counter.reset();
  }

  /** Resolves when no CI run or delayed change is pending and every webhook was attempted. */
  async idle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.sender.idle();
      if (!this.world.busy) {
        await this.sender.idle();
        if (!this.world.busy) return;
      }
      if (Date.now() > deadline) throw new Error("FakeGitHub did not become idle in time");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private shapeContext(): ShapeContext {
    const web = this.listening?.url ?? "http://127.0.0.1";
    return { state: this.state, api: `${web}/api/v3`, web };
  }

  private repo(fullName: string): Repo {
    const repo = this.state.repoByFullName(fullName);
    if (!repo) throw new Error(`FakeGitHub: no repository ${fullName}`);
    return repo;
  }

  private person(login: Login): Account {
    return this.state.account(login, "User");
  }

  // ---- control API: the world ------------------------------------------------------------

  /** Creates `owner/name` with one initial commit holding `files` on the default branch. */
  createRepo(
    fullName: string,
    options: {
      defaultBranch?: string;
      files?: Record<string, string>;
      private?: boolean;
      description?: string;
      ownerType?: "Organization" | "User";
      deleteBranchOnMerge?: boolean;
    } = {},
  ): void {
    const [ownerLogin, name] = fullName.split("/");
    if (!ownerLogin || !name) throw new Error(`FakeGitHub: repository names look like owner/name, not ${fullName}`);
    if (this.state.repoByFullName(fullName)) throw new Error(`FakeGitHub: ${fullName} exists already`);
    const owner = this.state.account(ownerLogin, options.ownerType ?? "User");
    const id = this.state.newId();
    const now = isoNow();
    const repo: Repo = {
      id,
      nodeId: nodeId("Repository", id),
      owner,
      name,
      description: options.description ?? null,
      private: options.private ?? false,
      defaultBranch: options.defaultBranch ?? "main",
      deleteBranchOnMerge: options.deleteBranchOnMerge ?? false,
      createdAt: now,
      pushedAt: now,
      branches: new Map(),
      commits: new Map(),
      labels: new Map(),
      collaborators: new Map(),
      issues: new Map(),
      pulls: new Map(),
      nextNumber: 1,
      checkSuites: [],
      checkRuns: [],
      statuses: [],
      protection: new Map(),
    };
    this.state.repos.set(fullName.toLowerCase(), repo);
    pullOps.initialCommit(this.world, repo, options.files ?? { "README.md": `# ${name}\n` }, owner);
    this.transcript.record("info", `created repository ${fullName}`);
  }

  /** Installs the app on every repository of `owner`; returns the installation id. */
  installApp(owner: string): number {
    const existing = this.state.installationFor(owner);
    if (existing) return existing.id;
    const account = this.state.findAccount(owner) ?? this.state.account(owner, "Organization");
    const id = this.state.newId();
    this.state.installations.set(id, { id, account, createdAt: isoNow() });
    this.transcript.record("info", `installed the app on ${owner} (installation ${id})`);
    return id;
  }

  addCollaborator(fullName: string, login: Login, permission: Permission): void {
    this.person(login);
    this.repo(fullName).collaborators.set(login.toLowerCase(), permission);
  }

  /** Grants `permission` unless the person already has an explicit one (a test's choice wins). */
  ensureCollaborator(fullName: string, login: Login, permission: Permission): void {
    if (!this.repo(fullName).collaborators.has(login.toLowerCase())) this.addCollaborator(fullName, login, permission);
  }

  /** The permission GitHub reports for `login` (owner of a personal repository: admin). */
  permissionOf(fullName: string, login: Login): Permission {
    return this.world.permission(this.repo(fullName), login);
  }

  // ---- control API: people acting ---------------------------------------------------------

  openIssue(fullName: string, as: Login, input: { title: string; body?: string; labels?: string[] }): number {
    return issueOps.openIssue(this.world, this.repo(fullName), this.person(as), input).number;
  }

  addLabel(fullName: string, issueNumber: number, label: string, as: Login): void {
    issueOps.addLabels(this.world, this.repo(fullName), issueNumber, this.person(as), [label]);
  }

  removeLabel(fullName: string, issueNumber: number, label: string, as: Login): void {
    issueOps.removeLabel(this.world, this.repo(fullName), issueNumber, this.person(as), label);
  }

  /** Posts a comment; returns its id. */
  comment(fullName: string, issueNumber: number, body: string, as: Login): number {
    return issueOps.createComment(this.world, this.repo(fullName), issueNumber, this.person(as), body).id;
  }

  editComment(fullName: string, commentId: number, body: string, as: Login): void {
    issueOps.editComment(this.world, this.repo(fullName), commentId, this.person(as), body);
  }

  /** Runs `act` with every webhook it causes lost, as if GitHub never delivered them. */
  losingWebhooks(act: () => void): void {
    this.world.losing++;
    try {
      act();
    } finally {
      this.world.losing--;
    }
  }

  editIssueBody(fullName: string, issueNumber: number, body: string, as: Login): void {
    issueOps.updateIssue(this.world, this.repo(fullName), issueNumber, this.person(as), { body });
  }

  editIssueTitle(fullName: string, issueNumber: number, title: string, as: Login): void {
    issueOps.updateIssue(this.world, this.repo(fullName), issueNumber, this.person(as), { title });
  }

  closeIssue(fullName: string, issueNumber: number, as: Login, reason: "completed" | "not_planned" = "completed"): void {
    const repo = this.repo(fullName);
    issueOps.setIssueState(this.world, repo, issueOps.getIssue(repo, issueNumber), this.person(as), "closed", reason);
  }

  reopenIssue(fullName: string, issueNumber: number, as: Login): void {
    const repo = this.repo(fullName);
    issueOps.setIssueState(this.world, repo, issueOps.getIssue(repo, issueNumber), this.person(as), "open");
  }

  /** Makes `child` a sub-issue of `parent` (last in priority), as a person does in the issue's sidebar. */
  addSubIssue(fullName: string, parent: number, child: number, as: Login): void {
    const repo = this.repo(fullName);
    subIssueOps.addSubIssue(this.world, repo, parent, this.person(as), issueOps.getIssue(repo, child).id);
  }

  removeSubIssue(fullName: string, parent: number, child: number, as: Login): void {
    const repo = this.repo(fullName);
    subIssueOps.removeSubIssue(this.world, repo, parent, this.person(as), issueOps.getIssue(repo, child).id);
  }

  /** Marks `issue` as blocked by `blocker`. */
  addBlockedBy(fullName: string, issue: number, blocker: number, as: Login): void {
    const repo = this.repo(fullName);
    subIssueOps.addBlockedBy(this.world, repo, issue, this.person(as), issueOps.getIssue(repo, blocker).id);
  }

  /** The numbers of `parent`'s sub-issues, in priority order. */
  subIssues(fullName: string, parent: number): number[] {
    return [...issueOps.getIssue(this.repo(fullName), parent).subIssues];
  }

  /** The numbers of the issues `issue` is blocked by. */
  blockedBy(fullName: string, issue: number): number[] {
    return [...issueOps.getIssue(this.repo(fullName), issue).blockedBy];
  }

  react(fullName: string, target: { issue: number } | { comment: number }, content: ReactionContent, as: Login): void {
    const repo = this.repo(fullName);
    const entity = "issue" in target ? issueOps.getIssue(repo, target.issue) : issueOps.findComment(repo, target.comment).comment;
    issueOps.addReaction(this.world, entity, this.person(as), content);
  }

  /** Pushes one commit (creating the branch from `from` or the default branch); returns its sha. */
  pushCommit(
    fullName: string,
    branch: string,
    input: { files: Record<string, string | null>; message: string; as: Login; from?: string; ciConclusion?: CheckConclusion; resolvesConflict?: boolean },
  ): string {
    const { as, ...rest } = input;
    return pullOps.pushCommit(this.world, this.repo(fullName), branch, { ...rest, author: this.person(as) }).sha;
  }

  openPull(fullName: string, as: Login, input: { head: string; base?: string; title: string; body?: string; draft?: boolean }): number {
    return pullOps.openPull(this.world, this.repo(fullName), this.person(as), input).number;
  }

  submitReview(
    fullName: string,
    pullNumber: number,
    as: Login,
    input: { event: "APPROVE" | "REQUEST_CHANGES" | "COMMENT"; body?: string; comments?: Array<{ path: string; line?: number; body: string }> },
  ): number {
    return pullOps.submitReview(this.world, this.repo(fullName), pullNumber, this.person(as), input).id;
  }

  closePull(fullName: string, pullNumber: number, as: Login): void {
    pullOps.closePull(this.world, this.repo(fullName), pullNumber, this.person(as));
  }

  reopenPull(fullName: string, pullNumber: number, as: Login): void {
    pullOps.reopenPull(this.world, this.repo(fullName), pullNumber, this.person(as));
  }

  /** A person merges (e.g. by hand in the web UI); returns the merge commit sha. */
  mergePull(fullName: string, pullNumber: number, as: Login, input: pullOps.MergeInput = {}): string {
    return pullOps.mergePull(this.world, this.repo(fullName), pullNumber, this.person(as), input).sha;
  }

  /**
   * A scenario's switch: the pull request conflicts with its base. `resolvable: true` means
   * update-branch fixes it; false means only a new push by the author (a rebase) does.
   */
  setConflict(fullName: string, pullNumber: number, conflict: { resolvable: boolean } | null): void {
    pullOps.setConflict(this.world, this.repo(fullName), pullNumber, conflict);
  }

  /**
   * Protects a branch as an owner would in its settings: checks that must pass, branches that
   * must be up to date before merging (`strict`), approvals needed. Merges that break a rule are
   * refused with GitHub's 405, and GraphQL reports the PR BLOCKED or BEHIND.
   */
  protectBranch(fullName: string, branch: string, rule: { checks?: string[]; strict?: boolean; approvals?: number }): void {
    this.repo(fullName).protection.set(branch, { checks: rule.checks ?? [], strict: rule.strict ?? false, approvals: rule.approvals ?? 0 });
    this.transcript.record("branch", `${branch} protected: checks ${JSON.stringify(rule.checks ?? [])}${rule.strict ? ", up to date" : ""}${rule.approvals ? `, ${rule.approvals} approvals` : ""}`);
  }

  /**
   * Another CI service whose check run `name` starts `startAfterMs` after each push (later than
   * the main CI) and passes `durationMs` later, with its check_run webhooks.
   */
  addLateCheck(name: string, startAfterMs: number, durationMs = 50): void {
    this.world.lateChecks.push({ name, startAfterMs, durationMs });
  }

  /** A commit status (the older Statuses API) from some external service. */
  setCommitStatus(
    fullName: string,
    sha: string,
    input: { context: string; state: "error" | "failure" | "pending" | "success"; description?: string; targetUrl?: string },
  ): void {
    const repo = this.repo(fullName);
    const id = this.state.newId();
    const now = isoNow();
    repo.statuses.push({
      id,
      nodeId: nodeId("StatusContext", id),
      sha,
      context: input.context,
      state: input.state,
      description: input.description ?? null,
      targetUrl: input.targetUrl ?? null,
      createdAt: now,
      updatedAt: now,
      creator: this.state.account("external-ci[bot]", "Bot"),
    });
    this.transcript.record("check", `status ${input.context} ${input.state} on ${sha.slice(0, 7)}`);
  }

  // ---- control API: reading ---------------------------------------------------------------

  issue(fullName: string, issueNumber: number): IssueView {
    const entry = issueOps.getIssue(this.repo(fullName), issueNumber);
    return {
      number: entry.number,
      title: entry.title,
      body: entry.body ?? "",
      state: entry.state,
      stateReason: entry.stateReason,
      labels: [...entry.labels],
      author: entry.user.login,
      isPull: entry.isPull,
      closedBy: entry.closedBy?.login ?? null,
      reactions: entry.reactions.map((reaction) => ({ content: reaction.content, user: reaction.user.login })),
    };
  }

  /** Every issue and pull request of the repository, by number. */
  issues(fullName: string): IssueView[] {
    return [...this.repo(fullName).issues.keys()].sort((a, b) => a - b).map((number) => this.issue(fullName, number));
  }

  comments(fullName: string, issueNumber: number): CommentView[] {
    return issueOps.getIssue(this.repo(fullName), issueNumber).comments.map((comment) => ({
      id: comment.id,
      body: comment.body,
      author: comment.user.login,
      createdAt: comment.createdAt,
      updatedAt: comment.updatedAt,
      reactions: comment.reactions.map((reaction) => ({ content: reaction.content, user: reaction.user.login })),
    }));
  }

  pulls(fullName: string): PullView[] {
    const repo = this.repo(fullName);
    return [...repo.pulls.keys()].map((number) => this.pull(fullName, number));
  }

  pull(fullName: string, pullNumber: number): PullView {
    const repo = this.repo(fullName);
    const entry = repo.pulls.get(pullNumber);
    if (!entry) throw new ApiError(404, `FakeGitHub: no pull request #${pullNumber} in ${fullName}`);
    const issue = repo.issues.get(pullNumber)!;
    const { runs } = this.state.checksFor(repo, entry.headSha);
    return {
      number: entry.number,
      title: issue.title,
      body: issue.body ?? "",
      author: issue.user.login,
      head: entry.headRef,
      headSha: entry.headSha,
      base: entry.baseRef,
      state: entry.state,
      merged: entry.merged,
      mergeable: this.state.mergeable(entry),
      mergeableState: this.state.mergeableState(repo, entry),
      mergedBy: entry.mergedBy?.login ?? null,
      htmlUrl: `${this.shapeContext().web}/${repo.owner.login}/${repo.name}/pull/${entry.number}`,
      reviews: entry.reviews.map((review) => ({
        id: review.id,
        state: review.state,
        author: review.user.login,
        body: review.body,
        commitId: review.commitId,
      })),
      checks: runs.map((run) => ({ name: run.name, status: run.status, conclusion: run.conclusion, sha: run.headSha, app: this.world.appOf(run).slug })),
    };
  }

  /** The open or closed pull requests whose head is `branch`. */
  pullsForBranch(fullName: string, branch: string): PullView[] {
    return pullOps.pullsForBranch(this.repo(fullName), branch).map((pull) => this.pull(fullName, pull.number));
  }

  defaultBranch(fullName: string): string {
    return this.repo(fullName).defaultBranch;
  }

  branches(fullName: string): Record<string, string> {
    return Object.fromEntries(this.repo(fullName).branches);
  }

  /** A file's content at `ref` (default branch when absent); undefined when there is none. */
  file(fullName: string, path: string, ref?: string): string | undefined {
    const repo = this.repo(fullName);
    const sha = repo.branches.get(ref ?? repo.defaultBranch) ?? ref;
    return sha ? repo.commits.get(sha)?.files.get(path) : undefined;
  }

  /** The repository's web address, as used in html_url and PR links. */
  htmlUrl(fullName: string): string {
    const repo = this.repo(fullName);
    return `${this.shapeContext().web}/${repo.owner.login}/${repo.name}`;
  }
}
