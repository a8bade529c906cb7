import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findCycle } from "../src/llm/dependency-cycle.js";
import { MAX_DETAILS_CHARS, parsePlanAnswer, stripCodeFence } from "../src/llm/plan-output.js";

const task = (id: string, deps: string[] = [], title = `Do ${id}`) => ({ id, title, details: "", deps });
const answer = (tasks: unknown) => JSON.stringify({ tasks });

describe("parsePlanAnswer", () => {
  it.each([
    { name: "a valid plan", text: answer([task("t1"), task("t2", ["t1"])]), errorContains: null },
    { name: "a ```json fence", text: "```json\n" + answer([task("t1")]) + "\n```", errorContains: null },
    { name: "prose around a fence", text: "Here you go:\n```\n" + answer([task("t1")]) + "\n```\nGood luck", errorContains: null },
    { name: "no text", text: "  \n", errorContains: "the answer was empty" },
    { name: "prose", text: "Step 1: add a model", errorContains: "not valid JSON" },
    { name: "a bare list", text: JSON.stringify([task("t1")]), errorContains: "must be a JSON object with a `tasks` list" },
    { name: "no tasks key", text: "{}", errorContains: "the answer needs a `tasks` list" },
    { name: "an empty list", text: answer([]), errorContains: "the plan has no tasks" },
    { name: "11 tasks", text: answer(Array.from({ length: 11 }, (_, i) => task(`t${i}`))), errorContains: "the plan has 11 tasks; at most 10" },
    { name: "an empty title", text: answer([task("t1", [], "  ")]), errorContains: "titles must not be empty" },
    { name: "a long title", text: answer([task("t1", [], "x".repeat(121))]), errorContains: "at most 120 characters" },
    { name: "a two-line title", text: answer([task("t1", [], "Add\nthings")]), errorContains: "titles must be a single line" },
    { name: "a marker in a title", text: answer([task("t1", [], "Add <!-- orchestra:plan:end -->")]), errorContains: "HTML comments" },
    {
      name: "a marker in details",
      text: answer([{ ...task("t1"), details: "x\n<!-- orchestra:plan:end -->" }]),
      errorContains: "details must not contain HTML comments",
    },
    {
      name: "long details",
      text: answer([{ ...task("t1"), details: "x".repeat(MAX_DETAILS_CHARS + 1) }]),
      errorContains: `at most ${MAX_DETAILS_CHARS} characters`,
    },
    { name: "a missing id", text: answer([{ title: "A" }]), errorContains: "each task needs a string `id`" },
    { name: "duplicate ids", text: answer([task("t1"), task("t1")]), errorContains: "`t1` is used more than once" },
    { name: "an unknown dep", text: answer([task("t1", ["t9"])]), errorContains: "depends on `t9`, which is not a task" },
    { name: "a self dep", text: answer([task("t1", ["t1"])]), errorContains: "`t1` depends on itself" },
    {
      name: "a cycle",
      text: answer([task("t1", ["t2"]), task("t2", ["t1"]), task("t3")]),
      errorContains: "cycle: `t1` → `t2` → `t1`",
    },
  ])("$name", ({ text, errorContains }) => {
    const result = parsePlanAnswer(text, 10);
    if (errorContains === null) {
      expect(result.ok).toBe(true);
    } else {
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error).toContain(errorContains);
    }
  });

  it("defaults missing details and deps, trims titles, and drops repeated deps", () => {
    const result = parsePlanAnswer(answer([{ id: "t1", title: "  A  " }, task("t2", ["t1", "t1"])]), 10);
    expect(result).toEqual({
      ok: true,
      tasks: [
        { id: "t1", title: "A", details: "", deps: [] },
        { id: "t2", title: "Do t2", details: "", deps: ["t1"] },
      ],
    });
  });

  it("never throws, whatever the model says", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.json().map((json) => `{"tasks": ${json}}`)), (text) => {
        const result = parsePlanAnswer(text, 10);
        expect(typeof result.ok).toBe("boolean");
      }),
    );
  });

  it("accepts every acyclic plan within the limit, and returns it unchanged", () => {
    // Deps only point at earlier tasks, so the graph is acyclic by construction.
    const plan = fc.integer({ min: 1, max: 20 }).chain((count) =>
      fc.tuple(
        ...Array.from({ length: count }, (_, i) =>
          fc.record({
            id: fc.constant(`t${i + 1}`),
            title: fc.string({ minLength: 1, maxLength: 60 }).filter((t) => /^[^\s<>-][^\r\n<>]*$/.test(t) && t.trim() === t),
            details: fc.string({ maxLength: 200 }).filter((d) => d.trim() === d && !/<!--|-->/.test(d)),
            deps: fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, i) }), { maxLength: i }).map((ns) =>
              i === 0 ? [] : ns.map((n) => `t${n}`),
            ),
          }),
        ),
      ),
    );
    fc.assert(
      fc.property(plan, (tasks) => {
        expect(parsePlanAnswer(answer(tasks), 20)).toEqual({ ok: true, tasks });
      }),
    );
  });
});

describe("findCycle", () => {
  const graph = fc
    .integer({ min: 1, max: 12 })
    .chain((count) =>
      fc.array(fc.uniqueArray(fc.integer({ min: 0, max: count - 1 }), { maxLength: 4 }), { minLength: count, maxLength: count }),
    )
    .map((edges) => edges.map((deps, i) => ({ id: `t${i}`, deps: deps.map((d) => `t${d}`) })));

  it("returns a real cycle, or null only when a topological order exists", () => {
    fc.assert(
      fc.property(graph, (tasks) => {
        const cycle = findCycle(tasks);
        const depsOf = new Map(tasks.map((t) => [t.id, t.deps]));
        if (cycle) {
          expect(cycle[0]).toBe(cycle.at(-1));
          for (let i = 0; i + 1 < cycle.length; i++) expect(depsOf.get(cycle[i]!)).toContain(cycle[i + 1]);
        } else {
          expect(topologicalOrderExists(tasks)).toBe(true);
        }
      }),
    );
  });

  it("ignores deps on unknown ids", () => {
    expect(findCycle([{ id: "a", deps: ["zz"] }])).toBeNull();
  });
});

describe("stripCodeFence", () => {
  it("leaves unfenced text alone apart from surrounding whitespace", () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !s.includes("```")), (s) => {
        expect(stripCodeFence(s)).toBe(s.trim());
      }),
    );
  });
});

/** Kahn's algorithm: every task can be scheduled after its deps. */
function topologicalOrderExists(tasks: Array<{ id: string; deps: string[] }>): boolean {
  const remaining = new Map(tasks.map((t) => [t.id, new Set(t.deps)]));
  let progressed = true;
  while (progressed) {
    progressed = false;
    for (const [id, deps] of remaining) {
      if ([...deps].every((dep) => !remaining.has(dep))) {
        remaining.delete(id);
        progressed = true;
      }
    }
  }
  return remaining.size === 0;
}
