/**
 * SANDBOX FAKE — never part of src/. Webhooks as GitHub sends them: the payload of a real
 * example from `@octokit/webhooks-examples` for that event and action, with the entities
 * replaced by the fake's own, signed like GitHub signs (X-Hub-Signature-256 over the exact
 * bytes), delivered one at a time in order, never holding up the API response that caused it.
 */
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { signSha1, signSha256 } from "../shared/hmac.js";
import type { Transcript } from "../shared/transcript.js";

type Json = Record<string, unknown>;

interface ExampleDefinition {
  name: string;
  examples: Json[];
}

const require = createRequire(import.meta.url);
let exampleIndex: ExampleDefinition[] | undefined;

function examples(): ExampleDefinition[] {
  exampleIndex ??= require("@octokit/webhooks-examples") as ExampleDefinition[];
  return exampleIndex;
}

/** Events GitHub sends (sub-issues, issue dependencies) that `@octokit/webhooks-examples` has no example of. */
const EVENTS_WITHOUT_EXAMPLES: ReadonlySet<string> = new Set(["sub_issues", "issue_dependencies"]);

/**
 * A deep copy of a real payload for `event`/`action`. Some actions have no example (e.g.
 * `issues.closed`): another example of the same event stands in, with the action replaced.
 */
export function examplePayload(event: string, action?: string): Json {
  const definition = examples().find((entry) => entry.name === event);
  // GitHub documents these events (openapi-webhooks-types) but the examples have none yet: the
  // payload is made of the documented fields alone.
  if (!definition && EVENTS_WITHOUT_EXAMPLES.has(event)) return action === undefined ? {} : { action };
  if (!definition || definition.examples.length === 0) throw new Error(`no webhook example for event ${event}`);
  const matching = definition.examples.filter((example) => example.action === action);
  // Prefer the example carrying `installation`, the shape a GitHub App receives.
  const chosen =
    matching.find((example) => "installation" in example) ?? matching[0] ?? definition.examples[0]!;
  const copy = structuredClone(chosen);
  if (action !== undefined) copy.action = action;
  return copy;
}

/** Replaces github.com addresses inside example leftovers with the fake's, so no link leaks out. */
export function rewriteAddresses<T>(value: T, api: string, web: string): T {
  if (typeof value === "string") {
    return value.replace(/https:\/\/api\.github\.com/g, api).replace(/https:\/\/github\.com/g, web) as T;
  }
  if (Array.isArray(value)) return value.map((item) => rewriteAddresses(item, api, web)) as T;
  if (value && typeof value === "object") {
    const out: Json = {};
    for (const [key, item] of Object.entries(value)) out[key] = rewriteAddresses(item, api, web);
    return out as T;
  }
  return value;
}

/** The example's entity with every field the fake knows replaced, unknown real fields kept. */
export function overlay(example: unknown, ours: Json): Json {
  const base = example && typeof example === "object" && !Array.isArray(example) ? (example as Json) : {};
  return { ...base, ...ours };
}

export interface WebhookTarget {
  url: string;
  secret: string;
}

export interface WebhookDelivery {
  /** X-GitHub-Delivery */
  id: string;
  event: string;
  action: string | undefined;
  /** HTTP status the app answered; null when it could not be reached. */
  status: number | null;
  error?: string;
  queuedAt: number;
  /** When the request left (deliveries are sent one at a time, so later than queued). */
  sentAt?: number;
  deliveredAt?: number;
  payload: Json;
}

const DELIVERY_TIMEOUT_MS = 10_000;

/** Sends webhooks in the order they were queued, one at a time, as GitHub does per hook. */
export class WebhookSender {
  target: WebhookTarget | null = null;
  readonly deliveries: WebhookDelivery[] = [];
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private stopped = false;

  constructor(
    private readonly hookId: number,
    private readonly appId: number,
    private readonly transcript: Transcript,
  ) {}

  send(event: string, payload: Json, summary: string): WebhookDelivery {
    const delivery: WebhookDelivery = {
      id: randomUUID(),
      event,
      action: typeof payload.action === "string" ? payload.action : undefined,
      status: null,
      queuedAt: Date.now(),
      payload,
    };
    this.deliveries.push(delivery);
    this.pending++;
    this.queue = this.queue
      .then(() => this.deliver(delivery, summary))
      .finally(() => {
        this.pending--;
      });
    return delivery;
  }

  /** Resolves once every queued delivery has been attempted. */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.queue;
  }

  stop(): void {
    this.stopped = true;
  }

  private async deliver(delivery: WebhookDelivery, summary: string): Promise<void> {
    const name = delivery.action ? `${delivery.event}.${delivery.action}` : delivery.event;
    const target = this.target;
    if (this.stopped) return;
    if (!target) {
      delivery.error = "no webhook target set";
      this.transcript.record("webhook", `${name} ${summary} → not sent (no app URL yet)`);
      return;
    }
    const body = JSON.stringify(delivery.payload);
    delivery.sentAt = Date.now();
    try {
      const response = await fetch(target.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "GitHub-Hookshot/fake-sandbox",
          "x-github-event": delivery.event,
          "x-github-delivery": delivery.id,
          "x-github-hook-id": String(this.hookId),
          "x-github-hook-installation-target-id": String(this.appId),
          "x-github-hook-installation-target-type": "integration",
          "x-hub-signature": signSha1(target.secret, body),
          "x-hub-signature-256": signSha256(target.secret, body),
        },
        body,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      delivery.status = response.status;
    } catch (error) {
      delivery.error = (error as Error).message;
    }
    delivery.deliveredAt = Date.now();
    const outcome = delivery.status === null ? `failed (${delivery.error})` : String(delivery.status);
    this.transcript.record("webhook", `${name} ${summary} → ${outcome}`);
  }
}
