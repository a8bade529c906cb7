import type { IncomingMessage, ServerResponse } from "node:http";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, Summary } from "prom-client";

/**
 * Prometheus metrics at `GET /metrics`. Each Orchestra gets its own registry, so tests and the
 * sandbox can run several side by side.
 */
export class Metrics {
  readonly registry = new Registry();

  /** From an event reaching the scheduler to the start of the reconcile that handles it. */
  readonly eventToReconcile = new Summary({
    name: "orchestra_event_to_reconcile_seconds",
    help: "Time from an event (webhook, command) to the start of the reconcile that handles it; wait=idle when nothing was in the way, behind_run when it waited for the epic's running reconcile, slot when every reconcile slot was busy.",
    labelNames: ["wait"] as const,
    percentiles: [0.5, 0.9, 0.99],
    registers: [this.registry],
  });

  readonly reconcileDuration = new Summary({
    name: "orchestra_reconcile_duration_seconds",
    help: "Duration of one reconcile of one epic.",
    labelNames: ["outcome"] as const,
    percentiles: [0.5, 0.9, 0.99],
    registers: [this.registry],
  });

  readonly reconciles = new Counter({
    name: "orchestra_reconciles_total",
    help: "Reconciles run, by outcome.",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  /** What the queue holds now, read at each scrape (see `observeQueue`). */
  private queueStats: () => { queued: number; running: number; oldestEventAgeMs: number } = () => ({
    queued: 0,
    running: 0,
    oldestEventAgeMs: 0,
  });

  readonly queueDepth = new Gauge({
    name: "orchestra_queue_depth",
    help: "Epics in this process's queue: state=queued waiting for their reconcile (debounce, backoff, a free slot), state=running under way.",
    labelNames: ["state"] as const,
    registers: [this.registry],
    collect: () => {
      const stats = this.queueStats();
      this.queueDepth.set({ state: "queued" }, stats.queued);
      this.queueDepth.set({ state: "running" }, stats.running);
    },
  });

  readonly queueOldestAge: Gauge = new Gauge({
    name: "orchestra_queue_oldest_event_age_seconds",
    help: "Age of the oldest event in the queue whose reconcile has not started (0 when none waits).",
    registers: [this.registry],
    collect: () => {
      this.queueOldestAge.set(this.queueStats().oldestEventAgeMs / 1000);
    },
  });

  readonly jobs = new Counter({
    name: "orchestra_jobs_total",
    help: "With REDIS_URL: reconcile jobs this process ended, by outcome (ok, error, covered by a newer run, busy: the epic was being reconciled elsewhere and the job waits, installation_busy: its installation runs as many reconciles as it may).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  readonly notifications = new Counter({
    name: "orchestra_notifications_total",
    help: "With ORCHESTRA_NOTIFY_URL: epic notifications by outcome (sent, failed after its retries, duplicate: already sent by this or another process, dropped: the queue was full).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  readonly takeovers = new Counter({
    name: "orchestra_lock_takeovers_total",
    help: "With REDIS_URL: epics this process took over after another process's lease ran out (it died or stalled).",
    registers: [this.registry],
  });

  readonly githubRequests = new Counter({
    name: "orchestra_github_requests_total",
    help: "GitHub requests of reconciles and resyncs, by route template and HTTP status.",
    labelNames: ["route", "status"] as const,
    registers: [this.registry],
  });

  readonly githubRequestDuration = new Histogram({
    name: "orchestra_github_request_duration_seconds",
    help: "Duration of GitHub requests of reconciles and resyncs, by route template.",
    labelNames: ["route"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly githubRateLimitRemaining = new Gauge({
    name: "orchestra_github_rate_limit_remaining",
    help: "Requests left in the installation's current rate-limit window, as GitHub last reported it.",
    labelNames: ["installation"] as const,
    registers: [this.registry],
  });

  readonly cursorRequests = new Counter({
    name: "orchestra_cursor_requests_total",
    help: "HTTP requests to Cursor's API (retries included), by endpoint template and outcome (the HTTP status, or error when no answer came).",
    labelNames: ["endpoint", "outcome"] as const,
    registers: [this.registry],
  });

  readonly cursorRequestDuration = new Histogram({
    name: "orchestra_cursor_request_duration_seconds",
    help: "Duration of HTTP requests to Cursor's API, by endpoint template.",
    labelNames: ["endpoint"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly llmRequests = new Counter({
    name: "orchestra_llm_requests_total",
    help: "Calls to a model by the planner (after the SDK's own retries), by provider and outcome (ok, the HTTP status of the failure, or error).",
    labelNames: ["provider", "outcome"] as const,
    registers: [this.registry],
  });

  readonly llmRequestDuration = new Histogram({
    name: "orchestra_llm_request_duration_seconds",
    help: "Duration of calls to a model by the planner, by provider.",
    labelNames: ["provider"] as const,
    buckets: [0.5, 1, 2.5, 5, 10, 20, 40, 60, 120],
    registers: [this.registry],
  });

  readonly llmTokens = new Counter({
    name: "orchestra_llm_tokens_total",
    help: "Tokens the planner's calls cost, as the provider reported them, by provider, model and kind (input, output).",
    labelNames: ["provider", "model", "kind"] as const,
    registers: [this.registry],
  });

  /** Where the epic gauges read from at each scrape (see `observeEpics`). */
  private epicSummaries: () => Promise<Array<{ status: string; tasks: string[] }>> = async () => [];

  readonly epics: Gauge = new Gauge({
    name: "orchestra_epics",
    help: "Epics by status after their last reconcile (with Redis, across the fleet); an epic not reconciled for a day drops out.",
    labelNames: ["state"] as const,
    registers: [this.registry],
    collect: async () => {
      const summaries = await this.epicSummaries().catch(() => undefined);
      if (!summaries) return; // Redis unreachable: keep the last figures
      this.epics.reset();
      for (const summary of summaries) this.epics.inc({ state: summary.status });
    },
  });

  // Each gauge reads for itself: prom-client collects the metrics of a scrape concurrently.
  readonly tasks: Gauge = new Gauge({
    name: "orchestra_tasks",
    help: "Tasks of the epics counted by orchestra_epics, by state.",
    labelNames: ["state"] as const,
    registers: [this.registry],
    collect: async () => {
      const summaries = await this.epicSummaries().catch(() => undefined);
      if (!summaries) return;
      this.tasks.reset();
      for (const summary of summaries) for (const state of summary.tasks) this.tasks.inc({ state });
    },
  });

  readonly readiness = new Counter({
    name: "orchestra_readiness_checks_total",
    help: "Readiness checks (GET /ready) that asked a dependency, by dependency and result.",
    labelNames: ["check", "result"] as const,
    registers: [this.registry],
  });

  constructor() {
    // Process metrics (CPU, memory, event-loop lag, handles), prefixed like Node services' usual ones.
    collectDefaultMetrics({ register: this.registry });
  }

  /** Where the queue gauges read from at each scrape. */
  observeQueue(stats: () => { queued: number; running: number; oldestEventAgeMs: number }): void {
    this.queueStats = stats;
  }

  /** Where the epic and task gauges read from. */
  observeEpics(summaries: () => Promise<Array<{ status: string; tasks: string[] }>>): void {
    this.epicSummaries = summaries;
  }

  /** Counts and times a request to Cursor. */
  cursorRequest(request: { endpoint: string; outcome: string; durationMs: number }): void {
    this.cursorRequests.inc({ endpoint: request.endpoint, outcome: request.outcome });
    this.cursorRequestDuration.observe({ endpoint: request.endpoint }, request.durationMs / 1000);
  }

  /** Counts and times a call to a model, and its tokens. */
  llmCall(call: { provider: string; model: string; outcome: string; durationMs: number; usage?: { inputTokens: number; outputTokens: number } }): void {
    this.llmRequests.inc({ provider: call.provider, outcome: call.outcome });
    this.llmRequestDuration.observe({ provider: call.provider }, call.durationMs / 1000);
    if (call.usage) {
      this.llmTokens.inc({ provider: call.provider, model: call.model, kind: "input" }, call.usage.inputTokens);
      this.llmTokens.inc({ provider: call.provider, model: call.model, kind: "output" }, call.usage.outputTokens);
    }
  }

  handler() {
    return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
      if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") return false;
      res.writeHead(200, { "content-type": this.registry.contentType });
      res.end(await this.registry.metrics());
      return true;
    };
  }
}
