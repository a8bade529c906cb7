import { serve } from "./serve.js";

/** `npm start`: Probot's server with Orchestra loaded, configured only by the environment. */
await serve();
