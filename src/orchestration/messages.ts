import { neutralizeHtml, neutralizeMentions, oneLine, stateLabel, tableCell, titleCell } from "./status-comment.js";
import type { ContentPart } from "./trust/content-digest.js";
import type { TaskState } from "./types.js";

/**
 * Every text Orchestra posts on an epic, as small pure functions, so wording lives in one place
 * and tests can read it. Each says what happened and which command continues.
 *
 * Safety rules for text that comes from elsewhere (errors, reasons, titles): errors go into code
 * blocks with secrets redacted; one-line text is flattened and HTML-neutralised; nothing a
 * message contains ever parses as a slash command, so Orchestra cannot command itself.
 */

// ---------------------------------------------------------------------------------------------
// Hidden markers: a comment's identity, so a retried action edits it instead of posting twice.

const MARKER_PATTERN = /<!-- orchestra:comment key=([^\s>]*) -->/;

/**
 * `<!-- orchestra:comment key=<key> -->`. Characters outside a safe set are percent-encoded, so
 * any key (even one holding `-->` or spaces) gives a well-formed marker and distinct keys stay
 * distinct.
 */
export function commentMarker(key: string): string {
  const safe = Array.from(key)
    .map((char) => (/^[A-Za-z0-9._:/#=-]$/.test(char) ? char : percentEncode(char)))
    .join("");
  return `<!-- orchestra:comment key=${safe} -->`;
}

/** The key of the first marker in a comment body, or null when it carries none. */
export function findMarkerKey(body: string): string | null {
  const raw = MARKER_PATTERN.exec(body)?.[1];
  if (raw === undefined) return null;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // not written by commentMarker; still an identity worth returning
  }
}

/** A comment body carrying its marker on the first line. */
export function withMarker(key: string, body: string): string {
  return `${commentMarker(key)}\n${body}`;
}

function percentEncode(char: string): string {
  return Array.from(new TextEncoder().encode(char), (byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join(
    "",
  );
}

// ---------------------------------------------------------------------------------------------
// Planning

export function planWritten(count: number, autoStart: boolean): string {
  if (count === 0) {
    return "📋 The planner proposed no tasks. Comment `/orchestra plan` followed by instructions to try again, or write the checklist yourself in the issue description.";
  }
  const editHint =
    "Edit the checklist in the issue description to change the plan, or comment `/orchestra plan` followed by instructions to plan again.";
  if (autoStart) return `📋 Planned ${tasks(count)} and started ${count === 1 ? "it" : "the first"}. ${editHint}`;
  return `📋 Planned ${tasks(count)}. Comment \`/orchestra start\` to run ${count === 1 ? "it" : "them"}. ${editHint}`;
}

export function configInvalid(error: string): string {
  return [
    "⚠️ **`.github/orchestra.yml` is not valid**, so Orchestra did nothing else.",
    "",
    codeBlock(error),
    "",
    "Fix the file on the default branch, then repeat the command or add the label again.",
  ].join("\n");
}

export function missingLlmKey(error: string): string {
  return [
    "⚠️ **Orchestra cannot plan this epic**: no language model is available to it.",
    "",
    codeBlock(error),
    "",
    "Whoever runs the app must set `OPENAI_API_KEY` or `ANTHROPIC_API_KEY`. Meanwhile you can write the plan yourself: a checklist of `- [ ]` items in the issue description, which Orchestra runs as it is.",
  ].join("\n");
}

export function plannerFailed(error: string): string {
  return [
    "⚠️ **Planning failed**, so nothing was changed.",
    "",
    codeBlock(error),
    "",
    "Comment `/orchestra plan` to try again, optionally followed by instructions (`/orchestra plan at most 5 tasks`), or write the checklist yourself in the issue description.",
  ].join("\n");
}

export function bodyParseError(error: string): string {
  return [
    "⚠️ **Orchestra cannot read its task list in the issue description**, so it changed nothing.",
    "",
    codeBlock(error),
    "",
    "Undo the last edit of the checklist or fix what the error names; Orchestra reads the description again when it is saved.",
  ].join("\n");
}

const PART_NAMES: Record<ContentPart, string> = { title: "the title", text: "the description", tasks: "the task list" };

/**
 * The text agents read changed without a writer's approval. `editors` are the people (or apps)
 * without write access who changed it; `reason` says why Orchestra could not tell who did.
 */
export function untrustedEdit(editors: string[], changed: ContentPart[], reason?: string): string {
  const what = changed.length > 0 ? andList(changed.map((part) => PART_NAMES[part])) : "the description's hidden state";
  const who =
    editors.length > 0
      ? `${andList(editors.map((login) => inlineCode(login)))} changed ${what}`
      : `${what[0]?.toUpperCase() ?? ""}${what.slice(1)} changed, and Orchestra could not tell who changed it (${flatten(reason ?? "unknown")})`;
  return [
    `⏸️ **Nothing new starts on this epic**: ${who}. Agents work from this text, so only changes by people with write, maintain or admin permission take effect on their own.`,
    "",
    "A maintainer can review the issue and comment `/orchestra resume` (or `/orchestra start`) to go on with it as it is now.",
  ].join("\n");
}

export function labelRemoved(label: string): string {
  return `⏸️ **The epic is paused**: the ${inlineCode(label)} label was removed, and Orchestra only works on issues that carry it. Add the label again and comment \`/orchestra resume\` to continue.`;
}

export function unsignedBlockAdopted(tasks: number): string {
  return [
    `ℹ️ The plan block in this issue's description was not written by Orchestra for this issue (or its hidden state was changed by hand), so none of that state is used. Its ${tasks} item${tasks === 1 ? " was" : "s were"} adopted as a new plan.`,
    "",
    "Nothing runs until someone with write access comments `/orchestra start`.",
  ].join("\n");
}

export function pullOfRemovedTask(taskId: string, epic: number): string {
  return `Closing: ${flatten(taskId)} was removed from the task list of #${epic}, so this pull request will not be merged. Its branch is deleted.`;
}

/** PRs on a task's branch that Orchestra did not launch: they are never merged. */
export function foreignPulls(prs: number[], taskId: string, why: string): string {
  const list = andList(prs.slice(0, 10).map((pr) => `#${pr}`)) + (prs.length > 10 ? ` and ${prs.length - 10} more` : "");
  const verb = prs.length === 1 ? "uses" : "use";
  return `⚠️ ${list} ${verb} the branch name of ${flatten(taskId)} but ${flatten(why)}, so Orchestra will never merge ${prs.length === 1 ? "it" : "them"}. The task goes on with its own agent's pull request.`;
}

// ---------------------------------------------------------------------------------------------
// Merge blockers and deadlines

/** Why GitHub refused a merge that no change to the PR will fix, and what a person does about it. */
export function mergeRefused(
  taskId: string,
  pr: number,
  cause: string,
  detail: { method: string; message?: string },
): string {
  const said = detail.message ? ` GitHub said: ${flatten(detail.message)}` : "";
  const fix: Record<string, string> = {
    workflows:
      "it changes files under `.github/workflows`, and Orchestra's GitHub App lacks the **Workflows** permission. Fix: an owner gives the App `Workflows: Read and write` and accepts the new permission, or merges it by hand.",
    forbidden: `the App is not allowed to merge it.${said} Fix: give the App \`Contents\` and \`Pull requests\` write access (and \`Workflows\` if the pull request changes \`.github/workflows\`: GitHub answers this way then too), or let it bypass the branch's rules, or merge it by hand.`,
    method: `the repository does not allow ${inlineCode(detail.method)} merges. Fix: set \`mergeMethod\` in \`.github/orchestra.yml\` to a method the repository allows, or allow this one in its settings.`,
    invalid: `GitHub cannot process the merge.${said} Fix it on the pull request, or merge it by hand.`,
  };
  return [
    `⏸️ **The epic is paused**: GitHub refused to merge #${pr} of ${flatten(taskId)}: ${fix[cause] ?? fix.invalid}`,
    "",
    "Then comment `/orchestra resume`: Orchestra tries the merge again (or sees that it happened).",
  ].join("\n");
}

/** GitHub keeps refusing a merge for a reason Orchestra cannot see change: it says so once and keeps trying. */
export function mergeKeepsRefused(taskId: string, pr: number, refusals: number, reason: string): string {
  return [
    `⚠️ GitHub has refused to merge #${pr} of ${flatten(taskId)} ${refusals} times, with nothing changing in between: ${flatten(reason)}`,
    "",
    "Orchestra tries again when the pull request, its base, checks or reviews change, and otherwise every 15 minutes. Look at the pull request's merge box for what GitHub requires.",
  ].join("\n");
}

/** Checks that should run on a task's PR have not started after the configured time. */
export function checksNeverStarted(taskId: string, pr: number, sha: string, names: string[], minutes: number): string {
  const which = names.length > 0 ? `the required check${names.length === 1 ? "" : "s"} ${andList(names.map(inlineCode))}` : "any check";
  return [
    `⚠️ #${pr} of ${flatten(taskId)} has waited ${minutes} minutes for ${which}, and GitHub shows no run of ${names.length === 1 ? "it" : "them"} at ${sha.slice(0, 7)}.`,
    "",
    "Check that CI runs on pull requests to this branch and that the names required by the branch's rules match the checks' names (or set `requireChecks: false` for a repository without CI). Orchestra keeps waiting and merges once they pass.",
  ].join("\n");
}

export function detailsFolded(): string {
  return "ℹ️ The issue description is close to GitHub's size limit, so Orchestra folded away the details of finished tasks in its checklist. Their titles, states and pull requests are kept.";
}

export function editOverwritten(): string {
  return "⚠️ An edit of this description saved while Orchestra was writing it was overwritten, and the description was edited again since, so Orchestra did not put it back. It is in the description's edit history (the \"edited\" menu above): copy what you need from there.";
}

export function cursorKeyRejected(detail: string): string {
  return [
    "⏸️ **The epic is paused: Cursor rejected the API key** Orchestra runs with.",
    "",
    codeBlock(redactSecrets(detail), 500),
    "",
    "Whoever runs the app must set a valid `CURSOR_API_KEY` and restart it; then comment `/orchestra resume`.",
  ].join("\n");
}

export function dailyAgentCapReached(cap: number, resumesAt: string): string {
  return [
    `⏸️ **Agent launches wait until ${resumesAt}**: this installation has launched its ${cap} agents for today (the daily cap set by whoever runs Orchestra, \`ORCHESTRA_INSTALLATION_DAILY_AGENT_RUNS\`).`,
    "",
    "Agents already running go on, and their pull requests are merged as usual; the tasks still to start start then, by themselves.",
  ].join("\n");
}

export function missingCursorKey(): string {
  return [
    "⚠️ **Orchestra cannot launch agents**: `CURSOR_API_KEY` is not set where the app runs.",
    "",
    "Whoever runs the app must set `CURSOR_API_KEY` (and, for callbacks, `PUBLIC_URL` and `CURSOR_WEBHOOK_SECRET`), then comment `/orchestra resume`.",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Permissions

/** `action` is Orchestra's own wording, e.g. "run `/orchestra start`" or "start an epic". */
export function notAuthorized(login: string, action: string): string {
  const who = login.replace(/[^A-Za-z0-9\-[\]]/g, "");
  const greeting = who ? `@${who}, sorry` : "Sorry";
  return `${greeting}: only people with write, maintain or admin permission on this repository can ${flatten(action)}. Nothing was changed.`;
}

// ---------------------------------------------------------------------------------------------
// Tasks and the epic

/** "✅ t1 merged in #14, starting t2." */
export function taskMerged(taskId: string, pr: number, next?: string[]): string {
  const merged = `✅ ${flatten(taskId)} merged in #${pr}`;
  if (!next || next.length === 0) return `${merged}.`;
  return `${merged}, starting ${andList(next.map(flatten))}.`;
}

/** `hint` says what went wrong in more detail (e.g. the PR was closed without merging). */
export function taskFailed(taskId: string, reason: string, hint: string): string {
  const id = flatten(taskId);
  const lines = [`❌ **${id} failed**: ${flatten(reason)}`];
  const detail = neutralizeCommands(neutralizeHtml(redactSecrets(hint.trim())));
  if (detail) lines.push("", detail);
  lines.push(
    "",
    `The epic is paused. Comment ${inlineCode(`/retry ${taskId}`)} to try again with a new agent, or ${inlineCode(`/skip ${taskId}`)} to go on without it.`,
  );
  return lines.join("\n");
}

export function epicPaused(reason: string): string {
  return `⏸️ **The epic is paused**: ${flatten(reason)}\n\nComment \`/orchestra resume\` to continue.`;
}

/** The reason given to {@link epicPaused} when the agent-run budget runs out. */
export function budgetExhausted(used: number, limit: number): string {
  return `the epic has used ${used} of its ${limit} agent runs. Raise \`budget.agentRuns\` in \`.github/orchestra.yml\` to allow more.`;
}

/** The reason given to {@link epicPaused} when the epic's LLM tokens reach `budget.llmTokens`. */
export function llmTokenBudgetExhausted(spent: number, limit: number): string {
  return `the epic has spent ${spent.toLocaleString("en-US")} LLM tokens (planning and audits), and its budget is ${limit.toLocaleString("en-US")}. Raise \`budget.llmTokens\` in \`.github/orchestra.yml\` to allow more.`;
}

export function epicStopped(agentsStopped: number): string {
  const agents = agentsStopped === 0 ? "" : ` and stopped ${agentsStopped} running agent${agentsStopped === 1 ? "" : "s"}`;
  return `⏹️ **The epic is stopped**${agents}. Open pull requests stay open; nothing more will be started on this issue.`;
}

/** "under a minute", "12 min", "2 h 5 min". */
export function formatDuration(ms: number): string {
  const minutes = Math.round(Math.max(0, ms) / 60_000);
  if (minutes < 1) return "under a minute";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

export interface SummaryRow {
  id: string;
  title: string;
  pr?: number;
  attempts: number;
  state: TaskState;
  /** e.g. "2 h 5 min"; the column appears when any row has one. */
  durationText?: string;
}

export function epicCompleted(rows: SummaryRow[], options: { closing?: boolean } = {}): string {
  const count = (state: TaskState): number => rows.filter((row) => row.state === state).length;
  const parts = [`${count("merged")} of ${tasks(rows.length)} merged`];
  if (count("skipped") > 0) parts.push(`${count("skipped")} skipped`);
  if (count("done") > 0) parts.push(`${count("done")} done by hand`);
  const withTime = rows.some((row) => row.durationText);
  const header = ["Id", "Task", "Result", "PR", "Attempts", ...(withTime ? ["Time"] : [])];
  const body = rows.map((row) => [
    tableCell(row.id, 20),
    titleCell(row.title, 80),
    stateLabel(row.state),
    row.pr === undefined ? "" : `#${row.pr}`,
    row.attempts === 0 ? "" : String(row.attempts),
    ...(withTime ? [tableCell(row.durationText ?? "", 30)] : []),
  ]);
  const lines = [
    `🎉 **Epic completed**: ${parts.join(", ")}.`,
    "",
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...body.map((cells) => `| ${cells.join(" | ")} |`),
  ];
  if (options.closing) lines.push("", "Closing this issue.");
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Replies to commands: "`/retry t2`: t2 has not failed and is not running."

/** A reply to one command line; `outcome` is one of the sentences below, or the caller's own. */
export function commandReply(line: string, outcome: string): string {
  return `${inlineCode(oneLine(line, 100))}: ${neutralizeCommands(outcome)}`;
}

// ---------------------------------------------------------------------------------------------
// Markdown helpers

/**
 * A fenced code block that `text` cannot break out of: the fence is longer than any backtick
 * run inside. Long texts are cut, since a comment holds at most 65,536 characters.
 */
export function codeBlock(text: string, max = 3000): string {
  let content = redactSecrets(text.replace(/\r\n?/g, "\n")).replace(/\n+$/, "");
  if (content.length > max) content = `${content.slice(0, max)}\n… (cut after ${max} characters)`;
  const fence = "`".repeat(Math.max(3, longestBacktickRun(content) + 1));
  return `${fence}\n${content}\n${fence}`;
}

/** An inline code span holding `text` exactly, whatever backticks it contains. */
export function inlineCode(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const ticks = "`".repeat(longestBacktickRun(flat) + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") ? " " : "";
  return `${ticks}${pad}${flat}${pad}${ticks}`;
}

/**
 * Removes what looks like a credential before text reaches a public comment: API keys (OpenAI,
 * Anthropic, Cursor), GitHub tokens, bearer headers and PEM private keys. Defence in depth: the
 * callers should not pass secrets in the first place.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, "[redacted private key]")
    .replace(/\bBearer\s+[A-Za-z0-9._~+/-]{8,}=*/gi, "Bearer [redacted]")
    .replace(/\b(?:sk-[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|key_[A-Za-z0-9]{20,})/g, "[redacted]");
}

/** One line, HTML-neutral, secrets removed, never a command even at the start of a line. */
function flatten(text: string): string {
  return neutralizeCommands(neutralizeMentions(neutralizeHtml(oneLine(redactSecrets(text), 300))));
}

/** A line that starts with `/` gets its slash escaped (`\/` renders as `/`), so it is no command. */
function neutralizeCommands(text: string): string {
  return text.replace(/^(\s*)\//gm, "$1\\/");
}

function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return longest;
}

function tasks(count: number): string {
  return `${count} task${count === 1 ? "" : "s"}`;
}

function andList(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** The auditor gave no verdict (`audit.enabled`): the PR is not merged unaudited, and a writer's resume audits it again. */
export function auditFailed(taskId: string, pr: number, error: string): string {
  return [
    `⏸️ **The epic is paused**: the audit of #${pr} (${flatten(taskId)}) gave no verdict, so it was not merged.`,
    "",
    // The error can quote the model's answer (a JSON error does), which a diff can steer: no mention.
    neutralizeCommands(neutralizeMentions(neutralizeHtml(redactSecrets(error.trim())))),
    "",
    "Comment `/orchestra resume` to audit it again.",
  ].join("\n");
}

/** GitHub refused the audit's check run: the App lacks `checks: write`, or the repository forbids it. */
export function auditNotPublished(taskId: string, pr: number, status: number, message: string): string {
  return [
    `⏸️ **The epic is paused**: GitHub refused the \`Orchestra audit\` check run of #${pr} (${flatten(taskId)}) with ${status}: ${flatten(message)}`,
    "",
    "The App needs the `checks: write` permission to publish its audit (accept the new permission in the installation's settings). Then comment `/orchestra resume`.",
  ].join("\n");
}
