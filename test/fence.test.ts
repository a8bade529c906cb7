import nock from "nock";
import { ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Octokit } from "../src/github/gateway.js";
import { fenceOctokit } from "../src/runtime/fence.js";

const API = "https://api.github.com";

/** A client whose construction registered a slow wrap, as the throttle plugin's queue is. */
function slowClient(waitMs: number): Octokit {
  const octokit = new ProbotOctokit({ auth: { token: "test" }, retry: { enabled: false }, throttle: { enabled: false } });
  octokit.hook.wrap("request", async (request, options) => {
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    return request(options);
  });
  return octokit as unknown as Octokit;
}

describe("fenceOctokit", () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());

  it("checks the lease when a write leaves, after the time it waited in the client's queue", async () => {
    let held = true;
    const octokit = fenceOctokit(slowClient(60), async () => {
      if (!held) throw new Error("lease lost");
    });
    const comment = nock(API).post("/repos/o/r/issues/1/comments").reply(201, { id: 1 });
    const sent = octokit.rest.issues.createComment({ owner: "o", repo: "r", issue_number: 1, body: "x" });
    // The lease is lost while the write waits behind the throttle: it must not go out.
    await new Promise((resolve) => setTimeout(resolve, 20));
    held = false;
    await expect(sent).rejects.toThrow("lease lost");
    expect(comment.isDone()).toBe(false);
  });

  it("lets reads and GraphQL queries through unchecked, and checks GraphQL mutations", async () => {
    let calls = 0;
    const octokit = fenceOctokit(slowClient(0), async () => {
      calls += 1;
    });
    const scope = nock(API)
      .get("/repos/o/r/issues/1")
      .reply(200, { number: 1 })
      .post("/graphql", (body: { query: string }) => body.query.startsWith("query"))
      .reply(200, { data: { viewer: { login: "x" } } })
      .post("/graphql", (body: { query: string }) => body.query.startsWith("mutation"))
      .reply(200, { data: { addComment: { clientMutationId: null } } })
      .patch("/repos/o/r/issues/1")
      .reply(200, { number: 1 });
    await octokit.rest.issues.get({ owner: "o", repo: "r", issue_number: 1 });
    await octokit.graphql("query { viewer { login } }");
    expect(calls).toBe(0);
    await octokit.graphql("mutation { addComment(input: {subjectId: \"x\", body: \"y\"}) { clientMutationId } }");
    await octokit.rest.issues.update({ owner: "o", repo: "r", issue_number: 1, body: "b" });
    expect(calls).toBe(2);
    scope.done();
  });
});
