/**
 * SANDBOX FAKE — never part of src/. Cursor's `statusChange` webhook: the payload Cursor
 * documents, signed with `X-Webhook-Signature: sha256=<hex>` over the raw body, delivered
 * `copies` times (Cursor may deliver more than once) and recorded.
 */
import { randomUUID } from "node:crypto";
import { signSha256 } from "../shared/hmac.js";
import type { Transcript } from "../shared/transcript.js";
import type { AgentStatus, FakeAgent } from "./fake-cursor.js";

export interface CursorWebhookDelivery {
  id: string;
  agentId: string;
  status: AgentStatus;
  /** HTTP status the app answered; null when unreachable. */
  httpStatus: number | null;
  error?: string;
  at: number;
}

export async function sendStatusChange(
  agent: FakeAgent,
  webhook: { url: string; secret?: string },
  copies: number,
  deliveries: CursorWebhookDelivery[],
  transcript: Transcript,
): Promise<void> {
  const target: Record<string, unknown> = { url: agent.target.url, branchName: agent.target.branchName };
  if (agent.target.prUrl) target.prUrl = agent.target.prUrl;
  const body = JSON.stringify({
    event: "statusChange",
    timestamp: new Date().toISOString(),
    id: agent.id,
    status: agent.status,
    source: agent.source,
    target,
    summary: agent.summary ?? "",
  });
  for (let copy = 0; copy < copies; copy++) {
    const id = `wh-${randomUUID()}`;
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "Cursor-Agent-Webhook/1.0 (sandbox fake)",
      "x-webhook-id": id,
      "x-webhook-event": "statusChange",
    };
    if (webhook.secret) headers["x-webhook-signature"] = signSha256(webhook.secret, body);
    const delivery: CursorWebhookDelivery = { id, agentId: agent.id, status: agent.status, httpStatus: null, at: Date.now() };
    deliveries.push(delivery);
    try {
      const response = await fetch(webhook.url, { method: "POST", headers, body, signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      delivery.httpStatus = response.status;
    } catch (error) {
      delivery.error = (error as Error).message;
    }
    const outcome = delivery.httpStatus === null ? `failed (${delivery.error})` : String(delivery.httpStatus);
    transcript.record("webhook", `cursor statusChange ${agent.status} for ${agent.id.slice(0, 11)} → ${outcome}`);
  }
}
