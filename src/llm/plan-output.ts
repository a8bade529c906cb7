import { z } from "zod";
import type { PlannedTask } from "../orchestration/types.js";
import { findCycle } from "./dependency-cycle.js";

/** Details go into the issue body; 20 tasks of this size stay well under GitHub's body limit. */
export const MAX_DETAILS_CHARS = 2_000;
export const MAX_TITLE_CHARS = 120;

export type ParsedPlan = { ok: true; tasks: PlannedTask[] } | { ok: false; error: string };

/** Text that would end or fake Orchestra's block in the issue body. */
const HIDDEN_COMMENT = /<!--|-->/;

function taskSchema() {
  return z.object({
    id: z
      .string({ error: "each task needs a string `id`" })
      .trim()
      .regex(/^[A-Za-z0-9_-]{1,20}$/, { error: "ids must be 1 to 20 letters, digits, `-` or `_`" }),
    title: z
      .string({ error: "each task needs a string `title`" })
      .trim()
      .min(1, { error: "titles must not be empty" })
      .max(MAX_TITLE_CHARS, { error: `titles must be at most ${MAX_TITLE_CHARS} characters` })
      .refine((title) => !/[\r\n]/.test(title), { error: "titles must be a single line" })
      .refine((title) => !HIDDEN_COMMENT.test(title), { error: "titles must not contain HTML comments" }),
    details: z
      .string({ error: "`details` must be a string" })
      .trim()
      .max(MAX_DETAILS_CHARS, { error: `details must be at most ${MAX_DETAILS_CHARS} characters` })
      .refine((details) => !HIDDEN_COMMENT.test(details), { error: "details must not contain HTML comments" })
      .default(""),
    deps: z
      .array(z.string({ error: "deps must be task ids" }).trim(), { error: "`deps` must be a list of task ids" })
      .default([]),
  });
}

function planSchema(maxTasks: number) {
  return z.object(
    {
      tasks: z
        .array(taskSchema(), { error: "the answer needs a `tasks` list" })
        .min(1, { error: "the plan has no tasks; it needs at least one" })
        .max(maxTasks, {
          error: (issue) => {
            const count = Array.isArray(issue.input) ? issue.input.length : "too many";
            return `the plan has ${count} tasks; at most ${maxTasks} are allowed (\`planner.maxTasks\`)`;
          },
        }),
    },
    { error: "the answer must be a JSON object with a `tasks` list" },
  );
}

/**
 * Turns a model's answer into tasks, or says precisely what is wrong with it (the message is
 * sent back to the model once, then shown to the user). Never throws.
 */
export function parsePlanAnswer(answer: string, maxTasks: number): ParsedPlan {
  const json = parseJsonAnswer(answer);
  if (!json.ok) return json;
  const parsed = planSchema(maxTasks).safeParse(json.value);
  if (!parsed.success) return { ok: false, error: z.prettifyError(parsed.error) };

  const tasks = parsed.data.tasks.map((task) => ({ ...task, deps: [...new Set(task.deps)] }));
  const graphError = checkDependencies(tasks);
  return graphError ? { ok: false, error: graphError } : { ok: true, tasks };
}

/** Ids unique, deps naming tasks of this plan (not themselves), and no cycle. */
export function checkDependencies(tasks: readonly PlannedTask[]): string | null {
  const seen = new Set<string>();
  for (const task of tasks) {
    if (seen.has(task.id)) return `task id \`${task.id}\` is used more than once; ids must be unique`;
    seen.add(task.id);
  }
  for (const task of tasks) {
    for (const dep of task.deps) {
      if (dep === task.id) return `task \`${task.id}\` depends on itself`;
      if (!seen.has(dep)) return `task \`${task.id}\` depends on \`${dep}\`, which is not a task of this plan`;
    }
  }
  const cycle = findCycle(tasks);
  if (cycle) {
    return `the dependencies form a cycle: ${cycle.map((id) => `\`${id}\``).join(" → ")} (each depends on the next)`;
  }
  return null;
}

/** A model's answer as JSON (inside a Markdown fence or not), or what is wrong with it. */
export function parseJsonAnswer(answer: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const text = stripCodeFence(answer);
  if (!text) return { ok: false, error: "the answer was empty" };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: `the answer is not valid JSON (${(error as Error).message})` };
  }
}

/**
 * Models often wrap JSON in a Markdown fence despite being told not to; take the fenced
 * part when there is one, the whole text otherwise.
 */
export function stripCodeFence(answer: string): string {
  const fenced = /```[A-Za-z]*[^\S\n]*\n([\s\S]*?)\n?[^\S\n]*```/.exec(answer);
  return (fenced?.[1] ?? answer).trim();
}
