import type { Logger } from "pino";
import { writeBody } from "./body-writer.js";
import type { ParseResult } from "./checklist.js";
import { commentOnce } from "./comment-once.js";
import * as messages from "./messages.js";
import type { EpicRef, ReconcileDeps } from "./reconcile-deps.js";
import { contentDigest } from "./trust/content-digest.js";
import { isSameBot } from "./trust/attribution.js";
import type { ParsedBody } from "./types.js";

/** What a reconcile does before anything runs when the issue is not (or no longer) a sound epic. */

/**
 * The epic label is gone: nothing is done on the issue any more. An epic Orchestra was running
 * (its own signed state says so) pauses, once, and says why; anything else is left untouched.
 */
export async function holdUnlabelled(ref: EpicRef, result: ParseResult, label: string, deps: ReconcileDeps, log: Logger): Promise<void> {
  const plan = result.ok ? result.parsed.plan : null;
  if (!result.ok || !plan || !result.parsed.trust?.plan || plan.status !== "running") return;
  await writeBody(ref, { status: "paused" }, deps, log, plan);
  await commentOnce(deps, ref.issueNumber, `label-removed-${plan.runs}`, messages.labelRemoved(label));
  log.info("epic label removed; epic paused");
}

/**
 * The block does not carry Orchestra's MAC for this issue: typed or pasted by a person, copied
 * from another epic, or changed by hand. None of its state is believed; its items become a new
 * plan that waits for `/orchestra start`, with one comment saying why. A block written before
 * state was signed is upgraded in place when GitHub's history shows Orchestra made the last edit.
 */
export async function adoptUnsignedBlock(
  ref: EpicRef,
  title: string,
  parsed: ParsedBody,
  deps: ReconcileDeps,
  log: Logger,
): Promise<void> {
  if (parsed.trust?.legacy && (await lastEditedByOrchestra(ref, deps))) {
    await writeBody(ref, {}, deps, log, undefined, { believeUnsigned: true, acceptAll: true });
    log.info("plan written before state was signed; signed in place");
    return;
  }
  // Nothing of it is accepted either: the epic holds (said in this one notice) until a writer's
  // `/orchestra start` accepts the text as it is then.
  await writeBody(ref, { status: "planned", held: contentDigest(title, parsed) }, deps, log);
  await commentOnce(deps, ref.issueNumber, "unsigned-block", messages.unsignedBlockAdopted(parsed.plan?.tasks.length ?? 0));
  log.warn({ forgedTasks: parsed.trust?.forgedTasks }, "plan block without Orchestra's signature adopted as a new, planned checklist");
}

/** Orchestra's App made the newest edit of the body (every edit of that second is its own), and nobody renamed the issue since. */
async function lastEditedByOrchestra(ref: EpicRef, deps: ReconcileDeps): Promise<boolean> {
  const history = await deps.gateway.readEditHistory(ref.issueNumber);
  const newest = history.edits[0];
  if (!newest || history.renames.some((rename) => Date.parse(rename.at) >= Date.parse(newest.at))) return false;
  const slug = await deps.appSlug();
  const sameSecond = history.edits.filter((edit) => Date.parse(edit.at) === Date.parse(newest.at));
  return sameSecond.every((edit) => edit.actor?.bot === true && isSameBot(edit.actor.login, slug));
}
