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
  /** How long SIGTERM/SIGINT wait for reconciles in flight before the process exits anyway. */
  shutdownTimeoutMs: number;
  /** Several processes share one Redis (queue, locks, rate limits); absent: everything in-process. */
  redisUrl?: string;
  /** With Redis: how long an epic stays locked by a process that died before another takes it over. */
  leaseMs: number;
  /** Reconciles of one installation running at once (across the fleet with Redis); 0: no limit. */
  installationConcurrency: number;
  /** Agents one installation may launch per UTC day (across the fleet with Redis); 0: no cap. */
  installationDailyAgentRuns: number;
  /**
   * ORCHESTRA_NOTIFY_URL: where epic events are sent (a Slack incoming webhook, or any URL that
   * takes JSON). A secret: a Slack webhook URL is a credential, so it is never logged.
   */
  notifyUrl?: string;
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
    shutdownTimeoutMs: numberFrom(env.ORCHESTRA_SHUTDOWN_TIMEOUT_MS, 25_000),
    leaseMs: Math.max(1_000, numberFrom(env.ORCHESTRA_LEASE_MS, 30_000)),
    installationConcurrency: Math.floor(numberFrom(env.ORCHESTRA_INSTALLATION_CONCURRENCY, 8)),
    installationDailyAgentRuns: Math.floor(numberFrom(env.ORCHESTRA_INSTALLATION_DAILY_AGENT_RUNS, 0)),
    llm: Object.fromEntries(LLM_VARIABLES.map((name) => [name, nonEmpty(env[name])])),
    stateSecrets: stateSecrets(env),
  };
  const optional = {
    cursorApiKey: nonEmpty(env.CURSOR_API_KEY),
    cursorApiUrl: nonEmpty(env.CURSOR_API_URL),
    cursorWebhookSecret: nonEmpty(env.CURSOR_WEBHOOK_SECRET),
    publicUrl: nonEmpty(env.PUBLIC_URL),
    webhookSecret: nonEmpty(env.WEBHOOK_SECRET),
    redisUrl: nonEmpty(env.REDIS_URL),
    notifyUrl: nonEmpty(env.ORCHESTRA_NOTIFY_URL),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (result as unknown as Record<string, string>)[key] = value;
  }
  return result;
}

/**
 * In production WEBHOOK_SECRET is required, so there is always a real secret. In development
 * with nothing set (Probot's setup page, a first try) the state is signed with Probot's public
 * default, and a warning says so.
 */
function stateSecrets(env: NodeJS.ProcessEnv): string[] {
  const current =
    nonEmpty(env.ORCHESTRA_STATE_SECRET) ??
    nonEmpty(env.WEBHOOK_SECRET) ??
    nonEmpty(env.PRIVATE_KEY) ??
    keyFile(env.PRIVATE_KEY_PATH) ??
    (env.NODE_ENV === "production" ? undefined : PROBOT_DEFAULT_SECRET);
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

/** The secret Probot verifies webhooks with when WEBHOOK_SECRET is not set: anyone can sign with it. */
export const PROBOT_DEFAULT_SECRET = "development";

/** An absolute http(s) URL: the only kind of ORCHESTRA_NOTIFY_URL notifications are sent to. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/** Problems that stop the app from starting, each a sentence saying what to set. */
export function startupErrors(env: OrchestraEnv): string[] {
  if (!env.production) return [];
  const errors: string[] = [];
  if (!env.webhookSecret || env.webhookSecret === PROBOT_DEFAULT_SECRET) {
    errors.push(
      `WEBHOOK_SECRET is ${env.webhookSecret ? `Probot's public default "${PROBOT_DEFAULT_SECRET}"` : "not set"}. In production (NODE_ENV=production) Orchestra refuses to start without it, because unsigned webhooks could drive it. Set WEBHOOK_SECRET to the webhook secret of your GitHub App (its settings page, "Webhook secret").`,
    );
  }
  if (!env.cursorWebhookSecret) {
    errors.push(
      "CURSOR_WEBHOOK_SECRET is not set. In production Orchestra refuses to start without it, because Cursor's callbacks could not be verified. Set CURSOR_WEBHOOK_SECRET to a random string of at least 32 characters (for example `openssl rand -hex 32`); Orchestra gives it to every agent it launches.",
    );
  }
  if (!env.publicUrl) {
    errors.push(
      "PUBLIC_URL is not set. In production Orchestra refuses to start without it, because Cursor calls back at <PUBLIC_URL>/orchestra/cursor. Set PUBLIC_URL to the https address where this service is reachable, for example https://orchestra.example.com.",
    );
  } else if (!/^https?:\/\/[^/\s]+/.test(env.publicUrl)) {
    errors.push(`PUBLIC_URL "${env.publicUrl}" is not an http(s) address. Set it to where this service is reachable, for example https://orchestra.example.com.`);
  }
  return errors;
}

/** Missing settings that leave part of Orchestra unable to work; logged at start-up. */
export function startupWarnings(env: OrchestraEnv): string[] {
  const warnings: string[] = [];
  if (!env.production && (!env.webhookSecret || env.webhookSecret === PROBOT_DEFAULT_SECRET)) {
    warnings.push(
      `INSECURE: GitHub webhooks are verified with Probot's public default secret "${PROBOT_DEFAULT_SECRET}", so anyone who can reach this server can drive Orchestra. Fine on your laptop with smee; anywhere else set WEBHOOK_SECRET to your GitHub App's webhook secret (NODE_ENV=production refuses to start without it).`,
    );
  }
  if (env.stateSecrets[0] === PROBOT_DEFAULT_SECRET) {
    warnings.push(
      `INSECURE: the state Orchestra keeps in issue bodies is signed with Probot's public default secret, so anyone can forge it. Set ORCHESTRA_STATE_SECRET (or WEBHOOK_SECRET) anywhere but on your laptop; see docs/security.md.`,
    );
  }
  if (!env.cursorApiKey) warnings.push("CURSOR_API_KEY is not set: epics can be planned but no agent can be launched.");
  if (env.cursorApiKey && (!env.publicUrl || !env.cursorWebhookSecret)) {
    warnings.push("PUBLIC_URL or CURSOR_WEBHOOK_SECRET is not set: Cursor cannot call back, so agents are only polled.");
  }
  if (env.notifyUrl && !isHttpUrl(env.notifyUrl)) {
    // The value itself is a secret: the warning never repeats it.
    warnings.push("ORCHESTRA_NOTIFY_URL is not an http(s) address, so no notification is sent. Set it to a Slack incoming webhook URL or any https URL that accepts JSON.");
  }
  if (!env.llm.OPENAI_API_KEY && !env.llm.ANTHROPIC_API_KEY) {
    warnings.push("Neither OPENAI_API_KEY nor ANTHROPIC_API_KEY is set: epics without a checklist cannot be planned.");
  }
  return warnings;
}
