import type { Octokit } from "./gateway.js";

/** An open issue carrying one of the labels searched for, as the search answers it. */
export interface FoundIssue {
  owner: string;
  repo: string;
  number: number;
  /** When GitHub last saw the issue change (its body, title, labels, state or a new comment). */
  updatedAt: string;
  labels: string[];
}

export interface SearchResult {
  issues: FoundIssue[];
  /**
   * false when GitHub said its results may be incomplete (`incomplete_results`, a search that
   * timed out) or there were more than the 1,000 it serves: the caller must look another way.
   */
  complete: boolean;
  /** Requests made (pages). */
  requests: number;
}

/** GitHub serves at most 1,000 results of a search, 100 a page. */
const PER_PAGE = 100;
const MAX_RESULTS = 1_000;
/** GitHub refuses longer queries. */
export const MAX_QUERY_LENGTH = 256;

/** Whether `label` can be named in a search query (a `"` cannot be escaped there, a `,` would split it). */
export function searchableLabel(label: string): boolean {
  return label.length > 0 && !/[",]/.test(label);
}

/**
 * The queries that find, among `account`'s repositories, the open issues carrying any of
 * `labels` (`label:"a","b"` is an OR): one while they fit in GitHub's 256 characters.
 */
export function openIssueQueries(account: { login: string; type?: string }, labels: string[]): string[] {
  const scope = `${account.type === "Organization" ? "org" : "user"}:${account.login}`;
  const base = `is:issue is:open ${scope} label:`;
  const queries: string[] = [];
  let current: string[] = [];
  const query = (names: string[]) => base + names.map((name) => `"${name}"`).join(",");
  for (const label of labels) {
    if (current.length > 0 && query([...current, label]).length > MAX_QUERY_LENGTH) {
      queries.push(query(current));
      current = [];
    }
    current.push(label);
  }
  if (current.length > 0) queries.push(query(current));
  return queries;
}

/**
 * Every page of one issue search (`GET /search/issues`), oldest issue first: an epic opened while
 * the pages are read joins the end instead of shifting the others across a page boundary. One
 * closed meanwhile can still shift one past it; the next resync finds that one.
 */
export async function searchOpenIssues(octokit: Octokit, q: string): Promise<SearchResult> {
  const issues: FoundIssue[] = [];
  let complete = true;
  let requests = 0;
  for (let page = 1; page <= MAX_RESULTS / PER_PAGE; page++) {
    const { data } = await octokit.rest.search.issuesAndPullRequests({ q, sort: "created", order: "asc", per_page: PER_PAGE, page });
    requests++;
    if (data.incomplete_results) complete = false;
    for (const item of data.items) {
      if (item.pull_request) continue;
      const [owner, repo] = item.repository_url.split("/").slice(-2) as [string, string];
      issues.push({
        owner,
        repo,
        number: item.number,
        updatedAt: item.updated_at,
        labels: item.labels.map((label) => (typeof label === "string" ? label : (label.name ?? ""))).filter(Boolean),
      });
    }
    if (data.total_count > MAX_RESULTS) complete = false;
    if (data.items.length < PER_PAGE || page * PER_PAGE >= data.total_count) break;
  }
  return { issues, complete, requests };
}
