import { isLive } from "../cursor/agent.js";
import type { OrchestraConfig } from "./config.js";
import * as messages from "./messages.js";
import type { AgentView, CheckResult, Snapshot } from "./snapshot.js";
import { ACTIVE_STATES, type EpicStatus, type PlanPatch, type Task, type TaskPatch } from "./types.js";

/** What decide() returns, and the working state it builds it in. */

export type Notification =
  /** `once`: a condition that lasts (a foreign PR): posted only if no comment with its key exists. */
  | { kind: "comment"; key: string; body: string; target?: number; once?: boolean }
  | { kind: "react"; commentId: number; content: "rocket" | "confused"; subjectId?: string }
  /** Rewrites the comment with this key on `target`, if there is one (a sub-issue's pointer once its task ended). */
  | { kind: "comment-edit"; key: string; body: string; target: number };

export type Effect =
  | { kind: "launch"; taskId: string; attempt: number; branch: string; prompt: string; model?: string }
  | { kind: "stop-agent"; agentId: string; taskId?: string }
  | { kind: "followup"; taskId: string; agentId: string; text: string }
  | {
      kind: "merge";
      taskId: string;
      pr: number;
      sha: string;
      method: OrchestraConfig["mergeMethod"];
      /** What the merge depended on, and refusals so far: recorded if GitHub refuses it. */
      dependsOn?: string;
      refusals?: number;
    }
  | { kind: "update-branch"; taskId: string; pr: number; sha: string }
  /** The auditor judges the PR at `sha` and publishes its verdict as a check run (audit-gate.ts). */
  | {
      kind: "audit";
      taskId: string;
      pr: number;
      sha: string;
      task: { title: string; details: string };
      epic: { number: number; title: string; text: string };
      checks: CheckResult[];
    }
  | { kind: "delete-branch"; branch: string; refId?: string }
  | { kind: "close-pr"; pr: number }
  /** A sub-issue whose task was merged, still open: closed as completed. */
  | { kind: "close-issue"; issue: number }
  /** An attempt whose task a person deleted (or ticked: then only its agent is stopped). */
  | { kind: "close-out"; taskId: string; attempt: number; branch: string; closePull: boolean };

export interface Step {
  effect: Effect;
  /** Recorded in the body only when the effect succeeded. */
  onSuccess?: TaskPatch[];
  /** Posted only when the effect succeeded. */
  notify?: Notification[];
  /** A soft step's failure is recorded and the reconcile goes on; a hard one stops it. */
  soft?: boolean;
  onFailure?: TaskPatch[];
}

export interface Decision {
  /** Changes that follow from observation alone, written whatever the steps do. */
  patch: PlanPatch;
  notify: Notification[];
  steps: Step[];
  /** Posted only when every step succeeded: the epic's completion rests on its last merge. */
  final: Notification[];
  closeIssue: boolean;
  /** The epic is completed in the body and its issue open: announce and close only if no announcement exists. */
  completionUnannounced?: boolean;
  /** What each unfinished task waits for, and the epic as a whole; shown in the status comment. */
  waiting: Record<string, string>;
  waitingFor: string;
  /** Reconcile again after this long even if no event arrives (mergeability being computed…). */
  wakeAfterMs?: number;
  /** Why the epic pauses in this pass (the first cause) and a key naming that pause: for notifications. */
  pause?: { reason: string; key: string };
}

/** Unknown statuses count as live, so an agent we do not understand is never doubled. */
export function isAgentLive(status: string): boolean {
  return isLive(status.toUpperCase());
}

export const SATISFIED: ReadonlySet<Task["state"]> = new Set(["merged", "skipped", "done"]);

/** The decision under construction: a working copy of the plan, and what to write and do. */
export class DecisionDraft {
  readonly tasks: Task[];
  status: EpicStatus;
  readonly patches = new Map<string, TaskPatch>();
  readonly decision: Decision;
  /** `/orchestra status` requests, answered once observation is done. */
  readonly statusRequests: Array<{ commentId?: number; line: string; target?: number }> = [];
  /**
   * Merges seen or sent in this pass, with the tasks pending at that point: each gets its
   * "merged, starting …" comment once the launches are known (on the step when Orchestra sends
   * the merge, so it is posted only if the merge succeeds).
   */
  readonly merges: Array<{ step?: Step; task: Task; pr: number; pending: Task[] }> = [];
  /** Tasks launched in this pass. */
  readonly launched: string[] = [];
  /** Tasks that must not start in this pass (a sub-issue whose text is not accepted). */
  readonly held = new Set<string>();
  private pausedReason?: string;

  constructor(
    readonly snapshot: Snapshot,
    readonly config: OrchestraConfig,
  ) {
    const plan = snapshot.parsed.plan!;
    this.tasks = plan.tasks.map((task) => ({ ...task, deps: [...task.deps] }));
    this.status = plan.status;
    this.decision = { patch: {}, notify: [], steps: [], final: [], closeIssue: false, waiting: {}, waitingFor: "" };
  }

  get issueNumber(): number {
    return this.snapshot.issue.number;
  }

  task(id: string): Task | undefined {
    return this.tasks.find((task) => task.id === id);
  }

  /** Changes a task now, in the working copy and in the patch written back. */
  set(task: Task, change: Omit<TaskPatch, "id">): void {
    Object.assign(task, change);
    this.patches.set(task.id, { ...this.patches.get(task.id), ...change, id: task.id });
  }

  comment(key: string, body: string, target?: number): void {
    this.decision.notify.push({ kind: "comment", key, body, ...(target ? { target } : {}) });
  }

  /** A notice about a lasting condition: posted once per epic, however many passes see it. */
  reportOnce(key: string, body: string): void {
    this.decision.notify.push({ kind: "comment", key, body, once: true });
  }

  /** Pauses the epic; `comment` is false when the failure comment already says so. */
  pause(reason: string, key: string, comment = true): void {
    if (this.status === "running") this.status = "paused";
    if (this.pausedReason === undefined) {
      this.pausedReason = reason;
      this.decision.pause ??= { reason, key };
      if (comment) this.comment(key, messages.epicPaused(reason));
    }
  }

  /** A task failed for good: one comment saying why and how to continue, and the epic pauses. */
  fail(task: Task, key: string, reason: string, detail: string, change: Omit<TaskPatch, "id"> = {}): void {
    this.set(task, { ...(task.pr ? { pr: task.pr } : {}), ...change, state: "failed", reason });
    this.comment(key, messages.taskFailed(task.id, reason, detail));
    this.pause(`${task.id} failed`, key, false);
  }

  agentOf(task: Task): AgentView | null | undefined {
    return this.snapshot.observations[task.id]?.agent;
  }

  liveAgentId(task: Task): string | undefined {
    const agent = this.agentOf(task);
    // What Cursor said wins, even about an agent the body does not name.
    if (agent) return isAgentLive(agent.status) ? agent.id : undefined;
    if (!task.agent) return undefined;
    // Not read this time: assume live, stopping an already finished agent is harmless.
    if (agent === undefined) return ACTIVE_STATES.has(task.state) ? task.agent : undefined;
    return undefined;
  }

  stopAgent(task: Task): void {
    const agentId = this.liveAgentId(task);
    if (agentId) this.decision.steps.push({ effect: { kind: "stop-agent", agentId, taskId: task.id }, soft: true });
  }
}

export function resetForRelaunch(p: DecisionDraft, task: Task, reason?: string): void {
  p.set(task, {
    state: "pending",
    agent: undefined,
    pr: undefined,
    fixes: 0,
    followup: undefined,
    reason,
    notBefore: undefined,
    refused: undefined,
    refusals: undefined,
    refusedAt: undefined,
    stuck: undefined,
    stuckAt: undefined,
  });
}

/** Pending, its backoff over, and every dependency merged, skipped or done. */
export function isReady(p: DecisionDraft, task: Task): boolean {
  return (
    task.state === "pending" &&
    (task.notBefore === undefined || task.notBefore <= p.snapshot.now) &&
    task.deps.every((dep) => {
      const other = p.task(dep);
      // A dependency a person deleted is cancelled: it no longer blocks.
      return !other || SATISFIED.has(other.state);
    })
  );
}

export function minWake(current: number | undefined, next: number): number {
  return current === undefined ? next : Math.min(current, next);
}
