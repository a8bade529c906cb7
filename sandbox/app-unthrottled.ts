/**
 * SANDBOX — never part of src/. The app exactly as src/main.ts runs it, except that Octokit does
 * not space writes a second apart (GitHub's secondary limits; a local fake has none). Used by
 * the end-to-end tests and the benchmark so that they measure Orchestra, not that spacing.
 */
import { ProbotOctokit, run } from "probot";
import { readEnv, startupErrors } from "../src/env.js";
import { createApp } from "../src/index.js";
import { createLogger } from "../src/logger.js";

const env = readEnv();
const errors = startupErrors(env);
if (errors.length > 0) {
  for (const error of errors) console.error(`orchestra: ${error}`);
  process.exit(1);
}
const Octokit = ProbotOctokit.defaults((options: object) => ({ ...options, throttle: { enabled: false } }));
await run(createApp({ env }), { log: await createLogger(), Octokit });
