/**
 * SANDBOX — never part of src/. The app exactly as src/main.ts runs it, except that Octokit does
 * not space writes a second apart (GitHub's secondary limits; a local fake has none). Used by
 * the end-to-end tests and the benchmark so that they measure Orchestra, not that spacing.
 */
import { ProbotOctokit } from "probot";
import { serve } from "../src/serve.js";

await serve({ Octokit: ProbotOctokit.defaults((options: object) => ({ ...options, throttle: { enabled: false } })) });
