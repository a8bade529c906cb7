import { ProbotOctokit } from "probot";

/**
 * One installation at its rate limit must not hold reconciles of others. Probot's default
 * handler waits the limit out inside the request (up to an hour), holding a reconcile slot;
 * Orchestra waits only short pauses and otherwise fails the request, and the installation's
 * epics wait until its reset without running (`InstallationPauses`).
 */
export const SHORT_WAIT_SECONDS = 10;

interface ThrottledRequest {
  method?: string;
  url?: string;
}

/** Wait out a short limit once; fail a long one at once. */
export function rateLimitPolicy(retryAfterSeconds: number, _options: ThrottledRequest, _octokit: unknown, retryCount = 0): boolean {
  return retryAfterSeconds <= SHORT_WAIT_SECONDS && retryCount < 1;
}

/** ProbotOctokit with the rate-limit policy above (Probot's own throttling, Redis-shared with REDIS_URL, otherwise unchanged). */
export const OrchestraOctokit = ProbotOctokit.defaults((options: { throttle?: object }) => ({
  ...options,
  throttle: { ...options.throttle, onRateLimit: rateLimitPolicy, onSecondaryRateLimit: rateLimitPolicy },
}));

/**
 * When a GitHub error says the installation is rate limited, the time its limit resets (ms),
 * from `retry-after` or `x-ratelimit-reset`; undefined for any other error.
 */
export function rateLimitResetAt(error: unknown, now: number): number | undefined {
  const { status, response } = (error ?? {}) as { status?: number; response?: { headers?: Record<string, string | undefined> } };
  if (status !== 403 && status !== 429) return undefined;
  const headers = response?.headers ?? {};
  const retryAfter = Number(headers["retry-after"]);
  if (headers["retry-after"] !== undefined && Number.isFinite(retryAfter)) return now + Math.max(1, retryAfter) * 1000;
  if (headers["x-ratelimit-remaining"] === "0") {
    const reset = Number(headers["x-ratelimit-reset"]) * 1000;
    return Number.isFinite(reset) && reset > now ? reset : now + 60_000;
  }
  return undefined;
}

/** Installations waiting for their rate limit to reset, in this process. */
export class InstallationPauses {
  private readonly until = new Map<number, number>();

  pause(installationId: number, untilMs: number): void {
    this.until.set(installationId, Math.max(untilMs, this.until.get(installationId) ?? 0));
  }

  /** Milliseconds the installation still waits (0 when it may run). */
  remainingMs(installationId: number, now: number): number {
    const until = this.until.get(installationId);
    if (until === undefined) return 0;
    if (until <= now) {
      this.until.delete(installationId);
      return 0;
    }
    return until - now;
  }
}

/** A reconcile refused because its installation waits for its rate limit. */
export class InstallationPausedError extends Error {
  constructor(
    readonly installationId: number,
    readonly remainingMs: number,
  ) {
    super(`installation ${installationId} is rate limited for ${Math.ceil(remainingMs / 1000)} s more; its epics wait`);
    this.name = "InstallationPausedError";
  }
}
