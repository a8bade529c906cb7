import type { ApplicationFunctionOptions, Probot } from "probot";
import type { CursorClient } from "./cursor/client.js";
import { createCursorWebhookHandler } from "./cursor/webhook.js";
import { readEnv, startupWarnings, type OrchestraEnv } from "./env.js";
import { cursorStatusHandler } from "./handlers/cursor.js";
import { registerCommentHandlers } from "./handlers/issue-comment.js";
import { registerIssueHandlers } from "./handlers/issues.js";
import { registerSubIssueHandlers } from "./handlers/sub-issues.js";
import { registerPullRequestHandlers } from "./handlers/pull-requests.js";
import { healthHandler } from "./health.js";
import { Orchestra } from "./orchestra.js";
import { readyHandler } from "./ready.js";
import { loadQueueRuntime } from "./runtime/create-queue.js";

export interface OrchestraAppOptions {
  env?: OrchestraEnv;
  /** Tests inject a client with fast retries; by default one is built from the environment. */
  cursor?: CursorClient | null;
  /** Called with the running Orchestra, so tests and the sandbox can wait for it to be idle. */
  onReady?: (orchestra: Orchestra) => void;
  /** The clock decisions and the body's timestamps use; tests fix it so bodies are stable. */
  now?: () => number;
}

/** The Probot app: wiring only. Handlers translate events, orchestration decides, edges do I/O. */
export function createApp(options: OrchestraAppOptions = {}) {
  return async (app: Probot, { addHandler }: ApplicationFunctionOptions): Promise<void> => {
    const env = options.env ?? readEnv();
    const log = app.log.child({ name: "orchestra" });
    for (const warning of startupWarnings(env)) log.warn(warning);
    // Probot awaits the app function: what only some configurations need is loaded here, if at all.
    await loadQueueRuntime(env);
    const orchestra = new Orchestra(app, env, log, {
      ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
      ...(options.now ? { now: options.now } : {}),
    });

    registerIssueHandlers(app, orchestra);
    registerSubIssueHandlers(app, orchestra);
    registerCommentHandlers(app, orchestra);
    registerPullRequestHandlers(app, orchestra);
    addHandler(
      createCursorWebhookHandler({
        secret: env.cursorWebhookSecret,
        onStatusChange: cursorStatusHandler(orchestra, log),
        seen: orchestra.cursorDeliveries,
        log: log.child({ name: "cursor-webhook" }),
      }),
    );
    addHandler(healthHandler(orchestra));
    addHandler(readyHandler(orchestra));
    addHandler(orchestra.metrics.handler());

    // With Redis the resync is a job scheduler in the queue: once across the fleet.
    if (env.resyncIntervalMs > 0 && !env.redisUrl) startResync(orchestra, env.resyncIntervalMs);
    options.onReady?.(orchestra);
  };
}

/** A resync shortly after start-up, then periodically: lost webhooks and restarts heal here. */
function startResync(orchestra: Orchestra, intervalMs: number): void {
  const run = () =>
    orchestra.resync().catch((error: unknown) => orchestra.log.warn({ err: error }, "resync failed; next one will retry"));
  const first = setTimeout(run, 1_000).unref();
  const every = setInterval(run, intervalMs).unref();
  orchestra.onShutdown(() => {
    clearTimeout(first);
    clearInterval(every);
  });
}

export default createApp();
