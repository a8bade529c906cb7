import { inlineCode } from "./messages.js";
import type { UntrustedChildChange } from "./sub-issues.js";

/** What Orchestra says about an epic's sub-issues (see decide-children.ts). */

function andList(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

export function untrustedChild(issue: number, people: string[]): string {
  return [
    `⏸️ **Nothing new starts on this epic**: the sub-issue #${issue} was written or changed by ${andList(people.map((login) => inlineCode(login)))}. Its title and description become an agent's instructions, so only text by people with write, maintain or admin permission is used on its own.`,
    "",
    "A maintainer can review the sub-issue and comment `/orchestra resume` on this epic to run it as it is now.",
  ].join("\n");
}

export function untrustedChildChange(taskId: string, change: UntrustedChildChange): string {
  const who = change.by.length > 0 ? andList(change.by.map((login) => inlineCode(login))) : "someone GitHub does not name";
  const what = {
    removed: `removed the sub-issue #${change.issue} from this epic, which would skip its task ${taskId}`,
    closed: `closed the sub-issue #${change.issue}, which would end its task ${taskId} without its work`,
    relinked: `changed the "blocked by" links of the sub-issue #${change.issue}, which would change when its task ${taskId} runs`,
  }[change.kind];
  const unnamed =
    change.by.length === 0 && change.kind === "relinked"
      ? " (GitHub keeps no history of these links, and the event that names who changed them did not reach Orchestra)"
      : "";
  return [
    `⏸️ **Nothing new starts on this epic**: ${who} ${what}${unnamed}. Only changes by people with write, maintain or admin permission take effect on their own.`,
    "",
    "A maintainer can review the change and comment `/orchestra resume` on this epic to accept it, or undo it (add the sub-issue back, reopen it, restore the link).",
  ].join("\n");
}

export function childDropped(taskId: string, issue: number, why: "removed" | "not-planned"): string {
  const what = why === "removed" ? "was removed from this epic's sub-issues" : "was closed as not planned";
  return `⏭️ ${taskId} (#${issue}) is skipped: the sub-issue ${what}. Its agent, if any, is stopped and its pull request closed.`;
}

export function mergedChildReopened(taskId: string, issue: number, pr: number | undefined): string {
  const where = pr ? ` in #${pr}` : "";
  return `ℹ️ The sub-issue #${issue} was reopened, but its task ${taskId} was already merged${where}: Orchestra does not run it again. To have more work done, open a new sub-issue of this epic.`;
}

export function agentPointer(taskId: string, epic: number): string {
  return `🤖 Orchestra's agent works on this sub-issue as task ${taskId} of the epic #${epic}; its progress is in the epic's status comment. \`/retry\` and \`/skip\` here act on this task.`;
}

export function agentPointerEnded(taskId: string, epic: number, ended: "merged" | "skipped" | "done", pr: number | undefined): string {
  const how = { merged: `its pull request${pr ? ` #${pr}` : ""} is merged`, skipped: "it was skipped", done: "it was marked done" }[ended];
  return `🏁 Orchestra's task ${taskId} of the epic #${epic} for this sub-issue has ended: ${how}. No agent works on it any more.`;
}

export function blockedByRefused(taskId: string, issue: number, dep: string, refusal: string): string {
  return `⚠️ GitHub refused to mark the sub-issue #${issue} (${taskId}) as blocked by the sub-issue of ${dep}: ${inlineCode(refusal)}. The epic's plan still runs ${taskId} after ${dep}; GitHub's own picture of the order lacks the link (a maintainer can add it by hand once what GitHub objects to is resolved).`;
}
