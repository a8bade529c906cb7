import { describe, expect, it } from "vitest";
import { classifyGitHub, ownTimePerTask, percentile, unionLength } from "../bench/figures.js";

describe("the benchmark's figures", () => {
  it("counts REST and GraphQL once each, writes as non-GET REST and mutations, comments as new issue comments", () => {
    const figures = classifyGitHub({
      "POST /graphql": 5,
      "graphql OrchestraSnapshot": 3,
      "graphql OrchestraStatusMutation": 2,
      "GET /repos/{owner}/{repo}/contents/{path}": 1,
      "PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge": 2,
      "POST /repos/{owner}/{repo}/issues/{issue_number}/comments": 1,
    });
    expect(figures).toMatchObject({ requests: 9, writes: 5, comments: 1 });
  });

  it("counts a batch of mutations as one request and one write, and the comments it adds as comments", () => {
    const figures = classifyGitHub({
      "POST /graphql": 1,
      "graphql OrchestraWritesMutation": 1,
      "mutation updateIssue": 1,
      "mutation addComment": 1,
      "mutation closeIssue": 1,
    });
    expect(figures).toMatchObject({ requests: 1, writes: 1, comments: 1, rest: {} });
  });

  it("subtracts the time agents or CI worked, overlaps once, and only inside the epic's run", () => {
    expect(unionLength([{ from: 0, to: 10 }, { from: 5, to: 15 }, { from: 20, to: 25 }, { from: 21, to: 22 }])).toBe(20);
    // 100 ms of run, 60 of it external (one interval reaching past the end is cut there), 2 tasks.
    expect(ownTimePerTask(1_000, 1_100, [{ from: 1_010, to: 1_040 }, { from: 1_070, to: 1_200 }], 2)).toBe(20);
  });

  it("takes percentiles by nearest rank", () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
  });
});
