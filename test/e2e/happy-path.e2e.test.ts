import { afterEach, describe, expect, it } from "vitest";
import { isDone, startE2E, taskLines, type E2E } from "./harness.js";

describe("end to end through the sandbox", () => {
  let e2e: E2E | undefined;
  afterEach(async () => e2e?.stop());

  it("plans, runs and closes an epic, every item ticked, nothing done twice", async () => {
    e2e = await startE2E({ tasks: 3 });
    await e2e.until(() => isDone(e2e!), "the epic to close");
    const github = e2e.sandbox.github;
    expect(taskLines(e2e.body()).every((line) => line.startsWith("- [x]") && line.includes("state=merged"))).toBe(true);
    const pulls = github.pulls(e2e.repo);
    expect(pulls).toHaveLength(3);
    expect(pulls.every((pull) => pull.merged)).toBe(true);
    const comments = github.comments(e2e.repo, e2e.epic).filter((c) => c.author === "orchestra[bot]");
    const bodies = comments.map((c) => c.body);
    expect(new Set(bodies).size).toBe(bodies.length);
    expect(bodies.filter((b) => b.includes("<!-- orchestra:status -->"))).toHaveLength(1);
    expect(github.validationErrors).toEqual([]);
  });
});
