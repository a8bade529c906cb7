import type { Logger } from "pino";
import type { OrchestraConfig } from "./config.js";
import type { Decision } from "./decision.js";
import { completedEvent, transitionEvents, type EpicEvent, type EventSubject } from "./epic-events.js";
import type { EpicRef, ReconcileDeps } from "./reconcile-deps.js";
import type { Snapshot } from "./snapshot.js";
import type { Plan } from "./types.js";

/**
 * Hands an epic's events to the notifier, when the deployment has one (ORCHESTRA_NOTIFY_URL) and
 * the repository's `notify.events` wants them. Queued, never awaited: delivery happens off the
 * reconcile's path, and nothing it does can fail a reconcile.
 */
export function announce(deps: ReconcileDeps, config: OrchestraConfig, events: EpicEvent[], log: Logger): void {
  if (!deps.notify) return;
  for (const event of events) {
    if (!config.notify.events.includes(event.kind)) continue;
    try {
      deps.notify(event);
    } catch (error) {
      log.warn({ err: error, event: event.kind }, "notification not queued");
    }
  }
}

export function eventSubject(ref: EpicRef, title: string, deps: Pick<ReconcileDeps, "webUrl" | "now">): EventSubject {
  return { owner: ref.owner, repo: ref.repo, issueNumber: ref.issueNumber, title, webUrl: deps.webUrl, now: (deps.now ?? Date.now)() };
}

/**
 * The events of one reconcile's write: tasks that failed in it, the epic paused by it, and the
 * completion when it is announced (which is also when a completion written by a process that
 * died before announcing it is announced).
 */
export function announceWrite(
  ref: EpicRef,
  snapshot: Snapshot,
  decision: Decision,
  written: Plan,
  outcome: { announcedCompletion: boolean; cause?: Decision["pause"] },
  config: OrchestraConfig,
  deps: ReconcileDeps,
  log: Logger,
): void {
  if (!deps.notify) return;
  const subject = eventSubject(ref, snapshot.issue.title, deps);
  const events = transitionEvents(subject, snapshot.parsed.plan!, written, decision.pause ?? outcome.cause);
  if (outcome.announcedCompletion && written.status === "completed") events.push(completedEvent(subject, written));
  announce(deps, config, events, log);
}
