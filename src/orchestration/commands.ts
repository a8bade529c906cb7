import type { Task } from "./types.js";

/**
 * Slash commands in issue comments. Pure: text in, commands out; the handler decides who may run
 * them and what they do.
 */

export const COMMAND_NAMES = ["start", "pause", "resume", "stop", "status", "plan", "retry", "skip", "help"] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export type Command =
  | { name: CommandName; arg: string; line: string }
  /** `/orchestra` alone or with a word Orchestra does not know; the caller answers with the help. */
  | { name: "unknown"; word: string; line: string };

/**
 * Abuse guard: a comment of a thousand `/orchestra retry` lines must not become a thousand
 * actions and a thousand replies. Ten is more than any person types by hand.
 */
export const MAX_COMMANDS_PER_COMMENT = 10;

const COMMAND_SET: ReadonlySet<string> = new Set(COMMAND_NAMES);
/** Exactly `/orchestra`, then whitespace or the end of the line (`/orchestrate` is not ours). */
const ORCHESTRA_LINE = /^\/orchestra(?:\s+(.*))?$/is;
const SHORT_FORM_LINE = /^\/(retry|skip)(?:\s+(.*))?$/is;
/** People type "/orchestra stop." in a sentence; the full stop is not part of the word. */
const TRAILING_PUNCTUATION = /[.,!;:]+$/;

/** Every command in a comment body, in order, at most {@link MAX_COMMANDS_PER_COMMENT}. Never throws. */
export function parseCommands(commentBody: string): Command[] {
  const commands: Command[] = [];
  for (const line of proseLineStarts(commentBody)) {
    const command = parseCommandLine(line);
    if (!command) continue;
    commands.push(command);
    if (commands.length >= MAX_COMMANDS_PER_COMMENT) break;
  }
  return commands;
}

function parseCommandLine(rawLine: string): Command | null {
  const line = rawLine.trim();
  const short = SHORT_FORM_LINE.exec(line);
  if (short) {
    return { name: (short[1] ?? "").toLowerCase() as CommandName, arg: (short[2] ?? "").trim(), line };
  }
  const full = ORCHESTRA_LINE.exec(line);
  if (!full) return null;
  const rest = (full[1] ?? "").trim();
  const rawWord = rest.split(/\s+/, 1)[0] ?? "";
  const word = rawWord.replace(TRAILING_PUNCTUATION, "").toLowerCase();
  if (!COMMAND_SET.has(word)) return { name: "unknown", word: rawWord, line };
  return { name: word as CommandName, arg: rest.slice(rawWord.length).trim(), line };
}

// ---------------------------------------------------------------------------------------------
// Which lines of a comment are prose a person wrote as their own words. Pasted examples (code),
// quoted replies and hidden HTML comments are never commands: quoting "/orchestra stop" to ask
// about it must not stop the epic.

interface Fence {
  char: "`" | "~";
  length: number;
}

const FENCE_OPEN = /^\s*(`{3,}|~{3,})(.*)$/s;
const FENCE_CLOSE = /^\s*(`{3,}|~{3,})\s*$/;
const QUOTED = /^\s*>/;
const HTML_COMMENT_BLOCK = /^\s*<!--/;

/** The lines of `body` that begin in prose: outside fences, quotes, HTML comments and code spans. */
function proseLineStarts(body: string): string[] {
  const lines = body.split(/\r\n|\r|\n/);
  const prose: string[] = [];
  let paragraph: string[] = [];
  let fence: Fence | null = null;
  let inHtmlComment = false;

  const flushParagraph = (): void => {
    for (const line of linesStartingOutsideInlineCode(paragraph)) prose.push(line);
    paragraph = [];
  };

  for (const line of lines) {
    if (fence) {
      const close = FENCE_CLOSE.exec(line);
      if (close?.[1] && close[1][0] === fence.char && close[1].length >= fence.length) fence = null;
      continue;
    }
    if (inHtmlComment) {
      if (line.includes("-->")) inHtmlComment = false;
      continue;
    }
    if (line.trim() === "" || QUOTED.test(line)) {
      flushParagraph();
      continue;
    }
    const open = openingFence(line);
    if (open) {
      flushParagraph();
      fence = open;
      continue;
    }
    if (HTML_COMMENT_BLOCK.test(line)) {
      flushParagraph();
      // An HTML block runs to the line holding "-->", blank lines included.
      inHtmlComment = !line.slice(line.indexOf("<!--") + 4).includes("-->");
      continue;
    }
    paragraph.push(line);
  }
  flushParagraph();
  return prose;
}

function openingFence(line: string): Fence | null {
  const match = FENCE_OPEN.exec(line);
  const marker = match?.[1];
  if (!match || !marker) return null;
  const char = marker[0] === "`" ? "`" : "~";
  // A backtick fence's info string cannot hold a backtick: "```a`b" is inline code, not a fence.
  if (char === "`" && (match[2] ?? "").includes("`")) return null;
  return { char, length: marker.length };
}

/**
 * Inline code spans and HTML comments may run across the lines of one paragraph; a line that
 * begins inside one is not prose. Spans are matched as CommonMark does: a run of n backticks
 * closes at the next run of exactly n, and an opener without a closer is a literal backtick.
 */
function linesStartingOutsideInlineCode(paragraph: string[]): string[] {
  if (paragraph.length <= 1) return paragraph;
  const text = paragraph.join("\n");
  const hidden = hiddenRanges(text); // sorted and disjoint, so one pointer walks them
  const result: string[] = [];
  let offset = 0;
  let next = 0;
  for (const line of paragraph) {
    while ((hidden[next]?.[1] ?? Infinity) <= offset) next += 1;
    const range = hidden[next];
    if (!range || offset <= range[0]) result.push(line);
    offset += line.length + 1;
  }
  return result;
}

/** [start, end) ranges of `text` inside code spans or HTML comments. */
function hiddenRanges(text: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  // A closer missing after one position is missing after every later one; remembering that
  // keeps a hostile comment of many unmatched openers linear instead of quadratic.
  const runsWithoutCloser = new Set<number>();
  let commentCloserMissing = false;
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === "\\") {
      i += 2; // a backslash escape: the next character is literal, even a backtick
      continue;
    }
    if (char === "`") {
      const run = backtickRunLength(text, i);
      const close = runsWithoutCloser.has(run) ? -1 : findClosingRun(text, i + run, run);
      if (close === -1) {
        runsWithoutCloser.add(run);
        i += run;
        continue;
      }
      ranges.push([i, close + run]);
      i = close + run;
      continue;
    }
    if (!commentCloserMissing && text.startsWith("<!--", i)) {
      const close = text.indexOf("-->", i + 4);
      if (close !== -1) {
        ranges.push([i, close + 3]);
        i = close + 3;
        continue;
      }
      commentCloserMissing = true;
    }
    i += 1;
  }
  return ranges;
}

function backtickRunLength(text: string, start: number): number {
  let end = start;
  while (text[end] === "`") end += 1;
  return end - start;
}

function findClosingRun(text: string, from: number, length: number): number {
  let i = text.indexOf("`", from);
  while (i !== -1) {
    const run = backtickRunLength(text, i);
    if (run === length) return i;
    i = text.indexOf("`", i + run);
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Task references: `/retry t2`, `/skip 3`, `/retry #3`, `/skip add the login`.

export type TaskRefResult = { ok: true; taskId: string } | { ok: false; error: string };

const HOW_TO_NAME = "name it by id (t2), number (2) or the start of its title";

/**
 * Finds the task a command names: by id (case-insensitive), by its 1-based number in the list
 * (`3` or `#3`), or by a unique case-insensitive title prefix. An empty reference falls back to
 * `fallback.currentTaskId` (the task a bare `/retry` obviously means). Errors are user-facing.
 */
export function resolveTaskRef(tasks: Task[], ref: string, fallback?: { currentTaskId?: string }): TaskRefResult {
  const wanted = unwrap(ref.trim());
  if (wanted === "") {
    if (fallback?.currentTaskId) return { ok: true, taskId: fallback.currentTaskId };
    return { ok: false, error: `Which task? Please ${HOW_TO_NAME}.` };
  }
  if (tasks.length === 0) return { ok: false, error: "The plan has no tasks yet." };

  const bare = wanted.replace(TRAILING_PUNCTUATION, "");
  const byId = tasks.find((task) => task.id.toLowerCase() === bare.toLowerCase());
  if (byId) return { ok: true, taskId: byId.id };

  const number = /^#?(\d{1,6})$/.exec(bare)?.[1];
  if (number !== undefined) return byNumber(tasks, Number(number));

  return byTitlePrefix(tasks, wanted) ?? byTitlePrefix(tasks, bare) ?? noMatch(wanted);
}

function byNumber(tasks: Task[], n: number): TaskRefResult {
  const task = tasks[n - 1];
  if (n >= 1 && task) return { ok: true, taskId: task.id };
  // "#14" copied from the PR column of the status table means the task whose PR is #14.
  const byPr = tasks.find((candidate) => candidate.pr === n);
  if (byPr) return { ok: true, taskId: byPr.id };
  const count = `${tasks.length} task${tasks.length === 1 ? "" : "s"}`;
  return { ok: false, error: `There is no task ${n}: the plan has ${count}.` };
}

function byTitlePrefix(tasks: Task[], ref: string): TaskRefResult | null {
  const prefix = normalize(ref);
  if (prefix === "") return null;
  const matches = tasks.filter((task) => normalize(task.title).startsWith(prefix));
  const [only] = matches;
  if (!only) return null;
  if (matches.length === 1) return { ok: true, taskId: only.id };
  const exact = matches.filter((task) => normalize(task.title) === prefix);
  if (exact.length === 1 && exact[0]) return { ok: true, taskId: exact[0].id };
  const listed = matches.slice(0, 5).map((task) => `${task.id} (${shorten(task.title, 40)})`);
  const more = matches.length > 5 ? ` and ${matches.length - 5} more` : "";
  return {
    ok: false,
    error: `“${shorten(ref, 60)}” matches ${matches.length} tasks: ${listed.join(", ")}${more}. Name one by its id.`,
  };
}

function noMatch(ref: string): TaskRefResult {
  return { ok: false, error: `No task matches “${shorten(ref, 60)}”: ${HOW_TO_NAME}.` };
}

/** "`t2`", "\"Add login\"" and "“Add login”" name the same task as the bare text. */
function unwrap(ref: string): string {
  const match = /^(?:`([^`]*)`|"([^"]*)"|'([^']*)'|“([^”]*)”)$/.exec(ref);
  if (!match) return ref;
  return (match[1] ?? match[2] ?? match[3] ?? match[4] ?? "").trim();
}

function normalize(text: string): string {
  return text.toLowerCase().replace(/\s+/g, " ").trim();
}

/** One line, at most `max` characters (code points, so an emoji is never cut in half). */
function shorten(text: string, max: number): string {
  const chars = Array.from(text.replace(/\s+/g, " ").trim());
  return chars.length <= max ? chars.join("") : `${chars.slice(0, max - 1).join("")}…`;
}

// ---------------------------------------------------------------------------------------------

const COMMAND_HELP: Record<CommandName, { usage: string; does: string }> = {
  start: { usage: "/orchestra start", does: "start running the planned tasks" },
  pause: { usage: "/orchestra pause", does: "start nothing new until `/orchestra resume`" },
  resume: { usage: "/orchestra resume", does: "continue a paused epic" },
  stop: { usage: "/orchestra stop", does: "stop the running agents and end the epic" },
  status: { usage: "/orchestra status", does: "reply with the task table" },
  plan: {
    usage: "/orchestra plan [instructions]",
    does: "plan again the tasks not yet started, following the instructions if given",
  },
  retry: { usage: "/orchestra retry [task]", does: "run a failed task again with a new agent (short form `/retry`)" },
  skip: { usage: "/orchestra skip [task]", does: "move on without a task (short form `/skip`)" },
  help: { usage: "/orchestra help", does: "show this list" },
};

/**
 * The command list as markdown, one line per command. Every command sits in a code span on a
 * list item, so Orchestra's own help never parses as a command.
 */
export function helpText(): string {
  const items = COMMAND_NAMES.map((name) => `- \`${COMMAND_HELP[name].usage}\`: ${COMMAND_HELP[name].does}`);
  return [
    "**Orchestra commands**: one per line, at the start of a line, in a comment on the epic. Only people with write, maintain or admin permission on the repository can run them.",
    "",
    ...items,
    "",
    "Name a task by id (`t2`), number (`2`) or the start of its title; without one, `retry` and `skip` act on the task that is stuck.",
  ].join("\n");
}
