import nock from "nock";
import { ProbotOctokit } from "probot";
import { afterEach, describe, expect, it } from "vitest";
import { GitHubGateway } from "../src/github/gateway.js";
import { buildWriteDocument, type WriteOp } from "../src/github/write-batch.js";
import { API, NAME, OWNER } from "./helpers/nock-world.js";

/**
 * The writes that go out together, in one GraphQL request as production sends it (Probot's
 * Octokit, retries on): each mutation's refusal comes back as that write's outcome, shaped like
 * the REST status the same write would have had; a refused request is every write's outcome.
 */

function gateway(): GitHubGateway {
  const octokit = new ProbotOctokit({ auth: { token: "ghs_test" }, throttle: { enabled: false }, retry: { retryAfterBaseValue: 0 } });
  return new GitHubGateway(octokit as never, { owner: OWNER, repo: NAME });
}

const OPS: WriteOp[] = [
  { kind: "update-issue", issueId: "I_1", body: "the plan" },
  { kind: "add-comment", subjectId: "I_1", body: "done" },
  { kind: "close-issue", issueId: "I_1" },
  { kind: "update-comment", commentId: "IC_9", body: "status" },
  { kind: "delete-ref", refId: "REF_1" },
];

afterEach(() => nock.cleanAll());

describe("GitHubGateway.writeBatch", () => {
  it("sends every write in one request, in order, under aliases, and reads each one's outcome", async () => {
    const bodies: Array<{ query: string; variables: Record<string, unknown> }> = [];
    const scope = nock(API)
      .post("/graphql", (body: { query: string; variables: Record<string, unknown> }) => (bodies.push(body), true))
      .reply(200, {
        data: {
          w0: { clientMutationId: null },
          w1: { commentEdge: { node: { databaseId: 77 } } },
          w2: { clientMutationId: null },
          w3: { clientMutationId: null },
          w4: { clientMutationId: null },
        },
      });

    const outcomes = await gateway().writeBatch(OPS);

    expect(outcomes).toEqual([{ ok: true }, { ok: true, commentId: 77 }, { ok: true }, { ok: true }, { ok: true }]);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.query).toMatch(/^mutation OrchestraWritesMutation\(/);
    expect([...bodies[0]!.query.matchAll(/w(\d): (\w+)\(input: \$i\1\)/g)].map((match) => match[2])).toEqual([
      "updateIssue",
      "addComment",
      "closeIssue",
      "updateIssueComment",
      "deleteRef",
    ]);
    expect(bodies[0]!.variables).toEqual({
      i0: { id: "I_1", body: "the plan" },
      i1: { subjectId: "I_1", body: "done" },
      i2: { issueId: "I_1", stateReason: "COMPLETED" },
      i3: { id: "IC_9", body: "status" },
      i4: { refId: "REF_1" },
    });
    expect(scope.isDone()).toBe(true);
  });

  it.each([
    ["NOT_FOUND", 404],
    ["FORBIDDEN", 403],
    ["UNPROCESSABLE", 422],
    ["RATE_LIMITED", 403],
  ] as const)("one mutation refused with %s: that write fails with status %i, the others succeed", async (type, status) => {
    const scope = nock(API)
      .post("/graphql")
      .reply(200, {
        data: { w0: { clientMutationId: null }, w1: { commentEdge: { node: { databaseId: 5 } } }, w2: { clientMutationId: null }, w3: null, w4: { clientMutationId: null } },
        errors: [{ type, path: ["w3"], message: `refused: ${type}` }],
      });

    const outcomes = await gateway().writeBatch(OPS);

    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true, true, false, true]);
    const refused = outcomes[3]!;
    expect(refused.ok === false && refused.error).toMatchObject({ status, type, message: `refused: ${type}` });
    expect(refused.ok === false && refused.error.rateLimited).toBe(type === "RATE_LIMITED");
    expect(scope.isDone()).toBe(true);
  });

  it("a whole request refused for a secondary rate limit (403) is every write's outcome, sent once", async () => {
    const scope = nock(API)
      .post("/graphql")
      .reply(403, { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." });

    const outcomes = await gateway().writeBatch(OPS.slice(0, 2));

    expect(outcomes).toHaveLength(2);
    for (const outcome of outcomes) expect(outcome.ok === false && outcome.error).toMatchObject({ status: 403, rateLimited: true });
    expect(scope.isDone()).toBe(true);
  });

  it("a server error is not repeated: a write that went through must not be sent twice", async () => {
    const scope = nock(API).post("/graphql").reply(502, { message: "Bad Gateway" }).post("/graphql").reply(200, { data: { w0: { clientMutationId: null } } });

    const outcomes = await gateway().writeBatch(OPS.slice(1, 2));

    expect(outcomes[0]).toMatchObject({ ok: false, error: { status: 502 } });
    expect(scope.pendingMocks()).toHaveLength(1);
  });

  it("an error of the document itself (no path) fails every write", async () => {
    nock(API)
      .post("/graphql")
      .reply(200, { errors: [{ message: "Parse error", extensions: { code: "graphqlParseOrValidationFailed" } }] });

    const outcomes = await gateway().writeBatch(OPS.slice(0, 2));

    expect(outcomes.every((outcome) => !outcome.ok)).toBe(true);
  });

  it("sends nothing for no writes", async () => {
    expect(await gateway().writeBatch([])).toEqual([]);
    expect(buildWriteDocument(OPS.slice(4)).query).toBe("mutation OrchestraWritesMutation($i0: DeleteRefInput!) {\n  w0: deleteRef(input: $i0) { clientMutationId }\n}");
  });
});
