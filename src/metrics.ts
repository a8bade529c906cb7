import type { IncomingMessage, ServerResponse } from "node:http";
import { Counter, Registry, Summary } from "prom-client";

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

  handler() {
    return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
      if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") return false;
      res.writeHead(200, { "content-type": this.registry.contentType });
      res.end(await this.registry.metrics());
      return true;
    };
  }
}
