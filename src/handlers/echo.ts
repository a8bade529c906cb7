import type { Orchestra } from "../orchestra.js";

type Sender = { type?: string; login?: string } | undefined | null;

/**
 * Whether an event's sender is this App's own bot, so that the event only echoes a write
 * Orchestra made and recorded in the same reconcile (its merge, its closing of a PR or of the
 * epic). GitHub fills `sender` itself: a `[bot]` login cannot be taken by a person, and only
 * this App's tokens act as `<slug>[bot]`. When the slug cannot be read, nothing is an echo: a
 * reconcile too many costs a read, one too few could lose a change.
 */
export async function isOwnEcho(orchestra: Orchestra, sender: Sender): Promise<boolean> {
  if (sender?.type !== "Bot" || !sender.login) return false;
  const slug = await orchestra.appSlug().catch(() => undefined);
  return slug !== undefined && sender.login.toLowerCase() === `${slug.toLowerCase()}[bot]`;
}
