import { readFileSync } from "node:fs";

/**
 * The environment contract (DESIGN.md, "Environment"). Probot reads its own variables; these
 * are Orchestra's, read once at start-up.
 */
export interface OrchestraEnv {
  cursorApiKey?: string;
  cursorApiUrl?: string;
  cursorWebhookSecret?: string;
  publicUrl?: string;
  /** Web address of the GitHub the app talks to, for repository URLs given to Cursor. */
  webUrl: string;
  production: boolean;
  webhookSecret?: string;
  /** Milliseconds between full resyncs of every open epic; 0 turns them off. */
  resyncIntervalMs: number;
  /** Events for one epic within this window share one reconcile. */
  debounceMs: number;
  /** OPENAI_* and ANTHROPIC_* variables, handed to the planner as they are. */
  llm: Record<string, string | undefined>;
  /**
   * Secrets Orchestra's state in issue bodies is signed with (docs/security.md): the first signs,
   * all verify. ORCHESTRA_STATE_SECRET, then ORCHESTRA_STATE_SECRET_PREVIOUS; without them the
   * App's webhook secret, else its private key.
   */
  stateSecrets: string[];
}

const LLM_VARIABLES = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"] as const;

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.trim() !== "" ? value.trim() : undefined;
}

function numberFrom(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(parsed) && parsed >= 0 ? parsed : fallback;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): OrchestraEnv {
  const gheHost = nonEmpty(env.GHE_HOST);
  const result: OrchestraEnv = {
    webUrl: gheHost ? `${nonEmpty(env.GHE_PROTOCOL) ?? "https"}://${gheHost}` : "https://github.com",
    production: env.NODE_ENV === "production",
    resyncIntervalMs: numberFrom(env.ORCHESTRA_RESYNC_INTERVAL_MS, 5 * 60_000),
    debounceMs: numberFrom(env.ORCHESTRA_DEBOUNCE_MS, 250),
    llm: Object.fromEntries(LLM_VARIABLES.map((name) => [name, nonEmpty(env[name])])),
    stateSecrets: stateSecrets(env),
  };
  const optional = {
    cursorApiKey: nonEmpty(env.CURSOR_API_KEY),
    cursorApiUrl: nonEmpty(env.CURSOR_API_URL),
    cursorWebhookSecret: nonEmpty(env.CURSOR_WEBHOOK_SECRET),
    publicUrl: nonEmpty(env.PUBLIC_URL),
    webhookSecret: nonEmpty(env.WEBHOOK_SECRET),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (result as unknown as Record<string, string>)[key] = value;
  }
  return result;
}

function stateSecrets(env: NodeJS.ProcessEnv): string[] {
  const current = nonEmpty(env.ORCHESTRA_STATE_SECRET) ?? nonEmpty(env.WEBHOOK_SECRET) ?? nonEmpty(env.PRIVATE_KEY) ?? keyFile(env.PRIVATE_KEY_PATH);
  return [current, nonEmpty(env.ORCHESTRA_STATE_SECRET_PREVIOUS)].filter((secret): secret is string => secret !== undefined);
}

function keyFile(path: string | undefined): string | undefined {
  if (!nonEmpty(path)) return undefined;
  try {
    return nonEmpty(readFileSync(path!.trim(), "utf8"));
  } catch {
    return undefined; // Probot reports an unreadable key itself
  }
}

/** Problems that stop the app from starting, each a sentence saying what to set. */
export function startupErrors(env: OrchestraEnv): string[] {
  const errors: string[] = [];
  if (env.stateSecrets.length === 0) {
    errors.push(
      "Orchestra has no secret to sign the state it keeps in issue bodies with. Set ORCHESTRA_STATE_SECRET to a long random string (or set WEBHOOK_SECRET, which it falls back to).",
    );
  }
  if (env.production && !env.webhookSecret) {
    errors.push(
      "WEBHOOK_SECRET is not set. In production (NODE_ENV=production) Orchestra refuses to start without it, because unsigned webhooks could drive it. Set WEBHOOK_SECRET to the secret of your GitHub App.",
    );
  }
  return errors;
}

/** Missing settings that leave part of Orchestra unable to work; logged at start-up. */
export function startupWarnings(env: OrchestraEnv): string[] {
  const warnings: string[] = [];
  if (!env.cursorApiKey) warnings.push("CURSOR_API_KEY is not set: epics can be planned but no agent can be launched.");
  if (env.cursorApiKey && (!env.publicUrl || !env.cursorWebhookSecret)) {
    warnings.push("PUBLIC_URL or CURSOR_WEBHOOK_SECRET is not set: Cursor cannot call back, so agents are only polled.");
  }
  if (!env.llm.OPENAI_API_KEY && !env.llm.ANTHROPIC_API_KEY) {
    warnings.push("Neither OPENAI_API_KEY nor ANTHROPIC_API_KEY is set: epics without a checklist cannot be planned.");
  }
  return warnings;
}
