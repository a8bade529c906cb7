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

  it("adds a blocked-by link, takes 'already exists' as done, and returns any other refusal in GitHub's words", async () => {
    const refusal = (message: string) => ({ message: "Validation Failed", errors: [{ resource: "IssueDependency", field: "issue_id", code: "custom", message }] });
    const scope = nock(API)
      .post(`${REPO_PATH}/issues/7/dependencies/blocked_by`, { issue_id: 5003 })
      .reply(201, issue(7))
      .post(`${REPO_PATH}/issues/7/dependencies/blocked_by`, { issue_id: 5003 })
      .reply(422, refusal("Dependency already exists"))
      .post(`${REPO_PATH}/issues/7/dependencies/blocked_by`, { issue_id: 5003 })
      .reply(422, refusal("Adding this dependency would create a cycle"))
      .post(`${REPO_PATH}/issues/7/dependencies/blocked_by`, { issue_id: 5003 })
      .reply(403, { message: "Resource not accessible by integration" });
    expect(await gateway().addBlockedBy(7, 5003)).toBeUndefined();
    expect(await gateway().addBlockedBy(7, 5003)).toBeUndefined();
    expect(await gateway().addBlockedBy(7, 5003)).toEqual({ refused: "Validation Failed: Adding this dependency would create a cycle" });
    await expect(gateway().addBlockedBy(7, 5003)).rejects.toMatchObject({ status: 403 });
    expect(scope.isDone()).toBe(true);
  });

  it("reads who removed children from the epic and who closed others, in one query, asking only what it needs", async () => {
    const queries: Array<{ query: string; variables: Record<string, unknown> }> = [];
    const actor = (login: string, typename = "User") => ({ __typename: typename, login });
    const scope = nock(API)
      .post("/graphql", (body) => (queries.push(body), true))
      .reply(200, {
        data: {
          repository: {
            nameWithOwner: `${OWNER}/${NAME}`,
            removals: {
              timelineItems: {
                nodes: [
                  { createdAt: "2026-01-01T00:00:00Z", actor: actor("alice"), subIssue: { number: 3, url: `https://github.com/${OWNER}/${NAME}/issues/3` } },
                  { createdAt: "2026-01-02T00:00:00Z", actor: actor("mallory"), subIssue: { number: 3, url: `https://github.com/${OWNER}/${NAME}/issues/3` } },
                  { createdAt: "2026-01-02T00:00:00Z", actor: actor("alice"), subIssue: { number: 4, url: `https://github.com/${OWNER}/other/issues/4` } },
                  { createdAt: "2026-01-03T00:00:00Z", actor: null, subIssue: null },
                ],
              },
            },
            c0: { timelineItems: { nodes: [{ createdAt: "2026-01-04T00:00:00Z", stateReason: "DUPLICATE", actor: actor("orchestra[bot]", "Bot") }] } },
            c1: { timelineItems: { nodes: [] } },
          },
        },
      })
      .post("/graphql", (body) => (queries.push(body), true))
      .reply(200, { data: { repository: { nameWithOwner: `${OWNER}/${NAME}`, c0: { timelineItems: { nodes: [] } } } } });
    const history = await gateway().childHistory(1, true, [5, 6]);
    expect([...history.removed]).toEqual([[3, { actor: { login: "mallory", bot: false }, at: "2026-01-02T00:00:00Z" }]]);
    expect([...history.closed]).toEqual([[5, { actor: { login: "orchestra[bot]", bot: true }, at: "2026-01-04T00:00:00Z", reason: "not_planned" }]]);
    expect(queries[0]!.variables).toEqual({ owner: OWNER, repo: NAME, issue: 1, c0: 5, c1: 6 });
    expect(queries[0]!.query).toContain("timelineItems(itemTypes: [SUB_ISSUE_REMOVED_EVENT]");
    expect(queries[0]!.query).toContain("... on ClosedEvent { createdAt stateReason");

    await gateway().childHistory(1, false, [5]);
    expect(queries[1]!.variables).toEqual({ owner: OWNER, repo: NAME, c0: 5 });
    expect(queries[1]!.query).not.toContain("removals");
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
