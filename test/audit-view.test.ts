import { describe, expect, it } from "vitest";
import { toPullRequestView } from "../src/github/pull-request-view.js";
import type { GqlPullRequest } from "../src/github/snapshot-query.js";
import { AUDIT_CHECK_NAME } from "../src/orchestration/audit-gate.js";
import { DEFAULT_CONFIG } from "../src/orchestration/config.js";
import { checksNotStarted } from "../src/orchestration/decide-tasks.js";

/** How a PR's checks read with the audit on: Orchestra's own audit (by app id) apart, everything else as before. */

const APP_ID = 4242;
type Rollup = GqlPullRequest["commits"]["nodes"][number]["commit"]["statusCheckRollup"];

function pull(state: string, contexts: Array<Record<string, unknown>>): GqlPullRequest {
  return {
    number: 7,
    url: "https://github.com/o/r/pull/7",
    state: "OPEN",
    merged: false,
    mergeable: "MERGEABLE",
    isDraft: false,
    headRefName: "orchestra/1-t1-a1",
    headRefOid: "abc",
    baseRefName: "main",
    headRepository: { nameWithOwner: "o/r" },
    createdAt: "2026-01-01T00:00:00Z",
    reviews: { nodes: [] },
    commits: { nodes: [{ commit: { oid: "abc", statusCheckRollup: { state, contexts: { nodes: contexts } } as unknown as Rollup } }] },
  };
}

let id = 0;
const run = (name: string, conclusion: string | null, appId: number | null, summary = `${name} summary`) => ({
  __typename: "CheckRun",
  databaseId: ++id,
  name,
  status: conclusion ? "COMPLETED" : "IN_PROGRESS",
  conclusion,
  title: null,
  summary,
  detailsUrl: null,
  checkSuite: { app: appId === null ? null : { databaseId: appId } },
});

describe("Orchestra's own audit check run", () => {
  it("is read as the audit, not as a check: its failure does not turn the PR red", () => {
    const view = toPullRequestView(pull("FAILURE", [run("ci / test", "SUCCESS", 15368), run(AUDIT_CHECK_NAME, "FAILURE", APP_ID, "- **error** fix it")]), "o/r", APP_ID);
    expect(view.checks).toBe("success");
    expect(view.failingChecks).toEqual([]);
    expect(view.audit).toEqual({ passed: false, summary: "- **error** fix it" });
    expect(view.checkResults).toEqual([{ name: "ci / test", result: "success", summary: "ci / test summary" }]);
  });

  it("the newest of several decides", () => {
    const view = toPullRequestView(pull("SUCCESS", [run("ci / test", "SUCCESS", 1), run(AUDIT_CHECK_NAME, "FAILURE", APP_ID), run(AUDIT_CHECK_NAME, "SUCCESS", APP_ID)]), "o/r", APP_ID);
    expect(view.audit?.passed).toBe(true);
  });

  it("alone does not satisfy requireChecks", () => {
    const view = toPullRequestView(pull("SUCCESS", [run(AUDIT_CHECK_NAME, "SUCCESS", APP_ID)]), "o/r", APP_ID);
    expect(view.checks).toBe("none");
    expect(checksNotStarted(view, { ...DEFAULT_CONFIG, audit: { ...DEFAULT_CONFIG.audit, enabled: true } })).toBe(true);
  });

  it("another App's (or a workflow's) run of the same name is an ordinary check, never the audit", () => {
    const foreign = toPullRequestView(pull("SUCCESS", [run("ci / test", "SUCCESS", 15368), run(AUDIT_CHECK_NAME, "SUCCESS", 999)]), "o/r", APP_ID);
    expect(foreign.audit).toBeUndefined();
    expect(foreign.checks).toBe("success");
    expect(foreign.checkResults?.map((check) => check.name)).toEqual(["ci / test", AUDIT_CHECK_NAME]);
    const red = toPullRequestView(pull("FAILURE", [run("ci / test", "SUCCESS", 15368), run(AUDIT_CHECK_NAME, "FAILURE", null)]), "o/r", APP_ID);
    expect(red.checks).toBe("failure");
    expect(red.audit).toBeUndefined();
  });

  it("with the audit off (no app id) the view is as before: no audit, no check results", () => {
    const view = toPullRequestView(pull("SUCCESS", [run("ci / test", "SUCCESS", 1)]), "o/r");
    expect(view).not.toHaveProperty("audit");
    expect(view).not.toHaveProperty("checkResults");
  });
});
