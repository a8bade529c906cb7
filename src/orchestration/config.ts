import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { NOTIFY_EVENTS } from "./epic-events.js";

/**
 * `.github/orchestra.yml`. Every field has a default, so a repository needs no file at all.
 * No `refine` here: the schema doubles as the published JSON Schema, and cross-field checks
 * live in `validateConfig` where their messages can name the key.
 */
export const configSchema = z
  .object({
    /** Label that marks an issue as an epic. */
    label: z.string().min(1).max(50).default("epic").describe("Label that marks an issue as an epic."),
    /** Start running tasks as soon as the plan is written, without `/orchestra start`. */
    autoStart: z
      .boolean()
      .default(false)
      .describe("Start running tasks as soon as the plan is written, without `/orchestra start`."),
    planner: z
      .object({
        provider: z
          .enum(["auto", "openai", "anthropic"])
          .default("auto")
          .describe("LLM provider; `auto` uses whichever API key is set, OpenAI first, the other as fallback."),
        model: z
          .string()
          .min(1)
          .optional()
          .describe("Model name; defaults to gpt-4o-mini (OpenAI) or claude-sonnet-4-5 (Anthropic)."),
        maxTasks: z.number().int().min(1).max(20).default(10).describe("Most tasks a plan may have."),
      })
      .prefault({})
      .describe("How epics are planned."),
    plan: z
      .object({
        as: z
          .enum(["checklist", "sub-issues"])
          .default("checklist")
          .describe("Where the planner's tasks go: a checklist in the epic's description, or sub-issues of the epic (each listed in the checklist as `#<number>`)."),
      })
      .prefault({})
      .describe("How a plan is written. An epic that already has sub-issues runs them, whatever this says."),
    agent: z
      .object({
        model: z.string().min(1).optional().describe("Cursor agent model; Cursor's default when absent."),
        timeoutMinutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(90)
          .describe("An agent still running this long after its launch (or its last follow-up) is stopped, and the attempt counts as failed."),
      })
      .prefault({})
      .describe("The Cursor background agents."),
    concurrency: z.number().int().min(1).max(10).default(1).describe("Tasks run side by side."),
    maxAttempts: z.number().int().min(1).max(10).default(3).describe("Agent attempts per task before it fails."),
    retryBackoffSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(30)
      .describe("Wait before a task's next attempt after an agent failed, doubled at each attempt (0: retry at once)."),
    maxFixes: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(2)
      .describe("Follow-ups sent to an agent to fix red checks before the epic pauses."),
    mergeMethod: z.enum(["merge", "squash", "rebase"]).default("squash").describe("How task PRs are merged."),
    requireApproval: z.boolean().default(false).describe("Merge only PRs with an approving review."),
    requireChecks: z
      .boolean()
      .default(true)
      .describe("Merge only once at least one check has run; set false for repositories without CI."),
    timeouts: z
      .object({
        pullRequestMinutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(10)
          .describe("An agent reports a pull request that GitHub does not show this long after: the attempt fails."),
        checksMinutes: z
          .number()
          .int()
          .min(1)
          .max(7 * 24 * 60)
          .default(30)
          .describe("Checks (required by the branch's rules, or any when `requireChecks`) that have not started this long after the head commit are reported."),
      })
      .prefault({})
      .describe("How long a task may wait for something that should happen by itself before Orchestra says so."),
    deleteBranch: z.boolean().default(true).describe("Delete a task's branch once its PR is merged."),
    closeOnComplete: z.boolean().default(true).describe("Close the epic issue when every task is merged or skipped."),
    audit: z
      .object({
        enabled: z
          .boolean()
          .default(false)
          .describe("Before merging a task PR that is otherwise ready, an LLM audits it against its task; the verdict is the check run `Orchestra audit`."),
        model: z
          .string()
          .min(1)
          .optional()
          .describe("Model of the audit; `planner.model` (or the provider's default) when absent. Same providers and fallback as the planner."),
        maxDiffBytes: z
          .number()
          .int()
          .min(1_000)
          .max(1_000_000)
          .default(60_000)
          .describe("Bytes of the PR's diff the auditor reads; past this the diff is cut and the auditor is told so."),
      })
      .prefault({})
      .describe("The audit gate before each merge."),
    comments: z
      .enum(["quiet", "all"])
      .default("quiet")
      .describe(
        "Which news gets a new comment (each one e-mails every subscriber). `quiet`: only what a person should act on or wants to know (the plan, a pause or failure with the command that continues, the completion summary); each merge shows in the status comment. `all`: also a comment for each merged task.",
      ),
    budget: z
      .object({
        agentRuns: z
          .number()
          .int()
          .min(1)
          .max(1000)
          .default(50)
          .describe("Agent runs one epic may launch, retries included; the epic pauses when they are used up."),
        llmTokens: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe("LLM tokens (input and output, planning and audits) one epic may spend; the epic pauses once they reach it. No limit when absent."),
      })
      .prefault({})
      .describe("Limits per epic."),
    notify: z
      .object({
        events: z
          .array(z.enum(NOTIFY_EVENTS))
          .default([...NOTIFY_EVENTS])
          .describe("Which epic events of this repository are sent to the deployment's ORCHESTRA_NOTIFY_URL (`[]`: none)."),
      })
      .prefault({})
      .describe("Notifications outside GitHub, when whoever runs Orchestra set ORCHESTRA_NOTIFY_URL."),
  })
  .strict();

export type OrchestraConfig = z.output<typeof configSchema>;
export type OrchestraConfigInput = z.input<typeof configSchema>;

export const DEFAULT_CONFIG: OrchestraConfig = configSchema.parse({});

export type ConfigResult = { ok: true; config: OrchestraConfig } | { ok: false; error: string };

/** Validates a config object (as read by `context.config`, or null when the file is absent). */
export function validateConfig(raw: unknown): ConfigResult {
  if (raw === null || raw === undefined) return { ok: true, config: DEFAULT_CONFIG };
  const result = configSchema.safeParse(raw);
  if (!result.success) return { ok: false, error: z.prettifyError(result.error) };
  return { ok: true, config: result.data };
}

/** Parses the YAML text of `.github/orchestra.yml`. */
export function parseConfigText(text: string): ConfigResult {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    return { ok: false, error: `✖ The file is not valid YAML: ${(error as Error).message.split("\n")[0]}` };
  }
  return validateConfig(raw ?? {});
}
