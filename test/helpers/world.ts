import type { OrchestraConfig } from "../../src/orchestration/config.js";
import { decide, type Decision, type Notification, type Step } from "../../src/orchestration/decide.js";
import { branchName } from "../../src/orchestration/naming.js";
import type { AgentView, ChecksState, Intent, PullRequestView, Snapshot, TaskObservation } from "../../src/orchestration/snapshot.js";
import type { Plan, PlanPatch, Task, TaskPatch, TaskState } from "../../src/orchestration/types.js";

/**
 * Builders for `decide()` inputs, and a simulated world (GitHub pull requests and checks, Cursor
 * agents) with a driver that carries out a Decision the way `reconcile.ts` does. Everything is
 * in memory and deterministic: the same plan, scenarios and schedule give the same run.
 */

/** The clock of every snapshot built here. */
export const NOW = 1_700_000_000_000;

export const ISSUE = 42;
export const REPO = { owner: "acme", name: "shop", defaultBranch: "main" } as const;

// --- builders -------------------------------------------------------------------------------

export function makeTask(id: string, over: Partial<Task> = {}): Task {
  return { id, title: `Task ${id}`, details: "", checked: false, state: "pending", attempt: 0, deps: [], fixes: 0, ...over };
}

export function makePlan(tasks: Task[], over: Partial<Plan> = {}): Plan {
  return { status: "running", runs: 0, tasks, ...over };
}

export interface SnapshotOptions {
  observations?: Record<string, TaskObservation>;
  intents?: Intent[];
  issueState?: "open" | "closed";
  before?: string;
}

export function makeSnapshot(plan: Plan, options: SnapshotOptions = {}): Snapshot {
  const before = options.before ?? "Build the shop.\n\n";
  return {
    now: NOW,
    repo: { ...REPO },
    issue: { number: ISSUE, title: "The shop", state: options.issueState ?? "open", body: before },
    parsed: { before, after: "", eol: "\n", plan },
    observations: options.observations ?? {},
    intents: options.intents ?? [],
  };
}

/** A green, mergeable, open PR on the task's own branch. */
export function makePr(taskId: string, attempt: number, over: Partial<PullRequestView> = {}): PullRequestView {
  const headSha = over.headSha ?? `${taskId}a${attempt}0000000000000000000000000000000000`.slice(0, 40);
  return {
    number: 12,
    url: `https://github.com/${REPO.owner}/${REPO.name}/pull/${over.number ?? 12}`,
    state: "open",
    headRef: branchName(ISSUE, taskId, attempt),
    headSha,
    baseRef: REPO.defaultBranch,
    sameRepo: true,
    isDraft: false,
    mergeable: true,
    checks: "success",
    checksSha: headSha,
    failingChecks: [],
    approved: false,
    ...over,
  };
}

export function makeAgent(id: string, status: string, over: Partial<AgentView> = {}): AgentView {
  return { id, status, ...over };
}

export function observation(taskId: string, attempt: number, parts: Omit<TaskObservation, "branch"> = {}): TaskObservation {
  return { branch: branchName(ISSUE, taskId, attempt), ...parts };
}

export function commandIntent(
  name: string,
  arg = "",
  over: Partial<Extract<Intent, { kind: "command" }>> = {},
): Extract<Intent, { kind: "command" }> {
  const line = `/orchestra ${name}${arg ? ` ${arg}` : ""}`;
  const command =
    name === "unknown"
      ? ({ name: "unknown", word: arg, line } as const)
      : ({ name, arg, line } as Extract<Intent, { kind: "command" }>["command"]);
  return { kind: "command", command, actor: "octocat", commentId: 901, ...over };
}

// --- applying what reconcile writes ---------------------------------------------------------

const TICKED: ReadonlySet<TaskState> = new Set(["merged", "skipped", "done"]);

/**
 * Orchestra's own changes applied to a plan, by task id, with the semantics of the checklist
 * writer: a field present with `undefined` is cleared, the checkbox follows the state. Returns a
 * new plan; the argument is left alone.
 */
export function applyTaskPatches(plan: Plan, patch: PlanPatch): Plan {
  if (patch.replacePending) throw new Error("decide() never re-plans; replacePending is not simulated");
  const next: Plan = structuredClone(plan);
  if (patch.status !== undefined) next.status = patch.status;
  if ("statusComment" in patch) {
    if (patch.statusComment) next.statusComment = patch.statusComment;
    else delete next.statusComment;
  }
  if (patch.runsDelta) next.runs = Math.max(0, next.runs + patch.runsDelta);
  for (const change of patch.tasks ?? []) {
    const task = next.tasks.find((candidate) => candidate.id === change.id);
    if (!task) continue;
    if (change.state !== undefined) task.state = change.state;
    if (change.attempt !== undefined) task.attempt = change.attempt;
    if (change.fixes !== undefined) task.fixes = change.fixes;
    for (const key of ["pr", "agent", "followup", "reason", "notBefore"] as const) {
      if (!(key in change)) continue;
      const value = change[key];
      if (value === undefined || value === "" || value === 0) delete task[key];
      else (task as unknown as Record<string, unknown>)[key] = value;
    }
  }
  for (const task of next.tasks) task.checked = TICKED.has(task.state);
  return next;
}

function mergeTaskPatches(patches: TaskPatch[]): TaskPatch[] {
  const byId = new Map<string, TaskPatch>();
  for (const patch of patches) byId.set(patch.id, { ...byId.get(patch.id), ...patch });
  return [...byId.values()];
}

// --- the world ------------------------------------------------------------------------------

/**
 * How a task's work goes: the first attempt may fail in one of Cursor's ways, or its PR may meet
 * red checks once, a merge conflict once, or a mergeability GitHub takes a while to compute.
 * Every scenario ends in a mergeable PR within the default budgets.
 */
export const TASK_SCENARIOS = [
  "clean",
  "agent-error",
  "agent-expired",
  "no-pr",
  "agent-forgotten",
  "ci-red-once",
  "conflict-once",
  "mergeable-computing",
] as const;
export type TaskScenario = (typeof TASK_SCENARIOS)[number];

interface WorldAgent {
  id: string;
  taskId: string;
  attempt: number;
  branch: string;
  status: string;
  /** What the agent does when it next finishes: its task, or a follow-up on its PR. */
  work: "task" | "followup";
}

interface WorldPr {
  number: number;
  taskId: string;
  branch: string;
  headSha: string;
  state: "open" | "closed" | "merged";
  mergeable: boolean | null;
  commits: number;
}

export interface WorldEvent {
  label: string;
  apply: () => void;
}

export interface StepFailure {
  /** Index of the step that throws (modulo the number of steps). */
  step: number;
  /** "before": the call never reached the service; "after": it took effect but the answer was lost. */
  when: "before" | "after";
}

class InjectedFailure extends Error {}

const LIVE = new Set(["CREATING", "RUNNING"]);

export class World {
  plan: Plan;
  readonly agents: WorldAgent[] = [];
  readonly prs: WorldPr[] = [];
  /** Check state per commit: a sha's checks never change once complete. */
  readonly checks = new Map<string, ChecksState>();
  readonly merges: Array<{ taskId: string; pr: number; sha: string }> = [];
  readonly comments: Array<{ key: string; body: string }> = [];
  /** Broken invariants, recorded the moment they happen (two live agents, a merge not green). */
  readonly violations: string[] = [];
  issueClosed = 0;
  /** Effects that took place but whose answer was lost: bookkeeping (runs, fixes) may differ. */
  lostResponses = 0;
  humanPushes = 0;
  private agentSerial = 0;

  constructor(
    plan: Plan,
    readonly scenarios: Readonly<Record<string, TaskScenario>>,
    readonly options: { humanPushes?: number } = {},
  ) {
    this.plan = structuredClone(plan);
  }

  // What reconcile.observe() would read.
  snapshot(intents: Intent[] = []): Snapshot {
    const observations: Record<string, TaskObservation> = {};
    for (const task of this.plan.tasks) {
      if (!["running", "pr_open", "merging"].includes(task.state) || task.attempt === 0) continue;
      const branch = branchName(ISSUE, task.id, task.attempt);
      const pr = this.prs.find((candidate) => candidate.branch === branch);
      const entry: TaskObservation = { branch, ...(pr ? { pr: this.view(pr) } : {}) };
      if (task.agent) {
        const agent = this.agents.find((candidate) => candidate.id === task.agent);
        entry.agent = agent ? { id: agent.id, status: agent.status } : null;
      }
      observations[task.id] = entry;
    }
    return makeSnapshot(structuredClone(this.plan), { observations, intents, issueState: this.issueClosed ? "closed" : "open" });
  }

  private view(pr: WorldPr): PullRequestView {
    const checks = this.checks.get(pr.headSha) ?? "none";
    return {
      number: pr.number,
      url: `https://github.com/${REPO.owner}/${REPO.name}/pull/${pr.number}`,
      state: pr.state,
      headRef: pr.branch,
      headSha: pr.headSha,
      baseRef: REPO.defaultBranch,
      sameRepo: true,
      isDraft: false,
      mergeable: pr.mergeable,
      checks,
      checksSha: pr.headSha,
      failingChecks: checks === "failure" ? [{ name: "test", summary: "1 test failed" }] : [],
      approved: false,
    };
  }

  // --- how the world moves on its own ---------------------------------------------------

  /** What can happen next, in a fixed order; `racing` adds people pushing to green PRs. */
  events(racing = false): WorldEvent[] {
    const events: WorldEvent[] = [];
    for (const agent of this.agents) {
      if (LIVE.has(agent.status)) events.push({ label: `${agent.id} finishes`, apply: () => this.finish(agent) });
    }
    for (const pr of this.prs) {
      if (pr.state !== "open") continue;
      if (this.checks.get(pr.headSha) === "pending") {
        events.push({ label: `CI completes on #${pr.number}`, apply: () => this.completeChecks(pr) });
      }
      if (pr.mergeable === null) {
        events.push({ label: `mergeability of #${pr.number} computed`, apply: () => (pr.mergeable = true) });
      }
      const pushesLeft = (this.options.humanPushes ?? 0) - this.humanPushes;
      if (racing && pushesLeft > 0 && this.checks.get(pr.headSha) === "success" && pr.mergeable === true) {
        events.push({ label: `a person pushes to #${pr.number}`, apply: () => this.humanPush(pr) });
      }
    }
    return events;
  }

  private finish(agent: WorldAgent): void {
    const scenario = this.scenarios[agent.taskId] ?? "clean";
    const pr = this.prs.find((candidate) => candidate.branch === agent.branch);
    if (agent.work === "followup") {
      if (pr?.state === "open") this.push(pr, true);
      agent.status = "FINISHED";
      return;
    }
    if (agent.attempt === 1 && scenario === "agent-error") agent.status = "ERROR";
    else if (agent.attempt === 1 && scenario === "agent-expired") agent.status = "EXPIRED";
    else if (agent.attempt === 1 && scenario === "no-pr") agent.status = "FINISHED";
    else if (agent.attempt === 1 && scenario === "agent-forgotten") this.agents.splice(this.agents.indexOf(agent), 1);
    else {
      const taskIndex = this.plan.tasks.findIndex((task) => task.id === agent.taskId);
      const opened: WorldPr = {
        number: 100 + taskIndex * 10 + agent.attempt,
        taskId: agent.taskId,
        branch: agent.branch,
        headSha: "",
        state: "open",
        mergeable: scenario === "conflict-once" ? false : scenario === "mergeable-computing" ? null : true,
        commits: 0,
      };
      this.prs.push(opened);
      this.push(opened, false);
      agent.status = "FINISHED";
    }
  }

  private push(pr: WorldPr, resolvesConflict: boolean): void {
    pr.commits += 1;
    pr.headSha = `${pr.branch.replace(/\W/g, "")}c${pr.commits}`;
    this.checks.set(pr.headSha, "pending");
    if (resolvesConflict) pr.mergeable = true;
  }

  private humanPush(pr: WorldPr): void {
    this.humanPushes += 1;
    pr.commits += 1;
    pr.headSha = `${pr.branch.replace(/\W/g, "")}h${pr.commits}`;
    this.checks.set(pr.headSha, "pending");
  }

  private completeChecks(pr: WorldPr): void {
    const redOnce = this.scenarios[pr.taskId] === "ci-red-once" && pr.commits === 1;
    this.checks.set(pr.headSha, redOnce ? "failure" : "success");
  }

  // --- carrying out a decision, as reconcile.act() does ----------------------------------

  execute(decision: Decision, failure?: StepFailure): void {
    const succeeded: TaskPatch[] = [];
    const notify: Notification[] = [];
    let runsDelta = 0;
    let allDone = true;
    const failing = failure && decision.steps.length > 0 ? failure.step % decision.steps.length : -1;
    for (const [index, step] of decision.steps.entries()) {
      let result: StepResult;
      try {
        if (failing === index && failure?.when === "before") throw new InjectedFailure("before");
        result = this.run(step);
        if (failing === index && failure?.when === "after") {
          this.lostResponses += 1;
          throw new InjectedFailure("after");
        }
      } catch {
        if (step.soft) {
          succeeded.push(...(step.onFailure ?? []));
          continue;
        }
        allDone = false;
        break;
      }
      if (result === "retry-later") {
        allDone = false;
        break;
      }
      succeeded.push(...(result.patch ?? []));
      runsDelta += result.runs ?? 0;
      notify.push(...(step.notify ?? []));
    }
    const patch: PlanPatch = {
      ...decision.patch,
      tasks: mergeTaskPatches([...(decision.patch.tasks ?? []), ...succeeded]),
      ...(runsDelta ? { runsDelta } : {}),
    };
    if (!allDone && decision.patch.status === "completed") delete patch.status;
    this.plan = applyTaskPatches(this.plan, patch);
    // Step notices first, then the decision's own, then those that need every step to have run.
    notify.push(...decision.notify, ...(allDone ? decision.final : []));
    for (const item of notify) if (item.kind === "comment") this.comments.push({ key: item.key, body: item.body });
    if (decision.closeIssue && allDone && this.plan.status === "completed") this.issueClosed += 1;
  }

  private run(step: Step): StepResult {
    const effect = step.effect;
    const done = { patch: step.onSuccess ?? [] };
    switch (effect.kind) {
      case "launch": {
        // Deterministic branch: an agent already working on it is found, not doubled.
        const existing = this.agents.find((agent) => agent.branch === effect.branch);
        const agent = existing ?? this.createAgent(effect.taskId, effect.attempt, effect.branch);
        return {
          patch: [
            {
              id: effect.taskId,
              state: "running",
              attempt: effect.attempt,
              agent: agent.id,
              pr: undefined,
              fixes: 0,
              followup: undefined,
              reason: undefined,
            },
          ],
          runs: existing ? 0 : 1,
        };
      }
      case "stop-agent": {
        const agent = this.agents.find((candidate) => candidate.id === effect.agentId);
        if (agent && LIVE.has(agent.status)) agent.status = "STOPPED";
        return done;
      }
      case "followup": {
        const agent = this.agents.find((candidate) => candidate.id === effect.agentId);
        if (!agent) throw new Error(`Cursor: 404 for ${effect.agentId}`);
        agent.status = "RUNNING";
        agent.work = "followup";
        this.checkLiveAgents();
        return done;
      }
      case "merge": {
        const pr = this.prs.find((candidate) => candidate.number === effect.pr);
        if (!pr) throw new Error(`GitHub: 404 for #${effect.pr}`);
        if (this.checks.get(effect.sha) !== "success") {
          this.violations.push(`merge of #${effect.pr} sent for ${effect.sha} whose checks are ${this.checks.get(effect.sha) ?? "absent"}`);
        }
        if (pr.state === "open" && pr.headSha === effect.sha && pr.mergeable !== false) {
          pr.state = "merged";
          this.merges.push({ taskId: effect.taskId, pr: pr.number, sha: effect.sha });
          return done;
        }
        // GitHub refused (head moved, conflict): reconcile re-reads the PR and tries later.
        return pr.state === "merged" ? done : "retry-later";
      }
      case "update-branch": {
        const pr = this.prs.find((candidate) => candidate.number === effect.pr);
        if (!pr || pr.state !== "open" || pr.headSha !== effect.sha) throw new Error("GitHub: 422 head moved");
        if (pr.mergeable === false) throw new Error("GitHub: 422 merge conflict");
        return done;
      }
      case "delete-branch":
        return done;
      case "close-pr": {
        const pr = this.prs.find((candidate) => candidate.number === effect.pr);
        if (pr?.state === "open") pr.state = "closed";
        return done;
      }
      case "close-out": {
        for (const agent of this.agents) if (agent.branch === effect.branch && LIVE.has(agent.status)) agent.status = "STOPPED";
        if (effect.closePull) for (const pr of this.prs) if (pr.branch === effect.branch && pr.state === "open") pr.state = "closed";
        return done;
      }
    }
  }

  private createAgent(taskId: string, attempt: number, branch: string): WorldAgent {
    this.agentSerial += 1;
    const taken = this.agents.some((agent) => agent.id === `bc-${taskId}-a${attempt}`);
    const id = taken ? `bc-${taskId}-a${attempt}-${this.agentSerial}` : `bc-${taskId}-a${attempt}`;
    const agent: WorldAgent = { id, taskId, attempt, branch, status: "RUNNING", work: "task" };
    this.agents.push(agent);
    this.checkLiveAgents();
    return agent;
  }

  /** Never two live agents working for one task. */
  private checkLiveAgents(): void {
    const live = new Map<string, string[]>();
    for (const agent of this.agents) {
      if (!LIVE.has(agent.status)) continue;
      live.set(agent.taskId, [...(live.get(agent.taskId) ?? []), agent.id]);
    }
    for (const [taskId, ids] of live) {
      if (ids.length > 1) this.violations.push(`two live agents for ${taskId}: ${ids.join(", ")}`);
    }
  }

  /** Everything that can change, for telling whether a reconcile did anything. */
  fingerprint(): string {
    return JSON.stringify([this.plan, this.agents, this.prs, [...this.checks], this.merges.length]);
  }
}

type StepResult = { patch?: TaskPatch[]; runs?: number } | "retry-later";

// --- driving it -----------------------------------------------------------------------------

export interface ReconcileOptions {
  intents?: Intent[];
  failure?: StepFailure;
  /** A world event (index into `events(true)`) that happens between observing and acting. */
  race?: number;
}

/** One reconcile: observe, decide, maybe let the world move, act. True when anything happened. */
export function reconcileOnce(world: World, config: OrchestraConfig, options: ReconcileOptions = {}): boolean {
  const before = world.fingerprint();
  const commentsBefore = world.comments.length;
  const decision = decide(world.snapshot(options.intents), config);
  if (options.race !== undefined) {
    const events = world.events(true);
    events[options.race % Math.max(1, events.length)]?.apply();
  }
  world.execute(decision, options.failure);
  return decision.steps.length > 0 || world.comments.length > commentsBefore || world.fingerprint() !== before;
}

/**
 * Resync until the world is quiet: reconcile until nothing happens, then let the next world
 * event happen, until none is left. False when it did not settle within `limit` rounds.
 */
export function settle(world: World, config: OrchestraConfig, limit = 1_000): boolean {
  for (let round = 0; round < limit; round++) {
    if (reconcileOnce(world, config)) continue;
    const [next] = world.events();
    if (!next) return true;
    next.apply();
  }
  return false;
}
