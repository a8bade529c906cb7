import type { Logger } from "pino";
import { LRUCache } from "lru-cache";
import { GitHubGateway, type Octokit } from "../github/gateway.js";
import { openIssueQueries, searchableLabel, searchOpenIssues, type FoundIssue } from "../github/search.js";
import type { ConfigResult } from "../orchestration/config.js";
import { epicKey } from "../orchestration/naming.js";
import type { EpicRef } from "../orchestration/reconcile.js";
import type { EpicIndex } from "./epic-index.js";
import { rateLimitResetAt, type InstallationPauses } from "./rate-limit.js";

/** This often (and at the first resync), one reads every repository's configuration and reconciles every open epic. */
export const FULL_SWEEP_MS = 60 * 60_000;
const DEFAULT_LABEL = "epic";

export interface ResyncHost {
  log: Logger;
  pauses: InstallationPauses;
  /** The App's own client (JWT): the installations. */
  appOctokit(): Promise<Pick<Octokit, "paginate" | "rest">>;
  installationOctokit(installationId: number): Promise<Octokit>;
  config(gateway: GitHubGateway): Promise<ConfigResult>;
  schedule(ref: EpicRef): void;
  index: EpicIndex;
}

interface Installation {
  id: number;
  account?: { login?: string; type?: string } | null;
}

/**
 * Finds every open epic and reconciles it: how lost webhooks and restarts heal. Its cost follows
 * the epics, not the repositories: one issue search per installation (per 256 characters of
 * labels), the repository list (answered 304 while unchanged), and a reconcile only for an epic
 * that is not quiet (see EpicIndex). A repository's label comes from its `.github/orchestra.yml`,
 * remembered from the last read; the first resync and one an hour (FULL_SWEEP_MS) read them all
 * again and reconcile every epic. When the search cannot answer (an error, its own rate limit,
 * incomplete results, more than 1,000), the installation's repositories are listed one by one as
 * before.
 */
export class Resync {
  private lastFullSweep = Number.NEGATIVE_INFINITY;
  /** Each repository's epic label, as its configuration last said. */
  private readonly labels = new LRUCache<string, string>({ max: 50_000 });

  constructor(private readonly host: ResyncHost) {}

  /** What a repository's configuration says its label is (told by every configuration read). */
  learnLabel(fullName: string, label: string): void {
    this.labels.set(fullName.toLowerCase(), label);
  }

  async run(): Promise<number> {
    const full = Date.now() - this.lastFullSweep >= FULL_SWEEP_MS;
    if (full) this.lastFullSweep = Date.now();
    let scheduled = 0;
    const appOctokit = await this.host.appOctokit();
    const installations: Installation[] = await appOctokit.paginate(appOctokit.rest.apps.listInstallations, { per_page: 100 });
    for (const installation of installations) {
      // One installation's broken token or rate limit never stops the resync of the others.
      if (this.host.pauses.remainingMs(installation.id, Date.now()) > 0) continue;
      try {
        scheduled += await this.installation(installation, full);
      } catch (error) {
        this.host.log.warn({ err: error, installation: installation.id }, "resync skipped an installation; the others go on");
      }
    }
    this.host.log.info({ scheduled, full }, "resync scheduled open epics");
    return scheduled;
  }

  private async installation(installation: Installation, full: boolean): Promise<number> {
    const installationId = installation.id;
    const octokit = await this.host.installationOctokit(installationId);
    const repos = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });
    if (repos.length === 0) return 0;
    const labelOf = new Map<string, string>();
    for (const repo of repos) {
      const key = repo.full_name.toLowerCase();
      let label = full ? undefined : this.labels.get(key);
      if (label === undefined) {
        label = await this.guard(installationId, repo.full_name, async () => {
          const config = await this.host.config(new GitHubGateway(octokit, { owner: repo.owner.login, repo: repo.name }));
          return config.ok ? config.config.label : DEFAULT_LABEL;
        });
        if (label === undefined) continue;
        this.learnLabel(key, label);
      }
      labelOf.set(key, label);
    }

    const searchable = [...labelOf.entries()].filter(([, label]) => searchableLabel(label));
    let found = await this.search(octokit, installation, [...new Set(searchable.map(([, label]) => label))]);
    // Repositories whose label no search can name are listed one by one; all of them when the search failed.
    const listed = found ? [...labelOf.keys()].filter((key) => !searchableLabel(labelOf.get(key)!)) : [...labelOf.keys()];
    found ??= [];
    for (const key of listed) {
      const repo = repos.find((candidate) => candidate.full_name.toLowerCase() === key)!;
      const issues = await this.guard(installationId, repo.full_name, () =>
        new GitHubGateway(octokit, { owner: repo.owner.login, repo: repo.name }).listOpenEpics(labelOf.get(key)!),
      );
      for (const issue of issues ?? []) found.push({ ...issue, owner: repo.owner.login, repo: repo.name, labels: [labelOf.get(key)!] });
    }

    let scheduled = 0;
    for (const issue of found) {
      const label = labelOf.get(`${issue.owner}/${issue.repo}`.toLowerCase());
      // Only this installation's repositories, and only issues with the label their repository uses.
      if (!label || !issue.labels.some((name) => name.toLowerCase() === label.toLowerCase())) continue;
      const key = epicKey(issue.owner, issue.repo, issue.number);
      if (!full && this.host.index.isQuiet(key, issue.updatedAt)) continue;
      this.host.index.scheduled(key, issue.updatedAt);
      this.host.schedule({ installationId, owner: issue.owner, repo: issue.repo, issueNumber: issue.number });
      scheduled++;
    }
    return scheduled;
  }

  /** The open issues carrying any of `labels` in the installation's account, or null when the search cannot say. */
  private async search(octokit: Octokit, installation: Installation, labels: string[]): Promise<FoundIssue[] | null> {
    if (labels.length === 0) return [];
    const login = installation.account?.login;
    if (!login) return null;
    const found: FoundIssue[] = [];
    for (const q of openIssueQueries({ login, ...(installation.account?.type ? { type: installation.account.type } : {}) }, labels)) {
      try {
        const result = await searchOpenIssues(octokit, q);
        if (!result.complete) {
          this.host.log.info({ installation: installation.id, q }, "issue search incomplete; listing each repository's epics instead");
          return null;
        }
        found.push(...result.issues);
      } catch (error) {
        // The search has its own rate limit (30 a minute): listing repositories does not use it.
        this.host.log.warn({ err: error, installation: installation.id }, "issue search failed; listing each repository's epics instead");
        return null;
      }
    }
    return found;
  }

  /** One repository's request; a rate limit pauses the installation and ends its resync, anything else skips the repository. */
  private async guard<T>(installationId: number, fullName: string, read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      const resetAt = rateLimitResetAt(error, Date.now());
      if (resetAt !== undefined) {
        this.host.pauses.pause(installationId, resetAt);
        throw error;
      }
      this.host.log.warn({ err: error, repo: fullName }, "resync skipped a repository");
      return undefined;
    }
  }
}
