/**
 * SANDBOX FAKE — never part of src/. Changes to issues, comments, labels and reactions, each
 * followed by the webhook GitHub sends for it. Used alike by the REST routes (the app acting
 * with its installation token) and by the control API (people acting in the sandbox).
 */
import { ApiError, notFound } from "./errors.js";
import * as shapes from "./shapes.js";
import type { Account, Issue, IssueComment, Reaction, ReactionContent, Repo } from "./state.js";
import { isoNow, nodeId } from "./state.js";
import type { World } from "./world.js";

const LABEL_COLORS = ["d73a4a", "0075ca", "a2eeef", "7057ff", "008672", "e4e669", "ededed"];

function short(text: string, max = 70): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function getIssue(repo: Repo, number: number): Issue {
  const issue = repo.issues.get(number);
  if (!issue) throw notFound();
  return issue;
}

export function findComment(repo: Repo, commentId: number): { issue: Issue; comment: IssueComment } {
  for (const issue of repo.issues.values()) {
    const comment = issue.comments.find((entry) => entry.id === commentId);
    if (comment) return { issue, comment };
  }
  throw notFound();
}

/** Labels are created on first use, as GitHub does when one is added by name. */
function ensureLabel(world: World, repo: Repo, name: string): void {
  const key = name.toLowerCase();
  if (repo.labels.has(key)) return;
  const id = world.state.newId();
  repo.labels.set(key, {
    id,
    nodeId: nodeId("Label", id),
    name,
    color: LABEL_COLORS[repo.labels.size % LABEL_COLORS.length]!,
    description: null,
  });
}

function issueEvent(world: World, repo: Repo, issue: Issue): { event: string; key: string; shape: Record<string, unknown> } {
  if (issue.isPull) {
    const pull = repo.pulls.get(issue.number)!;
    return { event: "pull_request", key: "pull_request", shape: shapes.pullRequest(world.ctx, repo, pull) };
  }
  return { event: "issues", key: "issue", shape: shapes.issue(world.ctx, repo, issue) };
}

/** A new open issue record with the repository's next number; a pull request is an issue too. */
export function newIssueRecord(
  world: World,
  repo: Repo,
  actor: Account,
  input: { title: string; body?: string | null },
  isPull: boolean,
): Issue {
  const now = isoNow();
  const id = world.state.newId();
  return {
    number: repo.nextNumber++,
    id,
    nodeId: nodeId("Issue", id),
    title: input.title,
    body: input.body ?? null,
    state: "open",
    stateReason: null,
    user: actor,
    labels: [],
    createdAt: now,
    updatedAt: now,
    closedAt: null,
    closedBy: null,
    comments: [],
    reactions: [],
    isPull,
    edits: [],
    renames: [],
    labelEvents: [],
    subIssues: [],
    parent: null,
    blockedBy: [],
    structureEvents: [],
  };
}

export function openIssue(
  world: World,
  repo: Repo,
  actor: Account,
  input: { title: string; body?: string | null; labels?: string[] },
): Issue {
  if (!input.title.trim()) throw new ApiError(422, "Validation Failed", [{ resource: "Issue", field: "title", code: "missing_field" }]);
  const issue = newIssueRecord(world, repo, actor, input, false);
  repo.issues.set(issue.number, issue);
  // Labels given at creation are applied only for people who may triage, silently, like GitHub.
  const labels = input.labels ?? [];
  const mayLabel = labels.length > 0 && safePermission(world, repo, actor, "triage");
  if (mayLabel) for (const name of labels) ensureLabel(world, repo, name);
  if (mayLabel) issue.labels = dedupe(labels.map((name) => repo.labels.get(name.toLowerCase())!.name));
  if (mayLabel) for (const name of issue.labels) issue.labelEvents.push({ id: world.state.newId(), actor, at: issue.createdAt, name });
  world.transcript.record("issue", `${actor.login} opened #${issue.number} "${short(issue.title)}"`);
  world.webhook(repo, "issues", "opened", actor, { issue: shapes.issue(world.ctx, repo, issue) }, `#${issue.number}`);
  for (const name of issue.labels) {
    const found = repo.labels.get(name.toLowerCase())!;
    world.webhook(
      repo,
      "issues",
      "labeled",
      actor,
      { issue: shapes.issue(world.ctx, repo, issue), label: shapes.label(world.ctx, repo, found) },
      `#${issue.number} +${name}`,
    );
  }
  return issue;
}

function safePermission(world: World, repo: Repo, actor: Account, needed: "triage" | "write"): boolean {
  try {
    world.requirePermission(repo, actor, needed, "label issues");
    return true;
  } catch {
    return false;
  }
}

function dedupe(names: string[]): string[] {
  const seen = new Set<string>();
  return names.filter((name) => {
    const key = name.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function addLabels(world: World, repo: Repo, number: number, actor: Account, names: string[]): Issue {
  const issue = getIssue(repo, number);
  world.requirePermission(repo, actor, "triage", "label issues");
  for (const name of names) {
    if (issue.labels.some((existing) => existing.toLowerCase() === name.toLowerCase())) continue;
    ensureLabel(world, repo, name);
    const found = repo.labels.get(name.toLowerCase())!;
    issue.labels.push(found.name);
    issue.updatedAt = isoNow();
    issue.labelEvents.push({ id: world.state.newId(), actor, at: issue.updatedAt, name: found.name });
    world.transcript.record("label", `${actor.login} labeled #${number} ${found.name}`);
    const { event, key, shape } = issueEvent(world, repo, issue);
    world.webhook(repo, event, "labeled", actor, { [key]: shape, label: shapes.label(world.ctx, repo, found) }, `#${number} +${found.name}`);
  }
  return issue;
}

export function removeLabel(world: World, repo: Repo, number: number, actor: Account, name: string): Issue {
  const issue = getIssue(repo, number);
  world.requirePermission(repo, actor, "triage", "label issues");
  const index = issue.labels.findIndex((existing) => existing.toLowerCase() === name.toLowerCase());
  if (index < 0) return issue;
  const [removed] = issue.labels.splice(index, 1);
  const found = repo.labels.get(removed!.toLowerCase())!;
  issue.updatedAt = isoNow();
  world.transcript.record("label", `${actor.login} unlabeled #${number} ${found.name}`);
  const { event, key, shape } = issueEvent(world, repo, issue);
  world.webhook(repo, event, "unlabeled", actor, { [key]: shape, label: shapes.label(world.ctx, repo, found) }, `#${number} -${found.name}`);
  return issue;
}

/** `now`, or a millisecond after `previous` when the clock has not moved: history stays in order. */
function after(previous: string | undefined, now: string): string {
  if (previous === undefined || Date.parse(now) > Date.parse(previous)) return now;
  return new Date(Date.parse(previous) + 1).toISOString();
}

export interface IssuePatch {
  title?: string | number | null;
  body?: string | null;
  state?: "open" | "closed";
  state_reason?: "completed" | "not_planned" | "reopened" | "duplicate" | null;
  labels?: Array<string | { name?: string }>;
}

/** PATCH an issue (or, through the issues API, a pull request's conversation). */
export function updateIssue(world: World, repo: Repo, number: number, actor: Account, patch: IssuePatch): Issue {
  const issue = getIssue(repo, number);
  if (actor.id !== issue.user.id) world.requirePermission(repo, actor, "triage", "edit issues of others");
  const changes: Record<string, { from: unknown }> = {};
  const now = isoNow();
  if (patch.title !== undefined && patch.title !== null && String(patch.title) !== issue.title) {
    changes.title = { from: issue.title };
    issue.renames.push({ id: world.state.newId(), actor, at: after(issue.renames.at(-1)?.at, now), from: issue.title, to: String(patch.title) });
    issue.title = String(patch.title);
  }
  if (patch.body !== undefined && patch.body !== issue.body) {
    changes.body = { from: issue.body ?? "" };
    // Like GitHub, the first edit also records the original text, by its author.
    if (issue.edits.length === 0) issue.edits.push({ id: world.state.newId(), editor: issue.user, at: issue.createdAt });
    issue.edits.push({ id: world.state.newId(), editor: actor, at: after(issue.edits.at(-1)!.at, now) });
    issue.body = patch.body;
  }
  if (Object.keys(changes).length > 0) {
    issue.updatedAt = isoNow();
    const what = Object.keys(changes).join(" and ");
    world.transcript.record("issue", `${actor.login} edited the ${what} of #${number}`);
    const { event, key, shape } = issueEvent(world, repo, issue);
    world.webhook(repo, event, "edited", actor, { [key]: shape, changes }, `#${number} (${what})`);
  }
  if (patch.labels !== undefined) {
    const wanted = dedupe(
      patch.labels.map((entry) => (typeof entry === "string" ? entry : (entry.name ?? ""))).filter(Boolean),
    );
    for (const existing of [...issue.labels]) {
      if (!wanted.some((name) => name.toLowerCase() === existing.toLowerCase())) removeLabel(world, repo, number, actor, existing);
    }
    addLabels(world, repo, number, actor, wanted);
  }
  if (patch.state && patch.state !== issue.state) {
    if (issue.isPull) {
      throw new ApiError(422, "Use the pull request API to close or reopen pull requests in this sandbox");
    }
    const reason = patch.state_reason === "duplicate" ? "not_planned" : patch.state_reason;
    setIssueState(world, repo, issue, actor, patch.state, reason ?? undefined);
  }
  return issue;
}

export function setIssueState(
  world: World,
  repo: Repo,
  issue: Issue,
  actor: Account,
  state: "open" | "closed",
  reason?: "completed" | "not_planned" | "reopened",
): void {
  if (issue.state === state) return;
  const now = isoNow();
  issue.state = state;
  issue.updatedAt = now;
  if (state === "closed") {
    issue.closedAt = now;
    issue.closedBy = actor;
    issue.stateReason = reason ?? "completed";
    issue.structureEvents.push({ id: world.state.newId(), type: "ClosedEvent", actor, at: now, stateReason: issue.stateReason === "not_planned" ? "not_planned" : "completed" });
  } else {
    issue.closedAt = null;
    issue.closedBy = null;
    issue.stateReason = "reopened";
  }
  const action = state === "closed" ? "closed" : "reopened";
  world.transcript.record("issue", `${actor.login} ${action} #${issue.number}`);
  world.webhook(repo, "issues", action, actor, { issue: shapes.issue(world.ctx, repo, issue) }, `#${issue.number}`);
}

export function createComment(world: World, repo: Repo, number: number, actor: Account, body: string): IssueComment {
  const issue = getIssue(repo, number);
  if (!body.trim()) {
    throw new ApiError(422, "Validation Failed", [{ resource: "IssueComment", field: "body", code: "missing_field" }]);
  }
  if (body.length > 65_536) {
    throw new ApiError(422, "Validation Failed", [
      { resource: "IssueComment", field: "body", code: "custom", message: "body is too long (maximum is 65536 characters)" },
    ]);
  }
  const now = isoNow();
  const id = world.state.newId();
  const comment: IssueComment = {
    id,
    nodeId: nodeId("IssueComment", id),
    issueNumber: number,
    body,
    user: actor,
    createdAt: now,
    updatedAt: now,
    reactions: [],
  };
  issue.comments.push(comment);
  issue.updatedAt = now;
  world.transcript.record("comment", `${actor.login} commented on #${number}: ${short(body, 100)}`);
  world.webhook(
    repo,
    "issue_comment",
    "created",
    actor,
    { issue: shapes.issue(world.ctx, repo, issue), comment: shapes.issueComment(world.ctx, repo, comment) },
    `#${number} comment ${id}`,
  );
  return comment;
}

export function editComment(world: World, repo: Repo, commentId: number, actor: Account, body: string): IssueComment {
  const { issue, comment } = findComment(repo, commentId);
  if (actor.id !== comment.user.id) world.requirePermission(repo, actor, "write", "edit comments of others");
  if (body.length > 65_536) {
    throw new ApiError(422, "Validation Failed", [
      { resource: "IssueComment", field: "body", code: "custom", message: "body is too long (maximum is 65536 characters)" },
    ]);
  }
  if (body === comment.body) return comment;
  const from = comment.body;
  comment.body = body;
  comment.updatedAt = isoNow();
  world.transcript.record("comment", `${actor.login} edited comment ${commentId} on #${issue.number}: ${short(body, 100)}`);
  world.webhook(
    repo,
    "issue_comment",
    "edited",
    actor,
    {
      issue: shapes.issue(world.ctx, repo, issue),
      comment: shapes.issueComment(world.ctx, repo, comment),
      changes: { body: { from } },
    },
    `#${issue.number} comment ${commentId}`,
  );
  return comment;
}

/** Adds a reaction; the same person reacting the same way again gets the existing one back. */
export function addReaction(
  world: World,
  target: { reactions: Reaction[] },
  actor: Account,
  content: ReactionContent,
): { reaction: Reaction; created: boolean } {
  const existing = target.reactions.find((entry) => entry.user.id === actor.id && entry.content === content);
  if (existing) return { reaction: existing, created: false };
  const id = world.state.newId();
  const reaction: Reaction = { id, nodeId: nodeId("Reaction", id), content, user: actor, createdAt: isoNow() };
  target.reactions.push(reaction);
  world.transcript.record("comment", `${actor.login} reacted ${content}`);
  return { reaction, created: true };
}
