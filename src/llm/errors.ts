import type { ProviderName } from "./types.js";

/**
 * A failed call to a model, after the SDK's own retries. `transient` says whether another
 * provider might succeed where this one failed (rate limit, server error, timeout, no
 * connection); a bad key or a rejected request would fail the same way again.
 * The message is safe to show to users: secrets are redacted by the provider modules.
 */
export class LlmCallError extends Error {
  override readonly name = "LlmCallError";
  constructor(
    readonly provider: ProviderName,
    message: string,
    readonly transient: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

const REDACTED = "[redacted]";

/**
 * Removes every secret (and anything shaped like an API key) from a text that may reach a
 * comment or a log. Servers echo keys back in error messages ("Incorrect API key provided:
 * sk-…"), so server text is never trusted to be clean.
 */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let clean = text;
  for (const secret of secrets) {
    // Very short values would redact ordinary words; real keys are long.
    if (secret && secret.length >= 6) clean = clean.split(secret).join(REDACTED);
  }
  return clean.replace(/\b(sk-[A-Za-z0-9_*.-]{6,})/g, REDACTED);
}

/** Statuses worth trying another provider for; the SDKs have already retried them. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** One line about an HTTP failure, in words a repository owner can act on. */
export function describeStatus(label: string, keyVar: string, model: string, status: number, detail: string): string {
  const suffix = detail ? `: ${detail}` : "";
  switch (status) {
    case 401:
      return `${label} rejected the API key (401); check \`${keyVar}\`${suffix}`;
    case 403:
      return `${label} refused access (403); check that the key in \`${keyVar}\` may use model \`${model}\`${suffix}`;
    case 404:
      return `${label} answered 404; check the model name \`${model}\` (\`planner.model\`) and the base URL${suffix}`;
    case 429:
      return `${label} is rate limiting or out of quota (429)${suffix}`;
    default:
      return status >= 500
        ? `${label} had a server error (${status})${suffix}`
        : `${label} rejected the request (${status})${suffix}`;
  }
}

/** Keeps a server's message short enough for a comment. */
export function shortDetail(text: string | undefined, max = 300): string {
  if (!text) return "";
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
