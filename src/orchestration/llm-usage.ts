import type { LlmAnswer } from "../llm/types.js";
import type { PlanPatch } from "./types.js";

/**
 * The LLM tokens an epic spends (planning now, audits too) are counted in its block, against
 * `budget.llmTokens`. A model's answer says what it cost; these turn that into the write.
 */

export type LlmUsage = NonNullable<LlmAnswer["usage"]>;

/** Input and output tokens of one answer, or of several; 0 when the API did not say. */
export function llmTokensOf(usage: LlmUsage | readonly (LlmUsage | undefined)[] | undefined): number {
  const list = Array.isArray(usage) ? usage : [usage];
  let total = 0;
  for (const item of list as readonly (LlmUsage | undefined)[]) {
    if (!item) continue;
    for (const count of [item.inputTokens, item.outputTokens]) {
      if (Number.isSafeInteger(count) && count > 0) total += count;
    }
  }
  return total;
}

/**
 * Adds what an LLM answer cost to the epic's count, on the patch about to be written (the write
 * applies it onto the fresh body, like `runsDelta`): `writeBody(ref, addLlmUsage(patch, answer.usage), …)`.
 */
export function addLlmUsage(patch: PlanPatch, usage: LlmUsage | readonly (LlmUsage | undefined)[] | undefined): PlanPatch {
  const tokens = llmTokensOf(usage);
  if (tokens === 0) return patch;
  return { ...patch, llmTokensDelta: (patch.llmTokensDelta ?? 0) + tokens };
}
