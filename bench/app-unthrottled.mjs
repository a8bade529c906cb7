/**
 * BENCH — never part of src/. The `npm start` build (lib/, what `node lib/main.js` runs) with
 * Octokit's write spacing off, for the benchmark's large unthrottled runs: the app's memory is
 * measured as a user runs it, without tsx compiling the sources in the same process (~30 MB).
 */
import { ProbotOctokit } from "probot";
import { serve } from "../lib/serve.js";

await serve({ Octokit: ProbotOctokit.defaults((options) => ({ ...options, throttle: { enabled: false } })) });
