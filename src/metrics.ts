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

  handler() {
    return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
      if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") return false;
      res.writeHead(200, { "content-type": this.registry.contentType });
      res.end(await this.registry.metrics());
      return true;
    };
  }
}
