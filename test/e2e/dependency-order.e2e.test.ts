import { afterEach, describe, expect, it } from "vitest";
import { agentLaunches, type E2E, E2E_OPTIONS, isDone, pullMerges, pullOpenings, startE2E, taskMeta } from "./harness.js";

/**
 * t2 comes "after" t1 and t3 "after" t2; t4 depends on nothing. Concurrency 3 leaves the
 * dependencies as the only thing that can hold t2 and t3 back, so the order seen by the fake
 * GitHub is Orchestra's dependency handling, not the one-at-a-time default.
 */
describe("end to end: dependencies", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  afterEach(async () => e2e?.stop());

  it("opens no task's pull request before every dependency's pull request merged", async () => {
    e2e = await startE2E({
      config: "concurrency: 3\n",
      bullets: ["Add a Todo model", "Add a store, after the model", "Add a REST API, after the store", "Add a README section"],
      tasks: 4,
    });
    await e2e.until(() => isDone(e2e!), "the epic to close", 15_000);

    const body = e2e.body();
    const branchOf = (id: string) => `orchestra/${e2e!.epic}-${id}-a1`;
    expect(taskMeta(body, "t2")?.deps).toBe("t1");
    expect(taskMeta(body, "t3")?.deps).toBe("t2");
    expect(taskMeta(body, "t4")?.deps).toBeUndefined();

    const openings = pullOpenings(e2e);
    const merges = pullMerges(e2e);
    const launches = agentLaunches(e2e);
    const opened = (id: string) => openings.find((o) => o.head === branchOf(id));
    const merged = (id: string) => merges.find((m) => m.pr === opened(id)?.pr);
    const launched = (id: string) => launches.find((l) => l.branch === branchOf(id));

    for (const [task, dep] of [
      ["t2", "t1"],
      ["t3", "t2"],
    ] as const) {
      expect(merged(dep), `${dep} merged`).toBeDefined();
      expect(opened(task)!.seq, `${task}'s PR opened after ${dep}'s merged`).toBeGreaterThan(merged(dep)!.seq);
      expect(launched(task)!.seq, `${task}'s agent launched after ${dep}'s PR merged`).toBeGreaterThan(merged(dep)!.seq);
    }
    // The independent task did not wait: it ran beside t1, so concurrency was in force.
    expect(launched("t4")!.seq).toBeLessThan(merged("t1")!.seq);
    expect(merges.map((m) => m.pr).sort()).toEqual(openings.map((o) => o.pr).sort());
    expect(e2e.sandbox.github.pulls(e2e.repo).every((pull) => pull.merged)).toBe(true);
    expect(e2e.sandbox.github.validationErrors).toEqual([]);
  }, 40_000);
});
