import nock from "nock";
import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { classifyMergeRefusal, GitHubGateway } from "../src/github/gateway.js";
import { API, MERGE_REFUSALS, NAME, OWNER, REPO_PATH } from "./helpers/nock-world.js";

/**
 * The merge request as production sends it: Probot's Octokit with its retry plugin on (which
 * repeats 405 and 409 by default). A refusal must reach Orchestra after one request, classified;
 * repeating it is decide()'s call, made only when something changed.
 */

function gateway(): GitHubGateway {
  const octokit = new ProbotOctokit({
    auth: { token: "ghs_test" },
    throttle: { enabled: false },
    // Retries on, with no wait between them, so a retried request would show at once.
    retry: { retryAfterBaseValue: 0 },
  });
  return new GitHubGateway(octokit as never, { owner: OWNER, repo: NAME });
}

describe("GitHubGateway.merge", () => {
  it.each([
    { name: "405 not mergeable", refusal: MERGE_REFUSALS.notMergeable, cause: "not-mergeable" },
    { name: "405 required check", refusal: MERGE_REFUSALS.requiredCheck("ci / e2e"), cause: "blocked" },
    { name: "409 head modified", refusal: MERGE_REFUSALS.headModified, cause: "moved" },
    { name: "403 workflow file", refusal: MERGE_REFUSALS.workflows, cause: "workflows" },
    { name: "422 ruleset", refusal: MERGE_REFUSALS.rulesetCheck("ci / e2e"), cause: "blocked" },
  ])("$name: one request, no retry by Octokit, GitHub's message and the cause returned", async ({ refusal, cause }) => {
    const merge = vi_fn();
    const scope = nock(API)
      .put(`${REPO_PATH}/pulls/7/merge`, merge.match)
      .reply(refusal.status, refusal.body)
      // A retry would take this one.
      .put(`${REPO_PATH}/pulls/7/merge`)
      .reply(200, { sha: "m", merged: true, message: "Pull Request successfully merged" });

    const outcome = await gateway().merge(7, "abc", "squash");

    expect(outcome).toEqual({ merged: false, status: refusal.status, message: refusal.body.message, cause });
    expect(merge.calls).toEqual([{ sha: "abc", merge_method: "squash" }]);
    expect(scope.pendingMocks()).toHaveLength(1);
  });

  it("a 403 for a secondary rate limit is an error for the scheduler's backoff, not a refusal", async () => {
    nock(API)
      .put(`${REPO_PATH}/pulls/7/merge`)
      .reply(403, { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." });
    await expect(gateway().merge(7, "abc", "squash")).rejects.toMatchObject({ status: 403 });
  });

  it.each([
    [405, "Merge commits are not allowed on this repository.", "method"],
    [405, "Squash merges are not allowed on this repository.", "method"],
    [405, "At least 1 approving review is required by reviewers with write access.", "blocked"],
    [405, "Waiting on code owner review from octo-org/core.", "blocked"],
    [403, "Resource not accessible by integration", "forbidden"],
    [422, "Validation Failed", "invalid"],
  ] as const)("classifies %i %s as %s", (status, message, cause) => {
    expect(classifyMergeRefusal(status, message)).toBe(cause);
  });
});

/** A body matcher that records what it saw (nock calls it once per request). */
function vi_fn() {
  const calls: unknown[] = [];
  return {
    calls,
    match: (body: unknown) => {
      calls.push(body);
      return true;
    },
  };
}
