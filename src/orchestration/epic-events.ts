import { redactSecrets } from "./messages.js";
import type { Plan, Task } from "./types.js";

/**
 * What happened to an epic that people outside GitHub hear about (ORCHESTRA_NOTIFY_URL): pure
 * builders from the state transitions Orchestra writes to the issue body, each written once, so
 * each event is found once. `key` names the event for the dedupe (see src/notify/notifier.ts).
 */

export const NOTIFY_EVENTS = ["planned", "paused", "failed", "completed"] as const;
export type NotifyEventKind = (typeof NOTIFY_EVENTS)[number];

export interface EventLink {
  text: string;
  url: string;
}

export interface EpicEvent {
  kind: NotifyEventKind;
  /** `owner/repo#12:paused:<cause>`: one event, however often it is seen. */
  key: string;
  /** `owner/repo`. */
  repository: string;
  issueNumber: number;
  /** The issue's title: data written by whoever opened it, escaped by every format. */
  title: string;
  url: string;
  /** When Orchestra saw it (ISO 8601). */
  at: string;
  /** Why the epic paused or the task failed, one line, secrets removed. */
  reason?: string;
  /** The comment on the issue that continues (`/orchestra start`, `/orchestra resume`, `/retry t2`). */
  command?: string;
  /** Planned: the tasks in the plan. */
  tasks?: number;
  /** Failed: the task. */
  task?: { id: string; title: string };
  /** Completed: how the tasks ended. */
  summary?: { tasks: number; merged: number; skipped: number; done: number };
  /** What the epic has spent so far. */
  spent: { agentRuns: number; llmTokens: number };
  /** The issue first, then pull requests. */
  links: EventLink[];
}

/** The epic an event is about. */
export interface EventSubject {
  owner: string;
  repo: string;
  issueNumber: number;
  title: string;
  /** `https://github.com` or the GHE host's web address. */
  webUrl: string;
  now: number;
}

const MAX_LINKS = 20;
const MAX_REASON = 300;

export function plannedEvent(subject: EventSubject, plan: Plan, autoStart: boolean): EpicEvent {
  return {
    ...base(subject, plan, "planned", "planned"),
    tasks: plan.tasks.length,
    ...(autoStart || plan.status === "running" ? {} : { command: "/orchestra start" }),
  };
}

/**
 * Events of one write of the body: tasks that failed in it (each with its retry), or else the
 * epic paused by it (`cause` says why, and names the pause). A failure pauses the epic too; its
 * event says so, and no second "paused" is sent for it.
 */
export function transitionEvents(subject: EventSubject, before: Plan, after: Plan, cause?: { reason: string; key: string }): EpicEvent[] {
  const failed = after.tasks.filter((task) => task.state === "failed" && !failedBefore(before, task));
  if (failed.length > 0) {
    return failed.map((task) => ({
      ...base(subject, after, "failed", `failed:${task.id}:a${task.attempt}`),
      task: { id: task.id, title: task.title },
      reason: oneLine(task.reason ?? "the task failed"),
      command: `/retry ${task.id}`,
      links: [issueLink(subject), ...(task.pr !== undefined ? [pullLink(subject, task)] : [])],
    }));
  }
  if (after.status !== "paused" || before.status === "paused") return [];
  // A paused epic runs again only after a command (resume, start, retry), which moves the block's
  // command cursor: with it in the key, the same cause pausing the epic again is a new event.
  const which = `${cause?.key ?? `at-${subject.now}`}:c${after.commandCursor ?? 0}`;
  return [
    {
      ...base(subject, after, "paused", `paused:${which}`),
      reason: oneLine(cause?.reason ?? "the epic was paused"),
      command: "/orchestra resume",
    },
  ];
}

export function completedEvent(subject: EventSubject, plan: Plan): EpicEvent {
  const count = (state: Task["state"]) => plan.tasks.filter((task) => task.state === state).length;
  const pulls = plan.tasks.filter((task) => task.state === "merged" && task.pr !== undefined);
  return {
    ...base(subject, plan, "completed", "completed"),
    summary: { tasks: plan.tasks.length, merged: count("merged"), skipped: count("skipped"), done: count("done") },
    links: [issueLink(subject), ...pulls.slice(0, MAX_LINKS - 1).map((task) => pullLink(subject, task))],
  };
}

function base(subject: EventSubject, plan: Plan, kind: EpicEvent["kind"], which: string): EpicEvent {
  const repository = `${subject.owner}/${subject.repo}`;
  return {
    kind,
    key: `${repository}#${subject.issueNumber}:${which}`.toLowerCase(),
    repository,
    issueNumber: subject.issueNumber,
    title: oneLine(subject.title),
    url: issueLink(subject).url,
    at: new Date(subject.now).toISOString(),
    spent: { agentRuns: plan.runs, llmTokens: plan.llmTokens ?? 0 },
    links: [issueLink(subject)],
  };
}

function failedBefore(before: Plan, task: Task): boolean {
  const earlier = before.tasks.find((candidate) => candidate.id === task.id);
  return earlier?.state === "failed" && earlier.attempt === task.attempt;
}

function issueLink(subject: EventSubject): EventLink {
  return { text: `${subject.owner}/${subject.repo}#${subject.issueNumber}`, url: `${subject.webUrl}/${subject.owner}/${subject.repo}/issues/${subject.issueNumber}` };
}

function pullLink(subject: EventSubject, task: Task): EventLink {
  return { text: `#${task.pr} (${task.id})`, url: `${subject.webUrl}/${subject.owner}/${subject.repo}/pull/${task.pr}` };
}

function oneLine(text: string): string {
  const chars = Array.from(redactSecrets(text).replace(/\s+/g, " ").trim());
  return chars.length <= MAX_REASON ? chars.join("") : `${chars.slice(0, MAX_REASON - 1).join("")}…`;
}
