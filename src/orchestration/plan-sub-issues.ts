import type { Logger } from "pino";
import { writeBody } from "./body-writer.js";
import { commentOnce } from "./comment-once.js";
import * as say from "./sub-issue-messages.js";
import { readAttributes } from "./checklist-format.js";
import type { OrchestraConfig } from "./config.js";
import type { EpicRef, ReconcileDeps } from "./reconcile-deps.js";
import type { ContentTrust } from "./snapshot.js";
import { createStateSigner, type StateSigner } from "./trust/state-mac.js";
import type { Plan, Task } from "./types.js";
import type { IssueRead } from "../github/gateway.js";

/**
 * `plan.as: sub-issues`: the planner's tasks become sub-issues of the epic, labelled `orchestra`,
 * each blocked by the sub-issues of its dependencies, and the epic's block lists them as `#123`.
 *
 * The plan is written to the block first (as today), so it survives a crash; each pending task
 * without a sub-issue is then found or created. Found first: every sub-issue Orchestra creates
 * carries a marker naming the epic and the task, signed like the block (a marker pasted by anyone
 * else does not verify), so a run that died after creating one finds it rather than creating a
 * second. Few at a time: GitHub's secondary limits allow about 80 content-creating requests a
 * minute, and each task costs up to three (issue, sub-issue link, dependency link).
 */

export const SUB_ISSUE_LABEL = "orchestra";
const MARKER = "<!-- orchestra:sub-issue";
/** Tasks turned into sub-issues per pass; the rest a minute later. */
export const CREATED_PER_PASS = 8;
const NEXT_BATCH_MS = 60_000;

/** The hidden, signed marker of the sub-issue made for `taskId` of `epic`. */
export function childMarker(signer: StateSigner, epic: number, taskId: string): string {
  const attributes = new Map([
    ["epic", String(epic)],
    ["task", encodeURIComponent(taskId)],
  ]);
  attributes.set("mac", signer.mac("child", attributes));
  return `${MARKER} ${[...attributes].map(([key, value]) => `${key}=${value}`).join(" ")} -->`;
}

/** The task id a sub-issue's body names, if its marker is Orchestra's for this epic. */
export function readChildMarker(body: string, signer: StateSigner, epic: number): string | undefined {
  for (let at = body.indexOf(MARKER); at !== -1; at = body.indexOf(MARKER, at + 1)) {
    const close = body.indexOf("-->", at);
    if (close === -1) return undefined;
    const { attributes } = readAttributes(body.slice(at + MARKER.length, close));
    if (attributes.get("epic") === String(epic) && signer.verify("child", attributes)) return decodeURIComponent(attributes.get("task") ?? "");
  }
  return undefined;
}

/** The sub-issue's text: the task's details (its instructions), and the marker. */
function childBody(task: Task, marker: string): string {
  return [task.details.trim(), marker].filter((part) => part !== "").join("\n\n");
}

function toCreate(plan: Plan): Task[] {
  return plan.tasks.filter((task) => task.issue === undefined && task.state === "pending" && task.attempt === 0);
}

/**
 * Creates (or finds) the sub-issues of the pending tasks that have none, links them, and records
 * them in the block. Returns when the next pass should come, or undefined when there was nothing
 * to do (a checklist epic, text not accepted, nothing pending).
 */
export async function createPlannedSubIssues(
  ref: EpicRef,
  plan: Plan,
  issue: IssueRead,
  config: OrchestraConfig,
  trust: ContentTrust | undefined,
  deps: ReconcileDeps,
  log: Logger,
): Promise<{ wakeAfterMs: number } | undefined> {
  if (config.plan.as !== "sub-issues" || issue.state !== "open") return undefined;
  // Text nobody with write access accepted never becomes an issue of Orchestra's.
  if (trust && !trust.accepted) return undefined;
  if (plan.status === "completed" || plan.status === "stopped") return undefined;
  const pending = toCreate(plan);
  if (pending.length === 0) return undefined;

  const { gateway } = deps;
  const signer = createStateSigner(deps.stateKeys, issue.id);
  const slug = await deps.appSlug();
  const made = new Map<string, { number: number; id: number }>();
  for (const candidate of await gateway.issuesBy(`${slug}[bot]`, SUB_ISSUE_LABEL)) {
    const taskId = readChildMarker(candidate.body, signer, ref.issueNumber);
    if (taskId && !made.has(taskId)) made.set(taskId, { number: candidate.number, id: candidate.id });
  }
  const children = new Map((issue.children ?? []).map((child) => [child.number, child.databaseId]));
  const batch = pending.slice(0, CREATED_PER_PASS);
  const created: Array<{ id: string; issue: number }> = [];
  for (const task of batch) {
    let child = made.get(task.id);
    if (child) {
      log.info({ task: task.id, issue: child.number }, "found the sub-issue a previous run created");
    } else {
      child = await gateway.createIssue({ title: task.title, body: childBody(task, childMarker(signer, ref.issueNumber, task.id)), labels: [SUB_ISSUE_LABEL] });
      made.set(task.id, child);
      log.info({ task: task.id, issue: child.number }, "sub-issue created");
    }
    if (!children.has(child.number)) await gateway.addSubIssue(ref.issueNumber, child.id);
    children.set(child.number, child.id);
    created.push({ id: task.id, issue: child.number });
  }
  // GitHub's own picture of the order: each new sub-issue is blocked by its dependencies' (the
  // block's deps decide the order either way).
  const issueOf = (taskId: string) => made.get(taskId)?.id ?? children.get(plan.tasks.find((task) => task.id === taskId)?.issue ?? -1);
  for (const task of batch) {
    for (const dep of task.deps) {
      const blocker = issueOf(dep);
      if (blocker === undefined) continue;
      const child = made.get(task.id)!.number;
      const refusal = await gateway.addBlockedBy(child, blocker);
      if (!refusal) continue;
      // The block's order stands either way; GitHub's picture of it lacks this link: said once.
      log.warn({ task: task.id, issue: child, dep, refusal: refusal.refused }, "GitHub refused a blocked-by link");
      await commentOnce(deps, ref.issueNumber, `blocked-by-refused-${task.id}-${dep}`, say.blockedByRefused(task.id, child, dep, refusal.refused));
    }
  }
  await writeBody(ref, { subIssuesCreated: created }, deps, log, plan);
  return { wakeAfterMs: pending.length > batch.length ? NEXT_BATCH_MS : 0 };
}
