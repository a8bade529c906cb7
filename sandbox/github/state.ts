/**
 * SANDBOX FAKE — never part of src/. The fake GitHub's in-memory world: accounts, repositories
 * with a tiny git model (commits carry whole file trees), issues, pull requests, reviews,
 * checks. Plain data and lookups; the rules of change live in operations.ts.
 */
import { createHash } from "node:crypto";
import type { Tree } from "./tree.js";

export type AccountType = "User" | "Bot" | "Organization";
export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";
export type CheckConclusion =
  | "success"
  | "failure"
  | "neutral"
  | "cancelled"
  | "skipped"
  | "timed_out"
  | "action_required";
export type ReviewState = "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "PENDING" | "DISMISSED";
export type ReactionContent = "+1" | "-1" | "laugh" | "confused" | "heart" | "hooray" | "rocket" | "eyes";

export interface Account {
  login: string;
  id: number;
  nodeId: string;
  type: AccountType;
}

export interface Commit {
  sha: string;
  message: string;
  parents: string[];
  /** The whole tree: path → content, sharing what did not change with its parent's. */
  files: Tree;
  /** What this commit changed against its first parent (null = deleted). */
  changes: Map<string, string | null>;
  author: Account;
  date: string;
  /** Decided by whoever made the commit (a scenario); the CI hook's default otherwise. */
  ciConclusion?: CheckConclusion;
}

export interface Label {
  id: number;
  nodeId: string;
  name: string;
  color: string;
  description: string | null;
}

export interface Reaction {
  id: number;
  nodeId: string;
  content: ReactionContent;
  user: Account;
  createdAt: string;
}

export interface IssueComment {
  id: number;
  nodeId: string;
  issueNumber: number;
  body: string;
  user: Account;
  createdAt: string;
  updatedAt: string;
  reactions: Reaction[];
}

export interface Issue {
  number: number;
  id: number;
  nodeId: string;
  title: string;
  body: string | null;
  state: "open" | "closed";
  stateReason: "completed" | "not_planned" | "reopened" | null;
  user: Account;
  labels: string[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  closedBy: Account | null;
  comments: IssueComment[];
  reactions: Reaction[];
  /** True when this number belongs to a pull request (issues and PRs share numbers). */
  isPull: boolean;
  /** The body's edit history, oldest first; GitHub records the original text at the first edit. */
  edits: Array<{ id: number; editor: Account; at: string }>;
  /** Title renames, oldest first (the timeline's RenamedTitleEvent). */
  renames: Array<{ id: number; actor: Account; at: string; from: string; to: string }>;
  /** Labels added, oldest first (the timeline's LabeledEvent). */
  labelEvents: Array<{ id: number; actor: Account; at: string; name: string }>;
  /** Sub-issues (numbers in this repository) in priority order; see sub-issue-ops.ts. */
  subIssues: number[];
  /** The parent issue's number, when this issue is a sub-issue. */
  parent: number | null;
  /** Issues (numbers in this repository) this one is "blocked by", in the order the links were added. */
  blockedBy: number[];
  /**
   * Who changed what the issue is part of, oldest first: the timeline's SubIssueAdded/Removed
   * events (on the parent, `other` the child), ParentIssueAdded/Removed (on the child, `other`
   * the parent) and ClosedEvent (with the state reason it was closed as).
   */
  structureEvents: StructureEvent[];
}

export interface StructureEvent {
  id: number;
  type: "SubIssueAddedEvent" | "SubIssueRemovedEvent" | "ParentIssueAddedEvent" | "ParentIssueRemovedEvent" | "ClosedEvent";
  actor: Account;
  at: string;
  other?: number;
  stateReason?: "completed" | "not_planned";
}

export interface Review {
  id: number;
  nodeId: string;
  user: Account;
  body: string;
  state: ReviewState;
  commitId: string;
  submittedAt: string | null;
}

export interface ReviewComment {
  id: number;
  nodeId: string;
  reviewId: number;
  path: string;
  line: number | null;
  body: string;
  user: Account;
  commitId: string;
  createdAt: string;
}

export interface Pull {
  number: number;
  id: number;
  nodeId: string;
  headRef: string;
  headSha: string;
  baseRef: string;
  state: "open" | "closed";
  merged: boolean;
  mergedAt: string | null;
  mergedBy: Account | null;
  mergeCommitSha: string | null;
  draft: boolean;
  maintainerCanModify: boolean;
  /** A conflict with the base; `resolvable` says whether update-branch fixes it. */
  conflict: { resolvable: boolean } | null;
  /** GitHub computes mergeability in the background: `mergeable` is null until this time. */
  mergeableKnownAt: number;
  reviews: Review[];
  reviewComments: ReviewComment[];
}

export interface CheckRun {
  id: number;
  nodeId: string;
  suiteId: number;
  name: string;
  headSha: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: CheckConclusion | null;
  startedAt: string;
  completedAt: string | null;
  title: string | null;
  summary: string | null;
  text: string | null;
  externalId: string;
  /** The App that created the run; absent: the CI app (GitHub Actions). */
  appId?: number;
  /** What the creating App attached (check-runs API), in the order received. */
  annotations?: CheckAnnotation[];
}

export interface CheckAnnotation {
  path: string;
  startLine: number;
  endLine: number;
  level: "notice" | "warning" | "failure";
  message: string;
  title: string | null;
}

export interface CheckSuite {
  id: number;
  nodeId: string;
  headSha: string;
  headBranch: string | null;
  before: string | null;
  status: "queued" | "in_progress" | "completed";
  conclusion: CheckConclusion | null;
  createdAt: string;
  updatedAt: string;
  /** The App the suite belongs to; absent: the CI app. */
  appId?: number;
}

export interface CommitStatus {
  id: number;
  nodeId: string;
  sha: string;
  context: string;
  state: "error" | "failure" | "pending" | "success";
  description: string | null;
  targetUrl: string | null;
  createdAt: string;
  updatedAt: string;
  creator: Account;
}

/**
 * A branch's protection as GitHub enforces it (classic rules and rulesets look alike to the
 * API): checks that must pass, whether branches must be up to date, approvals needed.
 */
export interface BranchProtection {
  checks: string[];
  strict: boolean;
  approvals: number;
}

/** GraphQL's PullRequest.mergeStateStatus. */
export type MergeStateStatus = "BEHIND" | "BLOCKED" | "CLEAN" | "DIRTY" | "DRAFT" | "HAS_HOOKS" | "UNKNOWN" | "UNSTABLE";

export interface Repo {
  id: number;
  nodeId: string;
  owner: Account;
  name: string;
  description: string | null;
  private: boolean;
  defaultBranch: string;
  /** GitHub's "Automatically delete head branches" setting. */
  deleteBranchOnMerge: boolean;
  createdAt: string;
  pushedAt: string;
  branches: Map<string, string>;
  commits: Map<string, Commit>;
  labels: Map<string, Label>;
  collaborators: Map<string, Permission>;
  issues: Map<number, Issue>;
  pulls: Map<number, Pull>;
  nextNumber: number;
  checkSuites: CheckSuite[];
  checkRuns: CheckRun[];
  statuses: CommitStatus[];
  /** Protected branches by name. */
  protection: Map<string, BranchProtection>;
}

export interface Installation {
  id: number;
  account: Account;
  createdAt: string;
}

export interface AppIdentity {
  id: number;
  slug: string;
  name: string;
  nodeId: string;
  owner: Account;
  bot: Account;
  createdAt: string;
}

/** The check runs and statuses of one commit, folded into one verdict like GraphQL's rollup. */
export type RollupState = "SUCCESS" | "FAILURE" | "PENDING" | "ERROR" | "EXPECTED";

const FAILING_CONCLUSIONS: ReadonlySet<string> = new Set([
  "failure",
  "timed_out",
  "cancelled",
  "action_required",
  "startup_failure",
]);

export function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function nodeId(kind: string, id: number): string {
  return Buffer.from(`0:${kind}${id}`).toString("base64").replace(/=+$/, "");
}

/** Git's blob id, so `sha` fields of files look and behave like the real thing. */
export function blobSha(content: string): string {
  const bytes = Buffer.from(content, "utf8");
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

export class GitHubState {
  private nextId = 1000;
  private commitCounter = 0;
  readonly accounts = new Map<string, Account>();
  readonly repos = new Map<string, Repo>();
  readonly installations = new Map<number, Installation>();
  readonly app: AppIdentity;

  constructor(appId: number, appSlug: string) {
    const owner = this.account("orchestra-maintainers", "Organization");
    const bot = this.account(`${appSlug}[bot]`, "Bot");
    this.app = {
      id: appId,
      slug: appSlug,
      name: appSlug.charAt(0).toUpperCase() + appSlug.slice(1),
      nodeId: nodeId("Integration", appId),
      owner,
      bot,
      createdAt: isoNow(),
    };
  }

  newId(): number {
    return ++this.nextId;
  }

  /** The account with this login, created on first mention (GitHub logins are case-insensitive). */
  account(login: string, type: AccountType = "User"): Account {
    const key = login.toLowerCase();
    const existing = this.accounts.get(key);
    if (existing) return existing;
    const id = this.newId();
    const account = { login, id, nodeId: nodeId(type, id), type };
    this.accounts.set(key, account);
    return account;
  }

  findAccount(login: string): Account | undefined {
    return this.accounts.get(login.toLowerCase());
  }

  repo(owner: string, name: string): Repo | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  repoByFullName(fullName: string): Repo | undefined {
    return this.repos.get(fullName.toLowerCase());
  }

  installationFor(ownerLogin: string): Installation | undefined {
    for (const installation of this.installations.values()) {
      if (installation.account.login.toLowerCase() === ownerLogin.toLowerCase()) return installation;
    }
    return undefined;
  }

  /**
   * A commit sha that is unique, 40 hex digits and stable for the same content and history:
   * the parents fix the tree a commit starts from, so its own changes are all that is hashed
   * (hashing the whole tree made every commit cost as much as the repository is large).
   */
  commitSha(parents: string[], changes: ReadonlyMap<string, string | null>, message: string): string {
    const hash = createHash("sha1");
    hash.update(String(++this.commitCounter));
    hash.update(parents.join(","));
    hash.update(message);
    for (const [path, content] of [...changes].sort(([a], [b]) => a.localeCompare(b))) {
      hash.update(path).update("\0").update(content ?? "\0deleted");
    }
    return hash.digest("hex");
  }

  /** Each commit's generation: 1 + its parents' highest (git's commit-graph generation number). */
  private readonly generations = new Map<string, number>();

  private generation(repo: Repo, sha: string): number {
    const known = this.generations.get(sha);
    if (known !== undefined) return known;
    // Iteratively, parents first: a branch's history can be deeper than the call stack.
    const stack = [sha];
    while (stack.length > 0) {
      const current = stack.at(-1)!;
      const parents = repo.commits.get(current)?.parents ?? [];
      const missing = parents.filter((parent) => !this.generations.has(parent));
      if (missing.length > 0) {
        stack.push(...missing);
        continue;
      }
      stack.pop();
      this.generations.set(current, 1 + Math.max(0, ...parents.map((parent) => this.generations.get(parent)!)));
    }
    return this.generations.get(sha)!;
  }

  /**
   * True when `ancestor` is reachable from `sha` through parents (or is `sha`). Commits of a
   * lower generation than `ancestor` cannot lead to it, so the walk stops there instead of
   * going through the whole history on every call (which made large benchmarks quadratic).
   */
  isAncestor(repo: Repo, ancestor: string, sha: string): boolean {
    const floor = this.generation(repo, ancestor);
    const seen = new Set<string>();
    const stack = [sha];
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (current === ancestor) return true;
      if (seen.has(current) || this.generation(repo, current) <= floor) continue;
      seen.add(current);
      stack.push(...(repo.commits.get(current)?.parents ?? []));
    }
    return false;
  }

  /** Check runs and statuses by commit, kept in step with the repository's append-only lists. */
  private readonly bySha = new WeakMap<Repo, { runs: number; statuses: number; index: Map<string, { runs: CheckRun[]; statuses: CommitStatus[] }> }>();

  private checksAt(repo: Repo, sha: string): { runs: CheckRun[]; statuses: CommitStatus[] } {
    let entry = this.bySha.get(repo);
    if (!entry || entry.runs > repo.checkRuns.length || entry.statuses > repo.statuses.length) {
      entry = { runs: 0, statuses: 0, index: new Map() };
      this.bySha.set(repo, entry);
    }
    const at = (key: string) => {
      let found = entry.index.get(key);
      if (!found) entry.index.set(key, (found = { runs: [], statuses: [] }));
      return found;
    };
    for (; entry.runs < repo.checkRuns.length; entry.runs++) at(repo.checkRuns[entry.runs]!.headSha).runs.push(repo.checkRuns[entry.runs]!);
    for (; entry.statuses < repo.statuses.length; entry.statuses++) at(repo.statuses[entry.statuses]!.sha).statuses.push(repo.statuses[entry.statuses]!);
    return entry.index.get(sha) ?? { runs: [], statuses: [] };
  }

  /** The latest check run per name and latest status per context of a commit. */
  checksFor(repo: Repo, sha: string): { runs: CheckRun[]; statuses: CommitStatus[] } {
    const at = this.checksAt(repo, sha);
    const runs = new Map<string, CheckRun>();
    // Per App and name: another App's run of the same name is another check, as on GitHub.
    for (const run of at.runs) runs.set(`${run.appId ?? "ci"}:${run.name}`, run);
    const statuses = new Map<string, CommitStatus>();
    for (const status of at.statuses) statuses.set(status.context, status);
    return { runs: [...runs.values()], statuses: [...statuses.values()] };
  }

  /** GraphQL's statusCheckRollup state; null when the commit has no checks at all. */
  rollupState(repo: Repo, sha: string): RollupState | null {
    const { runs, statuses } = this.checksFor(repo, sha);
    if (runs.length === 0 && statuses.length === 0) return null;
    let pending = false;
    for (const run of runs) {
      if (run.status !== "completed") pending = true;
      else if (run.conclusion && FAILING_CONCLUSIONS.has(run.conclusion)) return "FAILURE";
    }
    for (const status of statuses) {
      if (status.state === "failure") return "FAILURE";
      if (status.state === "error") return "ERROR";
      if (status.state === "pending") pending = true;
    }
    return pending ? "PENDING" : "SUCCESS";
  }

  /** REST `mergeable`: null while GitHub is still computing it, and for closed pull requests. */
  mergeable(pull: Pull, now = Date.now()): boolean | null {
    if (pull.state === "closed") return null;
    if (now < pull.mergeableKnownAt) return null;
    return pull.conflict === null;
  }

  /** REST's `mergeable_state`: GraphQL's mergeStateStatus in lower case. */
  mergeableState(repo: Repo, pull: Pull, now = Date.now()): string {
    return this.mergeStateStatus(repo, pull, now).toLowerCase();
  }

  /**
   * GitHub's verdict on merging now: DIRTY (conflict), DRAFT, BLOCKED (a required check has not
   * passed, or approvals are missing), BEHIND (the base requires up-to-date branches and moved
   * on), UNSTABLE (a check that is not required is red or running), else CLEAN.
   */
  mergeStateStatus(repo: Repo, pull: Pull, now = Date.now()): MergeStateStatus {
    if (pull.state === "closed") return "UNKNOWN";
    const mergeable = this.mergeable(pull, now);
    if (mergeable === null) return "UNKNOWN";
    if (!mergeable) return "DIRTY";
    if (pull.draft) return "DRAFT";
    if (this.unmetRule(repo, pull) !== null) return "BLOCKED";
    const protection = repo.protection.get(pull.baseRef);
    const baseSha = repo.branches.get(pull.baseRef);
    if (protection?.strict && baseSha && !this.isAncestor(repo, baseSha, pull.headSha)) return "BEHIND";
    const rollup = this.rollupState(repo, pull.headSha);
    if (rollup === "FAILURE" || rollup === "ERROR" || rollup === "PENDING") return "UNSTABLE";
    return "CLEAN";
  }

  /** The first rule of the base's protection that `pull` does not meet, in GitHub's words; null when none. */
  unmetRule(repo: Repo, pull: Pull): string | null {
    const protection = repo.protection.get(pull.baseRef);
    if (!protection) return null;
    const { runs, statuses } = this.checksFor(repo, pull.headSha);
    for (const name of protection.checks) {
      const run = runs.find((candidate) => candidate.name === name);
      const status = statuses.find((candidate) => candidate.context === name);
      const passed = run ? run.status === "completed" && ["success", "neutral", "skipped"].includes(run.conclusion ?? "") : status?.state === "success";
      if (!passed) return `Required status check "${name}" is ${run || status ? "failing" : "expected"}.`;
    }
    const approvers = new Set(pull.reviews.filter((review) => review.state === "APPROVED").map((review) => review.user.id));
    if (approvers.size < protection.approvals) {
      return `At least ${protection.approvals} approving review${protection.approvals === 1 ? " is" : "s are"} required by reviewers with write access.`;
    }
    return null;
  }

  /** GraphQL's reviewDecision: null when the base requires no review. */
  reviewDecision(repo: Repo, pull: Pull): "APPROVED" | "CHANGES_REQUESTED" | "REVIEW_REQUIRED" | null {
    const protection = repo.protection.get(pull.baseRef);
    if (!protection || protection.approvals === 0) return null;
    const latest = new Map<number, string>();
    for (const review of pull.reviews) if (review.state !== "COMMENTED" && review.state !== "PENDING") latest.set(review.user.id, review.state);
    const states = [...latest.values()];
    if (states.includes("CHANGES_REQUESTED")) return "CHANGES_REQUESTED";
    return states.filter((state) => state === "APPROVED").length >= protection.approvals ? "APPROVED" : "REVIEW_REQUIRED";
  }
}
