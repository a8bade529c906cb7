/**
 * Deterministic identities: the same task and attempt always map to the same branch, so a
 * repeated launch finds the agent already working on it instead of starting a second one.
 */
import { ACTIVE_STATES, type Plan } from "./types.js";

const BRANCH_PATTERN = /^orchestra\/(\d+)-(t\d+)-a(\d+)$/;

export function branchName(issueNumber: number, taskId: string, attempt: number): string {
  return `orchestra/${issueNumber}-${taskId}-a${attempt}`;
}

export function parseBranchName(
  branch: string,
): { issueNumber: number; taskId: string; attempt: number } | null {
  const match = BRANCH_PATTERN.exec(branch);
  if (!match) return null;
  return { issueNumber: Number(match[1]), taskId: match[2]!, attempt: Number(match[3]) };
}

/** The number of the pull request a URL names (`…/pull/14`, `…/pull/14/files`), or undefined. */
export function pullNumberOf(url: string | undefined): number | undefined {
  const number = url ? /\/pull\/(\d+)(?:[/?#]|$)/.exec(url)?.[1] : undefined;
  return number === undefined ? undefined : Number(number);
}

/** Key of the scheduler's queue: one writer per epic. */
export function epicKey(owner: string, repo: string, issueNumber: number): string {
  return `${owner}/${repo}#${issueNumber}`.toLowerCase();
}

/**
 * The branches of the attempts under way, and of failed ones (whose PR is where people comment
 * `/retry`): the PRs a reconcile reads.
 */
export function activeBranches(issueNumber: number, plan: Plan | null): string[] {
  return (plan?.tasks ?? [])
    .filter((task) => (ACTIVE_STATES.has(task.state) || task.state === "failed") && task.attempt > 0)
    .map((task) => branchName(issueNumber, task.id, task.attempt));
}
