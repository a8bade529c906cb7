import type { Context, Probot } from "probot";
import { parseCommands } from "../orchestration/commands.js";
import * as messages from "../orchestration/messages.js";
import { parseBranchName } from "../orchestration/naming.js";
import type { Intent } from "../orchestration/snapshot.js";
import type { Orchestra } from "../orchestra.js";
import { epicRefOf, isBot } from "./epic-ref.js";
import { parentOf } from "./sub-issues.js";

/**
 * Slash commands in new comments, on an epic or on one of its task PRs. For a person with write
 * access this is a hint: the reconcile reads the commands from the comments themselves (after
 * the cursor in the epic's block), so a lost webhook loses nothing; the intents sent here only
 * count for an issue without a plan yet. Anyone else gets a polite answer here (at most once an
 * hour per epic), and the reconcile passes over their comments. Edited comments are not commands
 * again: only `issue_comment.created` is handled.
 */
export function registerCommentHandlers(app: Probot, orchestra: Orchestra): void {
  app.on("issue_comment.created", async (context) => {
    const { issue, comment, sender } = context.payload;
    if (isBot(sender)) return;
    const commands = parseCommands(comment.body);
    if (commands.length === 0) return;
    // Before any request: a merge must not be decided on a snapshot taken before this command.
    forgetSnapshots(orchestra, context as Context, issue);
    const gateway = orchestra.gateway(context.octokit, context.repo());

    let epicNumber = issue.number;
    let prTaskId: string | undefined;
    let inSubIssue = false;
    if (issue.pull_request) {
      const { data: pull } = await context.octokit.rest.pulls.get(context.repo({ pull_number: issue.number }));
      const branch = parseBranchName(pull.head.ref);
      if (!branch || pull.head.repo?.full_name !== gateway.fullName) return; // not a task PR
      epicNumber = branch.issueNumber;
      prTaskId = branch.taskId;
    } else if (!(await isEpic(orchestra, gateway, issue))) {
      // A sub-issue's commands act on its task: the reconcile of its parent (if an epic) reads them.
      const parent = parentOf(issue);
      if (parent === undefined) return; // `/retry` is a common word among bots' commands; answer only on epics
      epicNumber = parent;
      inSubIssue = true;
    }
    const ref = epicRefOf(context as Context, epicNumber);
    if (!ref) return;

    const where = { commentId: comment.id, at: comment.created_at, ...(issue.pull_request || inSubIssue ? { target: issue.number } : {}) };
    if (!(await orchestra.canWrite(gateway, sender.login))) {
      // The parent of a sub-issue may be no epic at all: nothing is said there.
      if (!inSubIssue && (await orchestra.shouldReplyToRefusal(ref, sender.login))) {
        await gateway.createComment(issue.number, messages.notAuthorized(sender.login, "run Orchestra's commands"));
      }
      return;
    }
    const intents: Intent[] = commands.map((command) => ({
      kind: "command",
      command,
      actor: sender.login,
      ...where,
      ...(prTaskId ? { prTaskId } : {}),
    }));
    orchestra.schedule(ref, intents);
    // One reaction for a command carried out within seconds (🚀, or 😕 with its reply); 👀 only
    // for one that visibly waits (a busy epic, a throttled installation, another process's lease).
    const eyes = setTimeout(() => {
      if (gateway.answered(comment.id)) return;
      gateway.reactToComment(comment.id, "eyes").catch((error: unknown) => context.log.warn({ err: error }, "👀 not added"));
    }, orchestra.eyesAfterMs);
    eyes.unref?.();
  });
}

/** An issue is an epic while it carries the label; what its body says does not make it one. */
async function isEpic(
  orchestra: Orchestra,
  gateway: ReturnType<Orchestra["gateway"]>,
  issue: { labels?: Array<{ name?: string } | string> },
): Promise<boolean> {
  if (!issue.labels?.length) return false;
  const config = await orchestra.config(gateway);
  const label = config.ok ? config.config.label : "epic";
  return (issue.labels ?? []).some((l) => (typeof l === "string" ? l : l.name) === label);
}

/** The snapshots of the epic a command may be about: the issue's, its parent's, or (on a PR) the repository's. */
function forgetSnapshots(orchestra: Orchestra, context: Context, issue: { number: number; pull_request?: unknown }): void {
  if (issue.pull_request) {
    const { owner, repo } = context.repo();
    orchestra.forgetRepositorySnapshots(owner, repo);
    return;
  }
  for (const number of [issue.number, parentOf(issue)]) {
    const ref = number === undefined ? null : epicRefOf(context, number);
    if (ref) orchestra.forgetSnapshot(ref);
  }
}
