import { describe, expect, it } from "vitest";
import {
  MAX_BODY_LENGTH,
  PLAN_END,
  PLAN_START,
  applyPatch,
  findChecklist,
  parseBody,
  renderBody,
  renderPlan,
} from "../src/orchestration/checklist.js";
import type { ParsedBody, Plan, Task } from "../src/orchestration/types.js";

const lines = (...parts: string[]) => parts.join("\n");

/** The DESIGN.md example, with the epic attributes and details that hold a blank line. */
const BLOCK = lines(
  "<!-- orchestra:plan v1 status=running runs=3 comment=1234 next=4 live=t2.1 -->",
  "### Tasks",
  "- [x] Add the user model <!-- orchestra:task id=t1 state=merged attempt=1 pr=12 -->",
  "- [ ] Add the login endpoint <!-- orchestra:task id=t2 state=running attempt=1 agent=bc-1f2e deps=t1 -->",
  "  Details given to the agent go on indented lines under the item.",
  "",
  "  More details.",
  "- [ ] Write the docs <!-- orchestra:task id=t3 -->",
  "<!-- orchestra:plan:end -->",
);
const BEFORE = "We need a login.\n\n";
const AFTER = "\n\nThanks!";
const BODY = BEFORE + BLOCK + AFTER;

function task(fields: Partial<Task> & { id: string }): Task {
  return { title: `Task ${fields.id}`, details: "", checked: false, state: "pending", attempt: 0, deps: [], fixes: 0, ...fields };
}

function parsed(body: string | null | undefined): ParsedBody {
  const result = parseBody(body);
  if (!result.ok) throw new Error(`expected the body to parse: ${result.error}`);
  return result.parsed;
}

function planOf(body: string): Plan {
  const plan = parsed(body).plan;
  if (!plan) throw new Error("expected a plan");
  return plan;
}

function errorOf(body: string): string {
  const result = parseBody(body);
  if (result.ok) throw new Error("expected a parse error");
  return result.error;
}

function applied(body: string | null, ...args: Parameters<typeof applyPatch> extends [unknown, ...infer R] ? R : never) {
  const result = applyPatch(body, ...args);
  if (!result.ok) throw new Error(`expected the patch to apply: ${result.error}`);
  return result;
}

describe("parseBody", () => {
  it("reads the plan and keeps the text around it exactly", () => {
    const { before, after, plan, eol } = parsed(BODY);
    expect({ before, after, eol }).toEqual({ before: BEFORE, after: AFTER, eol: "\n" });
    expect(plan).toStrictEqual({
      status: "running",
      runs: 3,
      statusComment: 1234,
      live: [{ id: "t2", attempt: 1 }],
      tasks: [
        task({ id: "t1", title: "Add the user model", checked: true, state: "merged", attempt: 1, pr: 12 }),
        task({
          id: "t2",
          title: "Add the login endpoint",
          details: "Details given to the agent go on indented lines under the item.\n\nMore details.",
          state: "running",
          attempt: 1,
          agent: "bc-1f2e",
          deps: ["t1"],
        }),
        task({ id: "t3", title: "Write the docs" }),
      ],
    });
    expect(renderBody(parsed(BODY))).toBe(BODY);
  });

  it("renders the block in the documented format, attributes in a fixed order", () => {
    expect(renderPlan(planOf(BODY), "\n")).toBe(BLOCK);
    const full = task({
      id: "t9",
      title: "All of it",
      state: "failed",
      attempt: 2,
      agent: "bc-9",
      pr: 7,
      deps: ["t1", "t2"],
      fixes: 1,
      followup: "ci:abc123",
      reason: "checks failed",
    });
    expect(renderPlan({ status: "paused", runs: 0, tasks: [full] }, "\n")).toBe(
      lines(
        "<!-- orchestra:plan v1 status=paused next=10 -->",
        "### Tasks",
        "- [ ] All of it <!-- orchestra:task id=t9 state=failed attempt=2 agent=bc-9 pr=7 deps=t1,t2 fixes=1 followup=ci:abc123 reason=checks%20failed -->",
        PLAN_END,
      ),
    );
  });

  it("gives no plan for an empty or missing body", () => {
    for (const body of [null, undefined, ""]) {
      expect(parseBody(body)).toEqual({ ok: true, parsed: { before: "", after: "", plan: null, eol: "\n" } });
    }
  });

  it("gives the whole text as `before` when there is no block", () => {
    expect(parsed("Just a description\r\n- [ ] with a checklist")).toEqual({
      before: "Just a description\r\n- [ ] with a checklist",
      after: "",
      plan: null,
      eol: "\r\n",
    });
  });

  it("accepts the bare marker, ignores unknown attributes and stray lines", () => {
    const plan = planOf(
      lines(
        "<!-- orchestra:plan v1 -->",
        "Some note a person typed",
        "- [ ] First <!-- orchestra:task id=t1 colour=blue state=running -->",
        "### Tasks",
        "<!-- orchestra:plan:end -->",
      ),
    );
    expect(plan).toStrictEqual({ status: "planned", runs: 0, tasks: [task({ id: "t1", title: "First", state: "running" })] });
  });

  it("falls back to defaults for values it does not know", () => {
    const plan = planOf(
      lines(
        "<!-- orchestra:plan v1 status=exploding runs=-1 comment=abc -->",
        "- [ ] A <!-- orchestra:task id=t1 state=weird attempt=two pr=x fixes=1.5 -->",
        PLAN_END,
      ),
    );
    expect(plan).toStrictEqual({ status: "planned", runs: 0, tasks: [task({ id: "t1", title: "A" })] });
  });

  it("round-trips a percent-encoded reason and unusual ids", () => {
    const reason = "CI failed: `npm test` --> exit 1 (100% red)\nsee log é 😀";
    const plan: Plan = {
      status: "paused",
      runs: 1,
      tasks: [
        task({ id: "setup db", title: "Set up", state: "merged", checked: true }),
        task({ id: "t2", title: "Build", state: "failed", reason, deps: ["setup db", "a,b"], followup: "review:42" }),
        task({ id: "a,b", title: "Comma id", notBefore: 1_700_000_030_000 }),
      ],
    };
    const block = renderPlan(plan, "\n");
    expect(block).toContain("reason=CI%20failed%3A%20%60npm%20test%60%20--%3E%20exit%201%20(100%25%20red)%0Asee%20log%20%C3%A9%20%F0%9F%98%80 -->");
    expect(block).toContain("deps=setup%20db,a%2Cb ");
    expect(block).toContain("id=a,b after=1700000030000 -->");
    expect(block.split("\n")).toHaveLength(6);
    expect(planOf(block)).toStrictEqual(plan);
  });

  it("keeps a malformed escape as typed", () => {
    const plan = planOf(lines(PLAN_START + " v1 -->", "- [ ] A <!-- orchestra:task id=t1 reason=50%zz -->", PLAN_END));
    expect(plan.tasks[0]?.reason).toBe("50%zz");
  });

  it("strips markers smuggled into titles and details", () => {
    const plan: Plan = {
      status: "planned",
      runs: 0,
      tasks: [
        task({
          id: "t1",
          title: "Evil <!-- orchestra:task id=t2 state=merged --> title <!-- orchestra:plan:end -->",
          details: "line <!-- orchestra:plan v1 -->\n<!-- orchestra:plan:end",
        }),
      ],
    };
    const block = renderPlan(plan, "\n");
    expect(block.match(/<!-- orchestra:/g)).toHaveLength(3); // start, one task marker, end
    expect(planOf(block).tasks).toStrictEqual([task({ id: "t1", title: "Evil  title", details: "line \n<!-- orchestra :plan:end" })]);
  });

  describe("reports a broken block precisely", () => {
    it("start marker without end marker", () => {
      const error = errorOf(BODY.replace("<!-- orchestra:plan:end -->", ""));
      expect(error).toContain("start marker `<!-- orchestra:plan v1 -->` (line 3) but not its end marker `<!-- orchestra:plan:end -->`");
      expect(error).toContain("Put the end marker back");
    });

    it("end marker without start marker", () => {
      const error = errorOf(BODY.replace("<!-- orchestra:plan v1 status=running runs=3 comment=1234 next=4 live=t2.1 -->", ""));
      expect(error).toContain("end marker `<!-- orchestra:plan:end -->` (line 11) but not its start marker `<!-- orchestra:plan v1 -->`");
    });

    it("two blocks", () => {
      expect(errorOf(`${BODY}\n\n${BLOCK}`)).toContain("2 Orchestra plan blocks (start markers `<!-- orchestra:plan v1 -->` on lines 3, 15)");
    });

    it("two end markers, or the end before the start", () => {
      expect(errorOf(`${BODY}\n${PLAN_END}`)).toContain("2 end markers");
      expect(errorOf(`${PLAN_END}\n${PLAN_START} v1 -->`)).toContain("comes before its start marker");
    });

    it("a task marker that repeats an id", () => {
      const copied = BODY.replace("- [ ] Write the docs <!-- orchestra:task id=t3 -->", "- [ ] Write the docs <!-- orchestra:task id=t2 -->");
      expect(errorOf(copied)).toMatchInlineSnapshot(
        `"Two tasks in the plan have the id \`t2\` (\`<!-- orchestra:task id=t2 … -->\`): "Add the login endpoint" and "Write the docs". An item copied with its marker keeps the id: delete the \`<!-- orchestra:task … -->\` comment from the copy, and Orchestra gives it a new id."`,
      );
    });

    it("a marker not closed on its line, or a format it cannot read", () => {
      expect(errorOf(`${PLAN_START} v1\n### Tasks\n${PLAN_END}`)).toContain("is not closed with `-->` on the same line");
      expect(errorOf(`${PLAN_START} v2 -->\n${PLAN_END}`)).toContain("format `v2`");
    });
  });
});

describe("people's edits of the checklist", () => {
  it("reword: the title changes, the task keeps its id and state", () => {
    const plan = planOf(BODY.replace("Add the login endpoint", "Add login and logout endpoints"));
    expect(plan.tasks[1]).toMatchObject({ id: "t2", title: "Add login and logout endpoints", state: "running", agent: "bc-1f2e" });
  });

  it("reorder: the list order is the new order", () => {
    const docs = "- [ ] Write the docs <!-- orchestra:task id=t3 -->\n";
    const plan = planOf(BODY.replace(docs, "").replace("### Tasks\n", `### Tasks\n${docs}`));
    expect(plan.tasks.map((t) => t.id)).toEqual(["t3", "t1", "t2"]);
    expect(plan.tasks[2]?.details).toContain("More details."); // details stay under their item
  });

  it("add: an item without metadata is a new pending task with the next free id", () => {
    const body = BODY.replace(
      "- [ ] Write the docs",
      "- [ ] Add rate limiting\n  Use a token bucket.\n- [x] Already did this\n- [ ] \n- [ ] Write the docs",
    );
    const plan = planOf(body);
    expect(plan.tasks.map((t) => [t.id, t.title, t.state])).toEqual([
      ["t1", "Add the user model", "merged"],
      ["t2", "Add the login endpoint", "running"],
      ["t4", "Add rate limiting", "pending"],
      ["t5", "Already did this", "done"],
      ["t3", "Write the docs", "pending"],
    ]);
    expect(plan.tasks[2]?.details).toBe("Use a token bucket.");
    // The rendered body gives the new tasks their markers and reads back the same.
    const rendered = renderBody(parsed(body));
    expect(rendered).toContain("- [ ] Add rate limiting <!-- orchestra:task id=t4 -->\n  Use a token bucket.\n");
    expect(planOf(rendered)).toStrictEqual(plan);
  });

  it("delete: a removed item is absent, and patches for it are ignored", () => {
    const body = BODY.replace("- [ ] Write the docs <!-- orchestra:task id=t3 -->\n", "");
    expect(planOf(body).tasks.map((t) => t.id)).toEqual(["t1", "t2"]);
    const result = applied(body, { tasks: [{ id: "t3", state: "running", agent: "bc-new" }] });
    expect(result.body).toBe(body);
    expect(result.changed).toBe(false);
  });

  it("tick: ticked by a person means done, and stays ticked", () => {
    const body = BODY.replace("- [ ] Add the login endpoint", "- [x] Add the login endpoint");
    const t2 = planOf(body).tasks[1];
    expect(t2).toMatchObject({ id: "t2", state: "done", checked: true });
    expect(renderBody(parsed(body))).toContain("- [x] Add the login endpoint <!-- orchestra:task id=t2 state=done attempt=1");
  });

  it("untick: a done item is pending again; merged and skipped stay and are ticked again", () => {
    const body = lines(
      "<!-- orchestra:plan v1 -->",
      "- [ ] Done by hand <!-- orchestra:task id=t1 state=done -->",
      "- [ ] Merged <!-- orchestra:task id=t2 state=merged pr=3 -->",
      "- [ ] Skipped <!-- orchestra:task id=t3 state=skipped -->",
      PLAN_END,
    );
    const plan = planOf(body);
    expect(plan.tasks.map((t) => [t.state, t.checked])).toEqual([
      ["pending", false],
      ["merged", false],
      ["skipped", false],
    ]);
    const rendered = renderBody(parsed(body));
    expect(rendered).toContain("- [ ] Done by hand <!-- orchestra:task id=t1 -->");
    expect(rendered).toContain("- [x] Merged <!-- orchestra:task id=t2 state=merged pr=3 -->");
    expect(rendered).toContain("- [x] Skipped <!-- orchestra:task id=t3 state=skipped -->");
  });

  it("new ids follow the highest id anywhere in the block", () => {
    const plan = planOf(lines(PLAN_START + " -->", "- [ ] New", "- [ ] Old <!-- orchestra:task id=t7 -->", PLAN_END));
    expect(plan.tasks.map((t) => t.id)).toEqual(["t8", "t7"]);
  });
});

describe("CRLF bodies", () => {
  const crlf = BODY.replaceAll("\n", "\r\n");

  it("parses with CRLF and renders back byte for byte", () => {
    const result = parsed(crlf);
    expect(result.eol).toBe("\r\n");
    expect(result.before).toBe(BEFORE.replaceAll("\n", "\r\n"));
    expect(result.plan?.tasks[1]?.details).toBe("Details given to the agent go on indented lines under the item.\n\nMore details.");
    expect(renderBody(result)).toBe(crlf);
  });

  it("keeps CRLF when Orchestra writes its changes", () => {
    const result = applied(crlf, { tasks: [{ id: "t3", state: "running", attempt: 1 }], runsDelta: 1 });
    expect(result.body).toBe(
      crlf
        .replace("runs=3", "runs=4")
        .replace("live=t2.1", "live=t2.1,t3.1")
        .replace("<!-- orchestra:task id=t3 -->", "<!-- orchestra:task id=t3 state=running attempt=1 -->"),
    );
    expect(result.body.replaceAll("\r\n", "")).not.toMatch(/[\r\n]/);
  });

  it("appends a new block after CRLF text with a CRLF blank line", () => {
    const result = applied("Build it.\r\nPlease.", { replacePending: [{ id: "a", title: "Do it", details: "", deps: [] }] });
    expect(result.body).toBe(
      "Build it.\r\nPlease.\r\n\r\n<!-- orchestra:plan v1 next=2 -->\r\n### Tasks\r\n- [ ] Do it <!-- orchestra:task id=t1 -->\r\n<!-- orchestra:plan:end -->",
    );
  });
});

describe("applyPatch", () => {
  it("overwrites the patched fields, clears the ones patched to undefined, ticks by state", () => {
    const result = applied(BODY, {
      status: "paused",
      statusComment: 99,
      runsDelta: 2,
      tasks: [
        { id: "t2", state: "merged", pr: 14, checked: false, agent: undefined },
        { id: "t1", reason: "kept going" },
      ],
    });
    const plan = planOf(result.body);
    expect(plan).toMatchObject({ status: "paused", runs: 5, statusComment: 99 });
    expect(plan.tasks[1]).toStrictEqual(
      task({
        id: "t2",
        title: "Add the login endpoint",
        details: "Details given to the agent go on indented lines under the item.\n\nMore details.",
        state: "merged",
        checked: true,
        attempt: 1,
        pr: 14,
        deps: ["t1"],
      }),
    );
    expect(plan.tasks[0]?.reason).toBe("kept going");
    expect(result.body.startsWith(BEFORE) && result.body.endsWith(AFTER)).toBe(true);
    expect(result).toMatchObject({ changed: true, folded: false });
  });

  it("keeps a person's edit made after Orchestra read the body", () => {
    const edited = BODY.replace("Write the docs", "Write the API docs").replace("Thanks!", "Thanks, and add a test.\n- [ ] not in the block");
    const result = applied(edited, { tasks: [{ id: "t3", state: "running", attempt: 1, agent: "bc-2" }] });
    expect(result.body).toContain("- [ ] Write the API docs <!-- orchestra:task id=t3 state=running attempt=1 agent=bc-2 -->");
    expect(result.body.endsWith("Thanks, and add a test.\n- [ ] not in the block")).toBe(true);
  });

  it("reports no change when the patch changes nothing", () => {
    expect(applied(BODY, { status: "running", tasks: [{ id: "t1", state: "merged" }] })).toEqual({
      ok: true,
      body: BODY,
      changed: false,
      folded: false,
    });
  });

  it("leaves a body without a plan alone unless it plans", () => {
    expect(applied("A description", { status: "running", runsDelta: 1 })).toEqual({
      ok: true,
      body: "A description",
      changed: false,
      folded: false,
    });
  });

  it("creates the block after the text, separated by a blank line", () => {
    const planned = [{ id: "x", title: "Only task", details: "", deps: [] }];
    const block = "<!-- orchestra:plan v1 next=2 -->\n### Tasks\n- [ ] Only task <!-- orchestra:task id=t1 -->\n<!-- orchestra:plan:end -->";
    expect(applied(null, { replacePending: planned }).body).toBe(block);
    expect(applied("Text", { replacePending: planned }).body).toBe(`Text\n\n${block}`);
    expect(applied("Text\n", { replacePending: planned }).body).toBe(`Text\n\n${block}`);
    expect(applied("Text\n\n", { replacePending: planned }).body).toBe(`Text\n\n${block}`);
  });

  it("re-plans: keeps started and finished tasks, replaces pending ones, renumbers and remaps deps", () => {
    const result = applied(BODY, {
      status: "planned",
      replacePending: [
        { id: "1", title: "Tests for login", details: "Cover the errors.", deps: ["t2", "t1"] },
        { id: "2", title: "Docs", details: "", deps: ["1", "2", "t3", "nope"] },
      ],
    });
    const plan = planOf(result.body);
    expect(plan.status).toBe("planned");
    expect(plan.tasks.map((t) => [t.id, t.title, t.state, t.deps])).toEqual([
      ["t1", "Add the user model", "merged", []],
      ["t2", "Add the login endpoint", "running", ["t1"]],
      ["t3", "Tests for login", "pending", ["t2", "t1"]],
      ["t4", "Docs", "pending", ["t3"]],
    ]);
    expect(plan.tasks[2]?.details).toBe("Cover the errors.");
  });

  it("returns the parse error of a broken fresh body", () => {
    const result = applyPatch(BODY.replace(PLAN_END, ""), { status: "running" });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toContain("not its end marker");
  });
});

describe("body size", () => {
  const details = "x".repeat(2_990);
  const finished = Array.from({ length: 20 }, (_, i) =>
    task({ id: `t${i + 1}`, title: `Finished ${i + 1}`, state: "merged", checked: true, details }),
  );
  const open = [task({ id: "t21", title: "Open", details: "Keep these details." })];

  it("folds the details of finished tasks, oldest first, to stay under the limit", () => {
    const text = `${"Describe the epic. ".repeat(220)}\n\n`;
    const body = text + renderPlan({ status: "running", runs: 20, tasks: [...finished, ...open] }, "\n");
    expect(body.length).toBeGreaterThan(65_000);
    expect(body.length).toBeLessThan(65_536);

    const result = applied(body, { tasks: [{ id: "t21", state: "running", attempt: 1 }] });
    expect(result.folded).toBe(true);
    expect(result.body.length).toBeLessThanOrEqual(MAX_BODY_LENGTH);
    expect(result.body.startsWith(text)).toBe(true);
    const tasks = planOf(result.body).tasks;
    const foldedCount = tasks.filter((t) => t.state === "merged" && t.details === "").length;
    expect(foldedCount).toBeGreaterThan(0);
    expect(tasks.slice(0, foldedCount).every((t) => t.details === "")).toBe(true); // the oldest went first
    expect(tasks.slice(foldedCount, 20).every((t) => t.details === details)).toBe(true);
    expect(tasks[20]).toMatchObject({ state: "running", details: "Keep these details." });
  });

  it("refuses when the person's own text leaves no room, without cutting it", () => {
    const result = applyPatch("y".repeat(61_000), { replacePending: [{ id: "a", title: "A", details: "", deps: [] }] });
    expect(result).toEqual({
      ok: false,
      error: expect.stringContaining("The issue description is 61,000 characters long without Orchestra's plan"),
    });
  });

  it("refuses a plan whose open tasks alone are too long", () => {
    const planned = Array.from({ length: 30 }, (_, i) => ({ id: `${i}`, title: `T${i}`, details: "z".repeat(2_500), deps: [] }));
    const result = applyPatch("Short text", { replacePending: planned });
    expect(result).toEqual({ ok: false, error: expect.stringContaining("The plan is too long for the issue description") });
  });
});

describe("findChecklist and adopting it", () => {
  const text = lines(
    "Please build this.",
    "",
    "```md",
    "- [ ] not a task: inside a code block",
    "```",
    "",
    "* [ ] Add the model",
    "  With fields:",
    "",
    "    - name",
    "- [x] Add the endpoint",
    "1. [ ] Ordered works too",
    "",
    "That is all.",
  );

  it("finds the first checklist outside code, with its details", () => {
    const found = findChecklist(text);
    expect(found?.tasks).toEqual([
      { id: "t1", title: "Add the model", details: "With fields:\n\n  - name", deps: [] },
      { id: "t2", title: "Add the endpoint", details: "", deps: [], done: true },
      { id: "t3", title: "Ordered works too", details: "", deps: [] },
    ]);
    expect(text.slice(found?.start, found?.end)).toBe(
      "* [ ] Add the model\n  With fields:\n\n    - name\n- [x] Add the endpoint\n1. [ ] Ordered works too\n",
    );
  });

  it("returns null when there is no checklist outside code", () => {
    expect(findChecklist("No list here\n- plain item")).toBeNull();
    expect(findChecklist("~~~\n- [ ] fenced\n~~~\n")).toBeNull();
    expect(findChecklist("")).toBeNull();
  });

  it("puts the block in place of the adopted checklist", () => {
    const found = findChecklist(text);
    if (!found) throw new Error("expected a checklist");
    const result = applied(text, { replacePending: found.tasks }, { adoptChecklistAt: found });
    expect(result.body).toBe(
      lines(
        "Please build this.",
        "",
        "```md",
        "- [ ] not a task: inside a code block",
        "```",
        "",
        "<!-- orchestra:plan v1 next=4 -->",
        "### Tasks",
        "- [ ] Add the model <!-- orchestra:task id=t1 -->",
        "  With fields:",
        "",
        "    - name",
        "- [x] Add the endpoint <!-- orchestra:task id=t2 state=done -->",
        "- [ ] Ordered works too <!-- orchestra:task id=t3 -->",
        "<!-- orchestra:plan:end -->",
        "",
        "That is all.",
      ),
    );
    // Once the block exists, re-applying the open tasks changes nothing. (The ticked item is a
    // done task now, kept like any finished one; Orchestra adopts only when there is no block.)
    const open = found.tasks.filter((task) => !task.done);
    const once = applied(result.body, { replacePending: open });
    expect(applied(once.body, { replacePending: open }).changed).toBe(false);
  });

  it("adopts a checklist at the very end of a CRLF body", () => {
    const crlf = "Do these:\r\n- [ ] One\r\n- [ ] Two";
    const found = findChecklist(crlf);
    if (!found) throw new Error("expected a checklist");
    expect(found.end).toBe(crlf.length);
    const result = applied(crlf, { replacePending: found.tasks }, { adoptChecklistAt: found });
    expect(result.body).toBe(
      "Do these:\r\n<!-- orchestra:plan v1 next=3 -->\r\n### Tasks\r\n- [ ] One <!-- orchestra:task id=t1 -->\r\n- [ ] Two <!-- orchestra:task id=t2 -->\r\n<!-- orchestra:plan:end -->",
    );
  });

  it("rejects a range outside the body", () => {
    const result = applyPatch("short", { replacePending: [] }, { adoptChecklistAt: { start: 2, end: 50 } });
    expect(result.ok).toBe(false);
  });
});

describe("hostile bodies", () => {
  // Issue authors without write access write bodies too; every pass must stay linear. At this size
  // a quadratic scan takes minutes, a linear one a fraction of a second.
  const n = 300_000;
  const bodies = {
    "marker prefixes in a title": `${PLAN_START} v1 -->\n- [ ] ${"<!-- orchestra:".repeat(n / 15)}\n${PLAN_END}`,
    "start markers sharing one close": `${"<!-- orchestra:plan ".repeat(n / 20)}-->`,
    "near-miss task markers": `${PLAN_START} v1 -->\n- [ ] ${"<!-- orchestra:taskx".repeat(n / 20)}\n${PLAN_END}`,
    "many items": `${PLAN_START} v1 -->\n${"- [x] a\n  d\n".repeat(n / 12)}${PLAN_END}`,
    "blank detail lines": `${PLAN_START} v1 -->\n- [ ] a\n${"  \n".repeat(n / 3)}${PLAN_END}`,
    "a checklist and many line breaks": `- [ ] a\n${"\n".repeat(n)}x`,
  };

  it.each(Object.entries(bodies))("%s", (_name, body) => {
    const started = performance.now();
    const result = parseBody(body);
    const patched = applyPatch(body, { replacePending: [], runsDelta: 1 });
    findChecklist(body);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(typeof result.ok).toBe("boolean");
    expect(patched.ok || patched.error.length > 0).toBe(true);
  });
});

