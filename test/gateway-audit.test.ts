import nock from "nock";
import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { GitHubGateway } from "../src/github/gateway.js";
import { API, NAME, OWNER, REPO_PATH } from "./helpers/nock-world.js";

/** The audit's GitHub calls: the PR's files read page by page only as far as the auditor reads, and the check run. */

function gateway(): GitHubGateway {
  const octokit = new ProbotOctokit({ auth: { token: "ghs_test" }, throttle: { enabled: false }, retry: { enabled: false } });
  return new GitHubGateway(octokit as never, { owner: OWNER, repo: NAME });
}

const file = (i: number, patch: string) => ({
  sha: "0".repeat(40),
  filename: `src/f${i}.ts`,
  status: "modified",
  additions: 1,
  deletions: 1,
  changes: 2,
  blob_url: "https://github.com/x",
  raw_url: "https://github.com/x",
  contents_url: "https://api.github.com/x",
  patch,
});

const page = (n: number, last: boolean) => ({
  Link: [`<${API}${REPO_PATH}/pulls/5/files?per_page=100&page=${n + 1}>; rel="next"`, `<${API}${REPO_PATH}/pulls/5/files?per_page=100&page=3>; rel="last"`].slice(0, last ? 0 : 2).join(", "),
});

describe("GitHubGateway.pullFiles", () => {
  it("follows GitHub's pages until the patches read pass maxBytes, and asks for no page past that", async () => {
    const scope = nock(API)
      .get(`${REPO_PATH}/pulls/5/files`)
      .query({ per_page: "100" })
      .reply(200, Array.from({ length: 100 }, (_, i) => file(i, "x".repeat(10))), page(1, false))
      .get(`${REPO_PATH}/pulls/5/files`)
      .query({ per_page: "100", page: "2" })
      .reply(200, Array.from({ length: 100 }, (_, i) => file(100 + i, "y".repeat(10))), page(2, false));
    const files = await gateway().pullFiles(5, 1_500);
    expect(files).toHaveLength(200);
    expect(files[0]).toEqual({ path: "src/f0.ts", status: "modified", additions: 1, deletions: 1, patch: "x".repeat(10) });
    // Page 3 is never asked for: nock would refuse it.
    expect(scope.isDone()).toBe(true);
  });

  it("reads every page of a small diff", async () => {
    const scope = nock(API)
      .get(`${REPO_PATH}/pulls/5/files`)
      .query({ per_page: "100" })
      .reply(200, [file(0, "a")], page(1, false))
      .get(`${REPO_PATH}/pulls/5/files`)
      .query({ per_page: "100", page: "2" })
      .reply(200, [{ ...file(1, ""), patch: undefined }], page(2, true));
    const files = await gateway().pullFiles(5, 60_000);
    expect(files.map((entry) => entry.path)).toEqual(["src/f0.ts", "src/f1.ts"]);
    expect(files[1]).not.toHaveProperty("patch");
    expect(scope.isDone()).toBe(true);
  });
});

describe("GitHubGateway.createCheckRun", () => {
  it("creates a completed check run at the head with its output and annotations, and adds more in an update", async () => {
    const sent: unknown[] = [];
    const scope = nock(API)
      .post(`${REPO_PATH}/check-runs`, (body) => (sent.push(body), true))
      .reply(201, { id: 77 })
      .patch(`${REPO_PATH}/check-runs/77`, (body) => (sent.push(body), true))
      .reply(200, { id: 77 });
    const annotation = { path: "a.ts", start_line: 1, end_line: 1, annotation_level: "failure" as const, message: "m" };
    const id = await gateway().createCheckRun({ name: "Orchestra audit", headSha: "abc", conclusion: "failure", title: "T", summary: "S", annotations: [annotation] });
    await gateway().addCheckRunAnnotations(id, { title: "T", summary: "S" }, [annotation]);
    expect(sent).toEqual([
      { name: "Orchestra audit", head_sha: "abc", status: "completed", conclusion: "failure", output: { title: "T", summary: "S", annotations: [annotation] } },
      { output: { title: "T", summary: "S", annotations: [annotation] } },
    ]);
    expect(scope.isDone()).toBe(true);
  });
});
