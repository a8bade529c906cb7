import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_QUERY_LENGTH, openIssueQueries, searchableLabel } from "../src/github/search.js";

describe("the resync's issue search query", () => {
  it.each([
    { account: { login: "octo-org", type: "Organization" }, labels: ["epic"], queries: ['is:issue is:open org:octo-org label:"epic"'] },
    { account: { login: "octocat", type: "User" }, labels: ["epic", "big work"], queries: ['is:issue is:open user:octocat label:"epic","big work"'] },
    { account: { login: "octocat" }, labels: [], queries: [] },
  ])("names every label of $account.login in one OR: $labels", ({ account, labels, queries }) => {
    expect(openIssueQueries(account, labels)).toEqual(queries);
  });

  it("never names a label GitHub could not read back", () => {
    expect(["epic", "big work", "ünïcode"].every(searchableLabel)).toBe(true);
    expect(['say "hi"', "a,b", ""].some(searchableLabel)).toBe(false);
  });

  it("splits the labels over as few queries as GitHub's 256 characters allow, each label in exactly one (property)", () => {
    const label = fc.string({ minLength: 1, maxLength: 50 }).filter(searchableLabel);
    fc.assert(
      fc.property(fc.uniqueArray(label, { maxLength: 40 }), (labels) => {
        const queries = openIssueQueries({ login: "octo-org", type: "Organization" }, labels);
        expect(queries.every((q) => q.length <= MAX_QUERY_LENGTH)).toBe(true);
        const named = queries.flatMap((q) => q.slice(q.indexOf("label:") + 6).slice(1, -1).split('","'));
        expect(named).toEqual(labels);
      }),
    );
  });
});
