import { afterEach, describe, expect, it } from "vitest";
import { PERSON } from "../../sandbox/harness.js";
import { type E2E, E2E_OPTIONS, isDone, startE2E, taskLines, taskMeta } from "./harness.js";

const INTRO = "A small todo application, built one pull request at a time.";
const REWORDED = "A small todo application, reworded by alice while t1 runs.";
const ADDED = "Add a changelog entry for the todo app";

describe("end to end: a person edits the epic while it runs", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  afterEach(async () => e2e?.stop());

  it("keeps the person's edit and Orchestra's progress, and runs the item the person added", async () => {
    // Slow agents: t1's run lasts long enough to edit the body while nothing else writes it.
    e2e = await startE2E({ tasks: 3, agentDelayMs: 150 });
    const { github, cursor } = e2e.sandbox;
    await e2e.until(
      () => taskMeta(e2e!.body(), "t1")?.agent !== undefined && cursor.agents[0]?.status === "RUNNING",
      "t1's agent to run and be recorded in the body",
    );

    const before = e2e.body();
    expect(before).toContain(INTRO);
    const edited = before
      .replace(INTRO, REWORDED)
      .replace("<!-- orchestra:plan:end -->", `- [ ] ${ADDED}\n<!-- orchestra:plan:end -->`);
    expect(edited).not.toBe(before);
    github.editIssueBody(e2e.repo, e2e.epic, edited, PERSON);

    await e2e.until(() => isDone(e2e!), "the epic to close", 15_000);
    const body = e2e.body();
    expect(body).toContain(REWORDED);
    expect(body).not.toContain(INTRO);
    const lines = taskLines(body);
    expect(lines).toHaveLength(4);
    expect(lines.every((line) => line.startsWith("- [x]") && line.includes("state=merged"))).toBe(true);
    const added = lines.find((line) => line.includes(ADDED));
    expect(added, "the added item became a task").toBeDefined();

    // t1 was not relaunched by the edit, and the added item got its own agent and PR.
    expect(cursor.agents.filter((agent) => agent.taskId === "t1")).toHaveLength(1);
    const addedAgents = cursor.agents.filter((agent) => agent.prompt.includes(ADDED));
    expect(addedAgents).toHaveLength(1);
    const pulls = github.pulls(e2e.repo);
    expect(pulls).toHaveLength(4);
    expect(pulls.every((pull) => pull.merged)).toBe(true);
    expect(pulls.some((pull) => pull.head === addedAgents[0]!.target.branchName)).toBe(true);
    expect(github.validationErrors).toEqual([]);
  }, 40_000);
});
