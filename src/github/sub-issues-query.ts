/**
 * The epic's sub-issues, read inside the snapshot's one GraphQL query (no request per child):
 * what each says (title, body), whether it is open, who wrote and changed that text (its author,
 * the editors of its body and the renamers of its title, to judge it like the epic's own text),
 * and its newest comments (context from people with write access, and commands). GitHub allows
 * at most 100 sub-issues per issue, so one page holds them all, in their priority order.
 */

/** GitHub's limit of sub-issues per issue: the page that holds every one. */
export const SUB_ISSUES_PAGE = 100;
/** Edits and renames read per sub-issue; a child with more is judged unknown (held), never trusted. */
export const CHILD_EDIT_WINDOW = 10;
/** Comments read per sub-issue. */
export const CHILD_COMMENT_WINDOW = 10;

/** The field the snapshot's issue asks for; the fragment goes with the query. */
export const SUB_ISSUES_FIELD = `subIssues(first: ${SUB_ISSUES_PAGE}) { totalCount nodes { ...ChildIssue } }`;

export const CHILD_ISSUE_FRAGMENT = `fragment ChildIssue on Issue {
  id
  databaseId
  number
  url
  title
  body
  state
  stateReason
  lastEditedAt
  author { __typename login }
  userContentEdits(last: ${CHILD_EDIT_WINDOW}) { totalCount nodes { editor { __typename login } } }
  timelineItems(itemTypes: [RENAMED_TITLE_EVENT], last: ${CHILD_EDIT_WINDOW}) { totalCount nodes { ... on RenamedTitleEvent { actor { __typename login } } } }
  comments(last: ${CHILD_COMMENT_WINDOW}) { nodes { databaseId body createdAt author { __typename login } } }
}`;

export interface GqlActorRef {
  __typename: string;
  login: string;
}

export interface GqlChildIssue {
  id: string;
  databaseId: number;
  number: number;
  /** Absent in fixtures that predate reading it. */
  url?: string;
  title: string;
  body: string;
  state: "OPEN" | "CLOSED";
  stateReason: "COMPLETED" | "NOT_PLANNED" | "REOPENED" | "DUPLICATE" | null;
  lastEditedAt?: string | null;
  author: GqlActorRef | null;
  userContentEdits: { totalCount: number; nodes: Array<{ editor: GqlActorRef | null }> } | null;
  timelineItems: { totalCount: number; nodes: Array<{ actor?: GqlActorRef | null }> };
  comments: { nodes: Array<{ databaseId: number; body: string; createdAt?: string; author: GqlActorRef | null }> };
}

export interface GqlSubIssues {
  totalCount: number;
  nodes: GqlChildIssue[];
}

/** A person or an app as GitHub's history names them; null: an account GitHub no longer knows. */
export interface ActorRead {
  login: string;
  bot: boolean;
}

/** A sub-issue as read: its text and who stands behind it. */
export interface ChildRead {
  number: number;
  /** GraphQL node id and REST database id (the sub-issue API's `sub_issue_id`). */
  nodeId: string;
  databaseId: number;
  title: string;
  body: string;
  state: "open" | "closed";
  stateReason: "completed" | "not_planned" | "reopened" | null;
  /** When its text was last edited (ISO 8601), if ever. */
  editedAt?: string;
  author: ActorRead | null;
  /** Everyone who edited the body or renamed the title; `complete` is false when there were more than were read. */
  changedBy: Array<ActorRead | null>;
  complete: boolean;
  comments: Array<{ id: number; body: string; createdAt?: string; author: ActorRead | null }>;
}

function actor(node: GqlActorRef | null | undefined): ActorRead | null {
  return node ? { login: node.login, bot: node.__typename === "Bot" || node.login.endsWith("[bot]") } : null;
}

/**
 * Sub-issues may live in another repository of the same owner; their numbers are not this
 * repository's, and their work not this epic's to run: only this repository's are read.
 */
export function inRepository(node: Pick<GqlChildIssue, "url">, nameWithOwner: string): boolean {
  if (!node.url) return true;
  const path = node.url.replace(/^[a-z]+:\/\/[^/]+/i, "").toLowerCase();
  return path.startsWith(`/${nameWithOwner.toLowerCase()}/issues/`);
}

export function toChildRead(node: GqlChildIssue): ChildRead {
  const edits = node.userContentEdits ?? { totalCount: 0, nodes: [] };
  const renames = node.timelineItems;
  const reason = node.stateReason === "DUPLICATE" ? "not_planned" : node.stateReason;
  return {
    number: node.number,
    nodeId: node.id,
    databaseId: node.databaseId,
    title: node.title,
    body: node.body,
    state: node.state === "OPEN" ? "open" : "closed",
    stateReason: reason === null ? null : (reason.toLowerCase() as ChildRead["stateReason"]),
    ...(node.lastEditedAt ? { editedAt: node.lastEditedAt } : {}),
    author: actor(node.author),
    changedBy: [...edits.nodes.map((edit) => actor(edit.editor)), ...renames.nodes.map((rename) => actor(rename.actor))],
    complete: edits.totalCount <= edits.nodes.length && renames.totalCount <= renames.nodes.length,
    comments: node.comments.nodes.map((comment) => ({
      id: comment.databaseId,
      body: comment.body,
      ...(comment.createdAt ? { createdAt: comment.createdAt } : {}),
      author: actor(comment.author),
    })),
  };
}

/** The epic's sub-issue removals read, newest last: a removal just seen is among them. */
export const REMOVAL_WINDOW = 50;

const ACTOR = "actor { __typename login }";

/**
 * Who made the changes that skip a task: the epic's newest sub-issue removals and, per closed
 * child, its newest close (with the reason it was closed as). One query, asked only when a pass
 * sees a child gone or closed under a task that has not ended (not every pass).
 */
export function buildChildHistoryQuery(removed: boolean, closedCount: number): string {
  const variables = ["$owner: String!", "$repo: String!"];
  const fields: string[] = [];
  if (removed) {
    variables.push("$issue: Int!");
    fields.push(
      `    removals: issue(number: $issue) { timelineItems(itemTypes: [SUB_ISSUE_REMOVED_EVENT], last: ${REMOVAL_WINDOW}) { nodes { ... on SubIssueRemovedEvent { createdAt ${ACTOR} subIssue { number url } } } } }`,
    );
  }
  for (let i = 0; i < closedCount; i++) {
    variables.push(`$c${i}: Int!`);
    fields.push(`    c${i}: issue(number: $c${i}) { timelineItems(itemTypes: [CLOSED_EVENT], last: 1) { nodes { ... on ClosedEvent { createdAt stateReason ${ACTOR} } } } }`);
  }
  return `query OrchestraChildHistory(${variables.join(", ")}) {
  repository(owner: $owner, name: $repo) {
    nameWithOwner
${fields.join("\n")}
  }
}`;
}

interface GqlHistoryEvent {
  createdAt: string;
  actor: GqlActorRef | null;
  stateReason?: GqlChildIssue["stateReason"];
  subIssue?: { number: number; url?: string } | null;
}

interface GqlTimeline {
  timelineItems: { nodes: GqlHistoryEvent[] };
}

export interface GqlChildHistory {
  repository: ({ nameWithOwner: string; removals?: GqlTimeline | null } & { [alias: `c${number}`]: GqlTimeline | null | undefined }) | null;
}

/** A change as GitHub's history records it: who (null: an account GitHub no longer knows) and when. */
export interface ChangeRecord {
  actor: ActorRead | null;
  at: string;
}

export interface ChildHistory {
  /** The newest removal of each child from the epic. */
  removed: Map<number, ChangeRecord>;
  /** The newest close of each closed child asked about, with the reason it was closed as. */
  closed: Map<number, ChangeRecord & { reason: "completed" | "not_planned" | null }>;
}

export function toChildHistory(data: GqlChildHistory, closed: readonly number[]): ChildHistory {
  const history: ChildHistory = { removed: new Map(), closed: new Map() };
  const repository = data.repository;
  if (!repository) return history;
  // Oldest first: the newest removal of a child is the one that counts.
  for (const node of repository.removals?.timelineItems.nodes ?? []) {
    if (!node.subIssue || !inRepository(node.subIssue, repository.nameWithOwner)) continue;
    history.removed.set(node.subIssue.number, { actor: actor(node.actor), at: node.createdAt });
  }
  closed.forEach((number, i) => {
    const node = repository[`c${i}`]?.timelineItems.nodes.at(-1);
    if (!node?.createdAt) return;
    const reason = node.stateReason === "COMPLETED" ? "completed" : node.stateReason === "NOT_PLANNED" || node.stateReason === "DUPLICATE" ? "not_planned" : null;
    history.closed.set(number, { actor: actor(node.actor), at: node.createdAt, reason });
  });
  return history;
}
