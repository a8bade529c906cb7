import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

/**
 * `npx tsx scripts/extract-fixtures.ts`: copies real webhook payloads from
 * @octokit/webhooks-examples into fixtures/events, one file per event and action, the first
 * example of each (the ones with an installation when there is one).
 */
const require = createRequire(import.meta.url);
const definitions = require("@octokit/webhooks-examples/api.github.com/index.json") as Array<{
  name: string;
  examples: Array<{ action?: string; installation?: unknown }>;
}>;

const wanted: Array<[string, string | undefined]> = [
  ["issues", "opened"],
  ["issues", "labeled"],
  ["issues", "edited"],
  ["issue_comment", "created"],
  ["pull_request", "opened"],
  ["pull_request", "closed"],
  ["pull_request", "synchronize"],
  ["pull_request_review", "submitted"],
  ["check_suite", "completed"],
  ["check_run", "completed"],
  ["status", undefined],
];

mkdirSync(new URL("../fixtures/events/", import.meta.url), { recursive: true });
for (const [name, action] of wanted) {
  const examples = definitions.find((definition) => definition.name === name)?.examples ?? [];
  const matching = examples.filter((example) => action === undefined || example.action === action);
  const example = matching.find((candidate) => candidate.installation) ?? matching[0];
  if (!example) throw new Error(`no example for ${name}.${action}`);
  const file = action ? `${name}.${action}.json` : `${name}.json`;
  writeFileSync(new URL(`../fixtures/events/${file}`, import.meta.url), `${JSON.stringify(example, null, 2)}\n`);
  console.log(`fixtures/events/${file}`);
}
