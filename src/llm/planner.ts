import { renderRepoContext } from "../github/repo-context.js";
import type { OrchestraConfig } from "../orchestration/config.js";
import { callWithFallback } from "./call-with-fallback.js";
import { redactSecrets } from "./errors.js";
import { parsePlanAnswer } from "./plan-output.js";
import { PLAN_PROMPT_VERSION, PLAN_SYSTEM_PROMPT, renderPlanPrompt } from "./prompts/plan-v1.js";
import { resolveProviders } from "./providers.js";
import type { ChatMessage, LlmObserver, PlanInput, PlannerLogger, PlanResult, SdkOptions } from "./types.js";

export type { PlanInput, PlanResult } from "./types.js";

export interface PlanOptions {
  env: NodeJS.ProcessEnv | Record<string, string | undefined>;
  planner: OrchestraConfig["planner"];
  log?: PlannerLogger;
  /** Production leaves these at the SDK defaults we chose (2 retries, 60 s); tests shorten them. */
  sdkOptions?: SdkOptions;
  signal?: AbortSignal;
  /** Told of every call to a model (metrics). */
  observe?: LlmObserver;
}

const silent: PlannerLogger = { info() {}, warn() {}, error() {}, debug() {} };

const TRY_AGAIN = "Comment `/orchestra plan` to try again (you may add instructions after it).";

/**
 * Plans an epic: issue text and repository context in, a validated task list out.
 * An answer that is not a valid plan is sent back to the model once with the problem named;
 * a provider that is down (after its SDK's retries) gives way to the other configured one.
 * Every failure comes back as a result whose `error` can be posted on the issue as is.
 */
export async function planTasks(input: PlanInput, options: PlanOptions): Promise<PlanResult> {
  const log = options.log ?? silent;
  const chain = resolveProviders(options.env, options.planner, options.sdkOptions);
  if (!chain.ok) {
    log.warn({ promptVersion: PLAN_PROMPT_VERSION }, "planner: no usable LLM API key");
    return { ok: false, kind: "missing-key", error: chain.error };
  }
  const clean = (text: string) => redactSecrets(text, chain.secrets);
  const maxTasks = options.planner.maxTasks;
  const prompt = renderPlanPrompt({
    title: input.title,
    body: input.body,
    maxTasks,
    ...(input.instructions !== undefined ? { instructions: input.instructions } : {}),
    ...(input.keep !== undefined ? { keep: input.keep } : {}),
    ...(input.repoContext ? { repoContext: renderRepoContext(input.repoContext) } : {}),
  });
  const started = Date.now();
  log.debug(
    { promptVersion: PLAN_PROMPT_VERSION, promptChars: prompt.length, providers: chain.providers.map((p) => p.name) },
    "planner: asking for a plan",
  );

  const first = await callWithFallback(chain.providers, PLAN_SYSTEM_PROMPT, prompt, log, options.signal, options.observe);
  if (!first.ok) return llmError(clean(first.error), log);
  let answered = first;
  const usage = [first.usage];
  let parsed = parsePlanAnswer(first.answer, maxTasks);

  if (!parsed.ok) {
    log.warn(
      { provider: first.provider.name, model: first.provider.model, promptVersion: PLAN_PROMPT_VERSION, problem: parsed.error },
      "planner: invalid plan, asking once more",
    );
    // The model sees its own answer and what was wrong with it, which fixes most slips.
    const followUp: ChatMessage[] = [
      { role: "user", content: prompt },
      { role: "assistant", content: first.answer },
      { role: "user", content: `Your answer was invalid: ${oneLine(parsed.error)}. Reply again with only the JSON.` },
    ];
    const second = await callWithFallback(first.chain, PLAN_SYSTEM_PROMPT, followUp, log, options.signal, options.observe);
    if (!second.ok) return llmError(clean(second.error), log);
    answered = second;
    usage.push(second.usage);
    parsed = parsePlanAnswer(second.answer, maxTasks);
  }

  const { provider } = answered;
  const durationMs = Date.now() - started;
  if (!parsed.ok) {
    log.warn(
      { provider: provider.name, model: provider.model, promptVersion: PLAN_PROMPT_VERSION, durationMs, problem: parsed.error },
      "planner: invalid plan twice, giving up",
    );
    return {
      ok: false,
      kind: "invalid-plan",
      error: [
        `Orchestra could not plan this epic: the model (${provider.name} \`${provider.model}\`) answered twice with an invalid plan. The last problem:`,
        "",
        quote(clean(parsed.error)),
        "",
        TRY_AGAIN,
      ].join("\n"),
    };
  }

  log.info(
    { provider: provider.name, model: provider.model, promptVersion: PLAN_PROMPT_VERSION, durationMs, tasks: parsed.tasks.length },
    "planner: plan ready",
  );
  return { ok: true, tasks: parsed.tasks, provider: provider.name, model: provider.model, ...(usage.some(Boolean) ? { usage } : {}) };
}

function llmError(reason: string, log: PlannerLogger): PlanResult {
  log.warn({ promptVersion: PLAN_PROMPT_VERSION, err: reason }, "planner: no answer from any provider");
  return {
    ok: false,
    kind: "llm-error",
    error: [`Orchestra could not plan this epic: ${reason.replace(/[.\s]+$/, "")}.`, "", TRY_AGAIN].join("\n"),
  };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ");
}

function quote(text: string): string {
  return text
    .split("\n")
    .map((line) => `> ${line}`)
    .join("\n");
}
