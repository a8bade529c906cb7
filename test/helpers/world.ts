import { createHash } from "node:crypto";
import pino from "pino";
import type { CursorAgent, CursorClient } from "../../src/cursor/client.js";
import { CursorApiError } from "../../src/cursor/errors.js";
import type { GitHubGateway } from "../../src/github/gateway.js";
import { act } from "../../src/orchestration/act.js";
import { AgentCache } from "../../src/orchestration/agent-cache.js";
import { parseBody, renderBody } from "../../src/orchestration/checklist.js";
import { DEFAULT_CONFIG, type OrchestraConfig } from "../../src/orchestration/config.js";
import { decide, type Decision } from "../../src/orchestration/decide.js";
import { branchName, parseBranchName } from "../../src/orchestration/naming.js";
import type { EpicRef, ReconcileDeps } from "../../src/orchestration/reconcile-deps.js";
import type { AgentView, ChecksState, Intent, PullRequestView, Snapshot, TaskObservation } from "../../src/orchestration/snapshot.js";
import { STATUS_MARKER } from "../../src/orchestration/status-comment.js";
import { contentDigest } from "../../src/orchestration/trust/content-digest.js";
import { deriveStateKeys } from "../../src/orchestration/trust/state-mac.js";
import type { ParsedBody, Plan, Task } from "../../src/orchestration/types.js";
import { ISSUE_NODE_ID, TEST_STATE_SECRET, testSigner } from "./signing.js";
import { faultFor, isRunning, WorldCursor, WorldError, WorldGitHub, type Fault } from "./world-edges.js";

/**
 * Builders for `decide()` inputs, and a simulated world (the epic's issue, GitHub pull requests
 * and checks, Cursor agents) in which decisions are carried out by the real `act()`, through
 * in-memory edges (world-edges.ts). Everything is in memory and deterministic: the same plan,
 * scenarios and schedule give the same run.
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

export interface WorldAgent {
  id: string;
  taskId: string;
  attempt: number;
  branch: string;
  repository: string;
  status: string;
  /** What the agent does when it next finishes: its task, or a follow-up on its PR. */
  work: "task" | "followup";
}

export interface WorldPr {
  number: number;
  taskId: string;
  branch: string;
  headSha: string;
  state: "open" | "closed" | "merged";
  mergeable: boolean | null;
  commits: number;
}

/** A comment on the epic or a PR; every comment in this world is Orchestra's. */
export interface WorldComment {
  id: number;
  target: number;
  body: string;
  author: string;
  deleted?: boolean;
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

/** The epic's issue: its title and text, and the key its state is signed with. */
const TITLE = "The shop";
const EPIC_TEXT = "Build the shop.\n\n";
export const REF: EpicRef = { installationId: 1, owner: REPO.owner, repo: REPO.name, issueNumber: ISSUE };
const WEB_URL = "https://github.com";
const STATE_KEYS = deriveStateKeys([TEST_STATE_SECRET]);
const VERIFIER = testSigner(ISSUE_NODE_ID);
const SILENT = pino({ level: "silent" });

/** A commit's sha, 40 hex digits as GitHub's: what Orchestra keys on (a prefix of it) must differ per commit. */
function commitSha(what: string): string {
  return createHash("sha1").update(what).digest("hex");
}

/** The plan as Orchestra writes it when planning: signed for this issue, its text accepted. */
function writtenBody(plan: Plan): string {
  const parsed: ParsedBody = { before: EPIC_TEXT, after: "", eol: "\n", plan: structuredClone(plan) };
  parsed.plan!.accepted = contentDigest(TITLE, parsed);
  return renderBody(parsed, VERIFIER);
}

/**
 * GitHub pull requests and checks, Cursor agents, and the epic's issue (its body as text, signed),
 * moving on their own through `events()`. Orchestra acts on it through the real `act()` and
 * writers, over the in-memory edges of world-edges.ts.
 */
export class World {
  /** The issue body, as GitHub stores it: Orchestra's block signed, read back with the real parser. */
  body: string;
  readonly issue = { id: ISSUE_NODE_ID, title: TITLE, edits: 0 };
  readonly agents: WorldAgent[] = [];
  readonly prs: WorldPr[] = [];
  /** Check state per commit: a sha's checks never change once complete. */
  readonly checks = new Map<string, ChecksState>();
  readonly merges: Array<{ taskId: string; pr: number; sha: string }> = [];
  readonly allComments: WorldComment[] = [];
  readonly reactions: Array<{ commentId: number; content: string }> = [];
  readonly deletedBranches: string[] = [];
  /** Commits people pushed (the others are agents'). */
  readonly personShas = new Set<string>();
  /** Broken invariants, recorded the moment they happen (two live agents, a merge not green). */
  readonly violations: string[] = [];
  issueClosed = 0;
  /** Effects that took place but whose answer was lost: bookkeeping (fixes) may differ. */
  lostResponses = 0;
  humanPushes = 0;
  /** The failure injected into the decision being carried out. */
  fault: Fault | undefined;
  /** One process's dependencies: its caches live as long as the world. */
  readonly deps: ReconcileDeps;
  private agentSerial = 0;

  constructor(
    plan: Plan,
    readonly scenarios: Readonly<Record<string, TaskScenario>>,
    readonly options: { humanPushes?: number } = {},
  ) {
    this.body = writtenBody(plan);
    this.deps = reconcileDeps(this);
  }

  /** The body read as reconcile reads it: only what Orchestra signed for this issue is believed. */
  parsed(): ParsedBody {
    const result = parseBody(this.body, { verifier: VERIFIER });
    if (!result.ok) throw new Error(`the world's issue body does not parse: ${result.error}`);
    return result.parsed;
  }

  get plan(): Plan {
    const plan = this.parsed().plan;
    if (!plan) throw new Error("the world's issue body has no plan");
    return plan;
  }

  /** Orchestra's notices (not the status comment), by key, without their marker. */
  get comments(): Array<{ key: string; body: string; target: number }> {
    return this.allComments
      .filter((comment) => !comment.deleted && !comment.body.includes(STATUS_MARKER))
      .map((comment) => {
        const marked = /^<!-- orchestra:comment key=(\S+) -->\n/.exec(comment.body);
        return {
          key: marked ? decodeURIComponent(marked[1]!) : "",
          body: marked ? comment.body.slice(marked[0].length) : comment.body,
          target: comment.target,
        };
      });
  }

  get statusComment(): WorldComment | undefined {
    return this.allComments.find((comment) => !comment.deleted && comment.body.includes(STATUS_MARKER));
  }

  // What reconcile.observe() would read.
  snapshot(intents: Intent[] = []): Snapshot {
    const parsed = this.parsed();
    const observations: Record<string, TaskObservation> = {};
    for (const task of parsed.plan?.tasks ?? []) {
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
    return {
      now: NOW,
      repo: { ...REPO },
      issue: { number: ISSUE, title: TITLE, state: this.issueClosed ? "closed" : "open", body: this.body },
      parsed,
      observations,
      intents,
    };
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
      if (isRunning(agent.status)) events.push({ label: `${agent.id} finishes`, apply: () => this.finish(agent) });
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
      // t1's first PR is #101, t2's second #112: unique, and readable in the tests.
      const opened: WorldPr = {
        number: 100 + (Number(agent.taskId.slice(1)) - 1) * 10 + agent.attempt,
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
    pr.headSha = commitSha(`${pr.branch} by its agent, commit ${pr.commits}`);
    this.checks.set(pr.headSha, "pending");
    if (resolvesConflict) pr.mergeable = true;
  }

  private humanPush(pr: WorldPr): void {
    this.humanPushes += 1;
    pr.commits += 1;
    pr.headSha = commitSha(`${pr.branch} by a person, commit ${pr.commits}`);
    this.personShas.add(pr.headSha);
    this.checks.set(pr.headSha, "pending");
  }

  private completeChecks(pr: WorldPr): void {
    const redOnce = this.scenarios[pr.taskId] === "ci-red-once" && pr.commits === 1;
    this.checks.set(pr.headSha, redOnce ? "failure" : "success");
  }

  /** A person deletes a task's item from the issue body (GitHub counts the edit). */
  personDeletes(taskId: string): void {
    this.body = this.body
      .split("\n")
      .filter((line) => !line.includes(`<!-- orchestra:task id=${taskId} `))
      .join("\n");
    this.issue.edits += 1;
  }

  // --- what Cursor does when asked (see world-edges.ts) ---------------------------------

  /** A new agent on a task branch (`orchestra/42-t1-a1`). */
  createAgent(branch: string, repository: string): WorldAgent {
    const { taskId, attempt } = parseBranchName(branch) ?? { taskId: branch, attempt: 0 };
    this.agentSerial += 1;
    const taken = this.agents.some((agent) => agent.id === `bc-${taskId}-a${attempt}`);
    const id = taken ? `bc-${taskId}-a${attempt}-${this.agentSerial}` : `bc-${taskId}-a${attempt}`;
    const agent: WorldAgent = { id, taskId, attempt, branch, repository, status: "RUNNING", work: "task" };
    this.agents.push(agent);
    this.checkLiveAgents();
    return agent;
  }

  cursorView(agent: WorldAgent): CursorAgent {
    // Cursor reports the PR its agent opened.
    const pr = this.prs.find((candidate) => candidate.branch === agent.branch);
    return {
      id: agent.id,
      status: agent.status,
      source: { repository: agent.repository, ref: REPO.defaultBranch },
      target: {
        branchName: agent.branch,
        autoCreatePr: true,
        ...(pr ? { prUrl: `https://github.com/${REPO.owner}/${REPO.name}/pull/${pr.number}` } : {}),
      },
      createdAt: new Date(NOW).toISOString(),
    };
  }

  /** Never two live agents working for one task. */
  checkLiveAgents(): void {
    const live = new Map<string, string[]>();
    for (const agent of this.agents) {
      if (!isRunning(agent.status)) continue;
      live.set(agent.taskId, [...(live.get(agent.taskId) ?? []), agent.id]);
    }
    for (const [taskId, ids] of live) {
      if (ids.length > 1) this.violations.push(`two live agents for ${taskId}: ${ids.join(", ")}`);
    }
  }

  // --- carrying out a decision: the real act() ------------------------------------------

  /**
   * Carries out `decision` with the real `act()`, the failure (if any) injected into one of its
   * steps. `snapshot` is what the decision was made on (by default, the world as it is now).
   */
  async execute(decision: Decision, failure?: StepFailure, snapshot = this.snapshot(), config: OrchestraConfig = DEFAULT_CONFIG): Promise<void> {
    const failing = failure && decision.steps.length > 0 ? decision.steps[failure.step % decision.steps.length] : undefined;
    this.fault = failing && failure ? faultFor(failing.effect, failure.when) : undefined;
    try {
      const outcome = await act(REF, snapshot, decision, config, this.deps, SILENT);
      // A failed step is retried by the next reconcile; one the world did not cause is a bug.
      if (outcome.error && !(outcome.error instanceof WorldError || outcome.error instanceof CursorApiError)) {
        this.violations.push(`act failed: ${String(outcome.error)}`);
      }
    } finally {
      this.fault = undefined;
    }
  }

  /** Everything that can change, for telling whether a reconcile did anything. */
  fingerprint(): string {
    return JSON.stringify([this.body, this.agents, this.prs, [...this.checks], this.merges.length]);
  }
}

/**
 * What a reconcile works with, built once per world (one process): the real caches and signing
 * keys, the in-memory edges. The one place the edges stand in for the real classes: any other
 * method act() reaches for is recorded as a violation, not silently absent.
 */
function reconcileDeps(world: World): ReconcileDeps {
  const modelled = <T extends object>(edge: T, name: string): T =>
    new Proxy(edge, {
      get(target, property, receiver) {
        if (typeof property === "string" && !(property in target)) {
          world.violations.push(`act() called ${name}.${property}, which the simulated world does not model`);
          throw new Error(`${name}.${property} is not modelled`);
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
  return {
    gateway: modelled(new WorldGitHub(world), "gateway") as unknown as GitHubGateway,
    cursor: modelled(new WorldCursor(world), "cursor") as unknown as CursorClient,
    loadConfig: async () => ({ ok: true, config: DEFAULT_CONFIG }),
    plan: async () => {
      throw new Error("the simulated world never plans");
    },
    repoContext: async () => {
      throw new Error("the simulated world never plans");
    },
    agents: new AgentCache(),
    statusCache: new Map(),
    branchCache: new Map(),
    reported: new Map(),
    stateKeys: STATE_KEYS,
    canWrite: async () => true,
    appSlug: async () => "orchestra",
    webUrl: WEB_URL,
    log: SILENT,
    now: () => NOW,
  };
}

// --- driving it -----------------------------------------------------------------------------

export interface ReconcileOptions {
  intents?: Intent[];
  failure?: StepFailure;
  /** A world event (index into `events(true)`) that happens between observing and acting. */
  race?: number;
}

/** One reconcile: observe, decide, maybe let the world move, act. True when anything happened. */
export async function reconcileOnce(world: World, config: OrchestraConfig, options: ReconcileOptions = {}): Promise<boolean> {
  const before = world.fingerprint();
  const commentsBefore = world.allComments.length;
  const snapshot = world.snapshot(options.intents);
  const decision = decide(snapshot, config);
  if (options.race !== undefined) {
    const events = world.events(true);
    events[options.race % Math.max(1, events.length)]?.apply();
  }
  await world.execute(decision, options.failure, snapshot, config);
  return decision.steps.length > 0 || world.allComments.length > commentsBefore || world.fingerprint() !== before;
}

/**
 * Resync until the world is quiet: reconcile until nothing happens, then let the next world
 * event happen, until none is left. False when it did not settle within `limit` rounds.
 */
export async function settle(world: World, config: OrchestraConfig, limit = 1_000): Promise<boolean> {
  for (let round = 0; round < limit; round++) {
    if (await reconcileOnce(world, config)) continue;
    const [next] = world.events();
    if (!next) return true;
    next.apply();
  }
  return false;
}
