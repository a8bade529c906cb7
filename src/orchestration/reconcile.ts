import type { Logger } from "pino";
import { act } from "./act.js";
import { parseBody } from "./checklist.js";
import { commentOnce } from "./comment-once.js";
import { checkContent } from "./content-trust.js";
import { adoptUnsignedBlock, holdUnlabelled } from "./epic-guards.js";
import { createStateSigner } from "./trust/state-mac.js";
import { decide } from "./decide.js";
import * as messages from "./messages.js";
import { activeBranches, branchName, epicKey } from "./naming.js";
import { planEpic } from "./plan-epic.js";
import type { EpicRef, ReconcileDeps, ReconcileResult } from "./reconcile-deps.js";
import type { Intent, Snapshot, TaskObservation } from "./snapshot.js";
import { ACTIVE_STATES, type Plan } from "./types.js";
import type { IssueRead, SnapshotRead } from "../github/gateway.js";

export type { EpicRef, ReconcileDeps, ReconcileResult } from "./reconcile-deps.js";

/**
 * observe -> decide -> act, for one epic. Runs under the scheduler's per-epic lock, so it is
 * the only writer of its epic; every step is safe to repeat if the process dies half-way.
 */

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
  const issue = observed.issue!;
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

  const planIntents = intents.filter(
    (intent) => intent.kind === "plan" || (intent.kind === "command" && intent.command.name === "plan"),
  );
  if (planIntents.length > 0 && issue.state === "open") {
    const planned = await planEpic(ref, deps, config, parsed.plan, planIntents, issue, log);
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

  const trust = await checkContent(ref.issueNumber, issue.title, parsed, parsed.plan, deps);
  if (!trust.accepted) log.warn({ editors: trust.editors, changed: trust.changed, reason: trust.reason }, "the epic's text changed without a writer's approval");
  const observations = await observe(ref, parsed.plan, observed, deps, log);
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
    trust,
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

  // The sooner of the two: a refused merge asks for a pass at once, whatever decide() planned.
  const wakes = [decision.wakeAfterMs, outcome.wakeAfterMs].filter((ms): ms is number => ms !== undefined);
  let wakeAfterMs = wakes.length > 0 ? Math.min(...wakes) : undefined;
  if (outcome.plan.tasks.some((task) => task.state === "running") && outcome.plan.status !== "stopped") {
    wakeAfterMs = Math.min(wakeAfterMs ?? AGENT_POLL_MS, AGENT_POLL_MS);
  }
  if (outcome.error) throw outcome.error;
  return wakeAfterMs === undefined ? {} : { wakeAfterMs };
}

// --- observe --------------------------------------------------------------------------------

async function readState(ref: EpicRef, deps: ReconcileDeps) {
  const key = epicKey(ref.owner, ref.repo, ref.issueNumber);
  let branches = deps.branchCache.get(key) ?? [];
  let observed: SnapshotRead = await deps.gateway.readSnapshot(ref.issueNumber, branches);
  if (!observed.issue) return null;
  // Only what Orchestra signed for this very issue is believed as state.
  const verified = (issue: IssueRead) => parseBody(issue.body, { verifier: createStateSigner(deps.stateKeys, issue.id) });
  let parsedResult = verified(observed.issue);
  const needed = parsedResult.ok ? activeBranches(ref.issueNumber, parsedResult.parsed.plan) : [];
  if (needed.some((branch) => !branches.includes(branch))) {
    // The plan moved on since the last read (or the process restarted): read again with its branches.
    branches = needed;
    observed = await deps.gateway.readSnapshot(ref.issueNumber, branches);
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
): Promise<Record<string, TaskObservation>> {
  const observations: Record<string, TaskObservation> = {};
  const now = (deps.now ?? Date.now)();
  for (const task of plan.tasks) {
    if (!ACTIVE_STATES.has(task.state) || task.attempt === 0) continue;
    const branch = branchName(ref.issueNumber, task.id, task.attempt);
    const pr = observed.pulls.get(branch);
    const foreign = observed.foreignPulls.get(branch);
    const observation: TaskObservation = { branch, ...(pr ? { pr } : {}), ...(foreign ? { foreign } : {}) };
    if (pr?.ignoredReviews) {
      log.info({ task: task.id, pr: pr.number, reviews: pr.ignoredReviews }, "reviews by people without write access ignored");
    }
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
