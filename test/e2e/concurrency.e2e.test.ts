import { afterEach, describe, expect, it } from "vitest";
import { agentLaunches, type E2E, E2E_OPTIONS, isDone, peakLiveAgents, pullMerges, pullOpenings, startE2E, taskLines } from "./harness.js";

describe("end to end: concurrency 2", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  afterEach(async () => e2e?.stop());

  it("runs two independent tasks at a time, never three, and merges all four", async () => {
    e2e = await startE2E({
      config: "concurrency: 2\n",
      bullets: ["Add a Todo model", "Add a README section", "Add a command-line client", "Add filtering by done state"],
      tasks: 4,
      // Agents slow enough that two launched together overlap for certain.
      agentDelayMs: 60,
    });
    await e2e.until(() => isDone(e2e!), "the epic to close", 15_000);

    expect(peakLiveAgents(e2e)).toBe(2);

    // A task is in flight from its agent's launch until its PR merged; Orchestra's concurrency
    // counts exactly those (running, pr_open, merging), so never more than two.
    const openings = pullOpenings(e2e);
    const merges = pullMerges(e2e);
    const marks: Array<{ seq: number; delta: number }> = [];
    for (const launch of agentLaunches(e2e)) {
      const pr = openings.find((o) => o.head === launch.branch)?.pr;
      const merge = merges.find((m) => m.pr === pr);
      marks.push({ seq: launch.seq, delta: +1 }, { seq: merge?.seq ?? Number.POSITIVE_INFINITY, delta: -1 });
    }
    let inFlight = 0;
    let peak = 0;
    for (const mark of marks.sort((a, b) => a.seq - b.seq)) {
      inFlight += mark.delta;
      peak = Math.max(peak, inFlight);
    }
    expect(peak).toBe(2);

    expect(agentLaunches(e2e)).toHaveLength(4);
    const pulls = e2e.sandbox.github.pulls(e2e.repo);
    expect(pulls).toHaveLength(4);
    expect(pulls.every((pull) => pull.merged)).toBe(true);
    expect(taskLines(e2e.body()).every((line) => line.startsWith("- [x]") && line.includes("state=merged"))).toBe(true);
    expect(e2e.sandbox.github.validationErrors).toEqual([]);
  }, 40_000);
});
