import type { Octokit } from "../github/gateway.js";
import type { Metrics } from "../metrics.js";

/**
 * Counts and times every GitHub request of an installation's client, by route template (not the
 * expanded URL, so the label set stays small), and records the rate limit GitHub reports back.
 */
export function instrumentOctokit(octokit: Octokit, metrics: Metrics, installationId: number): Octokit {
  octokit.hook.wrap("request", async (request, options) => {
    const route = `${String(options.method ?? "GET").toUpperCase()} ${String(options.url).replace(/^https?:\/\/[^/]+(\/api\/v3)?/, "")}`;
    const startedAt = performance.now();
    const record = (status: number | string, headers?: Record<string, unknown>) => {
      metrics.githubRequests.inc({ route, status: String(status) });
      metrics.githubRequestDuration.observe({ route }, (performance.now() - startedAt) / 1000);
      const remaining = Number(headers?.["x-ratelimit-remaining"]);
      if (headers?.["x-ratelimit-remaining"] !== undefined && Number.isFinite(remaining)) {
        metrics.githubRateLimitRemaining.set({ installation: String(installationId) }, remaining);
      }
    };
    try {
      const response = await request(options);
      record(response.status, response.headers as Record<string, unknown>);
      return response;
    } catch (error) {
      const failure = error as { status?: number; response?: { headers?: Record<string, unknown> } };
      record(failure.status ?? "error", failure.response?.headers);
      throw error;
    }
  });
  return octokit;
}
