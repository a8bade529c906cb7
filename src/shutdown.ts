import type { Logger } from "pino";

/** What a graceful shutdown stops: Probot's HTTP server, then Orchestra's reconciles. */
export interface ShutdownTargets {
  /** Stops accepting connections; resolves once the open ones are done. */
  stopServer: () => Promise<void>;
  /** Stops intake and waits up to `timeoutMs` for the reconciles in flight; true if all finished. */
  drain: (timeoutMs: number) => Promise<boolean>;
  log: Logger;
  timeoutMs: number;
  exit?: (code: number) => void;
  /** Default SIGTERM and SIGINT; tests pass none and call the returned function. */
  signals?: readonly NodeJS.Signals[];
}

/**
 * SIGTERM (container platforms, systemd) and SIGINT (Ctrl-C): stop taking webhooks, let the
 * reconciles in flight finish within `timeoutMs`, then exit 0. Anything cut short is safe to
 * redo: actions are idempotent and the next start's resync reconciles every open epic. A second
 * signal exits at once.
 */
export function handleShutdownSignals(targets: ShutdownTargets): (signal: NodeJS.Signals) => Promise<void> {
  const exit = targets.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    const { log, timeoutMs } = targets;
    if (stopping) {
      log.warn({ signal }, "second signal: exiting without waiting for reconciles");
      exit(1);
      return;
    }
    stopping = true;
    log.info({ signal, timeoutMs }, "shutting down: no new webhooks; waiting for the reconciles in flight");
    const serverStopped = targets.stopServer().catch((error: unknown) => log.warn({ err: error }, "stopping the HTTP server failed"));
    const drained = await targets.drain(timeoutMs);
    if (drained) log.info({ signal }, "shutdown complete: every reconcile in flight finished");
    else log.warn({ signal, timeoutMs }, "shutdown wait over with reconciles still running; the next start's resync redoes them");
    // Connections still open (a slow client) must not hold the exit.
    await Promise.race([serverStopped, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
    // Lets the logger flush its last lines.
    await new Promise((resolve) => setTimeout(resolve, 50));
    exit(0);
  };
  for (const signal of targets.signals ?? (["SIGTERM", "SIGINT"] as const)) process.on(signal, (received) => void shutdown(received));
  return shutdown;
}
