import { run } from "probot";
import { readEnv, startupErrors } from "./env.js";
import { createApp } from "./index.js";
import { createLogger } from "./logger.js";

/** `npm start`: Probot's server with Orchestra loaded, configured only by the environment. */
const env = readEnv();
const errors = startupErrors(env);
if (errors.length > 0) {
  for (const error of errors) console.error(`orchestra: ${error}`);
  process.exit(1);
}
const log = await createLogger();
await run(createApp({ env }), { log });
