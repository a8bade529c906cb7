/**
 * The text format of Orchestra's block in the issue body: markers, attribute encoding, and the
 * canonical rendering. Parsing lives in `checklist-parse.ts`; both share the helpers here so that
 * what one writes the other reads back exactly.
 */
import { MAC_ATTRIBUTE, type MarkerKind, type StateSigner } from "./trust/state-mac.js";
import type { EditCounts, EpicStatus, ParsedBody, Plan, Task, TaskAttempt, TaskState } from "./types.js";
import { EPIC_STATUSES, TASK_STATES } from "./types.js";

/** Opens the block; followed by the version and the epic's attributes, closed by `-->`. */
export const PLAN_START = "<!-- orchestra:plan";
/** Closes the block. */
export const PLAN_END = "<!-- orchestra:plan:end -->";
/** Starts a task's metadata comment at the end of its checklist item. */
export const TASK_MARKER = "<!-- orchestra:task";
export const PLAN_VERSION = "v1";
export const TASKS_HEADING = "### Tasks";

/** Every marker Orchestra recognises starts with this, so removing it makes text inert. */
const MARKER_PREFIX = "<!-- orchestra:";

/** Line breaks as the parser splits them; everything else (even U+2028) stays inside a line. */
export const LINE_BREAK = /\r\n|\n|\r/;

const TICKED_STATES: ReadonlySet<TaskState> = new Set<TaskState>(["merged", "skipped", "done"]);

/** The checkbox shows finished work: merged or skipped by Orchestra, or ticked by a person. */
export function isTicked(state: TaskState): boolean {
  return TICKED_STATES.has(state);
}

export function isTaskState(value: string): value is TaskState {
  return (TASK_STATES as readonly string[]).includes(value);
}

export function isEpicStatus(value: string): value is EpicStatus {
  return (EPIC_STATUSES as readonly string[]).includes(value);
}

export function isBlank(line: string): boolean {
  return line.trim() === "";
}

/**
 * Removes Orchestra markers from text a person or the planner wrote (titles, details), so that no
 * title can smuggle in a second task marker or close the block early. Whole markers on one line
 * go; a prefix left over (unclosed, or formed by the removal itself) is defused with a space,
 * which cannot form a new prefix, so one pass suffices and the result is stable. Written as a
 * scan rather than a lazy regex so that a line full of prefixes costs linear time.
 */
export function stripMarkers(text: string): string {
  if (!text.includes(MARKER_PREFIX)) return text;
  let out = "";
  let pos = 0;
  // Next `-->`, `\n` and `\r` at or after the current prefix; each only moves forward.
  let close = -1;
  let lf = -1;
  let cr = -1;
  for (let at = text.indexOf(MARKER_PREFIX); at !== -1; at = text.indexOf(MARKER_PREFIX, pos)) {
    const from = at + MARKER_PREFIX.length;
    if (close < from) close = indexOrEnd(text, "-->", from);
    if (lf < from) lf = indexOrEnd(text, "\n", from);
    if (cr < from) cr = indexOrEnd(text, "\r", from);
    out += text.slice(pos, at);
    if (close < Math.min(lf, cr)) {
      pos = close + 3;
    } else {
      out += DEFUSED_PREFIX;
      pos = from;
    }
  }
  return (out + text.slice(pos)).replaceAll(MARKER_PREFIX, DEFUSED_PREFIX);
}

const DEFUSED_PREFIX = "<!-- orchestra :";

function indexOrEnd(text: string, search: string, from: number): number {
  const index = text.indexOf(search, from);
  return index === -1 ? Number.POSITIVE_INFINITY : index;
}

/** A title is one line: line breaks become spaces, markers go, the ends are trimmed. */
export function canonicalTitle(title: string): string {
  return stripMarkers(title.replace(/[\r\n]+/g, " ")).trim();
}

/** Details lines without markers and without blank lines at either end. */
export function canonicalDetailLines(details: string): string[] {
  const lines = stripMarkers(details).split(LINE_BREAK);
  let first = 0;
  let last = lines.length;
  while (first < last && isBlank(lines[first] ?? "")) first++;
  while (last > first && isBlank(lines[last - 1] ?? "")) last--;
  return lines.slice(first, last);
}

export function canonicalDetails(details: string): string {
  return canonicalDetailLines(details).join("\n");
}

// ---------------------------------------------------------------------------------------------
// Attribute values

/** Values made only of these characters are written as they are; others are percent-encoded. */
const PLAIN_VALUE = /^[A-Za-z0-9._:,-]*$/;
/** The same inside `deps`, minus the comma that separates the ids. */
const PLAIN_DEP = /^[A-Za-z0-9._:-]*$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function encodeValue(value: string, plain: RegExp = PLAIN_VALUE): string {
  if (plain.test(value)) return value;
  // encodeURIComponent throws on lone surrogates; they carry no meaning, so they become U+FFFD.
  return encodeURIComponent(value.replace(LONE_SURROGATE, "\uFFFD"));
}

/** Plain values hold no `%`, so decoding every value is safe; a malformed escape stays as typed. */
export function decodeValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** `key=value` tokens of a marker (the first occurrence of a key wins) and the bare tokens. */
export function readAttributes(text: string): { attributes: Map<string, string>; bare: string[] } {
  const attributes = new Map<string, string>();
  const bare: string[] = [];
  for (const token of text.split(/\s+/)) {
    if (token === "") continue;
    const eq = token.indexOf("=");
    if (eq <= 0) {
      bare.push(token);
      continue;
    }
    const key = token.slice(0, eq);
    if (!attributes.has(key)) attributes.set(key, token.slice(eq + 1));
  }
  return { attributes, bare };
}

/** A non-negative safe integer written in decimal, or undefined. */
export function readCount(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

export function readDeps(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(",")
    .filter((dep) => dep !== "")
    .map(decodeValue);
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** `e.r`: body edits and title renames GitHub had recorded. */
export function formatEditCounts(counts: EditCounts): string {
  return `${counts.edits}.${counts.renames}`;
}

export function readEditCounts(value: string | undefined): EditCounts | undefined {
  const match = value === undefined ? null : /^(\d{1,9})\.(\d{1,9})$/.exec(value);
  return match ? { edits: Number(match[1]), renames: Number(match[2]) } : undefined;
}

/** `t3.1`: task t3's first attempt. */
export function formatAttempt(attempt: TaskAttempt): string {
  return `${encodeValue(attempt.id, PLAIN_DEP)}.${attempt.attempt}`;
}

export function readAttempts(value: string | undefined): TaskAttempt[] {
  return (value ?? "")
    .split(",")
    .map((entry) => /^(.+)\.(\d{1,6})$/.exec(entry))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ id: decodeValue(match[1]!), attempt: Number(match[2]) }));
}

/** The highest `t<n>` among the tasks, so new ids follow it. */
export function highestTaskNumber(tasks: readonly Task[]): number {
  return tasks.reduce((max, task) => Math.max(max, taskNumber(task.id)), 0);
}

/** n for ids of the form `t<n>`, so new ids follow the highest; 0 for any other id. */
export function taskNumber(id: string): number {
  const match = /^t(\d{1,15})$/.exec(id);
  return match ? Number(match[1]) : 0;
}

/** Writes a marker from its attributes, with the MAC over them when a signer is given. */
function marker(prefix: string, bare: string[], attributes: Map<string, string>, kind: MarkerKind, signer?: StateSigner): string {
  if (signer) attributes.set(MAC_ATTRIBUTE, signer.mac(kind, attributes));
  const parts = [prefix, ...bare, ...[...attributes].map(([key, value]) => `${key}=${value}`), "-->"];
  return parts.join(" ");
}

function planMarker(plan: Plan, signer?: StateSigner): string {
  const attributes = new Map<string, string>();
  if (plan.status !== "planned") attributes.set("status", plan.status);
  if (isCount(plan.runs) && plan.runs !== 0) attributes.set("runs", String(plan.runs));
  if (isCount(plan.statusComment)) attributes.set("comment", String(plan.statusComment));
  // Kept even when the task with the highest id is deleted, so its id (and branch) is never reused.
  const next = Math.max(isCount(plan.nextId) ? plan.nextId : 0, highestTaskNumber(plan.tasks) + 1);
  if (next > 1) attributes.set("next", String(next));
  if (plan.accepted) attributes.set("text", encodeValue(plan.accepted));
  if (plan.seen && isCount(plan.seen.edits) && isCount(plan.seen.renames)) attributes.set("seen", formatEditCounts(plan.seen));
  if (plan.held) attributes.set("held", encodeValue(plan.held));
  if (isCount(plan.commandCursor)) attributes.set("cmd", String(plan.commandCursor));
  if (plan.live && plan.live.length > 0) attributes.set("live", plan.live.map(formatAttempt).join(","));
  if (isCount(plan.llmTokens) && plan.llmTokens !== 0) attributes.set("tokens", String(plan.llmTokens));
  return marker(PLAN_START, [PLAN_VERSION], attributes, "plan", signer);
}

/** Attributes in a fixed order, each omitted at its default. */
function taskMarker(task: Task, signer?: StateSigner): string {
  const attributes = new Map<string, string>([["id", encodeValue(task.id)]]);
  if (task.state !== "pending") attributes.set("state", task.state);
  if (isCount(task.attempt) && task.attempt !== 0) attributes.set("attempt", String(task.attempt));
  if (task.agent) attributes.set("agent", encodeValue(task.agent));
  if (isCount(task.pr)) attributes.set("pr", String(task.pr));
  const deps = task.deps.filter((dep) => dep !== "");
  if (deps.length > 0) attributes.set("deps", deps.map((dep) => encodeValue(dep, PLAIN_DEP)).join(","));
  if (isCount(task.fixes) && task.fixes !== 0) attributes.set("fixes", String(task.fixes));
  if (task.followup) attributes.set("followup", encodeValue(task.followup));
  if (isCount(task.followupAt)) attributes.set("asked", String(task.followupAt));
  if (task.reason) attributes.set("reason", encodeValue(task.reason));
  if (isCount(task.notBefore)) attributes.set("after", String(task.notBefore));
  if (isCount(task.startedAt)) attributes.set("started", String(task.startedAt));
  if (isCount(task.finishedAt)) attributes.set("finished", String(task.finishedAt));
  if (isCount(task.launchedAt)) attributes.set("launched", String(task.launchedAt));
  if (task.refused) attributes.set("refused", encodeValue(task.refused));
  if (isCount(task.refusals) && task.refusals !== 0) attributes.set("refusals", String(task.refusals));
  if (isCount(task.refusedAt)) attributes.set("refusedat", String(task.refusedAt));
  if (task.stuck) attributes.set("stuck", encodeValue(task.stuck));
  if (isCount(task.stuckAt)) attributes.set("stuckat", String(task.stuckAt));
  if (isCount(task.issue)) attributes.set("issue", String(task.issue));
  if (task.accepted) attributes.set("accepted", encodeValue(task.accepted));
  return marker(TASK_MARKER, [], attributes, "task", signer);
}

export function renderItemLine(task: Task, signer?: StateSigner): string {
  const title = canonicalTitle(task.title);
  return `- [${isTicked(task.state) ? "x" : " "}] ${title === "" ? "" : `${title} `}${taskMarker(task, signer)}`;
}

/** Detail lines as written: indented by two spaces, blank lines left empty. */
export function renderDetailLines(details: string): string[] {
  return canonicalDetailLines(details).map((line) => (line === "" ? "" : `  ${line}`));
}

/**
 * The block alone, from the start marker to the end marker, without a final line break. With a
 * signer every marker carries its MAC: that is how Orchestra writes; without one, tests and
 * tools render the same text unsigned.
 */
export function renderPlan(plan: Plan, eol: "\n" | "\r\n", signer?: StateSigner): string {
  const lines = [planMarker(plan, signer), TASKS_HEADING];
  for (const task of plan.tasks) lines.push(renderItemLine(task, signer), ...renderDetailLines(task.details));
  lines.push(PLAN_END);
  return lines.join(eol);
}

/** The whole body: the user's text around the block, exactly as it was. */
export function renderBody(parsed: ParsedBody, signer?: StateSigner): string {
  if (parsed.plan === null) return parsed.before + parsed.after;
  return parsed.before + renderPlan(parsed.plan, parsed.eol, signer) + parsed.after;
}
