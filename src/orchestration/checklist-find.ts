/**
 * Finds a checklist a person wrote in the issue description, so that Orchestra can adopt it as
 * the plan instead of asking the LLM (and put its block in the checklist's place).
 */
import { canonicalDetails, canonicalTitle, isBlank } from "./checklist-format.js";
import type { PlannedTask } from "./types.js";

export interface FoundChecklist {
  /** Offset of the first item's line. */
  start: number;
  /** Offset just after the line break that ends the last item or detail line. */
  end: number;
  tasks: PlannedTask[];
}

interface Line {
  text: string;
  start: number;
  /** After the line's line break. */
  end: number;
}

/** `- [ ]`, `* [x]`, `+ [ ]`, `1. [ ]`, `1) [X]` at the top level (up to three spaces in). */
const ITEM = /^( {0,3})(?:[-*+]|\d{1,9}[.)])[ \t]+\[([ xX])\](?:[ \t]+([^]*))?$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** The first run of consecutive top-level checklist items outside fenced code, or null. */
export function findChecklist(text: string): FoundChecklist | null {
  const lines = splitLines(text);
  let fence: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as Line).text;
    const fenceMatch = FENCE.exec(line);
    if (fence !== undefined) {
      // A fence closes with at least as many of the same character and nothing else.
      if (fenceMatch && fenceMatch[1]?.[0] === fence[0] && (fenceMatch[1]?.length ?? 0) >= fence.length
        && line.trim() === fenceMatch[1]) fence = undefined;
      continue;
    }
    if (fenceMatch) {
      fence = fenceMatch[1];
      continue;
    }
    if (!ITEM.test(line)) continue;
    const run = readRun(lines, i);
    if (run.tasks.length > 0) return run.found;
    i = run.last;
  }
  return null;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const pattern = /\r\n|\n|\r/g;
  let start = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    lines.push({ text: text.slice(start, match.index), start, end: match.index + match[0].length });
    start = match.index + match[0].length;
  }
  if (start < text.length) lines.push({ text: text.slice(start), start, end: text.length });
  return lines;
}

function indentWidth(line: string): number {
  let width = 0;
  for (const char of line) {
    if (char === " ") width += 1;
    else if (char === "\t") width += 4 - (width % 4);
    else break;
  }
  return width;
}

/** Items from `first` on, each with the lines indented under it; blank lines inside the run too. */
function readRun(lines: Line[], first: number): { found: FoundChecklist; tasks: PlannedTask[]; last: number } {
  const items: Array<{ title: string; details: string[]; done: boolean }> = [];
  let last = first;
  let current: { title: string; details: string[]; indent: number; done: boolean } | undefined;
  let blanks: string[] = [];
  for (let i = first; i < lines.length; i++) {
    const line = (lines[i] as Line).text;
    if (isBlank(line)) {
      blanks.push("");
      continue;
    }
    const item = ITEM.exec(line);
    if (current && indentWidth(line) >= current.indent + 2) {
      current.details.push(...blanks, line);
      blanks = [];
      last = i;
      continue;
    }
    if (!item) break;
    blanks = [];
    current = { title: item[3] ?? "", details: [], indent: (item[1] ?? "").length, done: (item[2] ?? " ") !== " " };
    items.push(current);
    last = i;
  }
  const tasks = items
    .map((item) => ({ ...item, title: canonicalTitle(item.title), details: canonicalDetails(dedent(item.details)) }))
    .filter((item) => item.title !== "")
    .map((item, i): PlannedTask => ({
      id: `t${i + 1}`,
      title: item.title,
      details: item.details,
      deps: [],
      ...(item.done ? { done: true } : {}),
    }));
  const found = { start: (lines[first] as Line).start, end: (lines[last] as Line).end, tasks };
  return { found, tasks, last };
}

/** Removes the indentation common to the non-blank lines. */
function dedent(lines: string[]): string {
  const widths = lines.filter((line) => !isBlank(line)).map((line) => /^[ \t]*/.exec(line)?.[0].length ?? 0);
  const common = widths.length > 0 ? widths.reduce((a, b) => Math.min(a, b)) : 0;
  return lines.map((line) => (isBlank(line) ? "" : line.slice(common))).join("\n");
}
