/**
 * Reads the issue body: finds Orchestra's block, keeps the user's text around it byte for byte,
 * and turns the checklist into a plan, reading what a person changed by hand (reworded,
 * reordered, added, deleted, ticked or unticked items). Total: any string gives a plan or a
 * precise error a person can act on, never an exception.
 */
import {
  LINE_BREAK,
  PLAN_START,
  PLAN_VERSION,
  TASK_MARKER,
  canonicalDetails,
  canonicalTitle,
  decodeValue,
  isBlank,
  isEpicStatus,
  isTaskState,
  isTicked,
  readAttributes,
  readCount,
  readDeps,
  highestTaskNumber,
  readAttempts,
  readEditCounts,
  taskNumber,
} from "./checklist-format.js";
import { MAC_ATTRIBUTE, type StateSigner } from "./trust/state-mac.js";
import type { ParsedBody, Plan, Task } from "./types.js";

export type ParseResult = { ok: true; parsed: ParsedBody } | { ok: false; error: string };

export interface ParseOptions {
  /**
   * Believe only markers that carry Orchestra's MAC for this issue. A plan marker that does not
   * verify yields a plan with nothing of its machine state (planned, no runs, no comment), and
   * every item is read as a new item; an item whose own marker does not verify is read as a new
   * item too. Without a verifier every marker is taken as written (tests, tools, old bodies).
   */
  verifier?: StateSigner;
}

const START_EXAMPLE = "`<!-- orchestra:plan v1 -->`";
const END_EXAMPLE = "`<!-- orchestra:plan:end -->`";

export function parseBody(body: string | null | undefined, options: ParseOptions = {}): ParseResult {
  try {
    return parseText(body ?? "", options.verifier);
  } catch (error) {
    // Unreachable by design; the net is here because a webhook must never crash on a body.
    return { ok: false, error: `Orchestra could not read the issue description (${String(error)}).` };
  }
}

export function detectEol(text: string): "\n" | "\r\n" {
  return text.includes("\r\n") ? "\r\n" : "\n";
}

function parseText(body: string, verifier: StateSigner | undefined): ParseResult {
  const eol = detectEol(body);
  const markers = findPlanMarkers(body);
  if (typeof markers === "string") return { ok: false, error: markers };
  if (markers.length === 0) return { ok: true, parsed: { before: body, after: "", plan: null, eol } };
  const shapeError = checkBlockShape(body, markers);
  if (shapeError) return { ok: false, error: shapeError };
  const [start, end] = markers as [PlanMarker, PlanMarker];

  const { attributes, bare } = readAttributes(start.inside);
  const version = bare.find((token) => /^v\d+$/.test(token));
  if (version !== undefined && version !== PLAN_VERSION) {
    return {
      ok: false,
      error: `The plan block in the issue description (line ${lineOf(body, start.index)}) is format \`${version}\`, which this version of Orchestra cannot read. Upgrade Orchestra, or delete the block from its start marker to ${END_EXAMPLE} to have the epic planned again.`,
    };
  }
  const planVerified = verifier ? verifier.verify("plan", attributes) : true;
  const machine = planVerified ? attributes : new Map<string, string>();
  const nextId = readCount(machine.get("next"));
  const believe = (task: Map<string, string>) => planVerified && (!verifier || verifier.verify("task", task));
  const read = readTasks(body.slice(start.end, end.index), believe, nextId ?? 0);
  if (typeof read === "string") return { ok: false, error: read };

  const status = machine.get("status");
  const plan: Plan = {
    status: status !== undefined && isEpicStatus(status) ? status : "planned",
    runs: readCount(machine.get("runs")) ?? 0,
    tasks: read.tasks,
  };
  const statusComment = readCount(machine.get("comment"));
  if (statusComment !== undefined) plan.statusComment = statusComment;
  // Kept only when it says more than the ids do (the task with the highest id was deleted).
  if (nextId !== undefined && nextId > highestTaskNumber(read.tasks) + 1) plan.nextId = nextId;
  const accepted = optionalText(machine.get("text"));
  if (accepted !== undefined) plan.accepted = accepted;
  const seen = readEditCounts(machine.get("seen"));
  if (seen !== undefined) plan.seen = seen;
  const held = optionalText(machine.get("held"));
  if (held !== undefined) plan.held = held;
  const commandCursor = readCount(machine.get("cmd"));
  if (commandCursor !== undefined) plan.commandCursor = commandCursor;
  const live = readAttempts(machine.get("live"));
  if (live.length > 0) plan.live = live;
  const llmTokens = readCount(machine.get("tokens"));
  if (llmTokens) plan.llmTokens = llmTokens;
  const parsed: ParsedBody = { before: body.slice(0, start.index), after: body.slice(end.end), plan, eol };
  if (verifier) {
    parsed.trust = { plan: planVerified, forgedTasks: read.forged, legacy: !attributes.has(MAC_ATTRIBUTE) && !read.anyMac };
  }
  return { ok: true, parsed };
}

// ---------------------------------------------------------------------------------------------
// The block's markers

interface PlanMarker {
  kind: "start" | "end";
  /** Where `<!--` is. */
  index: number;
  /** Just after `-->`. */
  end: number;
  /** Text between the marker's name and `-->`. */
  inside: string;
}

/** Every start and end marker in order, or an error when one is not closed on its own line. */
function findPlanMarkers(body: string): PlanMarker[] | string {
  const markers: PlanMarker[] = [];
  // The search resumes after each marker's `-->`: like HTML, a comment ends at the first `-->`.
  let from = 0;
  for (let index = body.indexOf(PLAN_START); index !== -1; index = body.indexOf(PLAN_START, from)) {
    from = index + 1;
    let nameEnd = index + PLAN_START.length;
    let kind: PlanMarker["kind"];
    if (body.startsWith(":end", nameEnd) && isMarkerNameEnd(body, nameEnd + 4)) {
      kind = "end";
      nameEnd += 4;
    } else if (isMarkerNameEnd(body, nameEnd)) {
      kind = "start";
    } else {
      continue; // e.g. `<!-- orchestra:planning`: not one of ours
    }
    const close = body.indexOf("-->", nameEnd);
    if (close === -1 || /[\r\n]/.test(body.slice(nameEnd, close))) {
      const what = kind === "start" ? `start marker ${START_EXAMPLE}` : `end marker ${END_EXAMPLE}`;
      return `The plan's ${what} on line ${lineOf(body, index)} of the issue description is not closed with \`-->\` on the same line. Restore the marker as one line.`;
    }
    markers.push({ kind, index, end: close + 3, inside: body.slice(nameEnd, close) });
    from = close + 3;
  }
  return markers;
}

/** A marker's name ends at whitespace, `-->`, or the end of the text (an unclosed marker). */
function isMarkerNameEnd(body: string, at: number): boolean {
  return at >= body.length || body.startsWith("-->", at) || /\s/.test(body.charAt(at));
}

function lineOf(body: string, index: number): number {
  return body.slice(0, index).split(LINE_BREAK).length;
}

/** The markers must be exactly one start followed by one end. */
function checkBlockShape(body: string, markers: PlanMarker[]): string | undefined {
  const starts = markers.filter((marker) => marker.kind === "start");
  const ends = markers.filter((marker) => marker.kind === "end");
  const lines = (list: PlanMarker[]) => {
    const shown = list.slice(0, 5).map((marker) => lineOf(body, marker.index));
    return shown.join(", ") + (list.length > shown.length ? ", …" : "");
  };
  if (starts.length > 1) {
    return `The issue description contains ${starts.length} Orchestra plan blocks (start markers ${START_EXAMPLE} on lines ${lines(starts)}), but an epic has exactly one. Delete the extra copy, from its start marker to its end marker ${END_EXAMPLE}.`;
  }
  if (starts.length === 0) {
    return `The issue description contains the plan's end marker ${END_EXAMPLE} (line ${lines(ends)}) but not its start marker ${START_EXAMPLE}. Put the start marker back on its own line just above \`### Tasks\`, or delete the end marker too to have the epic planned again.`;
  }
  const start = starts[0] as PlanMarker;
  if (ends.length === 0) {
    return `The issue description contains the plan's start marker ${START_EXAMPLE} (line ${lines(starts)}) but not its end marker ${END_EXAMPLE}. Put the end marker back on its own line just after the last task, or delete the start marker too to have the epic planned again.`;
  }
  if (ends.length > 1) {
    return `The plan in the issue description has ${ends.length} end markers ${END_EXAMPLE} (lines ${lines(ends)}) but needs exactly one. Delete all but the one just after the last task.`;
  }
  const end = ends[0] as PlanMarker;
  if (end.index < start.index) {
    return `The plan's end marker ${END_EXAMPLE} (line ${lines(ends)}) comes before its start marker ${START_EXAMPLE} (line ${lines(starts)}) in the issue description. Move the end marker just after the last task.`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The checklist inside the block

/** A top-level checklist item: `- [ ]`, `* [x]`, `+ [X]` or `1. [ ]`, up to three spaces in. */
const ITEM = /^ {0,3}(?:[-*+]|\d{1,9}[.)]) \[([ xX])\](?=[ \t]|<!--|$)([^]*)$/;
/** A line under an item that belongs to it: two spaces or a tab in. */
const DETAIL = /^(?: {2}| ?\t)/;
const INDENT = /^(?: {2}| ?\t| )/;

interface RawItem {
  checked: boolean;
  /** The item's text after the checkbox, marker included. */
  text: string;
  details: string[];
}

function readItems(block: string): RawItem[] {
  const items: RawItem[] = [];
  let current: RawItem | undefined;
  // Blank lines belong to the details only when more details follow them.
  let blanks: string[] = [];
  for (const line of block.split(LINE_BREAK)) {
    if (isBlank(line)) {
      if (current) blanks.push(line.replace(INDENT, ""));
      continue;
    }
    if (current && DETAIL.test(line)) {
      current.details.push(...blanks, line.replace(INDENT, ""));
      blanks = [];
      continue;
    }
    blanks = [];
    const item = ITEM.exec(line);
    // Anything else (the heading, stray text) is tolerated, dropped, and ends the item.
    current = item ? { checked: item[1] !== " ", text: item[2] ?? "", details: [] } : undefined;
    if (current) items.push(current);
  }
  return items;
}

interface ItemMarker {
  attributes: Map<string, string>;
  /** The item's text with the marker cut out. */
  rest: string;
}

/** The first task marker in the item's text; lenient about a missing `-->` at the line's end. */
function readItemMarker(text: string): ItemMarker | undefined {
  for (let index = text.indexOf(TASK_MARKER); index !== -1; index = text.indexOf(TASK_MARKER, index + 1)) {
    const nameEnd = index + TASK_MARKER.length;
    if (!isMarkerNameEnd(text, nameEnd)) continue;
    const close = text.indexOf("-->", nameEnd);
    const end = close === -1 ? text.length : close + 3;
    const inside = text.slice(nameEnd, close === -1 ? text.length : close);
    const rest = [text.slice(0, index).trim(), text.slice(end).trim()].filter((part) => part !== "").join(" ");
    return { attributes: readAttributes(inside).attributes, rest };
  }
  return undefined;
}

/**
 * The items as tasks. `believe` says whether a marker is Orchestra's; one that is not is cut
 * from the text (it can never become part of a title) and its item is read as a new one.
 */
function readTasks(
  block: string,
  believe: (attributes: Map<string, string>) => boolean,
  nextId: number,
): { tasks: Task[]; forged: number; anyMac: boolean } | string {
  let forged = 0;
  let anyMac = false;
  // Ids are never reused: new ones start after every id the block ever gave out, and after any a
  // marker not believed claims (it may be a real one whose state was damaged: its branches exist).
  let highest = Math.max(0, nextId - 1);
  const items = readItems(block).map((item) => {
    const marker = readItemMarker(item.text);
    if (!marker) return { item, marker };
    if (marker.attributes.has(MAC_ATTRIBUTE)) anyMac = true;
    if (believe(marker.attributes)) return { item, marker };
    forged++;
    highest = Math.max(highest, taskNumber(explicitId(marker) ?? ""));
    return { item: { ...item, text: marker.rest }, marker: undefined };
  });
  const ids = new Map<string, string>(); // id -> title, to name both items of a repeated id
  for (const { marker } of items) {
    const id = explicitId(marker);
    if (id === undefined) continue;
    const title = canonicalTitle(marker?.rest ?? "");
    const seen = ids.get(id);
    if (seen !== undefined) {
      return `Two tasks in the plan have the id \`${id}\` (\`<!-- orchestra:task id=${id} … -->\`): "${seen}" and "${title}". An item copied with its marker keeps the id: delete the \`<!-- orchestra:task … -->\` comment from the copy, and Orchestra gives it a new id.`;
    }
    ids.set(id, title);
    highest = Math.max(highest, taskNumber(id));
  }

  const tasks: Task[] = [];
  for (const { item, marker } of items) {
    const title = canonicalTitle(marker ? marker.rest : item.text);
    // An empty item a person added carries nothing to do.
    if (!marker && title === "") continue;
    let id = explicitId(marker);
    if (id === undefined) {
      do id = `t${++highest}`;
      while (ids.has(id));
      ids.set(id, title);
    }
    tasks.push(readTask(id, title, item, marker?.attributes ?? new Map()));
  }
  return { tasks, forged, anyMac };
}

function explicitId(marker: ItemMarker | undefined): string | undefined {
  const raw = marker?.attributes.get("id");
  if (raw === undefined) return undefined;
  const id = decodeValue(raw);
  return id === "" ? undefined : id;
}

function readTask(id: string, title: string, item: RawItem, attributes: Map<string, string>): Task {
  const stateText = attributes.get("state");
  let state = stateText !== undefined && isTaskState(stateText) ? stateText : "pending";
  // The checkbox is the person's word: ticked means done, unticking a `done` item reopens it.
  // Merged and skipped are Orchestra's facts; an untick of those is undone on the next render.
  if (item.checked && !isTicked(state)) state = "done";
  if (!item.checked && state === "done") state = "pending";

  const task: Task = {
    id,
    title,
    details: canonicalDetails(item.details.join("\n")),
    checked: item.checked,
    state,
    attempt: readCount(attributes.get("attempt")) ?? 0,
    deps: readDeps(attributes.get("deps")),
    fixes: readCount(attributes.get("fixes")) ?? 0,
  };
  const agent = optionalText(attributes.get("agent"));
  if (agent !== undefined) task.agent = agent;
  const pr = readCount(attributes.get("pr"));
  if (pr !== undefined) task.pr = pr;
  const followup = optionalText(attributes.get("followup"));
  if (followup !== undefined) task.followup = followup;
  const reason = optionalText(attributes.get("reason"));
  if (reason !== undefined) task.reason = reason;
  const refused = optionalText(attributes.get("refused"));
  if (refused !== undefined) task.refused = refused;
  const issue = readCount(attributes.get("issue"));
  if (issue !== undefined && issue > 0) task.issue = issue;
  const accepted = optionalText(attributes.get("accepted"));
  if (accepted !== undefined) task.accepted = accepted;
  const stuck = optionalText(attributes.get("stuck"));
  if (stuck !== undefined) task.stuck = stuck;
  for (const [key, attribute] of [
    ["notBefore", "after"],
    ["followupAt", "asked"],
    ["startedAt", "started"],
    ["finishedAt", "finished"],
    ["launchedAt", "launched"],
    ["refusals", "refusals"],
    ["refusedAt", "refusedat"],
    ["stuckAt", "stuckat"],
  ] as const) {
    const value = readCount(attributes.get(attribute));
    if (value !== undefined) task[key] = value;
  }
  return task;
}

function optionalText(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const value = decodeValue(raw);
  return value === "" ? undefined : value;
}
