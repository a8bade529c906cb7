/**
 * SANDBOX TOOL — never part of src/. What the web view reads, and only reads: the fakes'
 * in-memory state through their control API, and the edit counts. Nothing here changes them.
 */
import type { FakeCursor, FakeAgent } from "../cursor/fake-cursor.js";
import type { FakeGitHub } from "../github/fake-github.js";
import type { EditLog } from "./edits.js";
import type { MarkdownContext } from "./markdown.js";

export interface ViewSource {
  github: FakeGitHub;
  cursor: FakeCursor;
  edits: EditLog;
}

/** Every repository of the fake GitHub, as `owner/name`. */
export function repositories(source: ViewSource): string[] {
  return [...source.github.state.repos.values()].map((repo) => `${repo.owner.login}/${repo.name}`);
}

/** Issue and pull request numbers of a repository (they share one sequence), newest first. */
export function numbers(source: ViewSource, repo: string): Array<{ number: number; isPull: boolean }> {
  const entry = source.github.state.repoByFullName(repo);
  if (!entry) return [];
  return [...entry.issues.values()].map((issue) => ({ number: issue.number, isPull: issue.isPull })).sort((a, b) => b.number - a.number);
}

export function exists(source: ViewSource, repo: string, number: number, isPull: boolean): boolean {
  return source.github.state.repoByFullName(repo)?.issues.get(number)?.isPull === isPull;
}

export function issuePath(repo: string, number: number, isPull: boolean): string {
  return `/${repo}/${isPull ? "pull" : "issues"}/${number}`;
}

/** `#123` in a repository's markdown links to that issue's or pull request's page. */
export function markdownContext(source: ViewSource, repo: string): MarkdownContext {
  return {
    refLink(number) {
      const issue = source.github.state.repoByFullName(repo)?.issues.get(number);
      return issue ? issuePath(repo, number, issue.isPull) : undefined;
    },
  };
}

/** The agents launched on a repository, oldest first; with `branchPrefix`, only those branches. */
export function agents(source: ViewSource, repo: string, branchPrefix?: string): FakeAgent[] {
  return source.cursor.agents.filter(
    (agent) => !agent.deleted && agent.repo === repo && (!branchPrefix || agent.target.branchName.startsWith(branchPrefix)),
  );
}

/** Pull requests that mention `#number` in their title or body (GitHub's "Development" links). */
export function linkedPulls(source: ViewSource, repo: string, number: number): number[] {
  const mention = new RegExp(`(^|[^\\w&])#${number}(?![\\w-])`);
  return source.github
    .pulls(repo)
    .filter((pull) => mention.test(pull.body) || mention.test(pull.title))
    .map((pull) => pull.number);
}
