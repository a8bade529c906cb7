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
 * The events of one reconcile's write of the body, queued as soon as it is written: the tasks
 * that failed in it, or the epic it paused.
 */
export function announceTransitions(
  ref: EpicRef,
  snapshot: Snapshot,
  written: Plan,
  cause: Decision["pause"],
  config: OrchestraConfig,
  deps: ReconcileDeps,
  log: Logger,
): void {
  if (!deps.notify) return;
  announce(deps, config, transitionEvents(eventSubject(ref, snapshot.issue.title, deps), snapshot.parsed.plan!, written, cause), log);
}

/** The completion, once announced on the issue (also when a process died between writing and announcing it). */
export function announceCompletion(ref: EpicRef, snapshot: Snapshot, written: Plan, config: OrchestraConfig, deps: ReconcileDeps, log: Logger): void {
  if (!deps.notify || written.status !== "completed") return;
  announce(deps, config, [completedEvent(eventSubject(ref, snapshot.issue.title, deps), written)], log);
}
