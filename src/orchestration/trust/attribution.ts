import type { ContentPart } from "./content-digest.js";

/** How many edits (and renames) are read from each end of the history. */
export const EDIT_WINDOW = 20;
import type { EditCounts } from "../types.js";

/**
 * Which edits of the issue a changed text must be attributed to. Orchestra records, with the text
 * it accepts, how many body edits and title renames GitHub had then (`seen`); the edits since are
 * the newest ones beyond those counts. Whenever that picture does not add up (no record, a history
 * shorter than recorded, a change with no edit to explain it, more edits than were read) the
 * answer is "unknown", and the caller fails closed.
 */

export interface ContentEdit {
  kind: "edit" | "rename";
  at: string;
  /** null when GitHub no longer knows the account (a deleted user). */
  actor: { login: string; bot: boolean } | null;
}

export interface EditHistory {
  counts: EditCounts;
  /** The newest body edits and title renames GitHub returned, each list newest first. */
  edits: ContentEdit[];
  renames: ContentEdit[];
}

export type EditsToAttribute = { ok: true; edits: ContentEdit[] } | { ok: false; reason: string };

export function editsToAttribute(history: EditHistory, seen: EditCounts | undefined, changed: readonly ContentPart[]): EditsToAttribute {
  if (!seen) return { ok: false, reason: "Orchestra has no record of the edits it already accounted for" };
  // Fewer than recorded: GitHub kept fewer revisions than Orchestra counted on. Nothing new, then;
  // a changed text with no edit to explain it still fails closed below.
  const newEdits = Math.max(0, history.counts.edits - seen.edits);
  const newRenames = Math.max(0, history.counts.renames - seen.renames);
  const bodyChanged = changed.includes("text") || changed.includes("tasks");
  if (bodyChanged && newEdits === 0) return { ok: false, reason: "the description changed without an edit in GitHub's history" };
  if (changed.includes("title") && newRenames === 0) return { ok: false, reason: "the title changed without a rename in GitHub's history" };
  // Both ends of the history are read; past one window the middle may hold the newest ones.
  if (newEdits > EDIT_WINDOW || newRenames > EDIT_WINDOW || newEdits > history.edits.length || newRenames > history.renames.length) {
    return { ok: false, reason: `there were more edits (${newEdits + newRenames}) than Orchestra reads back` };
  }
  return { ok: true, edits: [...newest(history.edits, newEdits), ...newest(history.renames, newRenames)] };
}

/**
 * The newest `count` items, and any older one with the same timestamp as the last of them:
 * GitHub's timestamps have second precision, and when the order is a tie the stricter reading wins.
 */
function newest(items: ContentEdit[], count: number): ContentEdit[] {
  if (count === 0) return [];
  let end = count;
  while (end < items.length && items[end]!.at === items[count - 1]!.at) end++;
  return items.slice(0, end);
}

/** GraphQL names a bot without the `[bot]` suffix REST gives it. */
export function isSameBot(login: string, appSlug: string): boolean {
  const bare = login.toLowerCase().replace(/\[bot\]$/, "");
  return bare === appSlug.toLowerCase();
}
