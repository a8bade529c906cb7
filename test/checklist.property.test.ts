import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyPatch,
  findChecklist,
  parseBody,
  renderBody,
  renderPlan,
} from "../src/orchestration/checklist.js";
import { EPIC_STATUSES, TASK_STATES } from "../src/orchestration/types.js";
import type { ParsedBody, Plan, PlanPatch, PlannedTask, Task, TaskPatch } from "../src/orchestration/types.js";

const TICKED = new Set(["merged", "skipped", "done"]);

/** Pieces that matter to the parser, so that interesting bodies come up often. */
const FRAGMENTS = [
  "\n",
  "\r\n",
  "\r",
  "  ",
  "\t",
  " ",
  "- [ ] ",
  "- [x] ",
  "* [X] ",
  "1. [ ] ",
  "### Tasks",
  "<!--",
  "-->",
  "<!-- orchestra:",
  "<!-- orchestra:plan",
  "<!-- orchestra:plan v1 -->",
  "<!-- orchestra:plan v1 status=running runs=2 comment=7 -->",
  "<!-- orchestra:plan:end -->",
  "<!-- orchestra:plan:end",
  "<!-- orchestra:task",
  "<!-- orchestra:task id=t1 -->",
  "<!-- orchestra:task id=t2 state=merged pr=3 deps=t1 -->",
  "<!-- orchestra:task state=done reason=a%20b -->",
  " id=t3",
  " deps=t1,t9,,",
  " reason=%E0%A4%A",
  " attempt=99999999999999999999",
  "```",
  "é",
  "😀",
  "\u2028",
  "\uD800",
  "\uDC00",
  "%",
  "x",
];

const fuzzText = fc
  .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 6 }), fc.string({ unit: "binary", maxLength: 4 })), {
    maxLength: 50,
  })
  .map((pieces) => pieces.join(""));

/** Text a person might write around the block: anything but the plan markers. */
const outsideText = fuzzText.filter((text) => !text.includes("<!-- orchestra:plan"));

const noMarkers = (text: string) => !text.includes("<!-- orchestra:");
const anyText = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: "grapheme", maxLength: 10 }), fuzzText);
/** Lone surrogates cannot be percent-encoded; they become U+FFFD, so they stay out of round trips. */
const wellFormed = (text: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
const oneLine = anyText
  .map((text) => text.replace(/[\r\n]/g, " "))
  .filter((text) => noMarkers(text) && wellFormed(text));
const title = oneLine.map((text) => text.trim());
const nonEmpty = oneLine.filter((text) => text !== "");
const details = fc
  .array(oneLine, { maxLength: 5 })
  .map((lines) => {
    const blank = (line: string | undefined) => line !== undefined && line.trim() === "";
    while (blank(lines[0])) lines.shift();
    while (blank(lines[lines.length - 1])) lines.pop();
    return lines.join("\n");
  });
const count = fc.nat({ max: 10_000 });
const id = fc.oneof(count.map((n) => `t${n}`), nonEmpty);

function optional<T>(arb: fc.Arbitrary<T>) {
  return fc.option(arb, { nil: undefined });
}

/** Builds the object without keys whose value is undefined, as the parser does. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const plan: fc.Arbitrary<Plan> = fc
  .record({
    status: fc.constantFrom(...EPIC_STATUSES),
    runs: count,
    statusComment: optional(count),
    ids: fc.uniqueArray(id, { maxLength: 6 }),
  })
  .chain(({ ids, ...epic }) =>
    fc
      .tuple(
        ...ids.map((taskId) =>
          fc.record({
            title,
            details,
            state: fc.constantFrom(...TASK_STATES),
            attempt: count,
            agent: optional(nonEmpty),
            pr: optional(count),
            deps: fc.array(fc.oneof(fc.constantFrom(...ids, "gone"), nonEmpty), { maxLength: 3 }),
            fixes: count,
            followup: optional(nonEmpty),
            reason: optional(nonEmpty),
          }).map((fields): Task => defined({ id: taskId, checked: TICKED.has(fields.state), ...fields })),
        ),
      )
      .map((tasks): Plan => defined({ ...epic, tasks })),
  );

/** A body Orchestra wrote: any plan inside any text, with the line ending the text implies. */
const canonical: fc.Arbitrary<ParsedBody> = fc
  .record({ before: outsideText, after: outsideText, plan, crlf: fc.boolean() })
  .map(({ before, after, plan, crlf }) => ({
    before,
    after,
    plan,
    eol: crlf || `${before}${after}`.includes("\r\n") ? ("\r\n" as const) : ("\n" as const),
  }));

/** A rendered body mangled as a person (or a bad paste) might: cuts, insertions, duplications. */
const mangled = fc
  .tuple(canonical.map(renderBody), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fuzzText), { maxLength: 4 }))
  .map(([body, edits]) =>
    edits.reduce((text, [at, cut, insert]) => {
      const i = text.length === 0 ? 0 : at % text.length;
      return text.slice(0, i) + insert + text.slice(i + cut);
    }, body),
  );

const planned: fc.Arbitrary<PlannedTask[]> = fc.array(
  fc.record({ id: fc.oneof(id, fc.constantFrom("1", "2", "3")), title, details, deps: fc.array(id, { maxLength: 3 }) }),
  { maxLength: 5 },
);

/** A patch as `decide` makes it: task patches name ids from the body it read (or deleted ones). */
function patchFor(ids: string[], withRuns: boolean): fc.Arbitrary<PlanPatch> {
  const taskPatch: fc.Arbitrary<TaskPatch> = fc
    .record(
      {
        id: fc.constantFrom(...ids, "deleted-task"),
        state: fc.constantFrom(...TASK_STATES),
        attempt: count,
        agent: fc.oneof(nonEmpty, fc.constant(undefined)),
        pr: fc.oneof(count, fc.constant(undefined)),
        fixes: count,
        followup: fc.oneof(nonEmpty, fc.constant(undefined)),
        reason: fc.oneof(nonEmpty, fc.constant(undefined)),
        checked: fc.boolean(),
      },
      { requiredKeys: ["id"] },
    );
  return fc.record(
    {
      status: fc.constantFrom(...EPIC_STATUSES),
      statusComment: fc.oneof(count, fc.constant(undefined)),
      runsDelta: withRuns ? fc.integer({ min: -5, max: 5 }) : fc.constant(undefined),
      tasks: fc.array(taskPatch, { maxLength: 4 }),
      replacePending: planned,
    },
    { requiredKeys: [] },
  );
}

function idsOf(body: string): string[] {
  const result = parseBody(body);
  return result.ok && result.parsed.plan ? result.parsed.plan.tasks.map((task) => task.id) : [];
}

/** A body and a patch for it. */
const bodyAndPatch = (bodies: fc.Arbitrary<string>, withRuns: boolean) =>
  bodies.chain((body) => fc.tuple(fc.constant(body), patchFor(idsOf(body), withRuns)));

describe("checklist properties", () => {
  it("parse(render(x)) gives back the plan and the text around it, and renders back byte for byte", () => {
    fc.assert(
      fc.property(canonical, (x) => {
        const body = renderBody(x);
        const result = parseBody(body);
        if (!result.ok) throw new Error(result.error);
        expect(result.parsed.plan).toStrictEqual(x.plan);
        expect(result.parsed.before).toBe(x.before);
        expect(result.parsed.after).toBe(x.after);
        expect(result.parsed.eol).toBe(x.eol);
        expect(renderBody(result.parsed)).toBe(body);
      }),
      { numRuns: 300 },
    );
  });

  it("the text around the block survives applyPatch byte for byte", () => {
    fc.assert(
      fc.property(
        canonical.chain((x) => fc.tuple(fc.constant(x), patchFor(x.plan?.tasks.map((t) => t.id) ?? [], true))),
        ([x, patch]) => {
          const result = applyPatch(renderBody(x), patch);
          if (!result.ok) throw new Error(result.error);
          const after = parseBody(result.body);
          if (!after.ok) throw new Error(after.error);
          expect(after.parsed.before).toBe(x.before);
          expect(after.parsed.after).toBe(x.after);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a body without a block keeps its text when a plan is added, appended or adopted in place", () => {
    fc.assert(
      fc.property(outsideText, planned, (text, tasks) => {
        const result = applyPatch(text, { replacePending: tasks });
        if (!result.ok) throw new Error(result.error);
        expect(result.body.startsWith(text)).toBe(true);
        const reread = parseBody(result.body);
        expect(reread.ok && reread.parsed.plan?.tasks.length).toBe(tasks.length);
      }),
      { numRuns: 200 },
    );
    const plainText = outsideText.filter((text) => !/[[`~]/.test(text));
    fc.assert(
      fc.property(plainText, plainText, planned, (head, tail, tasks) => {
        const text = `${head}\n- [ ] First\n  detail\n- [x] Second\n${tail}`;
        const found = findChecklist(text);
        if (!found) throw new Error("expected the checklist to be found");
        const result = applyPatch(text, { replacePending: tasks }, { adoptChecklistAt: found });
        if (!result.ok) throw new Error(result.error);
        expect(result.body.startsWith(text.slice(0, found.start))).toBe(true);
        expect(result.body.endsWith(text.slice(found.end))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("never throws, whatever the body; whatever parses renders to a fixed point", () => {
    fc.assert(
      fc.property(fc.oneof(fuzzText, mangled), patchFor(["t1", "t2", "t3"], true), (body, patch) => {
        const result = parseBody(body);
        if (!result.ok) {
          expect(result.error.length).toBeGreaterThan(20);
        } else {
          const once = renderBody(result.parsed);
          const again = parseBody(once);
          if (!again.ok) throw new Error(again.error);
          expect(renderBody(again.parsed)).toBe(once);
        }
        const applied = applyPatch(body, patch);
        if (applied.ok) expect(parseBody(applied.body).ok).toBe(true);
        else expect(applied.error.length).toBeGreaterThan(20);
        const found = findChecklist(body);
        if (found) {
          expect(body.slice(found.start, found.end)).toMatch(/^ {0,3}([-*+]|\d+[.)])[ \t]+\[[ xX]\]/);
          const adopted = applyPatch(body, { replacePending: found.tasks }, { adoptChecklistAt: found });
          if (adopted.ok) expect(parseBody(adopted.body).ok).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("applying the same patch twice gives the same body as once", () => {
    const bodies = fc.oneof(canonical.map(renderBody), mangled, outsideText);
    fc.assert(
      fc.property(bodyAndPatch(bodies, false), ([body, patch]) => {
        const once = applyPatch(body, patch);
        if (!once.ok) return; // a broken body stays broken; the other properties cover errors
        const twice = applyPatch(once.body, patch);
        if (!twice.ok) throw new Error(twice.error);
        expect(twice.body).toBe(once.body);
        expect(twice.changed).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("renderPlan renders the same plan identically with either line ending", () => {
    fc.assert(
      fc.property(plan, (p) => {
        expect(renderPlan(p, "\r\n")).toBe(renderPlan(p, "\n").replaceAll("\n", "\r\n"));
      }),
      { numRuns: 100 },
    );
  });
});
