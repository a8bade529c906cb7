import type { IncomingMessage, ServerResponse } from "node:http";
import { sign, verify } from "@octokit/webhooks-methods";
import { z } from "zod";
import type { CursorLog } from "./client.js";
import { readBody } from "./read-body.js";
import { SeenIds } from "./seen-ids.js";

export const CURSOR_WEBHOOK_PATH = "/orchestra/cursor";
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_SEEN_CAPACITY = 1000;

/** What Cursor posts when an agent reaches FINISHED or ERROR. A hint: reconcile reads the truth. */
export interface CursorStatusChange {
  event: string;
  timestamp?: string;
  /** The agent id, `bc-…`. */
  id: string;
  status: string;
  source?: { repository?: string; ref?: string };
  target?: { url?: string; branchName?: string; prUrl?: string };
  summary?: string;
}

const optionalString = z.string().nullish();

// Loose: Cursor may add fields, and statuses this version does not know are passed on as is.
const statusChangeWireSchema = z.looseObject({
  event: optionalString,
  timestamp: optionalString,
  id: z.string().min(1),
  status: z.string().min(1),
  source: z.looseObject({ repository: optionalString, ref: optionalString }).nullish(),
  target: z.looseObject({ url: optionalString, branchName: optionalString, prUrl: optionalString }).nullish(),
  summary: optionalString,
});

type StatusChangeWire = z.output<typeof statusChangeWireSchema>;

export interface CursorWebhookOptions {
  /** CURSOR_WEBHOOK_SECRET; without it every delivery is refused (503), never accepted unsigned. */
  secret: string | undefined;
  onStatusChange: (payload: CursorStatusChange, deliveryId: string | undefined) => void | Promise<void>;
  log?: CursorLog;
  maxBodyBytes?: number;
  path?: string;
  /** How many recent `X-Webhook-ID`s are remembered to drop redeliveries (in this process). */
  seenCapacity?: number;
  /**
   * Where delivery ids are remembered instead, when the fleet must agree (Redis): `claim` is
   * true for the first delivery of an id, false for a redelivery to any process.
   */
  seen?: { claim(id: string): Promise<boolean> };
}

/** Signs a body the way Cursor does (`sha256=<hex>`), for tests and the local sandbox. */
export function signCursorPayload(secret: string, body: string): Promise<string> {
  return sign(secret, body);
}

/**
 * The HTTP route Cursor calls back, for Probot's `addHandler`. Returns false for other paths
 * so Probot's next handler answers them; true once it has answered the request.
 */
export function createCursorWebhookHandler(
  options: CursorWebhookOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const path = options.path ?? CURSOR_WEBHOOK_PATH;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const local = new SeenIds(options.seenCapacity ?? DEFAULT_SEEN_CAPACITY);
  const firstDelivery = options.seen ? (id: string) => options.seen!.claim(id) : async (id: string) => local.add(id);
  const log = options.log;

  return async (req, res) => {
    if (pathnameOf(req.url) !== path) return false;
    if (req.method !== "POST") {
      reply(res, 405, "Only POST is accepted here", { Allow: "POST" });
      return true;
    }
    if (!options.secret) {
      log?.error("Cursor webhook refused: CURSOR_WEBHOOK_SECRET is not set");
      reply(res, 503, "CURSOR_WEBHOOK_SECRET is not set: Cursor webhooks cannot be verified");
      return true;
    }

    const read = await readBody(req, maxBodyBytes);
    if (!read.ok) {
      if (read.reason === "too_large") {
        log?.warn({ maxBodyBytes }, "Cursor webhook refused: body too large");
        // Close the connection rather than drain a body we will not read.
        reply(res, 413, `Body larger than ${maxBodyBytes} bytes`, { Connection: "close" });
      } else {
        reply(res, 400, "Request body was not received completely");
      }
      return true;
    }

    const raw = read.body.toString("utf8");
    const deliveryId = headerValue(req, "x-webhook-id");
    const signature = headerValue(req, "x-webhook-signature");
    if (!signature || !(await signatureMatches(options.secret, raw, signature))) {
      log?.warn({ deliveryId, signed: Boolean(signature) }, "Cursor webhook refused: bad or missing signature");
      reply(res, 401, "Invalid or missing X-Webhook-Signature");
      return true;
    }

    const parsed = parseStatusChange(raw, headerValue(req, "x-webhook-event"));
    if (!parsed.ok) {
      log?.warn({ deliveryId, problem: parsed.error }, "Cursor webhook refused: invalid payload");
      reply(res, 400, parsed.error);
      return true;
    }

    // Only signed deliveries are remembered, so forged requests cannot evict real ids.
    if (deliveryId !== undefined && !(await firstDelivery(deliveryId))) {
      log?.debug({ deliveryId }, "Cursor webhook ignored: already delivered");
      reply(res, 204);
      return true;
    }

    reply(res, 204);
    const payload = parsed.payload;
    log?.info({ deliveryId, agent: payload.id, status: payload.status, event: payload.event }, "Cursor webhook");
    try {
      await options.onStatusChange(payload, deliveryId);
    } catch (error) {
      // Cursor already has its 204: the periodic resync covers whatever this missed.
      log?.error({ err: error, deliveryId, agent: payload.id }, "Cursor webhook handler failed");
    }
    return true;
  };
}

async function signatureMatches(secret: string, raw: string, signature: string): Promise<boolean> {
  try {
    // verify compares in constant time; it throws on an empty body, which is no valid delivery.
    return await verify(secret, raw, signature);
  } catch {
    return false;
  }
}

type ParseResult = { ok: true; payload: CursorStatusChange } | { ok: false; error: string };

function parseStatusChange(raw: string, headerEvent: string | undefined): ParseResult {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, error: "Body is not valid JSON" };
  }
  const result = statusChangeWireSchema.safeParse(data);
  if (!result.success) return { ok: false, error: `Invalid payload:\n${z.prettifyError(result.error)}` };
  return { ok: true, payload: toStatusChange(result.data, headerEvent) };
}

function toStatusChange(wire: StatusChangeWire, headerEvent: string | undefined): CursorStatusChange {
  const payload: CursorStatusChange = {
    // statusChange is the only event Cursor sends; the header names it when the body does not.
    event: wire.event ?? headerEvent ?? "statusChange",
    id: wire.id,
    status: wire.status,
  };
  if (wire.timestamp != null) payload.timestamp = wire.timestamp;
  if (wire.source) payload.source = withoutNulls(wire.source, ["repository", "ref"]);
  if (wire.target) payload.target = withoutNulls(wire.target, ["url", "branchName", "prUrl"]);
  if (wire.summary != null) payload.summary = wire.summary;
  return payload;
}

function withoutNulls<K extends string>(
  object: Partial<Record<K, string | null | undefined>>,
  keys: readonly K[],
): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const key of keys) {
    const value = object[key];
    if (value != null) out[key] = value;
  }
  return out;
}

function pathnameOf(url: string | undefined): string {
  try {
    return new URL(url ?? "/", "http://localhost").pathname;
  } catch {
    return "";
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === "" ? undefined : first;
}

function reply(res: ServerResponse, status: number, message?: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  if (message === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res
    .writeHead(status, { ...headers, "Content-Type": "application/json; charset=utf-8" })
    .end(JSON.stringify({ error: message }));
}
