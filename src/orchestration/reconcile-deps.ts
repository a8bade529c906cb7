import type { Logger } from "pino";
import type { AgentCache } from "./agent-cache.js";
import type { OrchestraConfig } from "./config.js";
import type { CursorClient } from "../cursor/client.js";
import type { LaunchLedger } from "../cursor/launch-ledger.js";
import type { GitHubGateway } from "../github/gateway.js";
import type { RepoContext } from "../github/repo-context.js";
import type { AuditInput, AuditResult } from "../llm/audit-types.js";
import type { PlanInput, PlanResult } from "../llm/types.js";
import type { EpicEvent } from "./epic-events.js";
import type { Plan } from "./types.js";
import type { EpicWrites } from "../runtime/epic-write-queue.js";
import type { EpicSnapshot } from "../runtime/snapshot-cache.js";
import type { EpicBodyLog } from "../runtime/body-write-log.js";

/** What a reconcile of one epic works with: the edges, the caches, and where it runs. */

/** What the reconciler needs of a cache; a bounded one forgets, which costs a request at worst. */
export interface Cache<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
}

/** A cache the fleet shares with Redis (in-process otherwise), hence possibly asynchronous; a Map fits. */
export interface SharedCache {
  get(key: string): string | undefined | Promise<string | undefined>;
  set(key: string, value: string): unknown;
}

export interface LaunchAllowance {
  cap: number;
  /** Launches still allowed today. */
  remaining(): Promise<number>;
  /** Counts one launch; false when the cap is reached (nothing counted). */
  take(): Promise<boolean>;
  /** Milliseconds until the count starts again. */
  resetsInMs(): number;
}

export interface EpicRef {
  installationId: number;
  owner: string;
  repo: string;
  issueNumber: number;
}

export interface ReconcileDeps {
  gateway: GitHubGateway;
  /** null when CURSOR_API_KEY is not set: planning works, running explains what is missing. */
  cursor: CursorClient | null;
  loadConfig: () => Promise<{ ok: true; config: OrchestraConfig } | { ok: false; error: string }>;
  plan: (input: PlanInput, config: OrchestraConfig) => Promise<PlanResult>;
  repoContext: () => Promise<RepoContext>;
  agents: AgentCache;
  /** Last status comment text written per comment id, so an unchanged status is not re-sent. */
  statusCache: Cache<number, string>;
  /** Branches read for this epic last time: one GraphQL read suffices when the plan is unchanged. */
  branchCache: Cache<string, string[]>;
  /** Notices posted once per epic (a foreign PR on a task branch…), so they cost no lookup again; fleet-wide with Redis. */
  reported: SharedCache;
  /** Keys the state in issue bodies is signed with (the first signs). */
  stateKeys: Buffer[];
  /** Write, maintain or admin on the repository; throws when GitHub cannot say. */
  canWrite: (login: string) => Promise<boolean>;
  /** The App's slug: its bot's login in GitHub's edit history. */
  appSlug: () => Promise<string>;
  /** `https://github.com` or the GHE host's web address. */
  webUrl: string;
  publicUrl?: string;
  cursorWebhookSecret?: string;
  log: Logger;
  now?: () => number;
  /**
   * The installation's daily cap on agent launches (ORCHESTRA_INSTALLATION_DAILY_AGENT_RUNS),
   * when one is set: launches beyond it wait for the next UTC day.
   */
  launches?: LaunchAllowance;
  /** Told of the plan each reconcile wrote (the epic and task gauges). */
  onPlan?: (plan: Plan) => void;
  /** When Cursor is asked for an attempt's agent before a launch; absent: before every launch. */
  launchLedger?: LaunchLedger;
  /** Told of every agent working for this epic, so Cursor webhooks find their epic. */
  onAgent?: (agentId: string) => void;
  /** Queues a notification outside GitHub (ORCHESTRA_NOTIFY_URL); absent when none is set. Never blocks. */
  notify?: (event: EpicEvent) => void;
  /** The auditor (`audit.enabled`): the model's verdict on one PR, with the tokens it cost. */
  audit?: (input: AuditInput, config: OrchestraConfig) => Promise<AuditResult>;
  /** This App's id: its own check runs are told from others' of the same name by it. Asked only with the audit on. */
  appId?: () => Promise<number>;
  /**
   * The epic's write queue (in-process): cosmetic writes (status edits, reactions) are deferred
   * until the epic is quiet, so merges and launches never wait behind them. Absent (with Redis,
   * where every write must happen under the epic's lease, and in tests): written at once.
   */
  writes?: EpicWrites;
  /**
   * The epic's last snapshot (in-process): a check that finished is merged on the webhook's word
   * without another read, and a body write needs no read before it while no other event came in.
   * Absent (with Redis, and in tests): GitHub is read every time.
   */
  snapshot?: EpicSnapshot;
  /** Orchestra's recent body writes (in-process), so that a person's edit one of them overwrote is written back. */
  bodyLog?: EpicBodyLog;
}

export interface ReconcileResult {
  wakeAfterMs?: number;
}
