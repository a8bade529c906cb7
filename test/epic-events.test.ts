import pino from "pino";
import { describe, expect, it } from "vitest";
import { announce } from "../src/orchestration/announce.js";
import { DEFAULT_CONFIG } from "../src/orchestration/config.js";
import { completedEvent, plannedEvent, transitionEvents, type EpicEvent, type EventSubject } from "../src/orchestration/epic-events.js";
import type { ReconcileDeps } from "../src/orchestration/reconcile-deps.js";
import { makePlan, makeTask } from "./helpers/world.js";

const subject: EventSubject = { owner: "Acme", repo: "Widgets", issueNumber: 7, title: "The shop", webUrl: "https://github.com", now: 0 };
const cause = { reason: "GitHub refused to merge #12", key: "merge-refused-t1" };

describe("events from the transitions a write makes", () => {
  it("running -> paused: one paused event, named by the pause's cause", () => {
    const events = transitionEvents(subject, makePlan([makeTask("t1")]), makePlan([makeTask("t1")], { status: "paused" }), cause);
    expect(events.map((event) => [event.kind, event.key, event.reason, event.command])).toEqual([
      ["paused", "acme/widgets#7:paused:merge-refused-t1:c0", "GitHub refused to merge #12", "/orchestra resume"],
    ]);
  });

  it("the same cause pausing the epic again after a resume is a new event", () => {
    const running = makePlan([makeTask("t1")], { commandCursor: 41 });
    const first = transitionEvents(subject, running, { ...running, status: "paused" }, cause)[0]!;
    const resumed = { ...running, commandCursor: 57 };
    const second = transitionEvents(subject, resumed, { ...resumed, status: "paused" }, cause)[0]!;
    expect([first.key, second.key]).toEqual(["acme/widgets#7:paused:merge-refused-t1:c41", "acme/widgets#7:paused:merge-refused-t1:c57"]);
  });

  it("nothing when the epic was already paused, or did not pause", () => {
    const paused = makePlan([makeTask("t1")], { status: "paused" });
    expect(transitionEvents(subject, paused, paused, cause)).toEqual([]);
    expect(transitionEvents(subject, makePlan([makeTask("t1")]), makePlan([makeTask("t1", { state: "running", attempt: 1 })]))).toEqual([]);
  });

  it("a task that failed in the write: a failed event per task (not also a paused one), each attempt once", () => {
    const before = makePlan([makeTask("t1", { state: "pr_open", attempt: 1 }), makeTask("t2", { state: "running", attempt: 2 })]);
    const after = makePlan(
      [makeTask("t1", { state: "failed", attempt: 1, reason: "checks are failing" }), makeTask("t2", { state: "failed", attempt: 2 })],
      { status: "paused" },
    );
    expect(transitionEvents(subject, before, after, cause).map((event) => [event.kind, event.key, event.command])).toEqual([
      ["failed", "acme/widgets#7:failed:t1:a1", "/retry t1"],
      ["failed", "acme/widgets#7:failed:t2:a2", "/retry t2"],
    ]);
    // The same failure seen again (the epic resumed without a retry) is no new event.
    expect(transitionEvents(subject, after, { ...after, status: "paused" })).toEqual([]);
  });

  it("planned and completed carry what they are about", () => {
    const planned = plannedEvent(subject, makePlan([makeTask("t1"), makeTask("t2")], { status: "planned", llmTokens: 900 }), false);
    expect(planned).toMatchObject({ kind: "planned", key: "acme/widgets#7:planned", tasks: 2, command: "/orchestra start", spent: { agentRuns: 0, llmTokens: 900 } });
    const done = completedEvent(subject, makePlan([makeTask("t1", { state: "merged", pr: 3 }), makeTask("t2", { state: "done" })], { status: "completed", runs: 1 }));
    expect(done).toMatchObject({
      kind: "completed",
      key: "acme/widgets#7:completed",
      summary: { tasks: 2, merged: 1, skipped: 0, done: 1 },
      links: [
        { text: "Acme/Widgets#7", url: "https://github.com/Acme/Widgets/issues/7" },
        { text: "#3 (t1)", url: "https://github.com/Acme/Widgets/pull/3" },
      ],
    });
  });
});

describe("handing events to the notifier", () => {
  const event = plannedEvent(subject, makePlan([makeTask("t1")], { status: "planned" }), false);
  const log = pino({ level: "silent" });
  const deps = (notify?: (event: EpicEvent) => void) => ({ ...(notify ? { notify } : {}) }) as unknown as ReconcileDeps;

  it("passes on what the repository's notify.events wants, and nothing without a notifier", () => {
    const sent: string[] = [];
    announce(deps((e) => sent.push(e.kind)), DEFAULT_CONFIG, [event], log);
    announce(deps((e) => sent.push(e.kind)), { ...DEFAULT_CONFIG, notify: { events: ["paused"] } }, [event], log);
    expect(sent).toEqual(["planned"]);
    expect(() => announce(deps(), DEFAULT_CONFIG, [event], log)).not.toThrow();
  });

  it("never throws into the reconcile, whatever the notifier does", () => {
    const broken = deps(() => {
      throw new Error("queue broken");
    });
    expect(() => announce(broken, DEFAULT_CONFIG, [event], log)).not.toThrow();
  });
});
