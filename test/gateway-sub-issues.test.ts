import nock from "nock";
import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { GitHubGateway } from "../src/github/gateway.js";
import { API, NAME, OWNER, REPO_PATH } from "./helpers/nock-world.js";

/** The sub-issue calls as production sends them, answered as GitHub answers them. */

function gateway(): GitHubGateway {
  const octokit = new ProbotOctokit({ auth: { token: "ghs_test" }, throttle: { enabled: false }, retry: { enabled: false } });
  return new GitHubGateway(octokit as never, { owner: OWNER, repo: NAME });
}

const issue = (number: number, repo = `${OWNER}/${NAME}`) => ({ number, id: 5000 + number, repository_url: `${API}/repos/${repo}` });

describe("GitHubGateway and sub-issues", () => {
  it("reads every page of a sub-issue's blockers, and only this repository's", async () => {
    const scope = nock(API)
      .get(`${REPO_PATH}/issues/7/dependencies/blocked_by`)
      .query({ per_page: 100 })
      .reply(200, [issue(3), issue(4, "octo-org/other")], { link: `<${API}${REPO_PATH}/issues/7/dependencies/blocked_by?per_page=100&page=2>; rel="next"` })
      .get(`${REPO_PATH}/issues/7/dependencies/blocked_by`)
      .query({ per_page: 100, page: 2 })
      .reply(200, [issue(5)]);
    expect(await gateway().blockedBy(7)).toEqual([3, 5]);
    expect(scope.isDone()).toBe(true);
  });

  it("adds a sub-issue by database id, and takes GitHub's 'already exists' as done, but not other refusals", async () => {
    const bodies: unknown[] = [];
    const scope = nock(API)
      .post(`${REPO_PATH}/issues/1/sub_issues`, (body) => (bodies.push(body), true))
      .reply(201, issue(1))
      .post(`${REPO_PATH}/issues/1/sub_issues`)
      .reply(422, { message: "Validation Failed", errors: [{ resource: "Issue", code: "custom", message: "Sub-issue already exists on this issue" }] })
      .post(`${REPO_PATH}/issues/1/sub_issues`)
      .reply(422, { message: "Validation Failed", errors: [{ resource: "Issue", code: "custom", message: "Sub-issue may only have one parent" }] });
    await gateway().addSubIssue(1, 5009);
    await gateway().addSubIssue(1, 5009);
    await expect(gateway().addSubIssue(1, 5009)).rejects.toMatchObject({ status: 422 });
    expect(bodies).toEqual([{ sub_issue_id: 5009 }]);
    expect(scope.isDone()).toBe(true);
  });

  it("finds the app's own labelled issues, open or closed, newest first", async () => {
    const scope = nock(API)
      .get(`${REPO_PATH}/issues`)
      .query({ creator: "orchestra[bot]", labels: "orchestra", state: "all", sort: "created", direction: "desc", per_page: 100 })
      .reply(200, [{ ...issue(9), body: "b" }, { ...issue(8), body: null, pull_request: {} }]);
    expect(await gateway().issuesBy("orchestra[bot]", "orchestra")).toEqual([{ number: 9, id: 5009, body: "b" }]);
    expect(scope.isDone()).toBe(true);
  });
});

describe("sub-issues in another repository", () => {
  it("are not this repository's: their numbers name other issues", async () => {
    const { inRepository } = await import("../src/github/sub-issues-query.js");
    expect(inRepository({ url: `https://github.com/${OWNER}/${NAME}/issues/3` }, `${OWNER}/${NAME}`)).toBe(true);
    expect(inRepository({ url: `https://github.com/${OWNER}/other/issues/3` }, `${OWNER}/${NAME}`)).toBe(false);
    expect(inRepository({ url: `https://ghe.example/${OWNER}/${NAME}-fork/issues/3` }, `${OWNER}/${NAME}`)).toBe(false);
  });
});
