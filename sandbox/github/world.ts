/**
 * SANDBOX FAKE — never part of src/. The fake GitHub's world: state, the webhook sender, the
 * transcript and the options every operation shares. Operations (issue-ops, pull-ops, ci)
 * change the world through it and announce each change with the webhook GitHub would send.
 */
import type { Transcript } from "../shared/transcript.js";
import { ApiError, notFound } from "./errors.js";
import { repository, user } from "./shapes.js";
import type { ShapeContext } from "./shapes.js";
import type { Account, AppIdentity, CheckConclusion, GitHubState, Permission, Repo } from "./state.js";
import { isoNow, nodeId } from "./state.js";
import { examplePayload, overlay, rewriteAddresses } from "./webhooks.js";
import type { WebhookSender } from "./webhooks.js";

type Json = Record<string, unknown>;

export interface CiContext {
  repo: string;
  sha: string;
  branch: string | null;
  message: string;
}

/** Decides a CI run's conclusion when the commit did not say; `undefined` means success. */
export type CiHook = (context: CiContext) => CheckConclusion | undefined;

export interface CiCompleted {
  repo: string;
  sha: string;
  branch: string | null;
  conclusion: CheckConclusion;
  /** Open pull requests whose head is this commit. */
  pulls: number[];
}

export interface WorldOptions {
  ciDelayMs: number;
  /** How long `mergeable` stays null after a push, as GitHub computes it in the background. */
  mergeabilityDelayMs: number;
  ciHook: CiHook;
}

const PERMISSION_RANK: Record<Permission, number> = { none: 0, read: 1, triage: 2, write: 3, maintain: 4, admin: 5 };

export class World {
  readonly ciApp: AppIdentity;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly ciListeners = new Set<(event: CiCompleted) => void>();
  private stopped = false;
  /** While positive, webhooks are lost, as GitHub sometimes loses them: see FakeGitHub.losingWebhooks. */
  losing = 0;
  /** Checks of other CI services that start late after each push: see FakeGitHub.addLateCheck. */
  readonly lateChecks: Array<{ name: string; startAfterMs: number; durationMs: number }> = [];

  constructor(
    readonly state: GitHubState,
    readonly sender: WebhookSender,
    readonly transcript: Transcript,
    readonly options: WorldOptions,
    private readonly shapes: () => ShapeContext,
  ) {
    const owner = state.account("github", "Organization");
    this.ciApp = {
      id: 15368,
      slug: "github-actions",
      name: "GitHub Actions",
      nodeId: nodeId("Integration", 15368),
      owner,
      bot: state.account("github-actions[bot]", "Bot"),
      createdAt: isoNow(),
    };
  }

  /** The App that created a check run: the CI app unless another App made it through the checks API. */
  appOf(run: { appId?: number }): AppIdentity {
    return run.appId === this.state.app.id ? this.state.app : this.ciApp;
  }

  get ctx(): ShapeContext {
    return this.shapes();
  }

  repo(fullName: string): Repo {
    const repo = this.state.repoByFullName(fullName);
    if (!repo) throw notFound();
    return repo;
  }

  /** The permission GitHub would report; the owner of a personal repository is admin. */
  permission(repo: Repo, login: string): Permission {
    if (repo.owner.type !== "Organization" && repo.owner.login.toLowerCase() === login.toLowerCase()) return "admin";
    const explicit = repo.collaborators.get(login.toLowerCase());
    if (explicit) return explicit;
    return repo.private ? "none" : "read";
  }

  /** Throws GitHub's 403 unless `actor` has at least `needed` (the app's bot always may). */
  requirePermission(repo: Repo, actor: Account, needed: Permission, what: string): void {
    if (actor.id === this.state.app.bot.id) return;
    if (PERMISSION_RANK[this.permission(repo, actor.login)] < PERMISSION_RANK[needed]) {
      throw new ApiError(403, `${actor.login} must have ${needed} access to ${what}`);
    }
  }

  /**
   * Queues the webhook GitHub would send for a change: the real example payload of
   * `event.action` with `entities` (issue, comment, pull_request, …) laid over the example's
   * own, plus repository, sender and installation. Nothing is sent where the app is not installed.
   */
  webhook(repo: Repo, event: string, action: string, actor: Account, entities: Json, summary: string): void {
    if (this.stopped) return;
    if (this.losing > 0) {
      this.transcript.record("webhook", `lost on purpose: ${event}.${action} ${summary}`);
      return;
    }
    const installation = this.state.installationFor(repo.owner.login);
    if (!installation) return;
    const ctx = this.ctx;
    const example = rewriteAddresses(examplePayload(event, action), ctx.api, ctx.web);
    const payload: Json = { ...example, action };
    for (const [key, value] of Object.entries(entities)) {
      // `changes` says exactly what changed: an example's own changes must not leak into it.
      const merge = key !== "changes" && value && typeof value === "object" && !Array.isArray(value);
      payload[key] = merge ? overlay(example[key], value as Json) : value;
    }
    payload.repository = overlay(example.repository, repository(ctx, repo));
    payload.sender = user(ctx, actor);
    payload.installation = { id: installation.id, node_id: nodeId("Installation", installation.id) };
    if (repo.owner.type === "Organization") {
      const login = repo.owner.login;
      payload.organization = {
        login,
        id: repo.owner.id,
        node_id: repo.owner.nodeId,
        url: `${ctx.api}/orgs/${login}`,
        repos_url: `${ctx.api}/orgs/${login}/repos`,
        events_url: `${ctx.api}/orgs/${login}/events`,
        hooks_url: `${ctx.api}/orgs/${login}/hooks`,
        issues_url: `${ctx.api}/orgs/${login}/issues`,
        members_url: `${ctx.api}/orgs/${login}/members{/member}`,
        public_members_url: `${ctx.api}/orgs/${login}/public_members{/member}`,
        avatar_url: `${ctx.web}/avatars/u/${repo.owner.id}?v=4`,
        description: null,
      };
    } else {
      delete payload.organization;
    }
    this.sender.send(event, payload, summary);
  }

  /** setTimeout that stop() cancels, so a stopped sandbox leaves nothing running. */
  later(ms: number, run: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) run();
    }, ms);
    this.timers.add(timer);
  }

  /** True while CI runs or other delayed changes are still to happen. */
  get busy(): boolean {
    return this.timers.size > 0;
  }

  onCiCompleted(listener: (event: CiCompleted) => void): () => void {
    this.ciListeners.add(listener);
    return () => this.ciListeners.delete(listener);
  }

  ciCompleted(event: CiCompleted): void {
    for (const listener of this.ciListeners) {
      try {
        listener(event);
      } catch (error) {
        this.transcript.record("info", `CI listener failed: ${(error as Error).message}`);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
