import { LlmCallError } from "./errors.js";
import type { ChatMessage, LlmAnswer, LlmObserver, LlmProvider, PlannerLogger } from "./types.js";

export type FallbackResult =
  | {
      ok: true;
      answer: string;
      /** What the answer cost, when the API said. */
      usage?: LlmAnswer["usage"];
      provider: LlmProvider;
      /** The chain to use for a follow-up: the provider that answered, then those after it. */
      chain: LlmProvider[];
    }
  | { ok: false; error: string };

/**
 * Asks each provider in turn until one answers. Only a transient failure (rate limit, server
 * error, timeout, no connection), reported after the SDK's own retries, moves on to the next
 * provider; a rejected key or request would fail the same way again, so it stops here.
 */
export async function callWithFallback(
  chain: readonly LlmProvider[],
  system: string,
  messages: string | ChatMessage[],
  log: PlannerLogger,
  signal?: AbortSignal,
  observe?: LlmObserver,
): Promise<FallbackResult> {
  const failures: string[] = [];
  for (const [index, provider] of chain.entries()) {
    const startedAt = performance.now();
    const told = (outcome: string, usage?: { inputTokens: number; outputTokens: number }) =>
      observe?.({ provider: provider.name, model: provider.model, outcome, durationMs: performance.now() - startedAt, ...(usage ? { usage } : {}) });
    try {
      const answer = await provider.complete(system, messages, signal);
      told("ok", answer.usage);
      return { ok: true, answer: answer.text, ...(answer.usage ? { usage: answer.usage } : {}), provider, chain: chain.slice(index) };
    } catch (error) {
      told(error instanceof LlmCallError && error.status !== undefined ? String(error.status) : "error");
      if (!(error instanceof LlmCallError)) throw error;
      failures.push(error.message);
      const next = chain[index + 1];
      log.warn(
        { provider: provider.name, model: provider.model, status: error.status, transient: error.transient, err: error.message },
        next && error.transient ? `planner: ${provider.name} failed, falling back to ${next.name}` : `planner: ${provider.name} failed`,
      );
      if (!error.transient) break;
    }
  }
  return { ok: false, error: failures.join("; then ") };
}
