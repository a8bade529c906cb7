import { LRUCache } from "lru-cache";
import type { Octokit } from "./gateway.js";

/**
 * Several writes of one epic in one GraphQL request. GitHub runs a document's mutations one
 * after the other, in order, each with its own result or error; its throttle spaces requests,
 * not mutations. So the writes that go out together (the body, the status comment, a merged
 * branch's deletion, the completion comment and closing the issue) cost one request, not five.
 */
export type WriteOp =
  | { kind: "update-issue"; issueId: string; body: string }
  /** Closed as completed. */
  | { kind: "close-issue"; issueId: string }
  | { kind: "add-comment"; subjectId: string; body: string }
  | { kind: "update-comment"; commentId: string; body: string }
  | { kind: "delete-ref"; refId: string }
  | { kind: "add-reaction"; subjectId: string; content: "rocket" | "confused" };

/** `commentId`: the database id of a comment an `add-comment` created. */
export type WriteOutcome = { ok: true; commentId?: number } | { ok: false; error: BatchWriteError };

/**
 * A mutation GitHub refused, shaped like the REST error the same write would have had (`status`),
 * so that the callers' handling of 404/403/422 and of rate limits stays the same.
 */
export class BatchWriteError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** GitHub's GraphQL error type (NOT_FOUND, FORBIDDEN, UNPROCESSABLE, RATE_LIMITED…), when it gave one. */
    readonly type?: string,
  ) {
    super(message);
    this.name = "BatchWriteError";
  }

  get rateLimited(): boolean {
    return this.type === "RATE_LIMITED" || ((this.status === 403 || this.status === 429) && /rate limit/i.test(this.message));
  }
}

export const WRITE_OPERATION = "OrchestraWritesMutation";

const MUTATIONS: Record<WriteOp["kind"], { field: string; input: string; select: string }> = {
  "update-issue": { field: "updateIssue", input: "UpdateIssueInput", select: "clientMutationId" },
  "close-issue": { field: "closeIssue", input: "CloseIssueInput", select: "clientMutationId" },
  "add-comment": { field: "addComment", input: "AddCommentInput", select: "commentEdge { node { databaseId } }" },
  "update-comment": { field: "updateIssueComment", input: "UpdateIssueCommentInput", select: "clientMutationId" },
  "delete-ref": { field: "deleteRef", input: "DeleteRefInput", select: "clientMutationId" },
  "add-reaction": { field: "addReaction", input: "AddReactionInput", select: "clientMutationId" },
};

function inputOf(op: WriteOp): Record<string, unknown> {
  switch (op.kind) {
    case "update-issue":
      return { id: op.issueId, body: op.body };
    case "close-issue":
      return { issueId: op.issueId, stateReason: "COMPLETED" };
    case "add-comment":
      return { subjectId: op.subjectId, body: op.body };
    case "update-comment":
      return { id: op.commentId, body: op.body };
    case "delete-ref":
      return { refId: op.refId };
    case "add-reaction":
      return { subjectId: op.subjectId, content: op.content.toUpperCase() };
  }
}

/** The document and its variables: mutation `i` under alias `w<i>`, its input in `$i<i>`. */
export function buildWriteDocument(ops: WriteOp[]): { query: string; variables: Record<string, unknown> } {
  const variables: Record<string, unknown> = {};
  const declarations: string[] = [];
  const fields: string[] = [];
  ops.forEach((op, i) => {
    const mutation = MUTATIONS[op.kind];
    declarations.push(`$i${i}: ${mutation.input}!`);
    fields.push(`  w${i}: ${mutation.field}(input: $i${i}) { ${mutation.select} }`);
    variables[`i${i}`] = inputOf(op);
  });
  return { query: `mutation ${WRITE_OPERATION}(${declarations.join(", ")}) {\n${fields.join("\n")}\n}`, variables };
}

/** GitHub's GraphQL error types, as the status the same refusal has over REST. */
const STATUS_OF_TYPE: Record<string, number> = {
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 403,
  INSUFFICIENT_SCOPES: 403,
};

interface GqlError {
  message?: string;
  type?: string;
  path?: Array<string | number>;
}

function toError(error: GqlError): BatchWriteError {
  const type = error.type;
  return new BatchWriteError(error.message ?? "GitHub refused the write", (type ? STATUS_OF_TYPE[type] : undefined) ?? 500, type);
}

/** The whole request failed (HTTP 403/429 for a secondary rate limit, a 5xx, the network): every write failed with it. */
function requestError(error: unknown): BatchWriteError {
  const status = (error as { status?: number }).status ?? 500;
  const data = (error as { response?: { data?: { message?: unknown } } }).response?.data;
  const message = typeof data?.message === "string" ? data.message : (error as Error).message ?? String(error);
  return new BatchWriteError(message, status);
}

/**
 * Sends `ops` in one request; one outcome per op, in order. Never throws: a refusal of one write
 * is that write's outcome, and a failed request is every write's outcome.
 */
export async function sendWriteBatch(octokit: Octokit, ops: WriteOp[]): Promise<WriteOutcome[]> {
  if (ops.length === 0) return [];
  const { query, variables } = buildWriteDocument(ops);
  let data: Record<string, unknown> | null | undefined;
  let errors: GqlError[] = [];
  try {
    // No retry of the whole document: a write that went through must not be sent twice.
    data = await octokit.graphql<Record<string, unknown>>(query, { ...variables, request: { retries: 0 } });
  } catch (error) {
    const partial = error as { data?: Record<string, unknown> | null; errors?: GqlError[] };
    if (!Array.isArray(partial.errors)) {
      const failed = requestError(error);
      return ops.map(() => ({ ok: false, error: failed }));
    }
    data = partial.data;
    errors = partial.errors;
  }
  // An error without a path (the document itself, or a rate limit) is every write's.
  const general = errors.find((error) => !error.path?.length);
  return ops.map((op, i): WriteOutcome => {
    const own = errors.find((error) => error.path?.[0] === `w${i}`);
    if (own) return { ok: false, error: toError(own) };
    const result = data?.[`w${i}`] as { commentEdge?: { node?: { databaseId?: number } } } | null | undefined;
    if (result === null || result === undefined) return { ok: false, error: general ? toError(general) : new BatchWriteError("GitHub answered nothing for the write", 500) };
    const commentId = result.commentEdge?.node?.databaseId;
    return op.kind === "add-comment" && commentId !== undefined ? { ok: true, commentId } : { ok: true };
  });
}

/**
 * GraphQL node ids of the comments Orchestra wrote (REST answers them as `node_id`), by
 * repository and database id: the status comment's edit can then ride in a batch without a read.
 * Bounded; a forgotten id only means that edit goes alone, over REST.
 */
const commentNodeIds = new LRUCache<string, string>({ max: 10_000 });

export function rememberCommentNodeId(repository: string, commentId: number, nodeId: string | undefined): void {
  if (nodeId) commentNodeIds.set(`${repository.toLowerCase()}#${commentId}`, nodeId);
}

export function commentNodeId(repository: string, commentId: number): string | undefined {
  return commentNodeIds.get(`${repository.toLowerCase()}#${commentId}`);
}
