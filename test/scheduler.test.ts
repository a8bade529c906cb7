import pino from "pino";
import { describe, expect, it } from "vitest";
import type { EpicRef } from "../src/orchestration/reconcile.js";
import { Scheduler } from "../src/orchestration/scheduler.js";
import type { Intent } from "../src/orchestration/snapshot.js";

const log = pino({ level: "silent" });
const epic = (issueNumber: number): EpicRef => ({ installationId: 1, owner: "o", repo: "r", issueNumber });
const stopIntent = (id: string): Intent => ({ kind: "stop-agents", agentIds: [id] });

describe("Scheduler", () => {
  it("runs one reconcile per epic at a time and coalesces events that arrive meanwhile", async () => {
    const runs: Array<{ issue: number; intents: Intent[] }> = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const scheduler = new Scheduler({
      log,
      debounceMs: 0,
      reconcile: async (ref, intents) => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        runs.push({ issue: ref.issueNumber, intents });
        await new Promise((resolve) => setTimeout(resolve, 20));
        concurrent--;
        return {};
      },
    });
    scheduler.schedule(epic(1), [stopIntent("a")]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // Three events during the run: one more run, with both intents.
    scheduler.schedule(epic(1), [stopIntent("b")]);
    scheduler.schedule(epic(1));
    scheduler.schedule(epic(1), [stopIntent("c")]);
    await scheduler.idle();
    expect(maxConcurrent).toBe(1);
    expect(runs).toEqual([
      { issue: 1, intents: [stopIntent("a")] },
      { issue: 1, intents: [stopIntent("b"), stopIntent("c")] },
    ]);
  });

  it("retries a failed reconcile with its intents, so a command is not lost", async () => {
    const seen: Intent[][] = [];
    let calls = 0;
    const scheduler = new Scheduler({
      log,
      debounceMs: 0,
      maxBackoffMs: 5,
      reconcile: async (_ref, intents) => {
        seen.push(intents);
        if (++calls < 3) throw new Error("GitHub answered 500");
        return {};
      },
    });
    scheduler.schedule(epic(1), [stopIntent("a")]);
    await scheduler.idle(2_000);
    expect(seen).toEqual([[stopIntent("a")], [stopIntent("a")], [stopIntent("a")]]);
  });

  it("wakes an epic again when the reconcile asks to, and an earlier event wins over a later wake", async () => {
    let calls = 0;
    const scheduler = new Scheduler({
      log,
      debounceMs: 0,
      reconcile: async () => (++calls === 1 ? { wakeAfterMs: 10 } : {}),
    });
    scheduler.schedule(epic(1));
    await scheduler.idle();
    expect(calls).toBe(2);
  });

  it("limits reconciles across epics to maxConcurrent", async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    const done: number[] = [];
    const scheduler = new Scheduler({
      log,
      debounceMs: 0,
      maxConcurrent: 2,
      reconcile: async (ref) => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await new Promise((resolve) => setTimeout(resolve, 10));
        concurrent--;
        done.push(ref.issueNumber);
        return {};
      },
    });
    for (let i = 1; i <= 6; i++) scheduler.schedule(epic(i));
    await scheduler.idle();
    expect(maxConcurrent).toBe(2);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("reports what waits in the queue, what runs and the age of the oldest waiting event", async () => {
    let release: () => void = () => {};
    const scheduler = new Scheduler({
      log,
      debounceMs: 1_000,
      reconcile: () => new Promise((resolve) => (release = () => resolve({}))),
    });
    expect(scheduler.stats()).toEqual({ queued: 0, running: 0, oldestEventAgeMs: 0 });
    scheduler.schedule(epic(1), [], 0);
    await new Promise((resolve) => setTimeout(resolve, 5));
    scheduler.schedule(epic(2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const stats = scheduler.stats();
    expect(stats).toMatchObject({ queued: 1, running: 1 });
    expect(stats.oldestEventAgeMs).toBeGreaterThanOrEqual(15);
    release();
    scheduler.stop();
  });

  describe("drain (graceful shutdown)", () => {
    it("lets the run under way finish, runs events already received at once and drops wake-ups", async () => {
      const runs: number[] = [];
      let release: () => void = () => {};
      const scheduler = new Scheduler({
        log,
        debounceMs: 60_000,
        reconcile: async (ref) => {
          runs.push(ref.issueNumber);
          if (ref.issueNumber === 1) await new Promise<void>((resolve) => (release = resolve));
          // Epic 1 asks to be polled again in a while: a wake-up, not an event.
          return ref.issueNumber === 1 ? { wakeAfterMs: 10 } : {};
        },
      });
      scheduler.schedule(epic(1), [], 0);
      await new Promise((resolve) => setTimeout(resolve, 5));
      // An event received a moment ago, still in its (long) debounce window.
      scheduler.schedule(epic(2));
      const drained = scheduler.drain(5_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(runs).toEqual([1, 2]);
      release();
      expect(await drained).toBe(true);
      expect(scheduler.size).toBe(0);
      // Stopped: nothing new starts.
      scheduler.schedule(epic(3), [], 0);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(runs).toEqual([1, 2]);
    });

    it("gives up after its bounded wait, saying so", async () => {
      const scheduler = new Scheduler({ log, debounceMs: 0, reconcile: () => new Promise(() => {}) });
      scheduler.schedule(epic(1));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const startedAt = Date.now();
      expect(await scheduler.drain(50)).toBe(false);
      expect(Date.now() - startedAt).toBeLessThan(1_000);
    });

    it("does not retry a run that fails during shutdown", async () => {
      let calls = 0;
      const scheduler = new Scheduler({
        log,
        debounceMs: 0,
        reconcile: async () => {
          calls++;
          throw new Error("GitHub answered 502");
        },
      });
      scheduler.schedule(epic(1), [stopIntent("a")], 30);
      expect(await scheduler.drain(2_000)).toBe(true);
      expect(calls).toBe(1);
    });
  });
});
