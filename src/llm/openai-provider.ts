import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, OpenAIError } from "openai";
import { describeStatus, isTransientStatus, LlmCallError, redactSecrets, shortDetail } from "./errors.js";
import type { ChatMessage, LlmAnswer, LlmProvider, ProviderSettings } from "./types.js";

export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

/** OpenAI (or any OpenAI-compatible server) through the official SDK, answering in JSON mode. */
export function createOpenAiProvider(settings: ProviderSettings): LlmProvider {
  // Everything is passed explicitly so the SDK never falls back to reading process.env itself.
  const client = new OpenAI({
    apiKey: settings.apiKey,
    baseURL: settings.baseURL || OPENAI_DEFAULT_BASE_URL,
    adminAPIKey: null,
    organization: null,
    project: null,
    maxRetries: settings.maxRetries,
    timeout: settings.timeoutMs,
  });
  const model = settings.model;

  return {
    name: "openai",
    model,
    async complete(system: string, user: string | ChatMessage[], signal?: AbortSignal): Promise<LlmAnswer> {
      const turns = typeof user === "string" ? [{ role: "user" as const, content: user }] : user;
      try {
        const completion = await client.chat.completions.create(
          {
            model,
            response_format: { type: "json_object" },
            messages: [{ role: "system", content: system }, ...turns],
          },
          { signal },
        );
        const text = completion.choices[0]?.message.content ?? "";
        const usage = completion.usage;
        return usage ? { text, usage: { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens } } : { text };
      } catch (error) {
        throw toCallError(error, model, settings.apiKey);
      }
    },
  };
}

function toCallError(error: unknown, model: string, apiKey: string): unknown {
  if (!(error instanceof OpenAIError)) return error;
  const clean = (text: string) => redactSecrets(text, [apiKey]);
  if (error instanceof APIUserAbortError) return new LlmCallError("openai", "the request to OpenAI was cancelled", false);
  if (error instanceof APIConnectionTimeoutError) return new LlmCallError("openai", "OpenAI did not answer in time", true);
  if (error instanceof APIConnectionError) {
    return new LlmCallError("openai", clean(`could not connect to OpenAI: ${shortDetail(error.message)}`), true);
  }
  if (error instanceof APIError && error.status !== undefined) {
    const body = error.error as { message?: unknown } | undefined;
    const detail = typeof body?.message === "string" ? body.message : error.message.replace(/^\d{3}\s*/, "");
    const message = describeStatus("OpenAI", "OPENAI_API_KEY", model, error.status, shortDetail(detail));
    return new LlmCallError("openai", clean(message), isTransientStatus(error.status), error.status);
  }
  return new LlmCallError("openai", clean(`the OpenAI client failed: ${shortDetail(error.message)}`), false);
}
