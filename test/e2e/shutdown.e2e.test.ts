import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { botComments, type E2E, E2E_OPTIONS, isDone, pullMerges, repeated, startE2E, taskLines } from "./harness.js";

/**
 * SIGTERM is how a container platform or systemd stops Orchestra (a deploy, a scale-down). The
 * app stops taking webhooks, finishes the reconcile under way and exits 0; started again, it
 * completes the epic with nothing done twice.
 */
describe("end to end: SIGTERM mid-epic, right as the first PR is merged", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  let exit: { code: number | null; signal: NodeJS.Signals | null; afterMs: number } | undefined;
  let bodyAtExit = "";

  beforeAll(async () => {
    e2e = await startE2E({ tasks: 3, start: false });
    const app = e2e.app();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      app.once("exit", (code, signal) => resolve({ code, signal })),
    );
    let signalledAt = 0;
    const listener = (event: { kind: string }) => {
      if (event.kind !== "merge") return;
      e2e!.sandbox.off("event", listener);
      // From inside the fake's merge handler: the app's reconcile is still waiting for the answer.
      signalledAt = Date.now();
      app.kill("SIGTERM");
    };
    e2e.sandbox.on("event", listener);
    e2e.comment("/orchestra start");
    const { code, signal } = await exited;
    exit = { code, signal, afterMs: Date.now() - signalledAt };
    bodyAtExit = e2e.body();
    await e2e.restart();
    await e2e.until(() => isDone(e2e!), "the epic to close after the restart", 20_000);
  }, 60_000);
  afterAll(async () => e2e?.stop());

  it("exits 0 on its own, soon after the signal", () => {
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit!.afterMs).toBeLessThan(10_000);
  });

  it("finished the reconcile under way: the merge is written down before the process exits", () => {
    // Compare the SIGKILL test in restart.e2e.test.ts, where the body never hears of the merge.
    const first = taskLines(bodyAtExit)[0]!;
    expect(first).toMatch(/^- \[x\] .*state=merged/);
  });

  it("completes the epic after the restart, nothing launched, merged or commented twice", () => {
    const { github, cursor } = e2e!.sandbox;
    expect(repeated(cursor.agents.map((agent) => agent.target.branchName)), "branches with two agents").toEqual([]);
    expect(cursor.requestCount("POST /v0/agents")).toBe(3);
    const pulls = github.pulls(e2e!.repo);
    expect(pulls).toHaveLength(3);
    expect(pulls.every((pull) => pull.merged)).toBe(true);
    expect(repeated(pullMerges(e2e!).map((merge) => merge.pr)), "PRs merged twice").toEqual([]);
    const bodies = botComments(e2e!).map((comment) => comment.body);
    expect(repeated(bodies), "comments posted twice").toEqual([]);
    expect(taskLines(e2e!.body()).every((line) => line.startsWith("- [x]") && line.includes("state=merged"))).toBe(true);
    expect(github.validationErrors).toEqual([]);
  });
});
