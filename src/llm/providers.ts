import type { OrchestraConfig } from "../orchestration/config.js";
import type { ChatMessage, LlmAnswer, LlmProvider, ProviderName, ProviderSettings, SdkOptions } from "./types.js";

type Env = NodeJS.ProcessEnv | Record<string, string | undefined>;

const DEFAULT_MAX_RETRIES = 2;
const DEFAULT_TIMEOUT_MS = 60_000;
export const OPENAI_DEFAULT_MODEL = "gpt-4o-mini";
export const ANTHROPIC_DEFAULT_MODEL = "claude-sonnet-4-5";

const VARIABLES = {
  openai: { key: "OPENAI_API_KEY", baseUrl: "OPENAI_BASE_URL", label: "OpenAI", model: OPENAI_DEFAULT_MODEL },
  anthropic: { key: "ANTHROPIC_API_KEY", baseUrl: "ANTHROPIC_BASE_URL", label: "Anthropic", model: ANTHROPIC_DEFAULT_MODEL },
} as const;

export type ProviderChain =
  | { ok: true; providers: [LlmProvider, ...LlmProvider[]]; secrets: string[] }
  | { ok: false; error: string };

/**
 * Picks the primary provider and its fallback from the config and the environment.
 * `auto` prefers OpenAI when its key is set; an explicit provider is primary and must have
 * its key, since silently planning with another vendor than the one configured would surprise.
 * The other provider joins as fallback whenever its key is set. `planner.model` applies to the
 * primary only: a model name never means the same thing at two vendors.
 */
export function resolveProviders(env: Env, planner: OrchestraConfig["planner"], sdk: SdkOptions = {}): ProviderChain {
  const has = (name: ProviderName) => Boolean(readVar(env, VARIABLES[name].key));
  const primary: ProviderName | undefined =
    planner.provider === "auto" ? (has("openai") ? "openai" : has("anthropic") ? "anthropic" : undefined) : planner.provider;

  if (primary === undefined) return { ok: false, error: missingKeysMessage() };
  if (!has(primary)) return { ok: false, error: missingPrimaryKeyMessage(primary, has(other(primary))) };

  const names: ProviderName[] = has(other(primary)) ? [primary, other(primary)] : [primary];
  const providers = names.map((name) =>
    createProvider(name, {
      apiKey: readVar(env, VARIABLES[name].key)!,
      baseURL: readVar(env, VARIABLES[name].baseUrl),
      model: name === primary && planner.model ? planner.model : VARIABLES[name].model,
      maxRetries: sdk.maxRetries ?? DEFAULT_MAX_RETRIES,
      timeoutMs: sdk.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    }),
  ) as [LlmProvider, ...LlmProvider[]];
  const secrets = names.map((name) => readVar(env, VARIABLES[name].key)!);
  return { ok: true, providers, secrets };
}

/**
 * The SDKs (a few hundred modules and ~25 MB together) are loaded on the first call to a model,
 * not at start-up: most of a running Orchestra's life plans and audits nothing, and a process
 * configured for one vendor never loads the other's.
 */
function createProvider(name: ProviderName, settings: ProviderSettings): LlmProvider {
  let loaded: Promise<LlmProvider> | undefined;
  const load = () =>
    (loaded ??=
      name === "openai"
        ? import("./openai-provider.js").then((module) => module.createOpenAiProvider(settings))
        : import("./anthropic-provider.js").then((module) => module.createAnthropicProvider(settings)));
  return {
    name,
    model: settings.model,
    async complete(system: string, user: string | ChatMessage[], signal?: AbortSignal): Promise<LlmAnswer> {
      return (await load()).complete(system, user, signal);
    },
  };
}

function other(name: ProviderName): ProviderName {
  return name === "openai" ? "anthropic" : "openai";
}

/** Blank values count as unset: an empty `OPENAI_API_KEY=` line in a .env file is common. */
function readVar(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function missingKeysMessage(): string {
  return [
    "Orchestra cannot plan this epic: no LLM API key is configured.",
    "",
    "Set one of these environment variables where the app runs, then restart it and comment `/orchestra plan`:",
    "- `OPENAI_API_KEY` (and optionally `OPENAI_BASE_URL` for another OpenAI-compatible endpoint), or",
    "- `ANTHROPIC_API_KEY` (and optionally `ANTHROPIC_BASE_URL`).",
    "",
    "With both set, the second one is used when the first is unavailable.",
  ].join("\n");
}

function missingPrimaryKeyMessage(primary: ProviderName, otherKeySet: boolean): string {
  const want = VARIABLES[primary];
  const alt = VARIABLES[other(primary)];
  const lines = [
    `Orchestra cannot plan this epic: \`planner.provider\` is \`${primary}\` in \`.github/orchestra.yml\`, but \`${want.key}\` is not set.`,
    "",
    `Set \`${want.key}\` (and optionally \`${want.baseUrl}\`) where the app runs, then restart it and comment \`/orchestra plan\`.`,
  ];
  if (otherKeySet) {
    lines.push(
      `\`${alt.key}\` is set: \`planner.provider: auto\` (or \`${other(primary)}\`) would plan with ${alt.label} instead.`,
    );
  }
  return lines.join("\n");
}
