import Anthropic, {
  AnthropicError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from "@anthropic-ai/sdk";
import { describeStatus, isTransientStatus, LlmCallError, redactSecrets, shortDetail } from "./errors.js";
import type { ChatMessage, LlmAnswer, LlmProvider, ProviderSettings } from "./types.js";

export const ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com";

/** Room for a full plan: 20 tasks with a paragraph of details each. */
const MAX_OUTPUT_TOKENS = 8192;

/** Anthropic's Messages API through the official SDK. */
export function createAnthropicProvider(settings: ProviderSettings): LlmProvider {
  // Passing the key explicitly also stops the SDK from looking for other credentials.
  const client = new Anthropic({
    apiKey: settings.apiKey,
    baseURL: settings.baseURL || ANTHROPIC_DEFAULT_BASE_URL,
    maxRetries: settings.maxRetries,
    timeout: settings.timeoutMs,
  });
  const model = settings.model;

  return {
    name: "anthropic",
    model,
    async complete(system: string, user: string | ChatMessage[], signal?: AbortSignal): Promise<LlmAnswer> {
      const messages = typeof user === "string" ? [{ role: "user" as const, content: user }] : user;
      try {
        const message = await client.messages.create(
          { model, max_tokens: MAX_OUTPUT_TOKENS, system, messages },
          { signal },
        );
        const text = message.content.map((block) => (block.type === "text" ? block.text : "")).join("");
        const usage = message.usage;
        return usage ? { text, usage: { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens } } : { text };
      } catch (error) {
        throw toCallError(error, model, settings.apiKey);
      }
    },
  };
}

function toCallError(error: unknown, model: string, apiKey: string): unknown {
  if (!(error instanceof AnthropicError)) return error;
  const clean = (text: string) => redactSecrets(text, [apiKey]);
  if (error instanceof APIUserAbortError) {
    return new LlmCallError("anthropic", "the request to Anthropic was cancelled", false);
  }
  if (error instanceof APIConnectionTimeoutError) {
    return new LlmCallError("anthropic", "Anthropic did not answer in time", true);
  }
  if (error instanceof APIConnectionError) {
    return new LlmCallError("anthropic", clean(`could not connect to Anthropic: ${shortDetail(error.message)}`), true);
  }
  if (error instanceof APIError && error.status !== undefined) {
    const detail = error.apiMessage ?? error.message.replace(/^\d{3}\s*/, "");
    const message = describeStatus("Anthropic", "ANTHROPIC_API_KEY", model, error.status, shortDetail(detail));
    return new LlmCallError("anthropic", clean(message), isTransientStatus(error.status), error.status);
  }
  return new LlmCallError("anthropic", clean(`the Anthropic client failed: ${shortDetail(error.message)}`), false);
}
