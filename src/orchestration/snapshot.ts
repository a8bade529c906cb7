import type { Command } from "./commands.js";
import type { ContentPart } from "./trust/content-digest.js";
import type { ChildView, UntrustedChildChange } from "./sub-issues.js";
import type { ParsedBody } from "./types.js";

/**
 * What a reconcile observed: the truth `decide()` acts on. Built by the reconciler from one
 * GraphQL read and the Cursor agents' states; `decide()` never does I/O.
 */

export type ChecksState = "success" | "pending" | "failure" | "none";

export interface FailingCheck {
  name: string;
  summary: string;
}

/**
 * GitHub's verdict on merging now (PullRequest.mergeStateStatus): BEHIND a base that requires
 * branches to be up to date, BLOCKED by a rule (a required check or review), DIRTY with conflicts,
 * CLEAN, HAS_HOOKS or UNSTABLE when it can merge, UNKNOWN while GitHub computes it.
 */
export type MergeState = "BEHIND" | "BLOCKED" | "CLEAN" | "DIRTY" | "DRAFT" | "HAS_HOOKS" | "UNKNOWN" | "UNSTABLE";

/** What the base branch's rules require, as GitHub shows them to the App (no admin access needed). */
export interface BaseRequirements {
  /** Status check contexts that must pass (check run names or commit status contexts). */
  checks: string[];
  approvals: number;
  codeOwners: boolean;
  /** Every review conversation must be resolved. */
  conversations: boolean;
}

export interface PullRequestView {
  number: number;
  url: string;
  state: "open" | "closed" | "merged";
  headRef: string;
  /** The head branch's GraphQL node id, while it exists (absent from older reads). */
  headRefId?: string;
  headSha: string;
  /** The branch the PR would merge into. */
  baseRef: string;
  /** When the PR was opened (ISO 8601, GitHub's clock). */
  createdAt?: string;
  /** The head branch lives in the epic's own repository (not a fork). */
  sameRepo: boolean;
  isDraft: boolean;
  /** null while GitHub is still computing it. */
  mergeable: boolean | null;
  /** Absent when GitHub did not say (older answers, tests that are not about it). */
  mergeState?: MergeState;
  /** The base branch's head the PR was compared with: an update of a branch behind it is sent once per base sha. */
  baseSha?: string;
  /** The base branch's rules, when it has any. */
  required?: BaseRequirements;
  /** Required checks with no run or status at all at `checksSha`: they never started. */
  missingChecks?: string[];
  /** GitHub's review verdict under the base's rules; REVIEW_REQUIRED: approvals are missing. */
  reviewDecision?: "APPROVED" | "CHANGES_REQUESTED" | "REVIEW_REQUIRED";
  /** When the head commit was made (ISO 8601): how long checks have had to start. */
  headCommittedAt?: string;
  /** The combined state of every check run and commit status at `headSha`. */
  checks: ChecksState;
  /** The sha the check state was read at; a merge is only sent for this sha. */
  checksSha: string;
  failingChecks: FailingCheck[];
  approved: boolean;
  /** The newest review requesting changes that no later approval by its author superseded. */
  changesRequested?: { id: number; author: string; text: string };
  /** Reviews by people without write access: they count for nothing. */
  ignoredReviews?: Array<{ id: number; author: string; state: string }>;
  /** More reviews than Orchestra reads: it does not merge rather than miss a change request. */
  reviewsIncomplete?: boolean;
  /**
   * Read only with the audit on. Orchestra's own audit of `checksSha` (a check run named
   * `Orchestra audit` created by this App, by app id: another app's of that name is a check like
   * any other), kept out of `checks` so that its own verdict never counts as CI.
   */
  audit?: AuditView;
  /** Read only with the audit on: every check at `checksSha` but Orchestra's audit, for the auditor. */
  checkResults?: CheckResult[];
}

export interface AuditView {
  passed: boolean;
  /** The check run's summary: Orchestra's own text, written from the auditor's findings. */
  summary: string;
}

export interface CheckResult {
  name: string;
  /** A check run's conclusion (or status while it runs), a commit status's state; lower case. */
  result: string;
  summary: string;
}

export interface AgentView {
  id: string;
  status: string;
  prUrl?: string;
  summary?: string;
}

export interface TaskObservation {
  branch: string;
  pr?: PullRequestView;
  /** PRs from forks on the task's branch name: never merged, reported once. */
  foreign?: PullRequestView[];
  /** So many PRs use the branch name that the agent's may not have been read: never conclude it is gone. */
  crowded?: boolean;
  /** Undefined when not read this time; null when Cursor does not know the agent. */
  agent?: AgentView | null;
}

/** Something a person asked for, already authorized by the handler that received it. */
export type Intent =
  | {
      kind: "command";
      command: Command;
      actor: string;
      commentId?: number;
      /** The comment's GraphQL node id, when read: its reaction may then ride in a batched write. */
      commentNodeId?: string;
      /** Where the command was written: the epic, or a task's pull request (then `prTaskId`). */
      target?: number;
      prTaskId?: string;
      /** When the comment was posted (ISO 8601): a resume accepts only edits made before it. */
      at?: string;
    }
  | { kind: "plan"; actor: string }
  /** Sub-issues whose "blocked by" links changed: their tasks' dependencies are read again. */
  | { kind: "child-links"; issues: number[]; actor?: { login: string; bot: boolean } }
  | { kind: "stop-agents"; agentIds: string[] };

/** Whether the text agents read is what Orchestra accepted (see content-trust.ts). */
export interface ContentTrust {
  /** Digest of the text as read now. */
  digest: string;
  accepted: boolean;
  /** Accepted because every edit since the last acceptance was made by a person with write access. */
  byWriters?: boolean;
  /** When not accepted: what changed, and who without write access changed it. */
  changed?: ContentPart[];
  editors?: string[];
  /** When not accepted and the edits could not be attributed: why. */
  reason?: string;
  /** The newest of the edits not accepted (ISO 8601), when GitHub's history says. */
  changedAt?: string;
}

export interface Snapshot {
  now: number;
  repo: { owner: string; name: string; defaultBranch: string; deleteBranchOnMerge?: boolean };
  issue: { number: number; title: string; state: "open" | "closed"; body: string; createdAt?: string };
  parsed: ParsedBody;
  /** Absent in tests of decide() that are not about trust: the text counts as accepted. */
  trust?: ContentTrust;
  /** Keyed by task id; present for every task that has been launched. */
  observations: Record<string, TaskObservation>;
  /** The epic's sub-issues in priority order, read when the epic is made of them (see sub-issues.ts). */
  children?: ChildView[];
  /** Changes to the children that skip or reorder a task, made without a writer (see children-read.ts). */
  childChanges?: UntrustedChildChange[];
  intents: Intent[];
}
