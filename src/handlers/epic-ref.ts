import type { Context } from "probot";
import type { EpicRef } from "../orchestration/reconcile.js";

type RepoPayload = {
  installation?: { id: number } | null;
  repository: { name: string; owner: { login: string } };
};

/** The epic an event concerns, or null for an event without an installation (not for us). */
export function epicRefOf(context: Context, issueNumber: number): EpicRef | null {
  const payload = context.payload as unknown as RepoPayload;
  const installationId = payload.installation?.id;
  if (!installationId) return null;
  return {
    installationId,
    owner: payload.repository.owner.login,
    repo: payload.repository.name,
    issueNumber,
  };
}

/** Bots, Orchestra itself included, never steer an epic: that is how it cannot loop on its own writes. */
export function isBot(sender: { type?: string; login?: string } | undefined | null): boolean {
  return sender?.type === "Bot" || Boolean(sender?.login?.endsWith("[bot]"));
}
