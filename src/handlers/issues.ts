import type { Context, Probot } from "probot";
import { parseBody, PLAN_START } from "../orchestration/checklist.js";
import { createStateSigner } from "../orchestration/trust/state-mac.js";
import * as messages from "../orchestration/messages.js";
import type { Orchestra } from "../orchestra.js";
import { isOwnEcho } from "./echo.js";
import { epicRefOf, isBot } from "./epic-ref.js";

/**
 * issues.opened / labeled ask for a plan; edited / closed / reopened are hints to reconcile.
 * Only a person with write access can make an issue an epic.
 */
export function registerIssueHandlers(app: Probot, orchestra: Orchestra): void {
  app.on(["issues.opened", "issues.labeled"], async (context) => {
    const { issue, sender } = context.payload;
    if (isBot(sender) || issue.state !== "open") return;
    const labelledRef = epicRefOf(context as Context, issue.number);
    if (labelledRef) orchestra.forgetSnapshot(labelledRef);
    // Most issues are opened without labels: no need to read the configuration for them.
    if (context.payload.action === "opened" && !issue.labels?.length) return;
    const gateway = orchestra.gateway(context.octokit, context.repo());
    const config = await orchestra.config(gateway);
    const label = config.ok ? config.config.label : "epic";
    const labelled =
      context.payload.action === "labeled"
        ? context.payload.label?.name === label
        : (issue.labels ?? []).some((l) => (typeof l === "string" ? l : l.name) === label);
    if (!labelled) return;
    const ref = epicRefOf(context as Context, issue.number);
    if (!ref) return;
    if (!(await orchestra.canWrite(gateway, sender.login))) {
      context.log.info({ issue: issue.number, sender: sender.login }, "epic label from a person without write access; ignored");
      if (await orchestra.shouldReplyToRefusal(ref, sender.login)) {
        await gateway.createComment(issue.number, messages.notAuthorized(sender.login, "make this issue an epic"));
      }
      return;
    }
    await gateway.reactToIssue(issue.number, "eyes");
    orchestra.schedule(ref, [{ kind: "plan", actor: sender.login }]);
  });

  app.on("issues.edited", async (context) => {
    const { issue, sender, changes } = context.payload;
    const ref = epicRefOf(context as Context, issue.number);
    if (!ref) return;
    if (isBot(sender)) {
      // Orchestra's own write: did it overwrite someone's edit? Another app's edit steers nothing,
      // but Orchestra's next write must start from it.
      if (await isOwnEcho(orchestra, sender)) {
        if (typeof changes.body?.from === "string") orchestra.ownBodyEdited(ref, changes.body.from, issue.body ?? "");
      } else {
        orchestra.forgetSnapshot(ref);
      }
      return;
    }
    // Before any request (a permission look-up): the next pass must not start from the body before this edit.
    orchestra.forgetSnapshot(ref);
    // Only Orchestra's own signed state is believed, here as everywhere: a marker someone typed
    // cannot name an agent to stop.
    const verifier = createStateSigner(orchestra.stateKeys, issue.node_id);
    const now = parseBody(issue.body, { verifier });
    const before = parseBody(changes.body?.from, { verifier });
    if (!(now.ok && now.parsed.plan) && !(before.ok && before.parsed.plan)) return;
    // A task deleted from the checklist is cancelled, one ticked by hand is done: either way its
    // agent is stopped. Only the edit event knows what was there before, so it carries them.
    // Who made the edit, and whether it is accepted, the reconcile reads from GitHub's history.
    const stillOpen = new Set(
      now.ok ? (now.parsed.plan?.tasks ?? []).filter((task) => task.state !== "done").map((task) => task.id) : [],
    );
    const orphaned =
      before.ok && now.ok
        ? (before.parsed.plan?.tasks ?? [])
            .filter((task) => !stillOpen.has(task.id) && task.agent && ["running", "pr_open"].includes(task.state))
            .map((task) => task.agent!)
        : [];
    // Stopping work is steering too: only for an edit by someone with write access.
    const stop = orphaned.length > 0 && (await orchestra.canWrite(orchestra.gateway(context.octokit, context.repo()), sender.login));
    orchestra.schedule(ref, stop ? [{ kind: "stop-agents", agentIds: orphaned }] : []);
  });

  app.on("issues.unlabeled", async (context) => {
    const { issue } = context.payload;
    const ref = epicRefOf(context as Context, issue.number);
    if (!ref || !issue.body?.includes(PLAN_START)) return;
    orchestra.schedule(ref); // the reconcile sees the label gone and pauses the epic
  });

  app.on(["issues.closed", "issues.reopened"], async (context) => {
    const { issue, sender } = context.payload;
    const parsed = parseBody(issue.body);
    if (!parsed.ok || !parsed.parsed.plan) return;
    // Orchestra closing a completed epic: the reconcile that closed it wrote and announced it.
    if (await isOwnEcho(orchestra, sender)) return;
    const ref = epicRefOf(context as Context, issue.number);
    if (ref) orchestra.schedule(ref);
  });
}

