import { editsToAttribute, isSameBot } from "./trust/attribution.js";
import { changedParts, contentDigest } from "./trust/content-digest.js";
import type { ReconcileDeps } from "./reconcile-deps.js";
import type { ContentTrust } from "./snapshot.js";
import type { ParsedBody, Plan } from "./types.js";
import type { IssueRead } from "../github/gateway.js";

/**
 * Is the text agents read (title, epic text, task list) what Orchestra last accepted, or changed
 * only by people with write access since? Read from GitHub's edit history, never from webhooks,
 * so a lost `issues.edited` changes nothing; costs a request only when the text changed. Every
 * doubt (a failed permission lookup, a history that does not add up) fails closed.
 */
export async function checkContent(
  issue: Pick<IssueRead, "number" | "title" | "counts">,
  parsed: ParsedBody,
  plan: Plan,
  deps: ReconcileDeps,
): Promise<ContentTrust> {
  const issueNumber = issue.number;
  const digest = contentDigest(issue.title, parsed);
  const changed = changedParts(plan.accepted, digest);
  // An edit that leaves the text as it was (an older signed marker put back, say) is an edit too:
  // GitHub's counts say so even when the digest does not.
  const edited = issue.counts && plan.seen && (issue.counts.edits > plan.seen.edits || issue.counts.renames > plan.seen.renames);
  if (changed.length === 0 && !edited) return { digest, accepted: true };

  const history = await deps.gateway.readEditHistory(issueNumber);
  const attributed = editsToAttribute(history, plan.seen, changed);
  if (!attributed.ok) {
    const newest = latest([...history.edits, ...history.renames]);
    return { digest, accepted: false, changed, editors: [], reason: attributed.reason, ...(newest ? { changedAt: newest } : {}) };
  }

  const untrusted = new Set<string>();
  const untrustedAt: string[] = [];
  let slug: string | undefined;
  for (const edit of attributed.edits) {
    const actor = edit.actor;
    let trusted: boolean;
    if (!actor) {
      trusted = false;
    } else if (actor.bot) {
      slug ??= await deps.appSlug();
      // Another app's permission cannot be asked like a person's: its edits wait for a writer.
      trusted = isSameBot(actor.login, slug);
    } else {
      trusted = await deps.canWrite(actor.login).catch((error: unknown) => {
        deps.log.warn({ err: error, login: actor.login }, "permission lookup failed; the edit is treated as untrusted");
        return false;
      });
    }
    if (trusted) continue;
    untrusted.add(actor?.login ?? "a deleted account");
    untrustedAt.push(edit.at);
  }
  if (untrusted.size === 0) return { digest, accepted: true, byWriters: true };
  const newest = latest(untrustedAt.map((at) => ({ at })));
  return { digest, accepted: false, changed, editors: [...untrusted], ...(newest ? { changedAt: newest } : {}) };
}

function latest(items: Array<{ at: string }>): string | undefined {
  return items.reduce<string | undefined>((max, item) => (max === undefined || Date.parse(item.at) > Date.parse(max) ? item.at : max), undefined);
}
