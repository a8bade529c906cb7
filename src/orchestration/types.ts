/**
 * The epic's state as it lives in the issue body. The issue is the only store, so everything
 * Orchestra must remember across restarts is in these types and nowhere else.
 */

export const TASK_STATES = [
  "pending",
  "running",
  "pr_open",
  "merging",
  "merged",
  "failed",
  "skipped",
  "done",
] as const;
/** `done` means ticked by a person: finished outside Orchestra, never started or merged by it. */
export type TaskState = (typeof TASK_STATES)[number];

/** States in which an attempt is under way: an agent, a PR, or both. */
export const ACTIVE_STATES: ReadonlySet<TaskState> = new Set(["running", "pr_open", "merging"]);

export const EPIC_STATUSES = [
  "planned",
  "running",
  "paused",
  "completed",
  "stopped",
] as const;
export type EpicStatus = (typeof EPIC_STATUSES)[number];

export interface Task {
  /** Stable id, `t1`, `t2`, …; an item written by a person without metadata gets the next free one. */
  id: string;
  title: string;
  /** Lines indented under the item, with the indentation removed, joined by "\n". */
  details: string;
  /** The checkbox as it appears in the body. */
  checked: boolean;
  state: TaskState;
  /** Attempts launched so far; 0 before the first launch. */
  attempt: number;
  /** Cursor agent id of the current attempt. */
  agent?: string;
  /** Pull request number of the current attempt, once known. */
  pr?: number;
  deps: string[];
  /** Follow-ups sent to fix red checks in the current attempt. */
  fixes: number;
  /**
   * Identity of the last follow-up sent (e.g. `ci:<sha>` or `review:<id>`), so that a
   * repeated reconcile never sends the same follow-up twice.
   */
  followup?: string;
  /** Why the task failed, one short line; shown in the status comment. */
  reason?: string;
  /** No new attempt before this time (epoch milliseconds): the backoff after a failed attempt. */
  notBefore?: number;
  /** When the last follow-up was sent (epoch ms). */
  followupAt?: number;
  /** When the first attempt was launched, and when the task was merged or skipped (epoch ms). */
  startedAt?: number;
  finishedAt?: number;
  /** When the current attempt was launched (epoch ms): a PR opened before it is not this attempt's. */
  launchedAt?: number;
  /**
   * The last merge GitHub refused: `<cause>:<what it depended on>` (head, base, checks, reviews;
   * see decide-tasks.ts). The same merge is sent again only when that changes, or after a
   * backoff that grows with `refusals`, counted from `refusedAt` (epoch ms).
   */
  refused?: string;
  refusals?: number;
  refusedAt?: number;
  /** Something the task waits for that should come by itself (`pr`: the PR its agent reported), and since when (epoch ms). */
  stuck?: string;
  stuckAt?: number;
  /**
   * The sub-issue this task is, in an epic made of sub-issues (see sub-issues.ts): its title and
   * body are the task's, and its item reads `#<issue>`. Signed, so a typed `#123` is never one.
   */
  issue?: number;
  /** Digest of the sub-issue's text as a writer accepted it (see sub-issues.ts, child-trust.ts). */
  accepted?: string;
}

export interface Plan {
  status: EpicStatus;
  /** Agent runs launched for this epic, counted against the per-epic budget. */
  runs: number;
  /** LLM tokens (input and output) spent on this epic: planning, audits; against `budget.llmTokens`. */
  llmTokens?: number;
  /** Id of the status comment, edited in place so it is found again without listing comments. */
  statusComment?: number;
  /** The number of the next task id: ids are never reused, so no new task inherits an old branch. */
  nextId?: number;
  /**
   * Digest of the text that reaches agents (title, epic text, task list) as last accepted: what
   * Orchestra itself wrote or a person with write access changed. See trust/content-digest.ts.
   */
  accepted?: string;
  /** How many body edits and title renames GitHub had recorded when `accepted` was written. */
  seen?: EditCounts;
  /** The digest of an unaccepted change already reported (and the epic held for it). */
  held?: string;
  /**
   * The id of the newest comment (on the epic or its task PRs) whose commands were handled:
   * commands are read from comments after it at every reconcile, so none is lost or run twice.
   */
  commandCursor?: number;
  /**
   * Attempts under way when Orchestra last wrote (`t3.1`: task t3, attempt 1). One whose task a
   * person deleted or ticked since stays listed until it is closed out: its agent stopped and,
   * for a deleted task, its PR closed and its branch deleted.
   */
  live?: TaskAttempt[];
  tasks: Task[];
}

export interface TaskAttempt {
  id: string;
  attempt: number;
}

export interface EditCounts {
  edits: number;
  renames: number;
}

/** A parsed issue body: the user's text around Orchestra's block, kept byte for byte. */
export interface ParsedBody {
  /** Text before the block (the whole body when there is no block). */
  before: string;
  /** Text after the block's end marker. */
  after: string;
  /** The plan, or null when the body holds no Orchestra block. */
  plan: Plan | null;
  /** "\r\n" when the body uses CRLF line endings, "\n" otherwise. */
  eol: "\n" | "\r\n";
  /** Present when the body was read with a verifier: which markers carried Orchestra's MAC. */
  trust?: BlockTrust;
}

export interface BlockTrust {
  /** The plan marker verified; when false no task marker is believed either. */
  plan: boolean;
  /** Items whose marker did not verify, read as new items without one. */
  forgedTasks: number;
  /** The block is in the format from before markers were signed: no MAC anywhere. */
  legacy: boolean;
}

/** A change Orchestra makes to one task, applied by id onto a freshly re-read body. */
export type TaskPatch = Partial<Omit<Task, "id" | "title" | "details" | "deps">> & {
  id: string;
};

/** Orchestra's own changes to a plan: what it writes back onto the fresh body. */
export interface PlanPatch {
  status?: EpicStatus;
  statusComment?: number;
  /** Added to the fresh body's run count. */
  runsDelta?: number;
  /** Added to the fresh body's LLM token count (see llm-usage.ts). */
  llmTokensDelta?: number;
  tasks?: TaskPatch[];
  /**
   * Replaces every pending task (planning and re-planning); started or finished tasks are
   * kept. Creates the block when the body has none. Ids are the planner's own and are
   * renumbered to free ids, with `deps` remapped.
   */
  replacePending?: PlannedTask[];
  /**
   * Accept the body's current text (title, epic text, task list) if its digest is this one: a
   * writer resumed the epic, or every edit since the last acceptance was made by a writer.
   */
  acceptDigest?: string;
  /** Records that the unaccepted text with this digest was reported (`""` clears it). */
  held?: string;
  /** Comments up to this id are handled; the cursor only moves forward. */
  commandCursor?: number;
  /** Attempts of deleted or hand-ticked tasks now closed out (`t3.1`). */
  closedOut?: string[];
  /**
   * Appended after every task, with new ids (`deps` naming other added tasks by their given ids,
   * or tasks already in the plan): sub-issues added to the epic. One whose `issue` the plan
   * already has is left out, so applying the same patch twice adds nothing.
   */
  addTasks?: PlannedTask[];
  /**
   * Tasks now written as sub-issues (`plan.as: sub-issues`): each becomes the item `#<issue>`,
   * its title and details living in the sub-issue from now on.
   */
  subIssuesCreated?: Array<{ id: string; issue: number }>;
  /** New dependencies of tasks that have not started, from their sub-issues' "blocked by" links. */
  taskDeps?: Array<{ id: string; deps: string[] }>;
}

/** A task as the planner (or an adopted checklist) proposes it. */
export interface PlannedTask {
  id: string;
  title: string;
  details: string;
  deps: string[];
  /** Ticked in an adopted checklist: already done by a person. */
  done?: boolean;
  /** The sub-issue this task is (see Task.issue). */
  issue?: number;
}
