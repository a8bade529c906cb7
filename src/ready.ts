import type { IncomingMessage, ServerResponse } from "node:http";
import type { Orchestra } from "./orchestra.js";

/** One dependency's answer, kept for `ttlMs` so that frequent probes do not spend GitHub's budget. */
export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency answers as it should; rejects with the reason otherwise. */
  run: () => Promise<void>;
}

const OK_TTL_MS = 30_000;
const FAILED_TTL_MS = 5_000;
const CHECK_TIMEOUT_MS = 5_000;

/**
 * `GET /ready`: whether this process can do its work, for load balancers and rolling deploys
 * (`/health` only says the process is alive). Ready when GitHub accepts the App's credentials
 * and, with REDIS_URL, Redis answers; not ready while shutting down.
 */
export function readyHandler(orchestra: Orchestra, checks: ReadinessCheck[] = defaultChecks(orchestra)) {
  const cache = new Map<string, { until: number; error?: string }>();
  const ask = async (check: ReadinessCheck): Promise<string | undefined> => {
    const cached = cache.get(check.name);
    if (cached && cached.until > Date.now()) return cached.error;
    let error: string | undefined;
    try {
      await Promise.race([
        check.run(),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS / 1000} s`)), CHECK_TIMEOUT_MS).unref()),
      ]);
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
    }
    orchestra.metrics.readiness.inc({ check: check.name, result: error ? "failed" : "ok" });
    cache.set(check.name, { until: Date.now() + (error ? FAILED_TTL_MS : OK_TTL_MS), ...(error ? { error } : {}) });
    return error;
  };
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== "GET" || req.url?.split("?")[0] !== "/ready") return false;
    const results: Record<string, string> = {};
    if (orchestra.shuttingDown) results.shutdown = "shutting down";
    const errors = await Promise.all(checks.map(ask));
    checks.forEach((check, index) => (results[check.name] = errors[index] ?? "ok"));
    const ready = Object.values(results).every((result) => result === "ok");
    res.writeHead(ready ? 200 : 503, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: ready ? "ready" : "not ready", checks: results }));
    return true;
  };
}

function defaultChecks(orchestra: Orchestra): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [
    {
      name: "github",
      run: async () => {
        // The App's JWT, signed with PRIVATE_KEY: a 401 here means APP_ID or the key is wrong.
        const octokit = await orchestra.app.auth();
        await octokit.request("GET /app");
      },
    },
  ];
  const redis = orchestra.redisPing;
  if (redis) checks.push({ name: "redis", run: redis });
  return checks;
}
