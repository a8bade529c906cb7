import type { Logger } from "pino";
import type { Probot } from "probot";
import { CursorClient } from "./cursor/client.js";
import { isHttpUrl, type OrchestraEnv } from "./env.js";
import { Notifier } from "./notify/notifier.js";
import { lookBeforeEveryLaunch, ProcessLaunchLedger, type LaunchLedger } from "./cursor/launch-ledger.js";
import { ConditionalRequests } from "./github/conditional-requests.js";
import { GitHubGateway, type Octokit, type RepoRef } from "./github/gateway.js";
import { collectRepoContext } from "./github/repo-context.js";
import { auditPull } from "./llm/auditor.js";
import { planTasks } from "./llm/planner.js";
import { AgentCache } from "./orchestration/agent-cache.js";
import { parseConfigText, type ConfigResult } from "./orchestration/config.js";
import { epicKey } from "./orchestration/naming.js";
import { reconcile, type EpicRef, type ReconcileResult } from "./orchestration/reconcile.js";
import { deriveStateKeys } from "./orchestration/trust/state-mac.js";
import type { Intent } from "./orchestration/snapshot.js";
import type { EpicEvent } from "./orchestration/epic-events.js";
import { ACTIVE_STATES } from "./orchestration/types.js";
import { Metrics } from "./metrics.js";
import { createEpicQueue } from "./runtime/create-queue.js";
import type { EpicQueue, Fence } from "./runtime/epic-queue.js";
import { fenceCursor, fenceOctokit } from "./runtime/fence.js";
import { untilNextUtcDay, type DailyLaunches } from "./runtime/daily-launches.js";
import type { EpicStates } from "./runtime/epic-states.js";
import type { FleetCache } from "./runtime/fleet-cache.js";
import { EpicWriteQueue, epicWrites, type EpicWrites } from "./runtime/epic-write-queue.js";
import { instrumentOctokit } from "./runtime/instrument.js";
import { InstallationPausedError, InstallationPauses, rateLimitResetAt } from "./runtime/rate-limit.js";
import { EpicIndex } from "./runtime/epic-index.js";
import { Resync } from "./runtime/resync.js";
import { SnapshotCache } from "./runtime/snapshot-cache.js";
import { BodyWriteLog } from "./runtime/body-write-log.js";
import type { CheckDelta } from "./github/check-delta.js";
import { TtlCache } from "./ttl-cache.js";

const WRITE_ROLES = new Set(["admin", "maintain", "write"]);
const PERMISSION_TTL_MS = 60_000;
const CONFIG_TTL_MS = 60_000;
const DAY_MS = 24 * 60 * 60_000;
const REFUSAL_REPLY_INTERVAL_MS = 60 * 60_000;

/**
 * The long-lived parts of a running Orchestra: the scheduler, caches and clients. Handlers
 * translate events into `schedule()` calls; everything they decide goes through here.
 */
export class Orchestra {
  /** In-process, or BullMQ over Redis with REDIS_URL. */
  readonly scheduler: EpicQueue;
  readonly metrics = new Metrics();
  /** What Cursor last said about each agent; with Redis, forgetting one is told to the fleet. */
  readonly agents: AgentCache;
  readonly cursor: CursorClient | null;
  /** Caches that agree across the fleet with Redis: permission answers, replies, notices, deliveries. */
  private readonly permissions: FleetCache;
  private readonly configs = new TtlCache<string, ConfigResult>(CONFIG_TTL_MS);
  // Bounded, so a long-running process does not grow with every epic it ever saw; forgetting an
  // entry costs one request at worst.
  /** The status comment's text as this process last wrote it; with Redis, a write elsewhere clears it. */
  private readonly statusCache: TtlCache<number, string>;
  private readonly branchCache = new TtlCache<string, string[]>(DAY_MS, 10_000);
  /** Which epic each agent works for, so a Cursor webhook finds its epic without a lookup. */
  readonly agentEpics = new TtlCache<string, EpicRef>(7 * DAY_MS, 50_000);
  private readonly reported: FleetCache;
  /** People told "no" recently, per epic: an outsider's flood of commands gets one reply an hour, fleet-wide. */
  private readonly refusals: FleetCache;
  /** Cursor webhook delivery ids already handled (a day), so a redelivery to any process is dropped. */
  readonly cursorDeliveries: FleetCache;
  readonly stateKeys: Buffer[];
  private slug?: Promise<{ slug: string; id: number }>;
  private readonly now: () => number;
  /** True once shutdown began: `/ready` answers 503 so that load balancers send work elsewhere. */
  shuttingDown = false;
  /** Pings Redis when REDIS_URL is set (a readiness check). */
  redisPing?: () => Promise<void>;
  /** Installations waiting for their rate limit to reset: their epics wait, the others run. */
  readonly pauses = new InstallationPauses();
  /** Each epic's state after its last reconcile (the epic and task gauges). */
  private readonly epicStates: EpicStates;
  /** The daily cap on agent launches per installation, when ORCHESTRA_INSTALLATION_DAILY_AGENT_RUNS is set. */
  private readonly launches?: DailyLaunches;
  /** Sends epic events to ORCHESTRA_NOTIFY_URL, off the reconcile's path; absent without one. */
  readonly notifier?: Notifier;
  /** When a launch asks Cursor for the attempt's agent first: only after a possible crash, in one process. */
  private readonly launchLedger: LaunchLedger;
  /** REST GETs sent with If-None-Match: a 304 costs no rate limit. Bounded by count and bytes. */
  readonly conditional = new ConditionalRequests();
  /** Open epics with nothing under way, which the resync leaves alone while their issue is unchanged. */
  readonly epics = new EpicIndex();
  private readonly resyncer: Resync;
  /** Each epic's writes, merges first; cosmetic ones wait until the epic is quiet (in-process only). */
  readonly writes = new EpicWriteQueue();
  /** A command not answered (🚀 or 😕) within this long gets 👀: it visibly waits. */
  eyesAfterMs = 5_000;
  /**
   * Each epic's last snapshot, brought up to date by check webhooks, so that a green check is
   * merged without another read. In-process only: with Redis an epic's events reach any process.
   */
  private readonly snapshots?: SnapshotCache;
  /** Orchestra's recent body writes, to write back a person's edit one of them overwrote (in-process, as the snapshots). */
  private readonly bodyWrites?: BodyWriteLog;
  /** Run when shutdown starts (the periodic resync registers its stop here). */
  private readonly shutdownHooks: Array<() => void> = [];

  constructor(
    readonly app: Probot,
    readonly env: OrchestraEnv,
    readonly log: Logger,
    options: { cursor?: CursorClient | null; now?: () => number } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.stateKeys = deriveStateKeys(env.stateSecrets);
    this.cursor =
      options.cursor !== undefined
        ? options.cursor
        : env.cursorApiKey
          ? new CursorClient({
              apiKey: env.cursorApiKey,
              ...(env.cursorApiUrl ? { baseUrl: env.cursorApiUrl } : {}),
              log: log.child({ name: "cursor" }),
            })
          : null;
    const { queue, agents, statusCache, cache, launches, epicStates, ping } = createEpicQueue(env, {
      reconcile: (ref, intents, fence) => this.reconcile(ref, intents, fence),
      resync: () => this.resync(),
      metrics: this.metrics,
      log,
    });
    this.scheduler = queue;
    // With Redis an epic moves between processes, any of which may die mid-launch: look every time.
    this.launchLedger = env.redisUrl ? lookBeforeEveryLaunch : new ProcessLaunchLedger();
    if (!env.redisUrl) {
      this.snapshots = new SnapshotCache();
      this.bodyWrites = new BodyWriteLog();
    }
    this.agents = agents;
    this.statusCache = statusCache;
    if (launches) this.launches = launches;
    this.permissions = cache("permission", PERMISSION_TTL_MS);
    this.reported = cache("reported", DAY_MS);
    this.refusals = cache("refusal", REFUSAL_REPLY_INTERVAL_MS);
    this.cursorDeliveries = cache("cursor-delivery", DAY_MS, 1_000);
    if (ping) this.redisPing = ping;
    if (env.notifyUrl && isHttpUrl(env.notifyUrl)) {
      // A month: longer than any retry or redelivery of the transition that made the event.
      const sent = cache("notified", 30 * DAY_MS, 10_000);
      this.notifier = new Notifier({
        url: env.notifyUrl,
        claim: (key) => sent.claim(key),
        log: log.child({ name: "notify" }),
        onOutcome: (outcome) => this.metrics.notifications.inc({ outcome }),
      });
    }
    this.metrics.observeQueue(() => this.scheduler.stats());
    this.epicStates = epicStates;
    this.metrics.observeEpics(() => epicStates.all(Date.now()));
    this.cursor?.observe((request) => this.metrics.cursorRequest(request));
    this.resyncer = new Resync({
      log,
      pauses: this.pauses,
      appOctokit: () => this.app.auth(),
      installationOctokit: (id) => this.installationOctokit(id),
      config: (gateway) => this.config(gateway),
      schedule: (ref) => this.schedule(ref),
      index: this.epics,
    });
  }

  /** Registers something to stop when shutdown starts. */
  onShutdown(hook: () => void): void {
    this.shutdownHooks.push(hook);
  }

  /**
   * Graceful shutdown: no new resyncs, the events already received and the reconciles in
   * flight finish within `timeoutMs`. Resolves true when all did.
   */
  async shutdown(timeoutMs: number): Promise<boolean> {
    this.shuttingDown = true;
    for (const hook of this.shutdownHooks.splice(0)) hook();
    const started = Date.now();
    const drained = await this.scheduler.drain(timeoutMs);
    // What the last reconciles queued is sent too (notifications, deferred status edits), within what is left of the time.
    const left = () => Math.max(0, timeoutMs - (Date.now() - started));
    const flushed = await Promise.race([this.writes.drain().then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, left(), false).unref())]);
    const sent = this.notifier ? await this.notifier.drain(left()) : true;
    return drained && flushed && sent;
  }

  schedule(ref: EpicRef, intents: Intent[] = []): void {
    // Something happened that the last snapshot does not show.
    this.snapshots?.invalidate(epicKey(ref.owner, ref.repo, ref.issueNumber));
    this.enqueue(ref, intents);
  }

  /** A check finished: the epic's last snapshot takes it in where it can (no read before a merge), and the epic is reconciled. */
  scheduleCheck(ref: EpicRef, delta: CheckDelta): void {
    this.snapshots?.apply(epicKey(ref.owner, ref.repo, ref.issueNumber), delta);
    this.enqueue(ref, []);
  }

  /** Something about one of the repository's epics is on its way (a command on a PR, whose epic takes a request to learn). */
  forgetRepositorySnapshots(owner: string, repo: string): void {
    this.snapshots?.invalidateRepository(`${owner}/${repo}#`.toLowerCase());
  }

  /** A check started: the epic's last snapshot holds it as running (or becomes stale); no reconcile is needed for it. */
  noteCheck(ref: EpicRef, delta: CheckDelta): void {
    this.snapshots?.apply(epicKey(ref.owner, ref.repo, ref.issueNumber), delta);
  }

  /**
   * GitHub's webhook of Orchestra's own edit of an epic's body: if the body before it was not
   * what the write started from, a person's edit was overwritten, and the epic is reconciled to
   * write it back.
   */
  ownBodyEdited(ref: EpicRef, from: string, to: string): void {
    if (this.bodyWrites?.echoed(epicKey(ref.owner, ref.repo, ref.issueNumber), from, to)) this.schedule(ref);
  }

  /** The epic changed in a way that asks for no reconcile (another app's edit, a PR made draft): its next pass reads GitHub, and its next write reads the body first. */
  forgetSnapshot(ref: EpicRef): void {
    this.snapshots?.invalidate(epicKey(ref.owner, ref.repo, ref.issueNumber));
  }

  private enqueue(ref: EpicRef, intents: Intent[]): void {
    // A reconcile is coming: the epic's deferred cosmetic writes wait for it.
    this.writes.touch(epicKey(ref.owner, ref.repo, ref.issueNumber));
    this.scheduler.schedule(ref, intents);
  }

  gateway(octokit: Octokit, repo: RepoRef): GitHubGateway {
    return new GitHubGateway(octokit, repo);
  }

  async installationOctokit(installationId: number): Promise<Octokit> {
    const octokit = instrumentOctokit((await this.app.auth(installationId)) as Octokit, this.metrics, installationId);
    return this.conditional.apply(octokit, installationId);
  }

  /** Write, maintain or admin on the repository, asked through the collaborator-permission API. */
  async canWrite(gateway: GitHubGateway, login: string): Promise<boolean> {
    const key = `${gateway.fullName}:${login}`.toLowerCase();
    let role = await this.permissions.get(key);
    if (role === undefined) {
      role = await gateway.permissionOf(login);
      await this.permissions.set(key, role);
    }
    return WRITE_ROLES.has(role);
  }

  /**
   * Whether a person refused on this epic should be told so now: once per person, epic and
   * hour across the fleet, so nobody can make Orchestra post without limit.
   */
  shouldReplyToRefusal(ref: EpicRef, login: string): Promise<boolean> {
    return this.refusals.claim(`${epicKey(ref.owner, ref.repo, ref.issueNumber)}:${login.toLowerCase()}`);
  }

  /** The App's slug, asked once per process: its bot's name in GitHub's edit history. */
  appSlug(): Promise<string> {
    return this.appIdentity().then((app) => app.slug);
  }

  /** The App's slug and id, asked once per process (the id tells its own check runs from others'). */
  private appIdentity(): Promise<{ slug: string; id: number }> {
    this.slug ??= (async () => {
      const octokit = await this.app.auth();
      const { data } = await octokit.rest.apps.getAuthenticated();
      if (!data?.slug) throw new Error("GitHub did not name this App's slug");
      return { slug: data.slug, id: data.id };
    })();
    // A failure is not remembered: the next reconcile asks again.
    this.slug.catch(() => (this.slug = undefined));
    return this.slug;
  }

  async config(gateway: GitHubGateway): Promise<ConfigResult> {
    const key = gateway.fullName.toLowerCase();
    const cached = this.configs.get(key);
    if (cached) return cached;
    const text = await gateway.readConfigText();
    const result = text === null ? parseConfigText("{}") : parseConfigText(text);
    this.configs.set(key, result);
    if (result.ok) this.resyncer.learnLabel(key, result.config.label);
    return result;
  }

  /**
   * An installation at its rate limit is not asked anything until its reset: its epics wake
   * then (commands wait with backoff), and no reconcile slot waits for it.
   */
  private async reconcile(ref: EpicRef, intents: Intent[], fence?: Fence): Promise<ReconcileResult> {
    const waitMs = this.pauses.remainingMs(ref.installationId, Date.now());
    if (waitMs > 0) {
      if (intents.length === 0) return { wakeAfterMs: waitMs };
      throw new InstallationPausedError(ref.installationId, waitMs);
    }
    const key = epicKey(ref.owner, ref.repo, ref.issueNumber);
    const seen = this.epics.started(key);
    try {
      const outcome = await this.reconcileNow(ref, intents, fence);
      this.epics.settled(key, outcome.quiet, seen);
      return outcome.result;
    } catch (error) {
      this.epics.settled(key, false, seen);
      const resetAt = rateLimitResetAt(error, Date.now());
      if (resetAt === undefined) throw error;
      this.pauses.pause(ref.installationId, resetAt);
      const resumesInMs = Math.max(0, resetAt - Date.now());
      this.log.warn({ installation: ref.installationId, epic: `${ref.owner}/${ref.repo}#${ref.issueNumber}`, resumesInMs }, "installation rate limited: its epics wait for the reset, the others go on");
      if (intents.length === 0) return { wakeAfterMs: resumesInMs };
      throw error;
    }
  }

  /** `quiet`: nothing under way and no wake-up asked for; only a change to the issue can give the epic work. */
  private async reconcileNow(ref: EpicRef, intents: Intent[], fence?: Fence): Promise<{ result: ReconcileResult; quiet: boolean }> {
    const octokit = await this.installationOctokit(ref.installationId);
    // With Redis, every write first checks that this process still holds the epic's lease.
    if (fence) fenceOctokit(octokit, fence);
    const cursor = fence && this.cursor ? fenceCursor(this.cursor, fence) : this.cursor;
    const gateway = this.gateway(octokit, { owner: ref.owner, repo: ref.repo });
    const key = epicKey(ref.owner, ref.repo, ref.issueNumber);
    // Under a lease (Redis) every write happens inside the reconcile that holds it: nothing deferred.
    const ended = fence ? undefined : this.writes.begin(key);
    try {
      return await this.reconcileWith(ref, intents, gateway, octokit, cursor, fence ? undefined : epicWrites(this.writes, key));
    } finally {
      ended?.();
    }
  }

  private async reconcileWith(
    ref: EpicRef,
    intents: Intent[],
    gateway: GitHubGateway,
    octokit: Octokit,
    cursor: CursorClient | null,
    writes: EpicWrites | undefined,
  ): Promise<{ result: ReconcileResult; quiet: boolean }> {
    let busy = false;
    const result = await reconcile(ref, intents, {
      gateway,
      cursor,
      loadConfig: () => this.config(gateway),
      plan: (input, config) =>
        planTasks(input, { env: this.env.llm, planner: config.planner, log: this.log.child({ name: "planner" }), observe: (call) => this.metrics.llmCall(call) }),
      audit: (input, config) =>
        auditPull(input, { env: this.env.llm, planner: config.planner, audit: config.audit, log: this.log.child({ name: "auditor" }), observe: (call) => this.metrics.llmCall(call) }),
      appId: () => this.appIdentity().then((app) => app.id),
      repoContext: () => collectRepoContext(octokit, { owner: ref.owner, repo: ref.repo }),
      agents: this.agents,
      statusCache: this.statusCache,
      branchCache: this.branchCache,
      reported: this.reported,
      stateKeys: this.stateKeys,
      canWrite: (login: string) => this.canWrite(gateway, login),
      appSlug: () => this.appSlug(),
      webUrl: this.env.webUrl,
      ...(this.env.publicUrl ? { publicUrl: this.env.publicUrl } : {}),
      ...(this.env.cursorWebhookSecret ? { cursorWebhookSecret: this.env.cursorWebhookSecret } : {}),
      log: this.log,
      now: this.now,
      onAgent: (agentId: string) => this.agentEpics.set(agentId, ref),
      ...(this.notifier ? { notify: (event: EpicEvent) => this.notifier!.notify(event) } : {}),
      launchLedger: this.launchLedger,
      onPlan: (plan) => {
        busy = plan.tasks.some((task) => ACTIVE_STATES.has(task.state));
        void this.epicStates.record(epicKey(ref.owner, ref.repo, ref.issueNumber), plan, Date.now()).catch((error: unknown) => this.log.debug({ err: error }, "could not record the epic's state for metrics"));
      },
      ...(this.launches ? { launches: this.launchAllowance(this.launches, ref.installationId) } : {}),
      ...(writes ? { writes } : {}),
      ...(this.snapshots && writes ? { snapshot: this.snapshots.forEpic(epicKey(ref.owner, ref.repo, ref.issueNumber)) } : {}),
      ...(this.bodyWrites && writes ? { bodyLog: this.bodyWrites.forEpic(epicKey(ref.owner, ref.repo, ref.issueNumber)) } : {}),
    });
    return { result, quiet: !busy && result.wakeAfterMs === undefined };
  }

  private launchAllowance(launches: DailyLaunches, installationId: number) {
    return {
      cap: launches.cap,
      remaining: () => launches.remaining(installationId, this.now()),
      take: () => launches.take(installationId, this.now()),
      resetsInMs: () => untilNextUtcDay(this.now()),
    };
  }

  /** Reconciles every open epic of every installation: how lost webhooks and restarts heal (see Resync). */
  resync(): Promise<number> {
    return this.resyncer.run();
  }
}
