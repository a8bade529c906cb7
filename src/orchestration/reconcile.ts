import type { Logger } from "pino";
import type { AgentCache } from "./agent-cache.js";
import { applyPatch, findChecklist, parseBody } from "./checklist.js";
import type { OrchestraConfig } from "./config.js";
import { decide, isAgentLive, statusTablePlaceholder, type Decision, type Notification, type Step } from "./decide.js";
import * as messages from "./messages.js";
import { branchName } from "./naming.js";
import type { Intent, Snapshot, TaskObservation } from "./snapshot.js";
import { renderStatusComment, renderStatusTable, STATUS_MARKER, type StatusView } from "./status-comment.js";
import type { Plan, PlanPatch, PlannedTask, Task, TaskPatch } from "./types.js";
import type { CursorClient } from "../cursor/client.js";
import type { GitHubGateway, SnapshotRead } from "../github/gateway.js";
import type { PlanInput, PlanResult } from "../llm/types.js";
import type { RepoContext } from "../github/repo-context.js";

/**
 * observe -> decide -> act, for one epic. Runs under the scheduler's per-epic lock, so it is
 * the only writer of its epic; every step is safe to repeat if the process dies half-way.
 */

export interface EpicRef {
  installationId: number;
  owner: string;
  repo: string;
  issueNumber: number;
}

export interface ReconcileDeps {
  gateway: GitHubGateway;
  /** null when CURSOR_API_KEY is not set: planning works, running explains what is missing. */
  cursor: CursorClient | null;
  loadConfig: () => Promise<{ ok: true; config: OrchestraConfig } | { ok: false; error: string }>;
  plan: (input: PlanInput, config: OrchestraConfig) => Promise<PlanResult>;
  repoContext: () => Promise<RepoContext>;
  agents: AgentCache;
  /** Last status comment text written per comment id, so an unchanged status is not re-sent. */
  statusCache: Map<number, string>;
  /** Branches read for this epic last time: one GraphQL read suffices when the plan is unchanged. */
  branchCache: Map<string, string[]>;
  /** `https://github.com` or the GHE host's web address. */
  webUrl: string;
  publicUrl?: string;
  cursorWebhookSecret?: string;
  log: Logger;
  now?: () => number;
  /** Told of every agent working for this epic, so Cursor webhooks find their epic. */
  onAgent?: (agentId: string) => void;
}

export interface ReconcileResult {
  wakeAfterMs?: number;
}

const ACTIVE_STATES = new Set<Task["state"]>(["running", "pr_open", "merging"]);
/** Agents without a PR are polled at most this often when no webhook tells us they changed. */
export const AGENT_POLL_MS = 30_000;

export async function reconcile(ref: EpicRef, intents: Intent[], deps: ReconcileDeps): Promise<ReconcileResult> {
  const log = deps.log.child({ epic: `${ref.owner}/${ref.repo}#${ref.issueNumber}` });
  const { gateway } = deps;
  const configResult = await deps.loadConfig();
  if (!configResult.ok) {
    await commentOnce(deps, ref.issueNumber, "config-invalid", messages.configInvalid(configResult.error));
    log.warn({ error: configResult.error }, "invalid .github/orchestra.yml; nothing else done");
    return {};
  }
  const config = configResult.config;

  const read = await readState(ref, deps);
  if (!read) return {};
  const { observed, parsedResult } = read;
  if (!parsedResult.ok) {
    await commentOnce(deps, ref.issueNumber, "body-invalid", messages.bodyParseError(parsedResult.error));
    log.warn({ error: parsedResult.error }, "issue body cannot be parsed; waiting for a person to fix it");
    return {};
  }
  const parsed = parsedResult.parsed;

  const planIntents = intents.filter(
    (intent) => intent.kind === "plan" || (intent.kind === "command" && intent.command.name === "plan"),
  );
  if (planIntents.length > 0 && observed.issue!.state === "open") {
    const planned = await planEpic(ref, deps, config, parsed.plan, planIntents, observed.issue!.title, parsed.before + parsed.after, log);
    if (planned) return { wakeAfterMs: 0 };
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

  const observations = await observe(ref, parsed.plan, observed, deps);
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
      title: observed.issue!.title,
      state: observed.issue!.state,
      body: observed.issue!.body,
      ...(observed.issue!.createdAt ? { createdAt: observed.issue!.createdAt } : {}),
    },
    parsed,
    observations,
    intents: intents.filter((intent) => !planIntents.includes(intent)),
  };
  const decision = decide(snapshot, config);
  log.debug({ decision }, "decided");
  if (!deps.cursor && decision.steps.some((step) => step.effect.kind === "launch")) {
    // Nothing can run without Cursor: say so once and pause rather than retrying forever.
    await commentOnce(deps, ref.issueNumber, "missing-cursor-key", messages.missingCursorKey());
    decision.steps = decision.steps.filter((step) => step.effect.kind !== "launch");
    decision.patch.status = "paused";
  }
  const outcome = await act(ref, snapshot, decision, config, deps, log);

  let wakeAfterMs = decision.wakeAfterMs ?? outcome.wakeAfterMs;
  if (outcome.plan.tasks.some((task) => task.state === "running") && outcome.plan.status !== "stopped") {
    wakeAfterMs = Math.min(wakeAfterMs ?? AGENT_POLL_MS, AGENT_POLL_MS);
  }
  if (outcome.error) throw outcome.error;
  return wakeAfterMs === undefined ? {} : { wakeAfterMs };
}

// --- observe --------------------------------------------------------------------------------

function activeBranches(issueNumber: number, plan: Plan | null): string[] {
  return (plan?.tasks ?? [])
    .filter((task) => ACTIVE_STATES.has(task.state) && task.attempt > 0)
    .map((task) => branchName(issueNumber, task.id, task.attempt));
}

function branchKey(ref: EpicRef): string {
  return `${ref.owner}/${ref.repo}#${ref.issueNumber}`;
}

async function readState(ref: EpicRef, deps: ReconcileDeps) {
  const key = branchKey(ref);
  let branches = deps.branchCache.get(key) ?? [];
  let observed: SnapshotRead = await deps.gateway.readSnapshot(ref.issueNumber, branches);
  if (!observed.issue) return null;
  let parsedResult = parseBody(observed.issue.body);
  const needed = parsedResult.ok ? activeBranches(ref.issueNumber, parsedResult.parsed.plan) : [];
  if (needed.some((branch) => !branches.includes(branch))) {
    // The plan moved on since the last read (or the process restarted): read again with its branches.
    branches = needed;
    observed = await deps.gateway.readSnapshot(ref.issueNumber, branches);
    if (!observed.issue) return null;
    parsedResult = parseBody(observed.issue.body);
  }
  deps.branchCache.set(key, needed);
  return { observed, parsedResult };
}

async function observe(
  ref: EpicRef,
  plan: Plan,
  observed: SnapshotRead,
  deps: ReconcileDeps,
): Promise<Record<string, TaskObservation>> {
  const observations: Record<string, TaskObservation> = {};
  const now = (deps.now ?? Date.now)();
  for (const task of plan.tasks) {
    if (!ACTIVE_STATES.has(task.state) || task.attempt === 0) continue;
    const branch = branchName(ref.issueNumber, task.id, task.attempt);
    const pr = observed.pulls.get(branch);
    const observation: TaskObservation = { branch, ...(pr ? { pr } : {}) };
    if (task.agent) deps.onAgent?.(task.agent);
    if (task.agent && deps.cursor) {
      const agent = await deps.agents.read(task.agent, deps.cursor, now, {
        // An open PR is judged on GitHub's side; its agent only matters while it might still push.
        maxAgeMs: AGENT_POLL_MS,
      });
      if (agent !== undefined) observation.agent = agent;
    }
    observations[task.id] = observation;
  }
  return observations;
}

// --- act ------------------------------------------------------------------------------------

interface ActOutcome {
  plan: Plan;
  error?: unknown;
  wakeAfterMs?: number;
}

async function act(
  ref: EpicRef,
  snapshot: Snapshot,
  decision: Decision,
  config: OrchestraConfig,
  deps: ReconcileDeps,
  log: Logger,
): Promise<ActOutcome> {
  const succeeded: TaskPatch[] = [];
  // What steps announce (a merge) comes before what the decision concludes (the epic completed).
  const notify: Notification[] = [];
  let runsDelta = 0;
  let error: unknown;
  let wakeAfterMs: number | undefined;
  let allDone = true;

  for (const step of decision.steps) {
    try {
      const result = await runStep(ref, snapshot, step, config, deps, log);
      if (result === "retry-later") {
        allDone = false;
        wakeAfterMs = 2_000;
        break;
      }
      if (result.patch) succeeded.push(...result.patch);
      runsDelta += result.runs ?? 0;
      if (result.notify) notify.push(...result.notify);
    } catch (caught) {
      if (step.soft) {
        log.warn({ err: caught, effect: step.effect.kind }, "step failed; going on");
        if (step.onFailure) succeeded.push(...step.onFailure);
        continue;
      }
      log.error({ err: caught, effect: step.effect.kind }, "step failed; the reconcile will be retried");
      error = caught;
      allDone = false;
      break;
    }
  }

  const patch: PlanPatch = {
    ...decision.patch,
    tasks: mergeTaskPatches([...(decision.patch.tasks ?? []), ...succeeded]),
    ...(runsDelta ? { runsDelta } : {}),
  };
  if (!allDone && decision.patch.status === "completed") delete patch.status;
  const plan = await writeBody(ref, patch, deps, log, snapshot.parsed.plan!);
  deps.branchCache.set(branchKey(ref), activeBranches(ref.issueNumber, plan));
  notify.push(...decision.notify, ...(allDone ? decision.final : []));

  for (const item of notify) await sendNotification(ref, snapshot, decision, plan, item, deps);
  await refreshStatusComment(ref, snapshot, decision, plan, config, deps);
  if (decision.closeIssue && allDone && plan.status === "completed") await deps.gateway.closeIssue(ref.issueNumber);
  return { plan, error, ...(wakeAfterMs !== undefined ? { wakeAfterMs } : {}) };
}

function mergeTaskPatches(patches: TaskPatch[]): TaskPatch[] {
  const byId = new Map<string, TaskPatch>();
  for (const patch of patches) byId.set(patch.id, { ...byId.get(patch.id), ...patch });
  return [...byId.values()];
}

type StepResult = { patch?: TaskPatch[]; runs?: number; notify?: Notification[] } | "retry-later";

async function runStep(
  ref: EpicRef,
  snapshot: Snapshot,
  step: Step,
  config: OrchestraConfig,
  deps: ReconcileDeps,
  log: Logger,
): Promise<StepResult> {
  const effect = step.effect;
  const done = { ...(step.onSuccess ? { patch: step.onSuccess } : {}), ...(step.notify ? { notify: step.notify } : {}) };
  switch (effect.kind) {
    case "launch": {
      const cursor = requireCursor(deps);
      const repository = `${deps.webUrl}/${ref.owner}/${ref.repo}`;
      // Deterministic branch: an agent created by a run that died before recording it is found,
      // not doubled. Such an agent is among the newest, so the first page of the list suffices.
      const existing = await cursor.findAgentByBranch(repository, effect.branch, 1);
      const agent =
        existing ??
        (await cursor.createAgent({
          prompt: effect.prompt,
          repository,
          ref: snapshot.repo.defaultBranch,
          branchName: effect.branch,
          ...(effect.model ? { model: effect.model } : {}),
          ...(deps.publicUrl && deps.cursorWebhookSecret
            ? { webhookUrl: `${deps.publicUrl.replace(/\/$/, "")}/orchestra/cursor`, webhookSecret: deps.cursorWebhookSecret }
            : {}),
        }));
      deps.agents.remember(agent, (deps.now ?? Date.now)());
      deps.onAgent?.(agent.id);
      log.info({ task: effect.taskId, agent: agent.id, branch: effect.branch, reused: Boolean(existing) }, "agent launched");
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
        // Launching means the body does not record this agent yet, found or created: count it now.
        runs: 1,
      };
    }
    case "stop-agent":
      await requireCursor(deps).stop(effect.agentId);
      deps.agents.forget(effect.agentId);
      return done;
    case "followup":
      await requireCursor(deps).followup(effect.agentId, effect.text);
      // The agent is working again; its cached FINISHED no longer holds.
      deps.agents.forget(effect.agentId);
      log.info({ task: effect.taskId, agent: effect.agentId }, "follow-up sent");
      return done;
    case "merge": {
      const outcome = await deps.gateway.merge(effect.pr, effect.sha, effect.method);
      if (outcome.merged) {
        log.info({ task: effect.taskId, pr: effect.pr, sha: effect.sha }, "merged");
        return done;
      }
      const now = await deps.gateway.getPullState(effect.pr);
      if (now.merged) return done;
      log.warn({ task: effect.taskId, pr: effect.pr, status: outcome.status, message: outcome.message }, "merge refused; re-reading");
      return "retry-later";
    }
    case "update-branch":
      await deps.gateway.updateBranch(effect.pr, effect.sha);
      return done;
    case "delete-branch":
      await deps.gateway.deleteBranch(effect.branch);
      return done;
    case "close-pr":
      await deps.gateway.closePull(effect.pr);
      return done;
  }
}

function requireCursor(deps: ReconcileDeps): CursorClient {
  if (!deps.cursor) throw new Error("CURSOR_API_KEY is not set");
  return deps.cursor;
}

function isEmptyPatch(patch: PlanPatch): boolean {
  return (
    patch.status === undefined &&
    patch.statusComment === undefined &&
    !patch.runsDelta &&
    !patch.tasks?.length &&
    !patch.replacePending
  );
}

/** Re-reads the body and applies only Orchestra's own changes, so a person's edit made meanwhile survives. */
async function writeBody(
  ref: EpicRef,
  patch: PlanPatch,
  deps: ReconcileDeps,
  log: Logger,
  current?: Plan,
): Promise<Plan> {
  if (current && isEmptyPatch(patch)) return current;
  const fresh = await deps.gateway.getIssue(ref.issueNumber);
  const result = applyPatch(fresh.body, patch);
  if (!result.ok) {
    await commentOnce(deps, ref.issueNumber, "body-invalid", messages.bodyParseError(result.error));
    throw new Error(`cannot write the plan: ${result.error}`);
  }
  if (result.changed) {
    await deps.gateway.updateIssueBody(ref.issueNumber, result.body);
    if (result.folded) await commentOnce(deps, ref.issueNumber, "details-folded", messages.detailsFolded());
    log.info({ status: patch.status, tasks: patch.tasks?.map((t) => `${t.id}:${t.state ?? "~"}`) }, "plan written");
  }
  return parsePlan(result.body);
}

async function sendNotification(
  ref: EpicRef,
  snapshot: Snapshot,
  decision: Decision,
  plan: Plan,
  item: Notification,
  deps: ReconcileDeps,
): Promise<void> {
  if (item.kind === "react") {
    await deps.gateway.reactToComment(item.commentId, item.content);
    return;
  }
  const body = item.body.includes(statusTablePlaceholder)
    ? item.body.replace(statusTablePlaceholder, renderStatusTable(statusView(ref, snapshot, decision, plan, deps)))
    : item.body;
  await deps.gateway.createComment(item.target ?? ref.issueNumber, messages.withMarker(item.key, body));
}

function parsePlan(body: string): Plan {
  const parsed = parseBody(body);
  return parsed.ok && parsed.parsed.plan ? parsed.parsed.plan : { status: "planned", runs: 0, tasks: [] };
}

/** While an epic waits for `/orchestra start`, its status comment says how many tasks wait. */
function headline(plan: Plan): { headline?: string } {
  return plan.status === "planned" ? { headline: messages.planWritten(plan.tasks.length, false) } : {};
}

function statusView(
  ref: EpicRef,
  snapshot: Snapshot,
  decision: Decision,
  plan: Plan,
  deps: ReconcileDeps,
  budgetLimit = 0,
): StatusView {
  return {
    ...headline(plan),
    plan,
    issueNumber: ref.issueNumber,
    waitingFor: decision.waitingFor,
    budget: { used: plan.runs, limit: budgetLimit },
    tasks: plan.tasks.map((written) => {
      const observation = snapshot.observations[written.id];
      const agent = written.agent ? deps.agents.peek(written.agent) : undefined;
      // An open PR is not written to the body (it is found again at every read): show it here.
      const openPr = written.state === "running" && observation?.pr?.state === "open" ? observation.pr : undefined;
      const task: Task = openPr ? { ...written, state: "pr_open", pr: openPr.number } : written;
      return {
        task,
        ...(observation?.pr ? { prUrl: observation.pr.url } : task.pr ? { prUrl: `${deps.webUrl}/${ref.owner}/${ref.repo}/pull/${task.pr}` } : {}),
        ...(agent ? { agentStatus: agent.status } : {}),
        ...(decision.waiting[task.id] ? { waitingFor: decision.waiting[task.id] } : {}),
      };
    }),
  };
}

async function refreshStatusComment(
  ref: EpicRef,
  snapshot: Snapshot,
  decision: Decision,
  plan: Plan,
  config: OrchestraConfig,
  deps: ReconcileDeps,
): Promise<void> {
  const body = renderStatusComment(statusView(ref, snapshot, decision, plan, deps, config.budget.agentRuns));
  let id = plan.statusComment;
  if (!id) {
    id = (await deps.gateway.findComment(ref.issueNumber, STATUS_MARKER)) ?? undefined;
    if (!id) {
      id = await deps.gateway.createComment(ref.issueNumber, body);
      deps.statusCache.set(id, body);
    }
    await writeBody(ref, { statusComment: id }, deps, deps.log);
  }
  if (deps.statusCache.get(id) === body) return;
  await deps.gateway.updateComment(id, body);
  deps.statusCache.set(id, body);
}

/** For failures that a repeated reconcile would report again: one comment per key, found by its marker. */
async function commentOnce(deps: ReconcileDeps, issueNumber: number, key: string, body: string): Promise<void> {
  const existing = await deps.gateway.findComment(issueNumber, messages.commentMarker(key));
  if (existing) return;
  await deps.gateway.createComment(issueNumber, messages.withMarker(key, body));
}

// --- planning -------------------------------------------------------------------------------

async function planEpic(
  ref: EpicRef,
  deps: ReconcileDeps,
  config: OrchestraConfig,
  existing: Plan | null,
  intents: Intent[],
  title: string,
  userText: string,
  log: Logger,
): Promise<boolean> {
  const command = intents.find((intent) => intent.kind === "command");
  if (existing && !command) return false; // labelled again, or a duplicate event: already planned
  const instructions = command?.kind === "command" && command.command.name === "plan" ? command.command.arg : "";
  const reply = async (text: string) => {
    if (command?.kind === "command") {
      await deps.gateway.createComment(ref.issueNumber, messages.commandReply(command.command.line, text));
    }
  };
  if (existing?.status === "completed" || existing?.status === "stopped") {
    await reply(`the epic is ${existing.status}; nothing to re-plan.`);
    return false;
  }

  const checklist = existing ? null : findChecklist(userText);
  let tasks: PlannedTask[];
  if (checklist && checklist.tasks.length > 0) {
    tasks = checklist.tasks;
    log.info({ tasks: tasks.length }, "adopting the issue's checklist as the plan");
  } else {
    const keep = (existing?.tasks ?? []).filter((task) => task.state !== "pending").map((task) => task.title);
    const result = await deps.plan(
      {
        title,
        body: userText,
        ...(instructions ? { instructions } : {}),
        ...(keep.length ? { keep } : {}),
        repoContext: await deps.repoContext(),
      },
      config,
    );
    if (!result.ok) {
      const body = result.kind === "missing-key" ? messages.missingLlmKey(result.error) : messages.plannerFailed(result.error);
      if (command?.kind === "command") await reply(body);
      else await commentOnce(deps, ref.issueNumber, `plan-failed-${result.kind}`, body);
      log.warn({ kind: result.kind, error: result.error }, "planning failed");
      return false;
    }
    tasks = result.tasks;
    log.info({ tasks: tasks.length, provider: result.provider, model: result.model }, "planned");
  }

  const fresh = await deps.gateway.getIssue(ref.issueNumber);
  const adopt = checklist ? findChecklist(fresh.body) : null;
  const planned = applyPatch(
    fresh.body,
    { replacePending: tasks, ...(existing ? {} : { status: config.autoStart ? "running" : "planned" }) },
    adopt ? { adoptChecklistAt: { start: adopt.start, end: adopt.end } } : undefined,
  );
  if (!planned.ok) {
    await commentOnce(deps, ref.issueNumber, "body-invalid", messages.bodyParseError(planned.error));
    return false;
  }
  let body = planned.body;
  if (!existing) {
    // The status comment is the one comment planning posts; its id goes into the same write.
    const parsed = parseBody(body);
    if (!parsed.ok) throw new Error(parsed.error);
    const snapshot: Snapshot = {
      now: (deps.now ?? Date.now)(),
      repo: { owner: ref.owner, name: ref.repo, defaultBranch: "" },
      issue: { number: ref.issueNumber, title, state: "open", body },
      parsed: parsed.parsed,
      observations: {},
      intents: [],
    };
    // Rendered exactly as later reconciles will render it, so the first of them has nothing to edit.
    const view = statusView(ref, snapshot, decide(snapshot, config), parsed.parsed.plan!, deps, config.budget.agentRuns);
    const statusBody = renderStatusComment(view);
    const id = (await deps.gateway.findComment(ref.issueNumber, STATUS_MARKER)) ?? (await deps.gateway.createComment(ref.issueNumber, statusBody));
    deps.statusCache.set(id, statusBody);
    const withComment = applyPatch(body, { statusComment: id });
    if (withComment.ok) body = withComment.body;
  }
  if (body !== fresh.body) await deps.gateway.updateIssueBody(ref.issueNumber, body);
  if (command?.kind === "command" && command.commentId) {
    await deps.gateway.reactToComment(command.commentId, "rocket");
  }
  return true;
}

export { isAgentLive };
