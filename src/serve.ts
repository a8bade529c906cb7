import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { run, type ProbotOctokit } from "probot";
import { readEnv, startupErrors } from "./env.js";
import { createApp } from "./index.js";
import { createLogger } from "./logger.js";
import type { Orchestra } from "./orchestra.js";
import { OrchestraOctokit } from "./runtime/rate-limit.js";
import { handleShutdownSignals } from "./shutdown.js";

/**
 * `npm start` (through main.ts): Probot's server with Orchestra loaded, configured only by the
 * environment and `.env`, with production guards and a graceful shutdown.
 */
export async function serve(options: { Octokit?: typeof ProbotOctokit } = {}): Promise<void> {
  loadDotEnv();
  const env = readEnv();
  const errors = startupErrors(env);
  if (errors.length > 0) {
    for (const error of errors) console.error(`orchestra: ${error}`);
    process.exit(1);
  }
  const log = await createLogger();
  let orchestra: Orchestra | undefined;
  const probotListeners = new Set(process.listeners("SIGINT"));
  const server = await run(createApp({ env, onReady: (ready) => (orchestra = ready) }), {
    log,
    // Rate limits: short waits are waited out, long ones fail fast and pause the installation.
    Octokit: options.Octokit ?? OrchestraOctokit,
  });
  // Probot's own SIGINT handler exits at once; Orchestra's waits for the reconciles in flight.
  for (const listener of process.listeners("SIGINT")) if (!probotListeners.has(listener)) process.off("SIGINT", listener);
  handleShutdownSignals({
    stopServer: () => server.stop(),
    drain: (timeoutMs) => orchestra?.shutdown(timeoutMs) ?? Promise.resolve(true),
    log: log.child({ name: "orchestra" }),
    timeoutMs: env.shutdownTimeoutMs,
  });
}

/** `.env` in the working directory, as Probot reads it (its values win), before Orchestra reads the environment. */
function loadDotEnv(): void {
  try {
    Object.assign(process.env, parseEnv(readFileSync(join(process.cwd(), ".env"), "utf8")));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
