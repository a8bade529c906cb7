import { parseCommands } from "./commands.js";
import type { ReconcileDeps } from "./reconcile-deps.js";
import { branchName } from "./naming.js";
import type { Intent } from "./snapshot.js";
import type { Plan } from "./types.js";
import type { CommentRead, SnapshotRead } from "../github/gateway.js";
import { COMMENT_WINDOW } from "../github/snapshot-query.js";

/**
 * Commands are durable: every reconcile reads them from the epic's comments (and its task PRs'),
 * after the cursor its block keeps, so a command whose webhook was lost, or that arrived while the
 * app was down, is carried out by the next reconcile, and a retried or repeated reconcile never
 * runs one twice (the cursor moves in the same body write that records the command's effect).
 * Webhooks only make this happen sooner.
 */

/** How far back a reconcile pages for comments older than its snapshot's window. */
const MAX_EXTRA_PAGES = 5;

export interface CommandsRead {
  intents: Intent[];
  /** The newest comment id looked at: the block's next cursor. */
  cursor?: number;
  /** The cursor must be written now (commands were handled, or unhandled comments pile up). */
  mustRecord: boolean;
}

export async function readCommands(
  issueNumber: number,
  plan: Plan,
  observed: SnapshotRead,
  hints: Intent[],
  deps: ReconcileDeps,
): Promise<CommandsRead> {
  const known = plan.commandCursor;
  const onIssue = await issueCommentsSince(issueNumber, known, observed, deps);
  const onPulls: Array<{ comment: CommentRead; pr: number; taskId: string }> = [];
  for (const task of plan.tasks) {
    if (task.attempt === 0) continue;
    for (const pr of observed.pulls.get(branchName(issueNumber, task.id, task.attempt)) ?? []) {
      for (const comment of observed.pullComments.get(pr.number) ?? []) onPulls.push({ comment, pr: pr.number, taskId: task.id });
    }
  }
  // Commands in a sub-issue act on its task, like commands in a task's PR.
  const children = new Map((observed.issue?.children ?? []).map((child) => [child.number, child]));
  for (const task of plan.tasks) {
    const child = task.issue === undefined ? undefined : children.get(task.issue);
    for (const comment of child?.comments ?? []) {
      const author = comment.author;
      onPulls.push({ comment: { id: comment.id, body: comment.body, ...(comment.createdAt ? { createdAt: comment.createdAt } : {}), author: author?.login ?? null, bot: author?.bot ?? false }, pr: child!.number, taskId: task.id });
    }
  }
  const seen = [...onIssue.map((comment) => comment.id), ...onPulls.map((entry) => entry.comment.id)];
  const newest = seen.length > 0 ? Math.max(...seen) : undefined;
  const cursor = known === undefined ? newest : Math.max(known, newest ?? known);
  if (known === undefined) {
    // A block from before the cursor: history is not replayed; this run's webhooks still count.
    const intents = hints.filter((hint) => hint.kind === "command");
    return { intents, cursor: cursor ?? 0, mustRecord: true };
  }

  const fresh = [
    ...onIssue.map((comment) => ({ comment, pr: undefined, taskId: undefined })),
    ...onPulls,
  ]
    .filter((entry) => entry.comment.id > known)
    .sort((a, b) => a.comment.id - b.comment.id);
  const intents: Intent[] = [];
  for (const { comment, pr, taskId } of fresh) {
    if (comment.bot || !comment.author) continue; // bots, Orchestra included, never steer an epic
    const commands = parseCommands(comment.body);
    if (commands.length === 0) continue;
    const where = { commentId: comment.id, ...(comment.nodeId ? { commentNodeId: comment.nodeId } : {}), ...(pr ? { target: pr } : {}), ...(comment.createdAt ? { at: comment.createdAt } : {}) };
    // Others' commands were answered when their webhook came; here they are passed over. A failed
    // lookup throws: the reconcile is retried and the cursor has not moved.
    if (!(await deps.canWrite(comment.author))) continue;
    for (const command of commands) {
      intents.push({ kind: "command", command, actor: comment.author, ...where, ...(taskId ? { prTaskId: taskId } : {}) });
    }
  }
  // Comments without commands (Orchestra's own among them) need no write of their own: the cursor
  // rides along with the next write, unless they fill half the window read with every snapshot.
  return { intents, ...(cursor !== undefined ? { cursor } : {}), mustRecord: intents.length > 0 || fresh.length > COMMENT_WINDOW / 2 };
}

/** The issue's comments newer than `known`, paging back past the snapshot's window when needed. */
async function issueCommentsSince(issueNumber: number, known: number | undefined, observed: SnapshotRead, deps: ReconcileDeps): Promise<CommentRead[]> {
  let comments = observed.comments;
  let older = observed.olderComments;
  for (let page = 0; known !== undefined && older && page < MAX_EXTRA_PAGES && (comments[0]?.id ?? 0) > known; page++) {
    const previous = await deps.gateway.commentsBefore(issueNumber, older);
    comments = [...previous.comments, ...comments];
    older = previous.older;
  }
  return comments;
}
