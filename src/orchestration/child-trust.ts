import { isSameBot } from "./trust/attribution.js";
import type { ReconcileDeps } from "./reconcile-deps.js";
import { childDigest, type ChildView } from "./sub-issues.js";
import type { ActorRead, ChildRead } from "../github/sub-issues-query.js";
import { parseCommands } from "./commands.js";

/**
 * A sub-issue's title and body become an agent's instructions, and anyone who can open an issue
 * can write one; so they are judged like the epic's text: accepted when everyone who wrote or
 * changed them (its author, the editors of its body, the renamers of its title) has write access
 * or is Orchestra itself, or when a writer accepted this very text (Task.accepted, see
 * decide-children.ts). Every doubt fails closed. Comments reach the agent only from writers.
 * Permission lookups are cached per repository and person, so this costs a request per new person.
 */
export async function judgeChildren(children: readonly ChildRead[], deps: Pick<ReconcileDeps, "canWrite" | "appSlug" | "log">): Promise<ChildView[]> {
  const isTrusted = actorJudge(deps);
  const views: ChildView[] = [];
  for (const child of children) {
    const view: ChildView = {
      number: child.number,
      title: child.title,
      body: child.body,
      state: child.state,
      stateReason: child.stateReason,
      digest: childDigest(child.title, child.body),
      ...(child.editedAt ? { editedAt: child.editedAt } : {}),
      byWriters: false,
      context: [],
    };
    // Closed children run nothing: their text is never read, so nobody's permission is asked.
    if (child.state === "open") {
      const untrusted = new Set<string>();
      for (const actor of [child.author, ...child.changedBy]) {
        if (!(await isTrusted(actor))) untrusted.add(actor?.login ?? "a deleted account");
      }
      if (!child.complete) untrusted.add("edits beyond what Orchestra reads back");
      view.byWriters = untrusted.size === 0;
      if (untrusted.size > 0) view.untrustedBy = [...untrusted];
      for (const comment of child.comments) {
        // Commands are for Orchestra, and its own comments (the pointer) are not context.
        if (!comment.author || comment.author.bot || parseCommands(comment.body).length > 0) continue;
        if (await isTrusted(comment.author)) view.context.push({ author: comment.author.login, body: comment.body });
      }
    }
    views.push(view);
  }
  return views;
}

/**
 * Whether a person or an app GitHub names may steer the epic on their own: write access, or
 * Orchestra itself. Asked once per person per judge (and `canWrite` is cached across passes);
 * a failed lookup, another app, or an account GitHub no longer knows: no.
 */
export function actorJudge(deps: Pick<ReconcileDeps, "canWrite" | "appSlug" | "log">): (actor: ActorRead | null) => Promise<boolean> {
  const verdicts = new Map<string, boolean>();
  let slug: string | undefined;
  return async (actor) => {
    if (!actor) return false;
    const key = `${actor.bot ? "bot" : "user"}:${actor.login.toLowerCase()}`;
    let verdict = verdicts.get(key);
    if (verdict === undefined) {
      if (actor.bot) {
        slug ??= await deps.appSlug();
        // Another app's permission cannot be asked like a person's: what it did waits for a writer.
        verdict = isSameBot(actor.login, slug);
      } else {
        verdict = await deps.canWrite(actor.login).catch((error: unknown) => {
          deps.log.warn({ err: error, login: actor.login }, "permission lookup failed; treated as without write access");
          return false;
        });
      }
      verdicts.set(key, verdict);
    }
    return verdict;
  };
}
