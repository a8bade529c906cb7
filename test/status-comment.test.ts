import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCommands } from "../src/orchestration/commands.js";
import {
  STATUS_MARKER,
  isStatusComment,
  renderStatusComment,
  renderStatusTable,
  type StatusView,
  type TaskView,
} from "../src/orchestration/status-comment.js";
import { TASK_STATES, type Plan, type Task } from "../src/orchestration/types.js";

function task(id: string, title: string, extra: Partial<Task> = {}): Task {
  return { id, title, details: "", checked: false, state: "pending", attempt: 0, deps: [], fixes: 0, ...extra };
}

function view(tasks: TaskView[], extra: Partial<StatusView> & { status?: Plan["status"] } = {}): StatusView {
  const { status = "running", ...rest } = extra;
  const plan: Plan = { status, runs: 0, tasks: tasks.map((item) => item.task) };
  return { plan, tasks, waitingFor: "", budget: { used: 0, limit: 50 }, issueNumber: 7, ...rest };
}

const running = view(
  [
    { task: task("t1", "Add the user model", { state: "merged", checked: true, attempt: 1, pr: 12 }) },
    {
      task: task("t2", "Add the login endpoint", { state: "pr_open", attempt: 2, fixes: 1, pr: 14, deps: ["t1"] }),
      agentStatus: "FINISHED",
      waitingFor: "checks on #14",
    },
    { task: task("t3", "Write the docs", { deps: ["t2"] }), waitingFor: "t2" },
  ],
  { waitingFor: "checks on #14 (t2)", budget: { used: 3, limit: 50 } },
);

describe("renderStatusComment", () => {
  it("renders a running epic", () => {
    expect(renderStatusComment(running)).toMatchInlineSnapshot(`
      "<!-- orchestra:status -->
      ### Orchestra status

      **1 of 3 merged** · 1 in progress · epic running

      | # | Id | Task | State | PR | Attempts | Agent | Waiting for |
      | ---: | --- | --- | --- | --- | ---: | --- | --- |
      | 1 | t1 | Add the user model | ✅ merged | #12 | 1 |  |  |
      | 2 | t2 | Add the login endpoint | 🔍 PR open | #14 | 2 (1 fix) | FINISHED | checks on #14 |
      | 3 | t3 | Write the docs | ⏳ pending |  |  |  | t2 |

      **Waiting for:** checks on #14 (t2)

      Agent runs: 3 of 50

      <sub>This comment is updated in place. Comment \`/orchestra help\` for the commands.</sub>"
    `);
  });

  it("renders a completed epic, with a skipped task and one done by hand", () => {
    const completed = view(
      [
        { task: task("t1", "Add the user model", { state: "merged", checked: true, attempt: 1, pr: 12 }) },
        { task: task("t2", "Add the login endpoint", { state: "skipped", attempt: 3, reason: "CI red" }) },
        { task: task("t3", "Write the docs", { state: "done", checked: true }) },
      ],
      { status: "completed", waitingFor: "", budget: { used: 4, limit: 50 } },
    );
    expect(renderStatusComment(completed)).toMatchInlineSnapshot(`
      "<!-- orchestra:status -->
      ### Orchestra status

      **1 of 3 merged** · 1 skipped · 1 done by hand · epic completed

      | # | Id | Task | State | PR | Attempts | Agent | Waiting for |
      | ---: | --- | --- | --- | --- | ---: | --- | --- |
      | 1 | t1 | Add the user model | ✅ merged | #12 | 1 |  |  |
      | 2 | t2 | Add the login endpoint | ⏭️ skipped |  | 3 |  |  |
      | 3 | t3 | Write the docs | ☑️ done by hand |  |  |  |  |

      **Waiting for:** nothing

      Agent runs: 4 of 50

      <sub>This comment is updated in place. Comment \`/orchestra help\` for the commands.</sub>"
    `);
  });

  it("shows why a task failed, links a PR known only by URL, counts failures and names the budget setting", () => {
    const failed = view(
      [
        {
          task: task("t1", "Add the user model", { state: "failed", attempt: 3, reason: "agent ERROR three times" }),
          prUrl: "https://github.com/acme/app/pull/21",
          agentStatus: "ERROR",
        },
      ],
      { status: "paused", waitingFor: "`/retry t1` or `/skip t1`", budget: { used: 50, limit: 50 } },
    );
    const text = renderStatusComment(failed);
    expect(text).toContain("| 1 | t1 | Add the user model | ❌ failed: agent ERROR three times | #21 | 3 | ERROR |  |");
    expect(text).toContain("**0 of 1 merged** · 1 failed · epic paused");
    expect(text).toContain("**Waiting for:** `/retry t1` or `/skip t1`");
    expect(text).toContain(
      "Agent runs: 50 of 50: the budget is used up; raise `budget.agentRuns` in `.github/orchestra.yml` to launch more.",
    );
  });

  it("numbers tasks by their place in the plan, as `/retry 3` reads it", () => {
    const all = [task("t1", "One"), task("t2", "Two"), task("t3", "Three")];
    const partial: StatusView = { ...view([]), plan: { status: "running", runs: 0, tasks: all } };
    partial.tasks = [{ task: all[2] as Task }];
    expect(renderStatusTable(partial).split("\n")[2]).toBe("| 3 | t3 | Three | ⏳ pending |  |  |  |  |");
  });

  it("renders an empty plan without a table", () => {
    expect(renderStatusTable(view([]))).toBe("_No tasks yet._");
  });

  it("is recognised by its marker on the first line", () => {
    expect(isStatusComment(renderStatusComment(running))).toBe(true);
    expect(isStatusComment(`${STATUS_MARKER}\r\nold text`)).toBe(true);
    expect(isStatusComment(`quoting: ${STATUS_MARKER}`)).toBe(false);
  });

  it("escapes pipes, caps long titles at 80 characters and neutralises HTML in titles", () => {
    const long = `${"word ".repeat(30)}end`;
    const table = renderStatusTable(
      view([
        { task: task("t1", "a | b || c \\| d") },
        { task: task("t2", long) },
        { task: task("t3", `<details><summary>x</summary> \`<b>\` ${STATUS_MARKER}`) },
      ]),
    );
    const rows = table.split("\n");
    expect(rows[2]).toContain("| a \\| b \\|\\| c \\\\\\| d |");
    const cappedTitle = (rows[3] ?? "").split(" | ")[2] ?? "";
    expect(Array.from(cappedTitle)).toHaveLength(80);
    expect(cappedTitle.endsWith("…")).toBe(true);
    expect(rows[4]).toContain("&lt;details>&lt;summary>x&lt;/summary> `<b>` &lt;!-- orchestra:status -->");
  });
});

const taskArb = fc.record({
  title: fc.string({ maxLength: 120 }),
  state: fc.constantFrom(...TASK_STATES),
  attempt: fc.nat({ max: 5 }),
  fixes: fc.nat({ max: 3 }),
  pr: fc.option(fc.integer({ min: 1, max: 99999 }), { nil: undefined }),
  reason: fc.option(fc.string({ maxLength: 80 }), { nil: undefined }),
  agentStatus: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
  waitingFor: fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
  prUrl: fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
});

const viewArb = fc
  .record({
    tasks: fc.array(taskArb, { maxLength: 8 }),
    waitingFor: fc.string({ maxLength: 80 }),
    used: fc.nat({ max: 100 }),
    limit: fc.integer({ min: 1, max: 100 }),
  })
  .map(({ tasks, waitingFor, used, limit }) =>
    view(
      tasks.map((item, i) => {
        const { agentStatus, waitingFor: taskWaiting, prUrl, ...fields } = item;
        const taskView: TaskView = { task: task(`t${i + 1}`, fields.title, fields) };
        if (agentStatus !== undefined) taskView.agentStatus = agentStatus;
        if (taskWaiting !== undefined) taskView.waitingFor = taskWaiting;
        if (prUrl !== undefined) taskView.prUrl = prUrl;
        return taskView;
      }),
      { waitingFor, budget: { used, limit } },
    ),
  );

/** Cells of a GFM table row, split as GitHub does: a `|` after a backslash is not a separator. */
const cells = (row: string): string[] => row.slice(2, -2).split(/(?<!\\) \| /);

describe("renderStatusComment properties", () => {
  it("is deterministic, holds the marker exactly once and no command", () => {
    fc.assert(
      fc.property(viewArb, (statusView) => {
        const text = renderStatusComment(statusView);
        expect(renderStatusComment(structuredClone(statusView))).toBe(text);
        expect(text.split(STATUS_MARKER)).toHaveLength(2);
        expect(text.startsWith(`${STATUS_MARKER}\n`)).toBe(true);
        expect(parseCommands(text)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it("keeps one table row per task with eight cells, whatever the titles hold", () => {
    fc.assert(
      fc.property(viewArb, (statusView) => {
        const rows = renderStatusTable(statusView).split("\n");
        if (statusView.tasks.length === 0) return;
        expect(rows).toHaveLength(statusView.tasks.length + 2);
        for (const row of rows) {
          expect(row.startsWith("| ") && row.endsWith(" |")).toBe(true);
          expect(row.replace(/\\\|/g, "")).toMatch(/^(\|[^|]*){8}\|$/);
        }
        for (const [i, row] of rows.slice(2).entries()) expect(cells(row)[1]).toBe(`t${i + 1}`);
      }),
      { numRuns: 200 },
    );
  });
});
