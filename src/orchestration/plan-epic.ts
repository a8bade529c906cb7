import type { Logger } from "pino";
import { applyPatch, findChecklist, parseBody } from "./checklist.js";
import { commentOnce } from "./comment-once.js";
import type { OrchestraConfig } from "./config.js";
import { decide } from "./decide.js";
import * as messages from "./messages.js";
import type { EpicRef, ReconcileDeps } from "./reconcile-deps.js";
import type { Intent, Snapshot } from "./snapshot.js";
import { renderStatusComment, STATUS_MARKER } from "./status-comment.js";
import { statusView } from "./status-comment-writer.js";
import type { Plan, PlannedTask } from "./types.js";
import { parsePlan, writeTrust } from "./body-writer.js";
import { announce, eventSubject } from "./announce.js";
import { plannedEvent } from "./epic-events.js";
import { addLlmUsage, type LlmUsage } from "./llm-usage.js";
import type { IssueRead } from "../github/gateway.js";
import { childrenToAdopt } from "./children-read.js";
import { isSubIssueEpic, plannedFromChildren } from "./sub-issues.js";

/** The start of every notice of a failed plan (`plan-failed-<kind>`), as a comment marker. */
export const PLAN_FAILED_MARKER = messages.commentMarker("plan-failed-").replace(/ -->$/, "");

/** The person's text around Orchestra's block: what the planner reads. */
function userTextOf(body: string): string {
  const parsed = parseBody(body);
  return parsed.ok ? parsed.parsed.before + parsed.parsed.after : body;
}

/**
 * Planning: adopt the checklist the person wrote, or ask the LLM; write the block and the one
 * status comment. `/orchestra plan` re-plans the tasks that have not started. Returns whether a
 * plan was written.
 */
export async function planEpic(
  ref: EpicRef,
  deps: ReconcileDeps,
  config: OrchestraConfig,
  existing: Plan | null,
  intents: Intent[],
  issue: IssueRead,
  commandCursor: number,
  log: Logger,
): Promise<boolean> {
  const { title } = issue;
  const userText = userTextOf(issue.body);
  const command = intents.find((intent) => intent.kind === "command" && intent.command.name === "plan");
  // `/orchestra plan` and `/orchestra start` in one comment: plan, then run. The cursor moves past
  // that comment with the plan, so its start is carried out here or never.
  const startsToo = command?.kind === "command" && intents.some(
    (intent) => intent.kind === "command" && intent.commentId === command.commentId && (intent.command.name === "start" || intent.command.name === "resume"),
  );
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
  if (existing && isSubIssueEpic(existing.tasks)) {
    // Its sub-issues are the plan: a re-plan would drop them, and the next pass would add them back.
    await reply("this epic runs its sub-issues: add, remove or close sub-issues to change its plan.");
    return false;
  }
  const tokenLimit = config.budget.llmTokens;
  if (existing && tokenLimit !== undefined && (existing.llmTokens ?? 0) >= tokenLimit) {
    // The cost ceiling holds for planning too: a re-plan would spend more.
    await reply(`nothing was planned: ${messages.llmTokenBudgetExhausted(existing.llmTokens ?? 0, tokenLimit)}`);
    return false;
  }

  // Sub-issues the epic already has are its plan, in their order: no LLM call.
  const children = existing ? [] : await childrenToAdopt(issue, deps.gateway);
  const checklist = existing || children.length > 0 ? null : findChecklist(userText);
  let tasks: PlannedTask[];
  let usage: Array<LlmUsage | undefined> | undefined;
  if (children.length > 0) {
    tasks = plannedFromChildren(children);
    log.info({ tasks: tasks.length }, "adopting the issue's sub-issues as the plan");
  } else if (checklist && checklist.tasks.length > 0) {
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
      // Marked either way: the resync never plans again an issue whose planning failed.
      const key = `plan-failed-${result.kind}`;
      if (command?.kind === "command") {
        await deps.gateway.createComment(ref.issueNumber, messages.withMarker(key, messages.commandReply(command.command.line, body)));
      } else {
        await commentOnce(deps, ref.issueNumber, key, body);
      }
      log.warn({ kind: result.kind, error: result.error }, "planning failed");
      return false;
    }
    tasks = result.tasks;
    usage = result.usage;
    log.info({ tasks: tasks.length, provider: result.provider, model: result.model }, "planned");
  }

  const fresh = await deps.gateway.getIssue(ref.issueNumber);
  const adopt = checklist ? findChecklist(fresh.body) : null;
  // A first plan: the text planned from was endorsed by the writer who labelled the issue; a change
  // made while the planner ran was not, and waits for attribution like any edit. A re-plan runs
  // only on accepted text, and keeps only what stays accepted.
  const trust = writeTrust(fresh, deps, { acceptAll: !existing && fresh.body === issue.body && fresh.title === issue.title });
  const planned = applyPatch(
    fresh.body,
    addLlmUsage({ replacePending: tasks, commandCursor, ...(startsToo && existing?.status !== "running" ? { status: "running" as const } : existing ? {} : { status: config.autoStart ? "running" : "planned" }) }, usage),
    { ...(adopt ? { adoptChecklistAt: { start: adopt.start, end: adopt.end } } : {}), trust },
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
    const view = statusView(ref, snapshot, decide(snapshot, config), parsed.parsed.plan!, deps, config.budget.agentRuns, config.budget.llmTokens);
    const statusBody = renderStatusComment(view);
    const id = (await deps.gateway.findComment(ref.issueNumber, STATUS_MARKER)) ?? (await deps.gateway.createComment(ref.issueNumber, statusBody));
    deps.statusCache.set(id, statusBody);
    const withComment = applyPatch(body, { statusComment: id }, { trust });
    if (withComment.ok) body = withComment.body;
  }
  if (body !== fresh.body) await deps.gateway.updateIssueBody(ref.issueNumber, body);
  if (!existing && deps.notify) {
    announce(deps, config, [plannedEvent(eventSubject(ref, fresh.title, deps), parsePlan(body), config.autoStart)], log);
  }
  if (command?.kind === "command" && command.commentId) {
    await deps.gateway.reactToComment(command.commentId, "rocket");
  }
  return true;
}
