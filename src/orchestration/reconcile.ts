import type { Logger } from "pino";
import { act } from "./act.js";
import { announce, eventSubject } from "./announce.js";
import { transitionEvents } from "./epic-events.js";
import { parseBody } from "./checklist.js";
import { commentOnce } from "./comment-once.js";
import { restoreOverwrittenEdit, writeBody } from "./body-writer.js";
import { checkContent } from "./content-trust.js";
import { isKeyRejected } from "../cursor/errors.js";
import { adoptUnsignedBlock, holdUnlabelled } from "./epic-guards.js";
import { createStateSigner } from "./trust/state-mac.js";
import { decide, type Decision } from "./decide.js";
import * as messages from "./messages.js";
import { activeBranches, branchName, epicKey, pullNumberOf } from "./naming.js";
import { planEpic } from "./plan-epic.js";
import { observeChildren } from "./children-read.js";
import { createPlannedSubIssues } from "./plan-sub-issues.js";
import { PLAN_FAILED_MARKER } from "./plan-epic.js";
import { readCommands, type CommandsRead } from "./read-commands.js";
import type { EpicRef, ReconcileDeps, ReconcileResult } from "./reconcile-deps.js";
import type { AgentView, Intent, PullRequestView, Snapshot, TaskObservation } from "./snapshot.js";
import { ACTIVE_STATES, type Plan } from "./types.js";
import type { IssueRead, SnapshotRead } from "../github/gateway.js";

export type { EpicRef, ReconcileDeps, ReconcileResult } from "./reconcile-deps.js";

/**
 * observe -> decide -> act, for one epic. Runs under the scheduler's per-epic lock, so it is
 * the only writer of its epic; every step is safe to repeat if the process dies half-way.
 */

/** Steps that only talk to Cursor: the snapshot of GitHub they were decided on still holds after them. */
const SNAPSHOT_KEEPING_EFFECTS = new Set(["launch", "stop-agent", "followup"]);

/** Agents without a PR are polled at most this often when no webhook tells us they changed. */
export const AGENT_POLL_MS = 30_000;

export async function reconcile(ref: EpicRef, hints: Intent[], deps: ReconcileDeps): Promise<ReconcileResult> {
  let keep = false;
  try {
    return await reconcileEpic(ref, hints, deps, () => (keep = true));
  } finally {
    // Only a pass that got to its decision and changed nothing on GitHub leaves the snapshot for the next check.
    if (!keep) deps.snapshot?.invalidate();
  }
}

async function reconcileEpic(ref: EpicRef, hints: Intent[], deps: ReconcileDeps, keepSnapshot: () => void): Promise<ReconcileResult> {
  let intents = hints;
  const log = deps.log.child({ epic: `${ref.owner}/${ref.repo}#${ref.issueNumber}` });
  const { gateway } = deps;
  const configResult = await deps.loadConfig();
  if (!configResult.ok) {
    await commentOnce(deps, ref.issueNumber, "config-invalid", messages.configInvalid(configResult.error));
    log.warn({ error: configResult.error }, "invalid .github/orchestra.yml; nothing else done");
    return {};
  }
  const config = configResult.config;

  // Orchestra's own audit check runs are told apart by the App's id: asked only with the audit on.
  const ownAppId = config.audit.enabled && deps.appId ? await deps.appId() : undefined;
  const read = await readState(ref, deps, ownAppId);
  if (!read) return {};
  const { observed, parsedResult } = read;
  const issue = observed.issue!;
  if (await restoreOverwrittenEdit(ref, deps, log)) return { wakeAfterMs: 0 };
  // Orchestra acts only on epics: an issue carrying the label, which only triage or write can set.
  if (!(issue.labels ?? []).some((label) => label.toLowerCase() === config.label.toLowerCase())) {
    await holdUnlabelled(ref, parsedResult, config.label, deps, log);
    return {};
  }
  if (!parsedResult.ok) {
    await commentOnce(deps, ref.issueNumber, "body-invalid", messages.bodyParseError(parsedResult.error));
    log.warn({ error: parsedResult.error }, "issue body cannot be parsed; waiting for a person to fix it");
    return {};
  }
  const parsed = parsedResult.parsed;
  if (parsed.plan && parsed.trust && !parsed.trust.plan) {
    await adoptUnsignedBlock(ref, issue.title, parsed, deps, log);
    return { wakeAfterMs: 0 };
  }

  // A label whose webhook was lost (or came while the app was down): the resync plans the issue,
  // if a writer added the label and no earlier attempt at planning it failed.
  if (!parsed.plan && issue.state === "open" && !intents.some((intent) => intent.kind === "plan" || intent.kind === "command")) {
    const planner = await labelledByWriter(ref, config.label, deps);
    if (planner) intents = [...intents, { kind: "plan", actor: planner }];
  }
  // With a plan, commands come from the comments after the block's cursor; webhooks only carry
  // what has no comment (a label, agents to stop). Without one, the webhook's commands are all.
  const commands = parsed.plan ? await readCommands(ref.issueNumber, parsed.plan, observed, intents, deps) : undefined;
  if (commands) {
    deferPlanBehindEarlierCommands(commands);
    intents = [...intents.filter((intent) => intent.kind === "plan" || intent.kind === "stop-agents" || intent.kind === "child-links"), ...commands.intents];
  }
  const planIntents = intents.filter(
    (intent) => intent.kind === "plan" || (intent.kind === "command" && intent.command.name === "plan"),
  );
  // Whether the text agents read is accepted, before anything reads it: the planner included.
  const trust = parsed.plan ? await checkContent(issue, parsed, parsed.plan, deps) : undefined;
  if (trust && !trust.accepted) log.warn({ editors: trust.editors, changed: trust.changed, reason: trust.reason }, "the epic's text changed without a writer's approval");
  // Re-planning would hand the planner (and then agents) text nobody with write access accepted:
  // decide() refuses such a `/orchestra plan`, its reply going out with the cursor's write.
  const planRefused = planIntents.length > 0 && issue.state === "open" && trust !== undefined && !trust.accepted;
  if (planIntents.length > 0 && issue.state === "open" && !planRefused) {
    // Up to the plan's own comment: commands after it are read by the next reconcile, not lost.
    const planComment = planIntents.find((intent) => intent.kind === "command")?.commentId;
    const cursor = planComment ?? commands?.cursor ?? Math.max(0, ...observed.comments.map((comment) => comment.id));
    // The other commands of the plan's own comment: the cursor moves past them with the plan.
    const alongside = intents.filter((intent) => intent.kind === "command" && planComment !== undefined && intent.commentId === planComment && !planIntents.includes(intent));
    const planned = await planEpic(ref, deps, config, parsed.plan, [...planIntents, ...alongside], issue, cursor, log);
    if (planned) {
      for (const intent of alongside) {
        if (intent.kind !== "command" || intent.command.name === "start" || intent.command.name === "resume") continue;
        await gateway.createComment(intent.target ?? ref.issueNumber, messages.commandReply(intent.command.line, "not carried out: it came in the same comment as `/orchestra plan`. Post it again now that the plan is written."));
      }
      return { wakeAfterMs: 0 };
    }
  }
  if (!parsed.plan) {
    for (const intent of intents) {
      if (intent.kind === "command" && intent.command.name !== "plan") {
        await gateway.createComment(
          intent.target ?? ref.issueNumber,
          messages.commandReply(intent.command.line, "this issue has no plan yet: label it as an epic or comment `/orchestra plan`."),
        );
      }
    }
    return {};
  }
  // `plan.as: sub-issues`: the plan's new tasks become sub-issues before anything runs.
  const created = await createPlannedSubIssues(ref, parsed.plan, issue, config, trust, deps, log);
  if (created) return created;

  let observations: Record<string, TaskObservation>;
  try {
    observations = await observe(ref, parsed.plan, observed, deps, log, ownAppId);
  } catch (error) {
    if (!isKeyRejected(error)) throw error;
    // Cursor refuses the key: nothing can be followed or launched. Pause once, say so, no spin.
    if (parsed.plan.status === "running") {
      const written = await writeBody(ref, { status: "paused" }, deps, log, parsed.plan);
      announce(deps, config, transitionEvents(eventSubject(ref, issue.title, deps), parsed.plan, written, { reason: "Cursor rejected the API key Orchestra runs with", key: "cursor-key-rejected" }), log);
    }
    await commentOnce(deps, ref.issueNumber, "cursor-key-rejected", messages.cursorKeyRejected((error as Error).message));
    log.warn({ err: error }, "Cursor rejected the API key; epic paused");
    return {};
  }
  const children = await observeChildren(issue, parsed.plan, deps, intents);
  const snapshot: Snapshot = {
    now: (deps.now ?? Date.now)(),
    repo: {
      owner: ref.owner,
      name: ref.repo,
      defaultBranch: observed.defaultBranch,
      deleteBranchOnMerge: observed.deleteBranchOnMerge,
    },
    issue: {
      number: ref.issueNumber,
      title: issue.title,
      state: issue.state,
      body: issue.body,
      ...(issue.createdAt ? { createdAt: issue.createdAt } : {}),
    },
    parsed,
    ...(children ? { children } : {}),
    ...(trust ? { trust } : {}),
    observations,
    intents: intents.filter((intent) => !planIntents.includes(intent) || (planRefused && intent.kind === "command")),
  };
  const decision = decide(snapshot, config);
  log.debug({ decision }, "decided");
  const cursor = commands?.cursor;
  if (cursor !== undefined && cursor > (parsed.plan.commandCursor ?? -1)) {
    const writing = Object.keys(decision.patch).length > 0 || decision.steps.length > 0;
    if (commands!.mustRecord || writing) decision.patch.commandCursor = cursor;
  }
  if (!deps.cursor && decision.steps.some((step) => step.effect.kind === "launch")) {
    // Nothing can run without Cursor: say so once and pause rather than retrying forever.
    await commentOnce(deps, ref.issueNumber, "missing-cursor-key", messages.missingCursorKey());
    decision.steps = decision.steps.filter((step) => step.effect.kind !== "launch");
    decision.patch.status = "paused";
    decision.pause ??= { reason: "CURSOR_API_KEY is not set where Orchestra runs", key: "missing-cursor-key" };
  }
  const capWakeMs = await holdLaunchesOverCap(ref, decision, deps, log);
  const outcome = await act(ref, snapshot, decision, config, deps, log);
  // What was read no longer holds after a write to it (a merge, a PR closed, a branch updated).
  if (!outcome.error && decision.steps.every((step) => SNAPSHOT_KEEPING_EFFECTS.has(step.effect.kind))) keepSnapshot();
  deps.onPlan?.(outcome.plan);

  // The sooner of the two: a refused merge asks for a pass at once, whatever decide() planned.
  const wakes = [decision.wakeAfterMs, outcome.wakeAfterMs, capWakeMs].filter((ms): ms is number => ms !== undefined);
  let wakeAfterMs = wakes.length > 0 ? Math.min(...wakes) : undefined;
  if (outcome.plan.tasks.some((task) => task.state === "running") && outcome.plan.status !== "stopped") {
    wakeAfterMs = Math.min(wakeAfterMs ?? AGENT_POLL_MS, AGENT_POLL_MS);
  }
  if (outcome.error) throw outcome.error;
  return wakeAfterMs === undefined ? {} : { wakeAfterMs };
}

/**
 * The installation's daily cap on agent launches: launches beyond what is left today are not
 * made (their tasks stay pending), the epic says so once that day, and it wakes when the count
 * starts again: no spin. `act` counts each launch, so two epics racing for the last one cannot
 * both have it.
 */
async function holdLaunchesOverCap(ref: EpicRef, decision: Decision, deps: ReconcileDeps, log: Logger): Promise<number | undefined> {
  const launches = decision.steps.filter((step) => step.effect.kind === "launch");
  if (!deps.launches || launches.length === 0) return undefined;
  const left = await deps.launches.remaining();
  if (left >= launches.length) return undefined;
  const held = new Set(launches.slice(left));
  decision.steps = decision.steps.filter((step) => !held.has(step));
  const resetsInMs = deps.launches.resetsInMs();
  const resumesAt = new Date((deps.now ?? Date.now)() + resetsInMs).toISOString().replace(/:\d\d\.\d+Z$/, " UTC").replace("T", " ");
  await commentOnce(deps, ref.issueNumber, `agent-cap-${resumesAt.slice(0, 10)}`, messages.dailyAgentCapReached(deps.launches.cap, resumesAt));
  log.info({ held: held.size, cap: deps.launches.cap, resetsInMs }, "daily cap on agent launches reached; launches wait for the next day");
  // A little after the day turns, spread so that the installation's epics do not all wake at once.
  return resetsInMs + Math.floor(Math.random() * 60_000);
}

/** The writer whose label made this issue an epic, unless planning it already failed once (said in a comment). */
async function labelledByWriter(ref: EpicRef, label: string, deps: ReconcileDeps): Promise<string | undefined> {
  const login = await deps.gateway.labeledBy(ref.issueNumber, label);
  if (!login || !(await deps.canWrite(login))) return undefined;
  // A failed plan is retried by a person (`/orchestra plan`), never by the resync: no LLM loop.
  if (await deps.gateway.findComment(ref.issueNumber, PLAN_FAILED_MARKER)) return undefined;
  return login;
}

/**
 * Planning returns at once (the next reconcile works on the new plan), so commands posted before
 * a `/orchestra plan` run first: the plan, and everything after it, waits for the next pass.
 */
function deferPlanBehindEarlierCommands(commands: CommandsRead): void {
  const plan = commands.intents.find((intent) => intent.kind === "command" && intent.command.name === "plan");
  const planAt = plan?.kind === "command" ? plan.commentId : undefined;
  if (planAt === undefined) return;
  const earlier = commands.intents.some((intent) => intent.kind === "command" && intent.commentId !== undefined && intent.commentId < planAt);
  if (!earlier) return;
  commands.intents = commands.intents.filter((intent) => intent.kind !== "command" || (intent.commentId ?? 0) < planAt);
  commands.cursor = planAt - 1;
  commands.mustRecord = true;
}

// --- observe --------------------------------------------------------------------------------

/**
 * Which of the PRs on a task's branch is the agent's. Anyone who can read the repository can open
 * a second PR from that branch; the agent's is the one Cursor reports. Until Cursor has said, a
 * branch with one PR has its PR, and a branch with several has none yet.
 */
export function agentsPull(candidates: PullRequestView[], agent: AgentView | null | undefined): { pr?: PullRequestView; others: PullRequestView[] } {
  const reported = agent?.prUrl ? candidates.find((pr) => samePull(pr.url, agent.prUrl!)) : undefined;
  const pr = reported ?? (candidates.length === 1 && !agent?.prUrl ? candidates[0] : undefined);
  return { ...(pr ? { pr } : {}), others: candidates.filter((candidate) => candidate !== pr && (pr || agent?.prUrl)) };
}

function samePull(url: string, reported: string): boolean {
  const path = (text: string) => text.replace(/^[a-z]+:\/\/[^/]+/i, "").replace(/\/pull\/.*$/, "").toLowerCase();
  const number = pullNumberOf(url);
  return number !== undefined && number === pullNumberOf(reported) && path(url) === path(reported);
}

async function readState(ref: EpicRef, deps: ReconcileDeps, ownAppId?: number) {
  const key = epicKey(ref.owner, ref.repo, ref.issueNumber);
  let branches = deps.branchCache.get(key) ?? [];
  const read = (branches: string[]) => {
    const readGitHub = () => deps.gateway.readSnapshot(ref.issueNumber, branches, ownAppId);
    return deps.snapshot ? deps.snapshot.read(branches, ownAppId, readGitHub) : readGitHub();
  };
  let observed: SnapshotRead = await read(branches);
  if (!observed.issue) return null;
  // Only what Orchestra signed for this very issue is believed as state.
  const verified = (issue: IssueRead) => parseBody(issue.body, { verifier: createStateSigner(deps.stateKeys, issue.id) });
  let parsedResult = verified(observed.issue);
  const needed = parsedResult.ok ? activeBranches(ref.issueNumber, parsedResult.parsed.plan) : [];
  if (needed.some((branch) => !branches.includes(branch))) {
    // The plan moved on since the last read (or the process restarted): read again with its branches.
    branches = needed;
    observed = await read(branches);
    if (!observed.issue) return null;
    parsedResult = verified(observed.issue);
  }
  deps.branchCache.set(key, needed);
  return { observed, parsedResult };
}

async function observe(
  ref: EpicRef,
  plan: Plan,
  observed: SnapshotRead,
  deps: ReconcileDeps,
  log: Logger,
  ownAppId?: number,
): Promise<Record<string, TaskObservation>> {
  const observations: Record<string, TaskObservation> = {};
  const now = (deps.now ?? Date.now)();
  for (const task of plan.tasks) {
    if (!ACTIVE_STATES.has(task.state) || task.attempt === 0) continue;
    const branch = branchName(ref.issueNumber, task.id, task.attempt);
    const observation: TaskObservation = { branch };
    if (task.agent) deps.onAgent?.(task.agent);
    if (task.agent && deps.cursor) {
      const agent = await deps.agents.read(task.agent, deps.cursor, now, {
        // An open PR is judged on GitHub's side; its agent only matters while it might still push.
        maxAgeMs: AGENT_POLL_MS,
      });
      if (agent !== undefined) observation.agent = agent;
    }
    let { pr, others } = agentsPull(observed.pulls.get(branch) ?? [], observation.agent);
    if (observed.crowdedBranches.has(branch)) {
      // Others' PRs of that branch name fill the window: read the one the agent reported by number.
      observation.crowded = true;
      const reported = pullNumberOf(observation.agent?.prUrl);
      const byNumber = !pr && reported ? await deps.gateway.pullByNumber(reported, ownAppId) : null;
      if (byNumber && byNumber.sameRepo && byNumber.headRef === branch) {
        pr = byNumber;
        others = others.filter((other) => other.number !== byNumber.number);
      }
    }
    if (pr) observation.pr = pr;
    const foreign = [...(observed.foreignPulls.get(branch) ?? []), ...others];
    if (foreign.length > 0) observation.foreign = foreign;
    if (pr?.ignoredReviews) {
      log.info({ task: task.id, pr: pr.number, reviews: pr.ignoredReviews }, "reviews by people without write access ignored");
    }
    observations[task.id] = observation;
  }
  return observations;
}
