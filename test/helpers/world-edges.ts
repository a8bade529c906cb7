import type { CreateAgentInput, CursorAgent, CursorClient } from "../../src/cursor/client.js";
import { CursorApiError } from "../../src/cursor/errors.js";
import { classifyMergeRefusal, type GitHubGateway, type IssueRead, type MergeOutcome } from "../../src/github/gateway.js";
import type { Effect } from "../../src/orchestration/decide.js";
import type { WriteOp, WriteOutcome } from "../../src/github/write-batch.js";
import { ISSUE, type World } from "./world.js";

/**
 * The edges `act()` and the writers talk to, in memory, over a simulated World: what GitHub and
 * Cursor would answer, with a failure injected into one step's calls. Typed against the real
 * classes, so a changed signature breaks the build here rather than drifting unnoticed.
 */

/** What act(), the body writer and the status comment writer call on GitHub. */
export type WorldGitHubCalls = Pick<
  GitHubGateway,
  | "getIssue"
  | "updateIssueBody"
  | "createComment"
  | "findComment"
  | "updateComment"
  | "reactToComment"
  | "merge"
  | "getPullState"
  | "updateBranch"
  | "deleteBranch"
  | "closePull"
  | "closeIssue"
  | "openPullsForBranch"
  | "writeBatch"
  | "commentNodeId"
  | "markAnswered"
  | "answered"
>;

/** What act() calls on Cursor. */
export type WorldCursorCalls = Pick<CursorClient, "findAgentByBranch" | "createAgent" | "stop" | "followup">;

/** An error the simulated services answer with (or an injected failure): expected, never a bug. */
export class WorldError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export class InjectedFailure extends WorldError {
  constructor(when: "before" | "after") {
    super(when === "before" ? "502: the call never reached the service" : "502: the call took effect but its answer was lost", 502);
  }
}

/** The step a failure is injected into: its kind and what it acts on (a branch, an agent, a PR). */
export interface Fault {
  kind: Effect["kind"];
  id: string | number;
  when: "before" | "after";
}

export function faultFor(effect: Effect, when: "before" | "after"): Fault {
  switch (effect.kind) {
    case "launch":
    case "delete-branch":
    case "close-out":
      return { kind: effect.kind, id: effect.branch, when };
    case "stop-agent":
    case "followup":
      return { kind: effect.kind, id: effect.agentId, when };
    case "merge":
    case "update-branch":
    case "close-pr":
    case "audit":
      return { kind: effect.kind, id: effect.pr, when };
    case "close-issue":
      return { kind: effect.kind, id: effect.issue, when };
  }
}

type Call = [Fault["kind"], string | number];

/**
 * Fails the call if the armed fault is for one of `calls`: "before" on a step's first call (it
 * never reached the service), "after" on the call that carries its effect (done, answer lost).
 * A fault strikes once; one whose call never comes (a launch that finds its agent) does not.
 */
function strike(world: World, when: Fault["when"], ...calls: Call[]): void {
  const fault = world.fault;
  if (!fault || fault.when !== when || !calls.some(([kind, id]) => kind === fault.kind && id === fault.id)) return;
  world.fault = undefined;
  if (when === "after") world.lostResponses += 1;
  throw new InjectedFailure(when);
}

const BOT = "orchestra[bot]";

export class WorldGitHub implements WorldGitHubCalls {
  constructor(private readonly world: World) {}

  async getIssue(issueNumber: number): Promise<IssueRead> {
    const { world } = this;
    return {
      id: world.issue.id,
      number: issueNumber,
      title: world.issue.title,
      body: world.body,
      state: world.issueClosed ? "closed" : "open",
      counts: { edits: world.issue.edits, renames: 0 },
    };
  }

  async updateIssueBody(_issueNumber: number, body: string): Promise<void> {
    this.world.body = body;
    this.world.issue.edits += 1;
  }

  async closeIssue(): Promise<void> {
    this.world.issueClosed += 1;
  }

  async createComment(target: number, body: string): Promise<number> {
    const id = 5_000 + this.world.allComments.length;
    this.world.allComments.push({ id, target, body, author: BOT });
    return id;
  }

  async updateComment(commentId: number, body: string): Promise<boolean> {
    const comment = this.world.allComments.find((candidate) => candidate.id === commentId && !candidate.deleted);
    if (!comment) return false;
    comment.body = body;
    return true;
  }

  /** Newest first, Orchestra's own comments only, as the real gateway searches. */
  async findComment(target: number, marker: string): Promise<number | null> {
    const found = this.world.allComments.filter(
      (comment) => comment.target === target && !comment.deleted && comment.author === BOT && comment.body.includes(marker),
    );
    return found.at(-1)?.id ?? null;
  }

  async reactToComment(commentId: number, content: "eyes" | "rocket" | "confused"): Promise<void> {
    this.world.reactions.push({ commentId, content });
  }

  /** The writes of one request, in order, as the single writes above do them. */
  async writeBatch(ops: WriteOp[]): Promise<WriteOutcome[]> {
    const outcomes: WriteOutcome[] = [];
    for (const op of ops) {
      if (op.kind === "update-issue") await this.updateIssueBody(ISSUE, op.body);
      else if (op.kind === "close-issue") await this.closeIssue();
      else if (op.kind === "add-comment") {
        outcomes.push({ ok: true, commentId: await this.createComment(ISSUE, op.body) });
        continue;
      } else this.world.violations.push(`a batched ${op.kind} the simulated world cannot name a target of`);
      outcomes.push({ ok: true });
    }
    return outcomes;
  }

  /** The world's comments have no node ids: their edits go alone. */
  commentNodeId(): string | undefined {
    return undefined;
  }

  markAnswered(): void {}

  answered(): boolean {
    return false;
  }

  /** GitHub's answers: 409 when the head moved, 405 when it cannot merge (already merged included). */
  async merge(pullNumber: number, sha: string): Promise<MergeOutcome> {
    const { world } = this;
    strike(world, "before", ["merge", pullNumber]);
    const pr = world.prs.find((candidate) => candidate.number === pullNumber);
    if (!pr) throw new WorldError(`GitHub: 404 for pull request #${pullNumber}`, 404);
    const checks = world.checks.get(sha);
    if (checks !== "success") world.violations.push(`merge of #${pullNumber} sent for ${sha} whose checks are ${checks ?? "absent"}`);
    let outcome: MergeOutcome;
    if (pr.state === "open" && pr.headSha !== sha) outcome = refusal(409, "Head branch was modified. Review and try the merge again.");
    else if (pr.state !== "open" || pr.mergeable === false) outcome = refusal(405, "Pull Request is not mergeable");
    else {
      pr.state = "merged";
      world.merges.push({ taskId: pr.taskId, pr: pr.number, sha });
      outcome = { merged: true, sha: `merge-of-${sha}` };
    }
    strike(world, "after", ["merge", pullNumber]);
    return outcome;
  }

  async getPullState(pullNumber: number): Promise<{ merged: boolean; state: string; headSha: string }> {
    const pr = this.world.prs.find((candidate) => candidate.number === pullNumber);
    if (!pr) throw new WorldError(`GitHub: 404 for pull request #${pullNumber}`, 404);
    return { merged: pr.state === "merged", state: pr.state === "open" ? "open" : "closed", headSha: pr.headSha };
  }

  async updateBranch(pullNumber: number, sha: string): Promise<void> {
    const { world } = this;
    strike(world, "before", ["update-branch", pullNumber]);
    const pr = world.prs.find((candidate) => candidate.number === pullNumber);
    if (!pr || pr.state !== "open" || pr.headSha !== sha) throw new WorldError("GitHub: 422 expected head sha didn't match current head ref.", 422);
    if (pr.mergeable === false) throw new WorldError("GitHub: 422 merge conflict between base and head", 422);
    strike(world, "after", ["update-branch", pullNumber]);
  }

  async deleteBranch(branch: string): Promise<void> {
    strike(this.world, "before", ["delete-branch", branch]);
    this.world.deletedBranches.push(branch);
    strike(this.world, "after", ["delete-branch", branch], ["close-out", branch]);
  }

  async closePull(pullNumber: number): Promise<void> {
    strike(this.world, "before", ["close-pr", pullNumber]);
    const pr = this.world.prs.find((candidate) => candidate.number === pullNumber);
    if (pr?.state === "open") pr.state = "closed";
    strike(this.world, "after", ["close-pr", pullNumber]);
  }

  async openPullsForBranch(branch: string): Promise<number[]> {
    return this.world.prs.filter((pr) => pr.branch === branch && pr.state === "open").map((pr) => pr.number);
  }
}

function refusal(status: number, message: string): MergeOutcome {
  return { merged: false, status, message, cause: classifyMergeRefusal(status, message) };
}

export class WorldCursor implements WorldCursorCalls {
  constructor(private readonly world: World) {}

  /** Cursor lists the newest agents first. */
  async findAgentByBranch(repository: string, branchName: string): Promise<CursorAgent | null> {
    const { world } = this;
    strike(world, "before", ["launch", branchName], ["close-out", branchName]);
    const agent = [...world.agents].reverse().find((candidate) => candidate.branch === branchName && sameRepository(candidate.repository, repository));
    // A launch that finds its agent is done: losing this answer loses the launch's.
    if (agent) strike(world, "after", ["launch", branchName]);
    return agent ? world.cursorView(agent) : null;
  }

  async createAgent(input: CreateAgentInput): Promise<CursorAgent> {
    const agent = this.world.createAgent(input.branchName, input.repository);
    strike(this.world, "after", ["launch", input.branchName]);
    return this.world.cursorView(agent);
  }

  /** An agent that is gone or already finished counts as stopped, as the real client says. */
  async stop(id: string): Promise<void> {
    strike(this.world, "before", ["stop-agent", id]);
    const agent = this.world.agents.find((candidate) => candidate.id === id);
    // Cursor reports a stopped agent as FINISHED (see the sandbox's fake Cursor).
    if (agent && isRunning(agent.status)) agent.status = "FINISHED";
    strike(this.world, "after", ["stop-agent", id]);
  }

  async followup(id: string): Promise<void> {
    strike(this.world, "before", ["followup", id]);
    const agent = this.world.agents.find((candidate) => candidate.id === id);
    if (!agent) throw new CursorApiError(`Cursor does not know the agent ${id} (404)`, { status: 404, retryable: false });
    if (agent.status === "EXPIRED") throw new CursorApiError(`Agent ${id} has expired and cannot take follow-ups (409)`, { status: 409, retryable: false });
    agent.status = "RUNNING";
    agent.work = "followup";
    this.world.checkLiveAgents();
    strike(this.world, "after", ["followup", id]);
  }
}

export function isRunning(status: string): boolean {
  return status === "CREATING" || status === "RUNNING";
}

function sameRepository(a: string, b: string): boolean {
  return a.replace(/\/+$/, "").toLowerCase() === b.replace(/\/+$/, "").toLowerCase();
}
