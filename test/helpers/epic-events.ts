import { expect } from "vitest";
import checkRunEvent from "../../fixtures/events/check_run.completed.json" with { type: "json" };
import commentEvent from "../../fixtures/events/issue_comment.created.json" with { type: "json" };
import editedEvent from "../../fixtures/events/issues.edited.json" with { type: "json" };
import labeledEvent from "../../fixtures/events/issues.labeled.json" with { type: "json" };
import reviewEvent from "../../fixtures/events/pull_request_review.submitted.json" with { type: "json" };
import { signCursorPayload } from "../../src/cursor/webhook.js";
import { parseBody } from "../../src/orchestration/checklist.js";
import { withInstallation } from "./app.js";
import { API, NAME, OWNER, REPO_PATH, type NockWorld, type WorldAgent } from "./nock-world.js";
import { ISSUE_NODE_ID } from "./signing.js";

/**
 * What the integration tests send Orchestra about an epic (issue 1 of NockWorld's repository):
 * epic bodies written with Orchestra's block, agents Cursor already runs, real webhook payloads
 * from fixtures/events adapted to a sender, and Cursor's signed callback.
 */

/** The id of the status comment the tests seed; epics name it with `comment=900`. */
export const STATUS_COMMENT_ID = 900;

/** The secret the app checks Cursor's callbacks against, and the env that turns the route on. */
export const CURSOR_WEBHOOK_SECRET = "cursor-webhook-secret";
export const CURSOR_WEBHOOK_ENV = { CURSOR_WEBHOOK_SECRET, PUBLIC_URL: "https://orchestra.example" };

/** Who sends an event; a person (`User`) unless `type` says otherwise. */
export type Sender = { login: string; type?: "User" | "Bot" };
/** The repository's owner: an admin in NockWorld. */
export const PERSON: Sender = { login: "Codertocat" };

/** An epic body: the user's text, then Orchestra's block with `planAttributes` verbatim and the given lines. */
export function epic(planAttributes: string, ...items: string[]): string {
  return [
    "Build a todo app.",
    "",
    `<!-- orchestra:plan v1 ${planAttributes} -->`,
    "### Tasks",
    ...items,
    "<!-- orchestra:plan:end -->",
  ].join("\n");
}

/** One checklist line of the block: `title`, ticked if `checked`, with the task's hidden `attributes`. */
export function item(title: string, attributes: string, checked = false): string {
  return `- [${checked ? "x" : " "}] ${title} <!-- orchestra:task ${attributes} -->`;
}

/** The status comment Orchestra posted on an earlier run, which it edits in place. */
export function seedStatusComment(world: NockWorld): void {
  world.comments.push({ id: STATUS_COMMENT_ID, body: "<!-- orchestra:status -->\nold", byApp: true });
}

/** An agent Cursor already runs for an attempt recorded in the body. */
export function seedAgent(world: NockWorld, id: string, branch: string, status = "RUNNING"): WorldAgent {
  const agent: WorldAgent = { id, status, branch, prompt: "", followups: [] };
  world.agents.push(agent);
  return agent;
}

/** How many requests NockWorld logged that start with `prefix`. */
export function count(world: NockWorld, prefix: string): number {
  return world.calls.filter((call) => call.startsWith(prefix)).length;
}

export interface CommentOptions extends Partial<Sender> {
  /** The comment's id (what Orchestra reacts to); the next one GitHub would give unless given. */
  id?: number;
  /** Comment on this task pull request (whose body says "Part of #1") instead of the epic. */
  onPull?: number;
}

/**
 * A real `issue_comment.created` payload: `body` by `login` (the owner by default) on the epic as
 * `world` holds it, or on PR `onPull`. The comment is added to the world first, as GitHub stores a
 * comment before it sends the webhook.
 */
export function issueComment(world: NockWorld, body: string, options: CommentOptions = {}) {
  const payload = withInstallation(commentEvent as unknown as Record<string, unknown>) as typeof commentEvent;
  const login = options.login ?? PERSON.login;
  const user = { ...payload.sender, login, type: options.type ?? "User" };
  const id = world.addComment(body, login, { issue: options.onPull ?? 1, bot: options.type === "Bot", ...(options.id ? { id: options.id } : {}) });
  payload.comment = { ...payload.comment, id, body, user };
  payload.sender = user;
  const number = options.onPull ?? 1;
  payload.issue = {
    ...payload.issue,
    number,
    body: options.onPull ? "Part of #1" : world.body,
    labels: options.onPull ? [] : (world.labels ?? ["epic"]).map((name, i) => ({ ...payload.issue.labels[0], id: 1000 + i, name })),
    pull_request: options.onPull
      ? {
          url: `${API}${REPO_PATH}/pulls/${number}`,
          html_url: `https://github.com/${OWNER}/${NAME}/pull/${number}`,
          diff_url: `https://github.com/${OWNER}/${NAME}/pull/${number}.diff`,
          patch_url: `https://github.com/${OWNER}/${NAME}/pull/${number}.patch`,
        }
      : undefined,
  } as typeof payload.issue;
  return payload;
}

/** A real `issues.edited` payload: `sender` changed the body of issue 1 from `from` to `to`. */
export function issuesEdited(from: string, to: string, sender: Sender = PERSON) {
  const payload = withInstallation(editedEvent as unknown as Record<string, unknown>) as typeof editedEvent & {
    changes: { body?: { from: string } };
  };
  payload.issue = { ...payload.issue, node_id: ISSUE_NODE_ID, body: to };
  payload.changes = { body: { from } };
  payload.sender = { ...payload.sender, login: sender.login, type: sender.type ?? "User" };
  return payload;
}

/** `issues.closed` by `sender`: the `issues.edited` payload with the issue closed (the fixtures have no closed one). */
export function issuesClosed(body: string, sender: Sender = PERSON) {
  const { changes: _changes, ...payload } = withInstallation(editedEvent as unknown as Record<string, unknown>) as typeof editedEvent;
  return {
    ...payload,
    action: "closed",
    issue: { ...payload.issue, body, state: "closed", closed_at: "2026-01-02T00:00:00Z" },
    sender: { ...payload.sender, login: sender.login, type: sender.type ?? "User" },
  };
}

/** A real `issues.labeled` payload: `sender` adds the `epic` label to issue 1, whose body is `body`. */
export function issuesLabeled(body: string, sender: Sender = PERSON) {
  const payload = withInstallation(labeledEvent as unknown as Record<string, unknown>) as typeof labeledEvent;
  payload.label = { ...payload.label, name: "epic" };
  payload.issue = { ...payload.issue, body, labels: [...payload.issue.labels, payload.label] };
  payload.sender = { ...payload.sender, login: sender.login, type: sender.type ?? "User" };
  return payload;
}

/**
 * Cursor's signed `statusChange` callback for `agent` (its current status, branch and PR), POSTed
 * to the app's route served at `url`; asserts the app accepted it (204). The delivery id is what
 * dedupes repeats: by default one per agent and status.
 */
export async function postCursorStatus(url: string, agent: WorldAgent, deliveryId = `delivery-${agent.id}-${agent.status}`): Promise<void> {
  const body = JSON.stringify({
    event: "statusChange",
    timestamp: "2026-01-01T00:00:00Z",
    id: agent.id,
    status: agent.status,
    source: { repository: `https://github.com/${OWNER}/${NAME}`, ref: "master" },
    target: { branchName: agent.branch, prUrl: agent.prUrl },
    summary: "done",
  });
  const response = await fetch(`${url}/orchestra/cursor`, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-webhook-signature": await signCursorPayload(CURSOR_WEBHOOK_SECRET, body),
      "x-webhook-id": deliveryId,
      "x-webhook-event": "statusChange",
    },
  });
  expect(response.status).toBe(204);
}

/** A real `check_run.completed` payload for a run on `branch`: the hint that CI changed. */
export function checkRunCompleted(branch: string) {
  const payload = withInstallation(checkRunEvent as unknown as Record<string, unknown>) as typeof checkRunEvent;
  payload.check_run = {
    ...payload.check_run,
    check_suite: { ...payload.check_run.check_suite, head_branch: branch },
    pull_requests: [],
  } as typeof payload.check_run;
  return payload;
}

/** A review submitted on the task PR of `branch` (the fixture's PR, head and repository adapted). */
export function pullReviewSubmitted(branch: string) {
  const payload = withInstallation(reviewEvent as unknown as Record<string, unknown>) as typeof reviewEvent;
  const repository = payload.repository;
  payload.pull_request = { ...payload.pull_request, head: { ...payload.pull_request.head, ref: branch, repo: repository } } as typeof payload.pull_request;
  return payload;
}

/** What a body says of the epic and its tasks, without Orchestra's bookkeeping (cursor, digest, counts, MACs). */
export function planState(body: string): string {
  const parsed = parseBody(body);
  if (!parsed.ok || !parsed.parsed.plan) return JSON.stringify(parsed);
  const { commandCursor: _cursor, nextId: _next, accepted: _accepted, seen: _seen, live: _live, ...plan } = parsed.parsed.plan;
  return JSON.stringify({ text: parsed.parsed.before + parsed.parsed.after, plan });
}
