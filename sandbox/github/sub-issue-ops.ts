/**
 * SANDBOX FAKE — never part of src/. Sub-issues and issue dependencies as GitHub models them:
 * a parent lists its sub-issues in priority order (at most 100, one parent each, no cycles);
 * an issue is "blocked by" others. The REST API names the other issue by its database id
 * (`sub_issue_id`, `issue_id`), never by its number. Each change sends the webhooks GitHub
 * sends for it (`sub_issues`, `issue_dependencies`). Only issues of the same repository are
 * modelled, which is all a sandbox has.
 */
import { ApiError, notFound } from "./errors.js";
import * as shapes from "./shapes.js";
import type { Account, Issue, Repo } from "./state.js";
import { isoNow } from "./state.js";
import type { World } from "./world.js";

/** GitHub's limit of sub-issues per parent. */
export const MAX_SUB_ISSUES = 100;

function validation(message: string): ApiError {
  return new ApiError(422, "Validation Failed", [{ resource: "Issue", field: "sub_issue_id", code: "custom", message }]);
}

/** The issue with this database id in the repository (pull requests are not issues here). */
export function issueById(repo: Repo, id: number): Issue {
  for (const issue of repo.issues.values()) if (issue.id === id && !issue.isPull) return issue;
  throw notFound();
}

function issueByNumber(repo: Repo, number: number): Issue {
  const issue = repo.issues.get(number);
  if (!issue || issue.isPull) throw notFound();
  return issue;
}

/** True when `ancestor` is `issue` or one of its parents, grandparents, … */
function isAncestorOf(repo: Repo, ancestor: Issue, issue: Issue): boolean {
  for (let current: Issue | undefined = issue; current; current = current.parent === null ? undefined : repo.issues.get(current.parent)) {
    if (current.number === ancestor.number) return true;
  }
  return false;
}

function touched(...issues: Issue[]): void {
  const now = isoNow();
  for (const issue of issues) issue.updatedAt = now;
}

function subIssueEvents(world: World, repo: Repo, parent: Issue, child: Issue, actor: Account, added: boolean): void {
  const entities = {
    sub_issue_id: child.id,
    sub_issue: shapes.issue(world.ctx, repo, child),
    sub_issue_repo: shapes.repository(world.ctx, repo),
    parent_issue_id: parent.id,
    parent_issue: shapes.issue(world.ctx, repo, parent),
  };
  const verb = added ? "added" : "removed";
  const at = isoNow();
  parent.structureEvents.push({ id: world.state.newId(), type: added ? "SubIssueAddedEvent" : "SubIssueRemovedEvent", actor, at, other: child.number });
  child.structureEvents.push({ id: world.state.newId(), type: added ? "ParentIssueAddedEvent" : "ParentIssueRemovedEvent", actor, at, other: parent.number });
  world.transcript.record("issue", `${actor.login} ${verb} #${child.number} as a sub-issue of #${parent.number}`);
  world.webhook(repo, "sub_issues", `sub_issue_${verb}`, actor, entities, `#${parent.number} ${added ? "+" : "-"}#${child.number}`);
  world.webhook(repo, "sub_issues", `parent_issue_${verb}`, actor, entities, `#${child.number} parent #${parent.number}`);
}

export function addSubIssue(world: World, repo: Repo, parentNumber: number, actor: Account, subIssueId: number, replaceParent = false): Issue {
  const parent = issueByNumber(repo, parentNumber);
  world.requirePermission(repo, actor, "triage", "add sub-issues");
  const child = issueById(repo, subIssueId);
  if (child.number === parent.number) throw validation("An issue cannot be a sub-issue of itself");
  if (parent.subIssues.includes(child.number)) throw validation("Sub-issue already exists on this issue");
  if (child.parent !== null && !replaceParent) throw validation("Sub-issue may only have one parent");
  if (isAncestorOf(repo, child, parent)) throw validation("An issue cannot be a sub-issue of one of its own sub-issues");
  if (parent.subIssues.length >= MAX_SUB_ISSUES) throw validation(`An issue can have at most ${MAX_SUB_ISSUES} sub-issues`);
  if (child.parent !== null) removeSubIssue(world, repo, child.parent, actor, child.id);
  parent.subIssues.push(child.number);
  child.parent = parent.number;
  touched(parent, child);
  subIssueEvents(world, repo, parent, child, actor, true);
  return parent;
}

export function removeSubIssue(world: World, repo: Repo, parentNumber: number, actor: Account, subIssueId: number): Issue {
  const parent = issueByNumber(repo, parentNumber);
  world.requirePermission(repo, actor, "triage", "remove sub-issues");
  const child = issueById(repo, subIssueId);
  const index = parent.subIssues.indexOf(child.number);
  if (index < 0) throw notFound();
  parent.subIssues.splice(index, 1);
  child.parent = null;
  touched(parent, child);
  subIssueEvents(world, repo, parent, child, actor, false);
  return parent;
}

/** Moves a sub-issue just after `afterId` or just before `beforeId` (exactly one of them). */
export function reprioritizeSubIssue(
  world: World,
  repo: Repo,
  parentNumber: number,
  actor: Account,
  input: { sub_issue_id: number; after_id?: number; before_id?: number },
): Issue {
  const parent = issueByNumber(repo, parentNumber);
  world.requirePermission(repo, actor, "triage", "reprioritize sub-issues");
  if ((input.after_id === undefined) === (input.before_id === undefined)) {
    throw new ApiError(422, "Either after_id or before_id must be specified");
  }
  const child = issueById(repo, input.sub_issue_id);
  const anchor = issueById(repo, (input.after_id ?? input.before_id)!);
  if (!parent.subIssues.includes(child.number) || !parent.subIssues.includes(anchor.number) || anchor.number === child.number) {
    throw new ApiError(422, "The sub-issue and the issue it is placed next to must both be sub-issues of this issue");
  }
  parent.subIssues.splice(parent.subIssues.indexOf(child.number), 1);
  const at = parent.subIssues.indexOf(anchor.number) + (input.after_id !== undefined ? 1 : 0);
  parent.subIssues.splice(at, 0, child.number);
  touched(parent);
  world.transcript.record("issue", `${actor.login} moved sub-issue #${child.number} of #${parent.number} ${input.after_id !== undefined ? "after" : "before"} #${anchor.number}`);
  return parent;
}

function dependencyEvents(world: World, repo: Repo, blocked: Issue, blocking: Issue, actor: Account, added: boolean): void {
  const verb = added ? "added" : "removed";
  const entities = {
    blocked_issue_id: blocked.id,
    blocked_issue: shapes.issue(world.ctx, repo, blocked),
    blocking_issue_id: blocking.id,
    blocking_issue: shapes.issue(world.ctx, repo, blocking),
    blocking_issue_repo: shapes.repository(world.ctx, repo),
  };
  world.transcript.record("issue", `${actor.login} ${verb} #${blocking.number} as blocking #${blocked.number}`);
  world.webhook(repo, "issue_dependencies", `blocked_by_${verb}`, actor, entities, `#${blocked.number} blocked by #${blocking.number}`);
  world.webhook(repo, "issue_dependencies", `blocking_${verb}`, actor, entities, `#${blocking.number} blocking #${blocked.number}`);
}

export function addBlockedBy(world: World, repo: Repo, number: number, actor: Account, issueId: number): Issue {
  const blocked = issueByNumber(repo, number);
  world.requirePermission(repo, actor, "triage", "add issue dependencies");
  const blocking = issueById(repo, issueId);
  if (blocking.number === blocked.number) throw new ApiError(422, "Validation Failed", [{ resource: "IssueDependency", field: "issue_id", code: "custom", message: "An issue cannot block itself" }]);
  if (blocked.blockedBy.includes(blocking.number)) {
    throw new ApiError(422, "Validation Failed", [{ resource: "IssueDependency", field: "issue_id", code: "custom", message: "Dependency already exists" }]);
  }
  blocked.blockedBy.push(blocking.number);
  touched(blocked, blocking);
  dependencyEvents(world, repo, blocked, blocking, actor, true);
  return blocked;
}

export function removeBlockedBy(world: World, repo: Repo, number: number, actor: Account, issueId: number): Issue {
  const blocked = issueByNumber(repo, number);
  world.requirePermission(repo, actor, "triage", "remove issue dependencies");
  const blocking = issueById(repo, issueId);
  const index = blocked.blockedBy.indexOf(blocking.number);
  if (index < 0) throw notFound();
  blocked.blockedBy.splice(index, 1);
  touched(blocked, blocking);
  dependencyEvents(world, repo, blocked, blocking, actor, false);
  return blocked;
}

/** The issues `number` blocks, in issue order. */
export function blocking(repo: Repo, number: number): Issue[] {
  issueByNumber(repo, number);
  return [...repo.issues.values()].filter((issue) => issue.blockedBy.includes(number));
}

export function subIssuesOf(repo: Repo, number: number): Issue[] {
  return issueByNumber(repo, number).subIssues.map((child) => repo.issues.get(child)!);
}

export function blockedByOf(repo: Repo, number: number): Issue[] {
  return issueByNumber(repo, number).blockedBy.map((other) => repo.issues.get(other)!);
}
