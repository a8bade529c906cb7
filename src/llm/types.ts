import type { RepoContext } from "../github/repo-context.js";
import type { PlannedTask } from "../orchestration/types.js";

export type ProviderName = "openai" | "anthropic";

/** One turn of a conversation; the planner only needs a follow-up after an invalid answer. */
export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
}

/**
 * A chat model behind one SDK. `user` is either the single user message or a whole
 * conversation (user, assistant, user, …), which the retry after an invalid answer needs.
 * Failures are thrown as `LlmCallError`, so callers never see an SDK's own error types.
 */
export interface LlmProvider {
  name: ProviderName;
  model: string;
  complete(system: string, user: string | ChatMessage[], signal?: AbortSignal): Promise<LlmAnswer>;
}

/** A model's answer, with the tokens it cost when the API says. */
export interface LlmAnswer {
  text: string;
  usage?: { inputTokens: number; outputTokens: number };
}

/** Told of every call to a model (for metrics): who answered, how, how long, and its tokens. */
export type LlmObserver = (call: {
  provider: ProviderName;
  model: string;
  /** `ok`, or the HTTP status of the failure, or `error` (no connection, timeout). */
  outcome: string;
  durationMs: number;
  usage?: LlmAnswer["usage"];
}) => void;

/** What a provider module needs to build its SDK client. */
export interface ProviderSettings {
  apiKey: string;
  /** Another endpoint (a proxy, a local fake, an OpenAI-compatible server); the SDK's default otherwise. */
  baseURL?: string;
  model: string;
  maxRetries: number;
  timeoutMs: number;
}

/** Knobs for the SDK clients; production uses the defaults, tests make retries fast. */
export interface SdkOptions {
  /** Retries the SDK makes on 408/409/429/5xx and connection errors; default 2. */
  maxRetries?: number;
  /** Per-request timeout in milliseconds; default 60,000. */
  timeoutMs?: number;
}

type LogFn = (obj: Record<string, unknown>, msg?: string) => void;

/** The part of a pino logger the planner uses (Probot's `context.log` fits). */
export interface PlannerLogger {
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  debug: LogFn;
}

export interface PlanInput {
  /** The epic issue's title. */
  title: string;
  /** The epic issue's body; Orchestra's hidden markers are stripped before the model sees it. */
  body: string;
  /** Extra instructions from `/orchestra plan <instructions>`. */
  instructions?: string;
  /** Titles of tasks already started or finished: they stay, and must not be planned again. */
  keep?: string[];
  repoContext?: RepoContext;
}

export type PlanErrorKind = "missing-key" | "llm-error" | "invalid-plan";

export type PlanResult =
  /** `usage`: what each answer cost (both, when the first was sent back), for the epic's token count. */
  | { ok: true; tasks: PlannedTask[]; provider: ProviderName; model: string; usage?: Array<LlmAnswer["usage"]> }
  /** `error` is markdown meant for an issue comment; it never contains an API key. */
  | { ok: false; kind: PlanErrorKind; error: string };
