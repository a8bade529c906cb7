import { LRUCache } from "lru-cache";
import { normalizeRepository } from "./agent.js";
import type { CreateAgentInput, CursorAgent, CursorClient } from "./client.js";
import { parseBranchName } from "../orchestration/naming.js";

/**
 * Never two agents for one attempt, without asking Cursor before every launch. An attempt's
 * branch is deterministic, so an agent a launch created is found by its branch; the question is
 * only when one may exist although the issue body does not record it:
 * - this process sent a create for the attempt and did not see the body record its agent since
 *   (the create timed out or failed with a 5xx, or the body write after it failed): the attempt
 *   is "in doubt" until the body records it, and its next launch looks first;
 * - a process before this one did so and died in between (a crash, a SIGKILL, a redeploy): every
 *   such create was sent before this process's first launch, so one listing of Cursor's newest
 *   agents, taken then, shows them all (as far as the one page the lookup always read).
 * Any other launch is the attempt's first: one call, the create. And an epic whose first run began
 * after this process started (its tasks never launched, every start command newer than the
 * process) cannot have an attempt launched by a process before: no listing for it at all.
 */
export interface LaunchLedger {
  /** The agent an earlier launch of this attempt created, when one may have; null when none did. */
  existing(cursor: CursorClient, repository: string, branch: string): Promise<CursorAgent | null>;
  /** Creates the attempt's agent; the attempt is in doubt from before the request until recorded. */
  create(cursor: CursorClient, input: CreateAgentInput): Promise<CursorAgent>;
  /** The issue body now records the agent of every attempt of `branches`. */
  recorded(repository: string, branches: string[]): void;
  /**
   * The epic `issueNumber` never ran (no task ever launched) and every command starting it was
   * written at `startedAt` (ms, GitHub's clock) or later: its first run begins now.
   */
  firstRun?(repository: string, issueNumber: number, startedAt: number): void;
}

/** GitHub's clock may run ahead of ours by this much; a command closer to our start may be older. */
const CLOCK_MARGIN_MS = 2_000;

/** Pages of Cursor's newest agents the lookup reads, as it always has: a crashed launch is among the newest. */
const LOOKUP_PAGES = 1;

/**
 * When other processes may launch for the same epics (REDIS_URL: an epic moves between processes
 * and one may die mid-launch at any time), the lookup precedes every launch, as it always did.
 */
export const lookBeforeEveryLaunch: LaunchLedger = {
  existing: (cursor, repository, branch) => cursor.findAgentByBranch(repository, branch, LOOKUP_PAGES),
  create: (cursor, input) => cursor.createAgent(input),
  recorded: () => {},
};

/** The embedded default: one process launches every agent, and remembers what it left in doubt. */
export class ProcessLaunchLedger implements LaunchLedger {
  /** Attempts whose create this process sent, until the body records them. Never evicted. */
  private readonly inDoubt = new Set<string>();
  /** Agents on Orchestra's branches that Cursor listed at this process's first launch. */
  private before?: Promise<Map<string, CursorAgent>>;

  /** Epics whose first run began after this process started (bounded: a forgotten one is listed for, as before). */
  private readonly bornHere = new LRUCache<string, true>({ max: 10_000 });
  private readonly startedAt: number;

  /** Past this many attempts in doubt (a Cursor that keeps failing), every launch looks first. */
  constructor(
    private readonly maxInDoubt = 10_000,
    now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  async existing(cursor: CursorClient, repository: string, branch: string): Promise<CursorAgent | null> {
    const key = attemptKey(repository, branch);
    if (this.inDoubt.has(key) || this.inDoubt.size >= this.maxInDoubt) {
      return cursor.findAgentByBranch(repository, branch, LOOKUP_PAGES);
    }
    const parsed = parseBranchName(branch);
    if (parsed && this.bornHere.has(epicOf(repository, parsed.issueNumber))) return null;
    return (await this.agentsBeforeStart(cursor)).get(key) ?? null;
  }

  firstRun(repository: string, issueNumber: number, startedAt: number): void {
    // A process before this one died before this command was written: it never saw the epic run.
    if (startedAt >= this.startedAt + CLOCK_MARGIN_MS) this.bornHere.set(epicOf(repository, issueNumber), true);
  }

  async create(cursor: CursorClient, input: CreateAgentInput): Promise<CursorAgent> {
    // Before the request: a crash of the reconcile (not of the process) after Cursor took it
    // leaves the attempt in doubt, and its next launch looks first.
    this.inDoubt.add(attemptKey(input.repository, input.branchName));
    return cursor.createAgent(input);
  }

  recorded(repository: string, branches: string[]): void {
    for (const branch of branches) {
      const key = attemptKey(repository, branch);
      this.inDoubt.delete(key);
      void this.before?.then((agents) => agents.delete(key), () => undefined);
    }
  }

  /** Cursor's newest agents, listed once (again after a failure): what a process before this one may have left. */
  private agentsBeforeStart(cursor: CursorClient): Promise<Map<string, CursorAgent>> {
    this.before ??= (async () => {
      const agents = new Map<string, CursorAgent>();
      let page: string | undefined;
      for (let i = 0; i < LOOKUP_PAGES; i++) {
        const result = await cursor.listAgents(page ? { limit: 100, cursor: page } : { limit: 100 });
        for (const agent of result.agents) {
          const branch = agent.target.branchName;
          // Only Orchestra's branches matter; the rest of the account's agents are not kept.
          if (!branch || !parseBranchName(branch)) continue;
          const key = attemptKey(agent.source.repository, branch);
          if (!agents.has(key)) agents.set(key, agent);
        }
        if (!result.nextCursor) break;
        page = result.nextCursor;
      }
      return agents;
    })();
    this.before.catch(() => (this.before = undefined));
    return this.before;
  }
}

function epicOf(repository: string, issueNumber: number): string {
  return `${normalizeRepository(repository)}#${issueNumber}`;
}

function attemptKey(repository: string, branch: string): string {
  return `${normalizeRepository(repository)}#${branch}`;
}
