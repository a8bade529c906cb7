/**
 * SANDBOX FAKE — never part of src/. How a fake Cursor agent behaves. A sandbox run picks one
 * scenario for every task; a task can pick its own with `[scenario:<name>]` anywhere in its
 * prompt (e.g. in the epic's bullet, which the plan copies), or by task id in the options.
 */
export const SCENARIOS = {
  pass: "the agent opens a PR whose CI passes",
  "ci-fix": "the first commit's CI fails; the commit sent after a follow-up passes",
  "agent-error": "the first attempt ends ERROR without a PR; the next attempt passes",
  expire: "the first attempt ends EXPIRED (Cursor sends no webhook for that); the next attempt passes",
  conflict: "the PR conflicts with its base until update-branch is called",
  "conflict-rebase": "the PR conflicts for real: update-branch answers 422; a follow-up's push (a rebase) resolves it",
  "review-changes": "after CI passes a reviewer requests changes; after the follow-up's commit the reviewer approves",
  audit: "audit.enabled: the auditor sends the first task's PR back once with a finding; after the follow-up's commit it approves, and every PR merges after a passing audit",
} as const;

export type ScenarioName = keyof typeof SCENARIOS;

export function isScenario(name: string): name is ScenarioName {
  return Object.hasOwn(SCENARIOS, name);
}

const IN_PROMPT = /\[scenario:\s*([a-z-]+)\s*\]/i;
const TASK_BRANCH = /(?:^|\/)(\d+)-(t\d+)-a(\d+)$/;

/** The task a branch or prompt belongs to, for counting attempts and choosing a scenario. */
export function taskKey(repository: string, branchName: string | undefined, prompt: string): { key: string; taskId?: string } {
  const match = branchName ? TASK_BRANCH.exec(branchName) : null;
  if (match) return { key: `${repository}#${match[1]}-${match[2]}`, taskId: match[2]! };
  return { key: `${repository}:${prompt.split("\n")[0]?.trim() ?? ""}` };
}

export function chooseScenario(
  prompt: string,
  taskId: string | undefined,
  byTask: Readonly<Record<string, string>>,
  fallback: ScenarioName,
): ScenarioName {
  const named = IN_PROMPT.exec(prompt)?.[1]?.toLowerCase();
  if (named && isScenario(named)) return named;
  const forTask = taskId ? byTask[taskId] : undefined;
  if (forTask && isScenario(forTask)) return forTask;
  return fallback;
}
