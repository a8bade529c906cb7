import type { Logger } from "pino";
import type { EpicEvent } from "../orchestration/epic-events.js";
import { DEFAULT_DELIVERY, deliver, type DeliveryIo, type DeliveryOptions } from "./deliver.js";
import { formatFor, notificationBody } from "./format.js";

/**
 * Sends epic events to ORCHESTRA_NOTIFY_URL off the reconcile's path: `notify()` only queues
 * (bounded; the oldest is dropped, with a warning, when the receiver cannot keep up), and a
 * background loop delivers them one at a time. Each event is claimed by its key first, in a
 * bounded cache that the fleet shares with Redis (`SET NX` with a TTL), so an event seen twice,
 * by this process or another, is sent once. Delivery is at most once: a process that dies with
 * events queued loses them, and an event whose retries all failed is not tried again.
 */

export interface NotifierOptions {
  url: string;
  /** True for the one caller, fleet-wide, that may send this key (FleetCache.claim). */
  claim: (key: string) => Promise<boolean>;
  log: Logger;
  delivery?: DeliveryOptions;
  io?: DeliveryIo;
  /** Events waiting at most; default 1,000. */
  capacity?: number;
  /** Told of each event's outcome (metrics). */
  onOutcome?: (outcome: "sent" | "failed" | "duplicate" | "dropped") => void;
}

export class Notifier {
  private readonly queue: EpicEvent[] = [];
  private running?: Promise<void>;
  private readonly format;

  constructor(private readonly options: NotifierOptions) {
    this.format = formatFor(options.url);
  }

  /** Queues an event; returns at once and never throws. */
  notify(event: EpicEvent): void {
    const capacity = this.options.capacity ?? 1_000;
    if (this.queue.length >= capacity) {
      const dropped = this.queue.shift()!;
      this.options.log.warn({ event: dropped.kind, epic: epicOf(dropped) }, "notification dropped: the receiver does not keep up");
      this.options.onOutcome?.("dropped");
    }
    this.queue.push(event);
    this.running ??= this.run().finally(() => (this.running = undefined));
  }

  /** Events queued or being sent. */
  get pending(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  /** Waits for what is queued to be sent, up to `timeoutMs`; true when all was. */
  async drain(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      while (this.running) {
        if ((await Promise.race([this.running.then(() => true), timeout])) === false) return false;
      }
      return true;
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(): Promise<void> {
    for (let event = this.queue.shift(); event; event = this.queue.shift()) {
      try {
        await this.send(event);
      } catch (error) {
        // Unreachable by design (delivery returns its failures); the loop must go on regardless.
        this.options.log.warn({ event: event.kind, epic: epicOf(event), err: String((error as Error)?.name ?? "error") }, "notification failed");
      }
    }
  }

  private async send(event: EpicEvent): Promise<void> {
    const { log } = this.options;
    const fields = { event: event.kind, epic: epicOf(event), id: event.key };
    if (!(await this.options.claim(event.key))) {
      log.debug(fields, "notification already sent");
      this.options.onOutcome?.("duplicate");
      return;
    }
    const result = await deliver(this.options.url, notificationBody(event, this.format), this.options.delivery ?? DEFAULT_DELIVERY, this.options.io);
    if (result.ok) {
      log.info({ ...fields, attempts: result.attempts, format: this.format }, "notification sent");
      this.options.onOutcome?.("sent");
    } else {
      log.warn({ ...fields, attempts: result.attempts, error: result.error, format: this.format }, "notification not delivered; giving up on it");
      this.options.onOutcome?.("failed");
    }
  }
}

function epicOf(event: EpicEvent): string {
  return `${event.repository}#${event.issueNumber}`;
}
