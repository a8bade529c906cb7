/**
 * SANDBOX FAKE — never part of src/. The fake planner's "model": a deterministic plan read off
 * the epic's text. Each top-level markdown bullet of the description is a task (lines indented
 * under it are its details; "after" in it makes it depend on the previous task); a description
 * without bullets gives one task per sentence. At most 20 tasks, fewer if the prompt says so.
 */
export interface FakePlanTask {
  id: string;
  title: string;
  details: string;
  deps: string[];
}

export interface PlanningRequest {
  title: string;
  description: string;
  maxTasks: number;
  /** Titles already started or finished, which are not planned again. */
  keep: string[];
}

const HARD_CAP = 20;
const TITLE_MAX = 80;
/** Headings of the sections that follow the description in Orchestra's planning prompt. */
const NEXT_SECTION = /^## (Extra instructions|Tasks already started|Repository)\b/;

/** Reads the parts of the planning prompt (`# Epic:`, `## Description`, …); any text works. */
export function readPlanningPrompt(text: string): PlanningRequest {
  const lines = text.split(/\r?\n/);
  const title = lines.find((line) => line.startsWith("# Epic:"))?.slice("# Epic:".length).trim() ?? "";
  const start = lines.findIndex((line) => line.trim() === "## Description");
  let description: string;
  if (start < 0) {
    description = text;
  } else {
    const rest = lines.slice(start + 1);
    const end = rest.findIndex((line) => NEXT_SECTION.test(line) || /^Plan at most \d+ tasks/.test(line));
    description = (end < 0 ? rest : rest.slice(0, end)).join("\n");
  }
  const maxTasks = Number(/Plan at most (\d+) tasks/.exec(text)?.[1] ?? HARD_CAP);
  const keepStart = lines.findIndex((line) => line.startsWith("## Tasks already started"));
  const keep: string[] = [];
  if (keepStart >= 0) {
    for (const line of lines.slice(keepStart + 1)) {
      if (line.startsWith("## ")) break;
      const item = /^- (.+)$/.exec(line);
      if (item) keep.push(item[1]!.trim());
    }
  }
  return { title, description: description.trim(), maxTasks: Math.max(1, Math.min(HARD_CAP, maxTasks)), keep };
}

interface Bullet {
  text: string;
  details: string[];
}

function bullets(description: string): Bullet[] {
  const found: Bullet[] = [];
  for (const line of description.split(/\r?\n/)) {
    const top = /^ ?[-*+]\s+(?:\[[ xX]\]\s+)?(.*\S)\s*$/.exec(line);
    if (top) {
      found.push({ text: top[1]!, details: [] });
    } else if (found.length > 0 && /^\s{2,}\S/.test(line)) {
      found[found.length - 1]!.details.push(line.trim().replace(/^[-*+]\s+/, "- "));
    } else if (found.length > 0 && line.trim() && !/^\s/.test(line)) {
      // A paragraph after the list ends the list's details.
      found.push({ text: "", details: [] });
    }
  }
  return found.filter((bullet) => bullet.text);
}

function sentences(description: string): string[] {
  return description
    .split(/\r?\n/)
    .filter((line) => !/^\s*#/.test(line))
    .join(" ")
    .split(/(?<=[.!?])\s+/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => /[A-Za-z0-9]/.test(sentence));
}

function titleOf(text: string): string {
  const spaced = text.replace(/\s+/g, " ").replace(/<!--|-->/g, "").trim();
  const clean = spaced.replace(/[.!?]+$/, "") || spaced;
  if (clean.length <= TITLE_MAX) return clean;
  const cut = clean.slice(0, TITLE_MAX - 1);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(" "), 40))}…`;
}

export function planTasks(request: PlanningRequest): FakePlanTask[] {
  const keep = new Set(request.keep.map((title) => title.toLowerCase()));
  const found = bullets(request.description);
  const items: Bullet[] =
    found.length > 0
      ? found
      : sentences(request.description).map((text) => ({ text, details: [] }));

  const tasks: FakePlanTask[] = [];
  for (const item of items) {
    if (tasks.length >= request.maxTasks) break;
    const title = titleOf(item.text);
    if (!title || keep.has(title.toLowerCase())) continue;
    const previous = tasks[tasks.length - 1];
    const id = `t${tasks.length + 1}`;
    const details = [
      item.text.replace(/<!--|-->/g, ""),
      ...item.details.map((line) => line.replace(/<!--|-->/g, "")),
      "",
      "Acceptance criteria:",
      `- ${title}`,
      "- The tests pass.",
    ].join("\n");
    tasks.push({ id, title, details, deps: previous && /\bafter\b/i.test(item.text) ? [previous.id] : [] });
  }
  // A plan needs at least one task; with nothing usable, the epic itself is the task.
  if (tasks.length === 0) {
    const title = titleOf(request.title) || "Carry out the epic";
    tasks.push({ id: "t1", title, details: `${title}\n\nAcceptance criteria:\n- The tests pass.`, deps: [] });
  }
  return tasks;
}
