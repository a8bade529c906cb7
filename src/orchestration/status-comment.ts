import { pullNumberOf } from "./naming.js";
import type { EpicStatus, Plan, Task, TaskState } from "./types.js";

/**
 * The epic's one status comment, edited in place. Rendering is pure and deterministic (no
 * timestamps, no map iteration order): the same view always gives the same text, so the caller
 * compares it with the current comment and skips the edit, and its API request, when equal.
 */

export const STATUS_MARKER = "<!-- orchestra:status -->";

export interface TaskView {
  task: Task;
  prUrl?: string;
  /** The Cursor agent's status as last observed (e.g. RUNNING, FINISHED). */
  agentStatus?: string;
  /** What this task waits for, one line (e.g. "checks on #14"). */
  waitingFor?: string;
}

export interface StatusView {
  plan: Plan;
  tasks: TaskView[];
  /** What Orchestra waits for now, one line. */
  waitingFor: string;
  budget: { used: number; limit: number };
  /** LLM tokens the epic spent, and `budget.llmTokens` when set; the line shows once either is. */
  tokens?: { used: number; limit?: number };
  issueNumber: number;
  /** A sentence shown above the progress line (e.g. what planning did). */
  headline?: string;
}

/** A small emoji per state, so the table reads at a glance. */
const STATE_LABELS: Record<TaskState, string> = {
  pending: "⏳ pending",
  running: "🤖 running",
  pr_open: "🔍 PR open",
  merging: "🔀 merging",
  merged: "✅ merged",
  failed: "❌ failed",
  skipped: "⏭️ skipped",
  done: "☑️ done by hand",
};

export function stateLabel(state: TaskState): string {
  return STATE_LABELS[state];
}

const TITLE_MAX = 80;

export function renderStatusComment(view: StatusView): string {
  const waiting = neutralizeHtml(oneLine(view.waitingFor, 200)) || "nothing";
  return [
    STATUS_MARKER,
    "### Orchestra status",
    "",
    ...(view.headline ? [view.headline, ""] : []),
    progressLine(view),
    "",
    renderStatusTable(view),
    "",
    `**Waiting for:** ${waiting}`,
    "",
    budgetLine(view.budget, view.plan.status) + tokensText(view.tokens, view.plan.status),
    "",
    "<sub>This comment is updated in place. Comment `/orchestra help` for the commands.</sub>",
  ].join("\n");
}

/** The task table alone; also the reply to `/orchestra status`. */
export function renderStatusTable(view: StatusView): string {
  if (view.tasks.length === 0) return "_No tasks yet._";
  const header = ["#", "Id", "Task", "State", "PR", "Attempts", "Agent", "Waiting for"];
  const rows = view.tasks.map((item, index) => {
    const { task } = item;
    // The number `/retry 3` understands is the position in the plan, not in this view.
    const position = view.plan.tasks.findIndex((candidate) => candidate.id === task.id);
    return [
      String(position === -1 ? index + 1 : position + 1),
      tableCell(task.id, 20),
      // A sub-issue's number is Orchestra's own (signed), and the link to it is the point.
      task.issue !== undefined ? `#${task.issue}` : titleCell(task.title, TITLE_MAX),
      stateCell(task),
      prCell(task, item.prUrl),
      attemptsCell(task),
      tableCell(item.agentStatus ?? "", 30),
      tableCell(item.waitingFor ?? "", TITLE_MAX),
    ];
  });
  return [
    tableRow(header),
    "| ---: | --- | --- | --- | --- | ---: | --- | --- |",
    ...rows.map(tableRow),
  ].join("\n");
}

/** Whether a comment body is the epic's status comment. */
export function isStatusComment(body: string): boolean {
  return body.split(/\r?\n/, 1)[0]?.trim() === STATUS_MARKER;
}

function progressLine(view: StatusView): string {
  const count = (states: TaskState[]): number =>
    view.tasks.filter((item) => states.includes(item.task.state)).length;
  const parts = [`**${count(["merged"])} of ${view.tasks.length} merged**`];
  const extras: Array<[number, string]> = [
    [count(["running", "pr_open", "merging"]), "in progress"],
    [count(["failed"]), "failed"],
    [count(["skipped"]), "skipped"],
    [count(["done"]), "done by hand"],
  ];
  for (const [n, label] of extras) if (n > 0) parts.push(`${n} ${label}`);
  parts.push(`epic ${view.plan.status}`);
  return parts.join(" · ");
}

function budgetLine(budget: { used: number; limit: number }, status: EpicStatus): string {
  const line = `Agent runs: ${budget.used} of ${budget.limit}`;
  // Advice to raise the budget only matters while the epic can still launch agents.
  if (budget.used < budget.limit || status === "completed" || status === "stopped") return line;
  return `${line}: the budget is used up; raise \`budget.agentRuns\` in \`.github/orchestra.yml\` to launch more.`;
}

function tokensText(tokens: StatusView["tokens"], status: EpicStatus): string {
  if (!tokens || (tokens.used === 0 && tokens.limit === undefined)) return "";
  const count = (n: number) => n.toLocaleString("en-US");
  const text = ` · LLM tokens: ${count(tokens.used)}${tokens.limit === undefined ? "" : ` of ${count(tokens.limit)}`}`;
  if (tokens.limit === undefined || tokens.used < tokens.limit || status === "completed" || status === "stopped") return text;
  return `${text}: the budget is used up; raise \`budget.llmTokens\` in \`.github/orchestra.yml\` to go on.`;
}

function stateCell(task: Task): string {
  const label = stateLabel(task.state);
  if (task.state !== "failed" || !task.reason) return label;
  return `${label}: ${tableCell(task.reason, 60)}`;
}

function prCell(task: Task, prUrl: string | undefined): string {
  // GitHub links `#14` to the pull request of this repository, which is where task PRs live.
  if (task.pr !== undefined) return `#${task.pr}`;
  if (!prUrl) return "";
  const number = pullNumberOf(prUrl);
  if (number !== undefined) return `#${number}`;
  return /^https:\/\/[^\s()<>|]+$/.test(prUrl) ? `[PR](${prUrl})` : "";
}

function attemptsCell(task: Task): string {
  if (task.attempt === 0) return "";
  if (task.fixes === 0) return String(task.attempt);
  return `${task.attempt} (${task.fixes} fix${task.fixes === 1 ? "" : "es"})`;
}

function tableRow(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}

// ---------------------------------------------------------------------------------------------
// Markdown safety for text Orchestra did not write (titles, reasons, agent states).

/** One line of at most `max` code points, "…" marking a cut. */
export function oneLine(text: string, max: number): string {
  const chars = Array.from(text.replace(/\s+/g, " ").trim());
  return chars.length <= max ? chars.join("") : `${chars.slice(0, max - 1).join("")}…`;
}

/**
 * Text safe inside a table cell: one line, capped, `|` escaped (GitHub needs `\|` even inside
 * code spans), and HTML neutralised so that a title can neither open a `<details>` that swallows
 * the rest of the comment nor forge one of Orchestra's hidden `<!-- orchestra… -->` markers.
 */
export function tableCell(text: string, max: number): string {
  // Backslashes just before a pipe are doubled too, so "a\|b" cannot turn into an escaped
  // backslash followed by a real cell separator in renderers that read escapes left to right.
  return neutralizeMentions(neutralizeHtml(oneLine(text, max))).replace(/(\\*)\|/g, (_match, slashes: string) => `${slashes}${slashes}\\|`);
}

/**
 * `@name` in text Orchestra did not write would notify that person from Orchestra's comment: a
 * word joiner after the `@` keeps it readable and inert.
 */
export function neutralizeMentions(text: string): string {
  return text.replace(/(^|[^\p{L}\p{N}_`])@(?=[\p{L}\p{N}_])/gu, "$1@\u2060");
}

/**
 * Mentions and `#123` references (also `owner/repo#123`) in a title or an agent's summary: a
 * reference would put Orchestra's comment into another issue's timeline.
 */
export function neutralizeReferences(text: string): string {
  return neutralizeMentions(text).replace(/(^|[^\p{L}\p{N}_`&])#(?=[\p{L}\p{N}_])/gu, "$1#\u2060");
}

/** A task's title in a table: a cell, with its mentions and references made inert. */
export function titleCell(title: string, max: number): string {
  return tableCell(neutralizeReferences(title), max);
}

/**
 * Escapes `<` outside code spans as `&lt;` (which renders as `<`). Inside code spans nothing is
 * interpreted, so only a comment opener is broken there, to keep markers unforgeable.
 */
export function neutralizeHtml(text: string): string {
  let out = "";
  let i = 0;
  const runsWithoutCloser = new Set<number>(); // keeps many unmatched backticks linear
  while (i < text.length) {
    const char = text[i] ?? "";
    if (char === "\\" && i + 1 < text.length) {
      out += text.slice(i, i + 2); // already escaped: "\<" renders "<" and opens nothing
      i += 2;
      continue;
    }
    if (char === "`") {
      let run = 0;
      while (text[i + run] === "`") run += 1;
      const close = runsWithoutCloser.has(run) ? -1 : closingRun(text, i + run, run);
      if (close === -1) {
        runsWithoutCloser.add(run);
        out += text.slice(i, i + run);
        i += run;
        continue;
      }
      out += text.slice(i, close + run).replace(/<!--/g, "&lt;!--");
      i = close + run;
      continue;
    }
    out += char === "<" ? "&lt;" : char;
    i += 1;
  }
  return out;
}

function closingRun(text: string, from: number, length: number): number {
  let i = text.indexOf("`", from);
  while (i !== -1) {
    let run = 0;
    while (text[i + run] === "`") run += 1;
    if (run === length) return i;
    i = text.indexOf("`", i + run);
  }
  return -1;
}
