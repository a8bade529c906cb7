import * as messages from "./messages.js";
import type { ReconcileDeps } from "./reconcile-deps.js";

/** For failures that a repeated reconcile would report again: one comment per key, found by its marker. */
export async function commentOnce(deps: ReconcileDeps, issueNumber: number, key: string, body: string): Promise<void> {
  const existing = await deps.gateway.findComment(issueNumber, messages.commentMarker(key));
  if (existing) return;
  await deps.gateway.createComment(issueNumber, messages.withMarker(key, body));
}
