/**
 * Writes Orchestra's own changes onto a freshly re-read body (DESIGN principle 4, one writer per
 * epic): everything a person changed a second earlier survives, because only the fields in the
 * patch are touched, and only for tasks still in the body.
 */
import {
  canonicalDetails,
  canonicalTitle,
  highestTaskNumber,
  isCount,
  isEpicStatus,
  isTaskState,
  isTicked,
  renderBody,
  renderDetailLines,
  renderPlan,
} from "./checklist-format.js";
import { parseBody } from "./checklist-parse.js";
import { contentDigest } from "./trust/content-digest.js";
import type { StateSigner } from "./trust/state-mac.js";
import { ACTIVE_STATES, type EditCounts, type ParsedBody, type Plan, type PlanPatch, type PlannedTask, type Task, type TaskAttempt, type TaskPatch } from "./types.js";

/** GitHub allows 65,536 characters; the margin leaves room for a person's next edit. */
export const MAX_BODY_LENGTH = 60_000;

export type ApplyResult =
  | { ok: true; body: string; changed: boolean; folded: boolean }
  | { ok: false; error: string };

export interface ApplyOptions {
  /**
   * When the body has no block yet, put it in place of this range (a checklist found by
   * `findChecklist` and adopted as the plan) instead of appending it. The line break that ended
   * the range is kept after the block.
   */
  adoptChecklistAt?: { start: number; end: number };
  /** How Orchestra itself writes: see {@link WriteTrust}. Without it the block is written unsigned. */
  trust?: WriteTrust;
}

/**
 * Orchestra's writes are signed, and carry the digest of the text they accept. The fresh body is
 * read with the signer (a marker that does not verify is not believed), and its text is accepted
 * when it is what Orchestra accepted before, what the reconcile accepts now (`acceptDigest`), or
 * anything (`acceptAll`: planning and adoption, where a person with write access labelled the
 * issue). Otherwise the previous digest stays, and the next reconcile asks who changed the text.
 */
export interface WriteTrust {
  signer: StateSigner;
  /** The issue's title, read with the body. */
  title: string;
  /** GitHub's counts of body edits and title renames, read with the body. */
  counts?: EditCounts;
  acceptAll?: boolean;
  /** Believe markers without a MAC: only to sign in place a block written before state was signed. */
  believeUnsigned?: boolean;
  /** Accept no text, whatever its digest (writing back an edit no pass has judged yet). */
  neverAccept?: boolean;
}

export function applyPatch(
  freshBody: string | null | undefined,
  patch: PlanPatch,
  options: ApplyOptions = {},
): ApplyResult {
  try {
    return apply(freshBody ?? "", patch, options);
  } catch (error) {
    // Unreachable by design; a bad patch must not crash a reconcile.
    return { ok: false, error: `Orchestra could not update the issue description (${String(error)}).` };
  }
}

function apply(input: string, patch: PlanPatch, options: ApplyOptions): ApplyResult {
  const { trust } = options;
  const result = parseBody(input, trust && !trust.believeUnsigned ? { verifier: trust.signer } : {});
  if (!result.ok) return result;
  const fresh = result.parsed;
  const freshDigest = trust ? contentDigest(trust.title, fresh) : undefined;
  const accepts =
    trust !== undefined &&
    trust.neverAccept !== true &&
    (trust.acceptAll === true || freshDigest === fresh.plan?.accepted || freshDigest === patch.acceptDigest);
  let target: ParsedBody;
  // The person's own text, for the error when it leaves no room (the separator is not theirs).
  let ownText = fresh.before.length + fresh.after.length;
  if (fresh.plan) {
    target = { ...fresh, plan: clonePlan(fresh.plan) };
  } else if (patch.replacePending) {
    const placed = placeNewBlock(input, fresh.eol, options.adoptChecklistAt);
    if (typeof placed === "string") return { ok: false, error: placed };
    // A body ending in a lone CR turns CRLF once a line feed follows it, so it takes CRLF now.
    const eol = placed.before.includes("\r\n") ? "\r\n" : fresh.eol;
    target = { ...placed, eol, plan: { status: "planned", runs: 0, tasks: [] } };
    const range = options.adoptChecklistAt;
    if (range) ownText -= range.end - range.start;
  } else {
    return { ok: true, body: input, changed: false, folded: false }; // a person removed the plan
  }
  const plan = target.plan as Plan;
  applyEpicFields(plan, patch);
  // Task patches name ids the caller read, so they go before re-planning renumbers anything.
  for (const taskPatch of patch.tasks ?? []) {
    const task = plan.tasks.find((candidate) => candidate.id === taskPatch.id);
    if (task) applyTaskPatch(task, taskPatch);
  }
  if (patch.replacePending) replacePending(plan, patch.replacePending);
  if (patch.addTasks) addTasks(plan, patch.addTasks);
  for (const change of patch.taskDeps ?? []) {
    const task = plan.tasks.find((candidate) => candidate.id === change.id);
    if (task && task.state === "pending" && task.attempt === 0) task.deps = change.deps.filter((dep) => dep !== task.id);
  }
  for (const created of patch.subIssuesCreated ?? []) {
    const task = plan.tasks.find((candidate) => candidate.id === created.id);
    if (!task || !isCount(created.issue) || task.issue !== undefined) continue;
    Object.assign(task, { issue: created.issue, title: `#${created.issue}`, details: "" });
  }
  for (const task of plan.tasks) task.checked = isTicked(task.state);
  trackLiveAttempts(plan, patch.closedOut ?? []);

  const fitted = fit(target, ownText);
  if (typeof fitted === "string") return { ok: false, error: fitted };
  if (!trust) return { ok: true, body: fitted.body, changed: fitted.body !== input, folded: fitted.folded };
  if (accepts) {
    plan.accepted = contentDigest(trust.title, target);
    delete plan.held;
  }
  let body = renderBody(target, trust.signer);
  // This write is itself an edit: counted, so the next reconcile asks only about edits after it.
  if (accepts && trust.counts && body !== input) {
    plan.seen = { edits: trust.counts.edits + 1, renames: trust.counts.renames };
    body = renderBody(target, trust.signer);
  }
  return { ok: true, body, changed: body !== input, folded: fitted.folded };
}

/**
 * The attempts under way, plus those a person took away (deleted the task, or ticked it) that
 * are not closed out yet: Orchestra keeps them in the block so that the close-out survives any
 * restart or lost webhook.
 */
function trackLiveAttempts(plan: Plan, closedOut: string[]): void {
  const key = (attempt: TaskAttempt) => `${attempt.id}.${attempt.attempt}`;
  const done = new Set(closedOut);
  const current = plan.tasks.filter((task) => ACTIVE_STATES.has(task.state) && task.attempt > 0).map((task) => ({ id: task.id, attempt: task.attempt }));
  const takenAway = (plan.live ?? []).filter((attempt) => {
    const task = plan.tasks.find((candidate) => candidate.id === attempt.id);
    return !done.has(key(attempt)) && (!task || (task.state === "done" && task.attempt === attempt.attempt));
  });
  const live = [...current, ...takenAway.filter((attempt) => !current.some((other) => key(other) === key(attempt)))];
  if (live.length > 0) plan.live = live;
  else delete plan.live;
}

function clonePlan(plan: Plan): Plan {
  return { ...plan, tasks: plan.tasks.map((task) => ({ ...task, deps: [...task.deps] })) };
}

/** Where a first block goes: in place of an adopted checklist, or after the text and a blank line. */
function placeNewBlock(
  input: string,
  eol: "\n" | "\r\n",
  range: ApplyOptions["adoptChecklistAt"],
): { before: string; after: string } | string {
  if (range) {
    const { start, end } = range;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > input.length) {
      return `Orchestra tried to adopt the checklist at characters ${start}–${end}, which is not a range of the issue description (${input.length} characters). This is a bug in Orchestra; comment \`/orchestra plan\` to plan again.`;
    }
    const lineBreak = /(\r\n|\n|\r)$/.exec(input.slice(start, end))?.[1] ?? "";
    return { before: input.slice(0, start), after: lineBreak + input.slice(end) };
  }
  if (input === "" || /(\r?\n|\r)[ \t]*(\r?\n|\r)$/.test(input)) return { before: input, after: "" };
  const lineBreak = input.endsWith("\r") ? "\r\n" : eol;
  return { before: input + (/(\r?\n|\r)$/.test(input) ? lineBreak : lineBreak + lineBreak), after: "" };
}

function applyEpicFields(plan: Plan, patch: PlanPatch): void {
  if (patch.status !== undefined && isEpicStatus(patch.status)) plan.status = patch.status;
  if ("statusComment" in patch) {
    if (isCount(patch.statusComment)) plan.statusComment = patch.statusComment;
    else delete plan.statusComment;
  }
  if (patch.runsDelta !== undefined && Number.isSafeInteger(patch.runsDelta)) {
    plan.runs = Math.max(0, plan.runs + patch.runsDelta);
  }
  if (patch.llmTokensDelta !== undefined && Number.isSafeInteger(patch.llmTokensDelta) && patch.llmTokensDelta > 0) {
    plan.llmTokens = Math.min(Number.MAX_SAFE_INTEGER, (plan.llmTokens ?? 0) + patch.llmTokensDelta);
  }
  if (isCount(patch.commandCursor) && patch.commandCursor > (plan.commandCursor ?? -1)) plan.commandCursor = patch.commandCursor;
  if (patch.held !== undefined) {
    if (patch.held) plan.held = patch.held;
    else delete plan.held;
  }
}

/**
 * Fields present in the patch overwrite; an optional field present with `undefined` is cleared
 * (a new attempt drops the old agent and PR); absent fields are left alone. `checked` is not
 * taken from the patch: the checkbox follows the state.
 */
function applyTaskPatch(task: Task, patch: TaskPatch): void {
  if (patch.state !== undefined && isTaskState(patch.state)) task.state = patch.state;
  if (isCount(patch.attempt)) task.attempt = patch.attempt;
  if (isCount(patch.fixes)) task.fixes = patch.fixes;
  for (const key of ["pr", "notBefore", "followupAt", "startedAt", "finishedAt", "launchedAt", "refusals", "refusedAt", "stuckAt"] as const) {
    if (!(key in patch)) continue;
    const value = patch[key];
    if (isCount(value)) task[key] = value;
    else delete task[key];
  }
  for (const key of ["agent", "followup", "reason", "refused", "stuck", "accepted"] as const) {
    if (!(key in patch)) continue;
    const value = patch[key];
    if (value) task[key] = value;
    else delete task[key];
  }
}

/**
 * Started and finished tasks stay where they are; pending ones give way to the planner's list,
 * appended with ids after the highest kept one. Numbering from the kept tasks (not from the
 * removed pending ones) makes re-applying the same plan give the same ids.
 */
function replacePending(plan: Plan, planned: PlannedTask[]): void {
  // A pending task that was launched before (waiting for its next attempt) keeps its id: its
  // branches and pull requests carry it.
  const kept = plan.tasks.filter((task) => task.state !== "pending" || task.attempt > 0);
  const used = new Set(kept.map((task) => task.id));
  let highest = highestTaskNumber(kept);
  const ids = planned.map(() => {
    let id: string;
    do id = `t${++highest}`;
    while (used.has(id));
    used.add(id);
    return id;
  });
  // The planner's own ids win over kept ids of the same spelling: they are what it meant.
  const byPlannerId = new Map<string, string>();
  planned.forEach((task, i) => {
    if (!byPlannerId.has(task.id)) byPlannerId.set(task.id, ids[i] as string);
  });
  const keptIds = new Set(kept.map((task) => task.id));
  const added = planned.map((task, i): Task => {
    const id = ids[i] as string;
    const deps = task.deps
      .map((dep) => byPlannerId.get(dep) ?? (keptIds.has(dep) ? dep : undefined))
      .filter((dep): dep is string => dep !== undefined && dep !== id);
    return newTask(id, task, deps);
  });
  plan.tasks = [...kept, ...added];
}

/** Sub-issues added to the epic: appended with fresh ids, each issue at most once. */
function addTasks(plan: Plan, planned: PlannedTask[]): void {
  const has = new Set(plan.tasks.map((task) => task.issue).filter((issue) => issue !== undefined));
  const fresh = planned.filter((task) => !isCount(task.issue) || !has.has(task.issue));
  if (fresh.length === 0) return;
  let highest = Math.max(highestTaskNumber(plan.tasks), (plan.nextId ?? 1) - 1);
  const ids = new Map(fresh.map((task) => [task.id, `t${++highest}`]));
  const existing = new Set(plan.tasks.map((task) => task.id));
  for (const task of fresh) {
    const id = ids.get(task.id)!;
    const deps = task.deps.map((dep) => ids.get(dep) ?? (existing.has(dep) ? dep : undefined)).filter((dep): dep is string => dep !== undefined && dep !== id);
    plan.tasks.push(newTask(id, task, deps));
  }
}

/** A planned task as it enters the block: not started, ticked only when already done. */
function newTask(id: string, task: PlannedTask, deps: string[]): Task {
  return {
    id,
    title: canonicalTitle(task.title),
    details: canonicalDetails(task.details),
    checked: task.done === true,
    state: task.done ? "done" : "pending",
    attempt: 0,
    deps: [...new Set(deps)],
    fixes: 0,
    ...(isCount(task.issue) ? { issue: task.issue } : {}),
  };
}

/**
 * Keeps the body under MAX_BODY_LENGTH by dropping the details of finished tasks, oldest (first
 * in the list) first. The user's text is never cut.
 */
function fit(parsed: ParsedBody, ownText: number): { body: string; folded: boolean } | string {
  const plan = parsed.plan as Plan;
  let length = renderBody(parsed).length;
  let folded = false;
  for (const task of plan.tasks) {
    if (length <= MAX_BODY_LENGTH) break;
    if (!isTicked(task.state) || task.details === "") continue;
    // Counted rather than re-rendered, so a long plan folds in one pass.
    length -= renderDetailLines(task.details).reduce((sum, line) => sum + line.length + parsed.eol.length, 0);
    task.details = "";
    folded = true;
  }
  const body = renderBody(parsed);
  if (body.length <= MAX_BODY_LENGTH) return { body, folded };

  const limits = `Orchestra keeps issue descriptions under ${format(MAX_BODY_LENGTH)} characters (GitHub's limit is 65,536)`;
  const outside = parsed.before.length + parsed.after.length;
  if (outside + renderPlan({ ...plan, tasks: [] }, parsed.eol).length > MAX_BODY_LENGTH) {
    return `The issue description is ${format(ownText)} characters long without Orchestra's plan, which leaves no room for the plan: ${limits}. Shorten the description (move long material into a comment or a linked file); the plan is written once it fits.`;
  }
  return `The plan is too long for the issue description: with it the description would be ${format(body.length)} characters (${format(ownText)} of them your own text) even after folding the details of finished tasks, and ${limits}. Shorten the details of the open tasks or the description, or split the epic into smaller epics.`;
}

function format(n: number): string {
  return n.toLocaleString("en-US");
}
