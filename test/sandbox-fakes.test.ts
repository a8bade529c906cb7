/**
 * The sandbox's fakes answer like the services they stand in for: requests are judged by
 * GitHub's own OpenAPI description, responses fit GitHub's documented schemas, GraphQL runs the
 * app's real snapshot query, webhooks are signed and shaped like GitHub's and Cursor's, and the
 * fake planner's answers pass the app's own plan parser.
 */
import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { verify } from "@octokit/webhooks-methods";
import fc from "fast-check";
import OpenAI from "openai";
import { ProbotOctokit } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox } from "../sandbox/index.js";
import type { Sandbox } from "../sandbox/index.js";
import { planTasks, readPlanningPrompt } from "../sandbox/openai/plan.js";
import { GitHubGateway } from "../src/github/gateway.js";
import { buildSnapshotQuery } from "../src/github/snapshot-query.js";
import type { GqlSnapshot } from "../src/github/snapshot-query.js";
import { parseAuditAnswer } from "../src/llm/audit-output.js";
import { parsePlanAnswer } from "../src/llm/plan-output.js";
import { AUDIT_SYSTEM_PROMPT, renderAuditPrompt } from "../src/llm/prompts/audit-v1.js";

const REPO = "octo-org/demo";
const [OWNER, NAME] = ["octo-org", "demo"] as const;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A stand-in for the app's HTTP server: records every POST and answers 200. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Received[]; next(path: string, count?: number): Promise<Received[]> }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url,
    received,
    async next(path, count = 1) {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const matching = received.filter((entry) => entry.path === path);
        if (matching.length >= count) return matching;
        if (Date.now() > deadline) throw new Error(`no ${count} deliveries to ${path} in time`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}

async function until<T>(read: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

type Payload = Record<string, unknown>;
const examples = createRequire(import.meta.url)("@octokit/webhooks-examples") as Array<{ name: string; examples: Payload[] }>;

/** The real example payload for an event and action (any of the event when the action has none). */
function exampleOf(event: string, action: string): Payload {
  const definition = examples.find((entry) => entry.name === event)!;
  return definition.examples.find((entry) => entry.action === action) ?? definition.examples[0]!;
}

let sandbox: Sandbox;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let octokit: InstanceType<typeof ProbotOctokit>;
let epic: number;

beforeAll(async () => {
  sandbox = await startSandbox({ ciDelayMs: 30, agentDelayMs: 10, validateResponses: true });
  receiver = await startReceiver();
  sandbox.setAppUrl(receiver.url);
  const github = sandbox.github;
  github.createRepo(REPO, {
    ownerType: "Organization",
    files: { "README.md": "# demo\n", "package.json": '{ "name": "demo" }\n', "src/index.ts": "export {};\n" },
  });
  const installationId = github.installApp(OWNER);
  github.addCollaborator(REPO, "alice", "admin");
  github.addCollaborator(REPO, "carol", "triage");
  epic = github.openIssue(REPO, "alice", { title: "Build a todo app", body: "- Add the model\n- Add the API after the model", labels: ["epic"] });
  const Octokit = ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } });
  octokit = new Octokit({
    auth: { appId: Number(sandbox.env.APP_ID), privateKey: sandbox.env.PRIVATE_KEY!, installationId },
    baseUrl: `${sandbox.env.GHE_PROTOCOL}://${sandbox.env.GHE_HOST}/api/v3`,
  });
});

afterAll(async () => {
  await sandbox?.stop();
  await new Promise((resolve) => receiver?.server.close(resolve));
});

describe("fake GitHub REST", () => {
  it("serves a valid request and announces the change with a webhook from the app's bot", async () => {
    const { status, data } = await octokit.rest.issues.createComment({ owner: OWNER, repo: NAME, issue_number: epic, body: "Planning…" });
    expect(status).toBe(201);
    expect(data).toMatchObject({ body: "Planning…", user: { login: "orchestra[bot]", type: "Bot" } });
    expect(sandbox.github.comments(REPO, epic).map((comment) => comment.body)).toEqual(["Planning…"]);

    const [delivery] = await receiver.next("/api/github/webhooks", 3);
    expect(delivery).toBeDefined();
    const created = receiver.received.map((entry) => JSON.parse(entry.body)).find((payload) => payload.comment?.body === "Planning…");
    expect(created).toMatchObject({ action: "created", sender: { login: "orchestra[bot]", type: "Bot" }, issue: { number: epic } });
  });

  it("answers 422 Validation Failed for a body that breaks the operation's schema, and records it", async () => {
    const before = sandbox.github.validationErrors.length;
    const error = await octokit
      .request("POST /repos/{owner}/{repo}/issues/{issue_number}/reactions", { owner: OWNER, repo: NAME, issue_number: epic, content: "thumbs-up" } as never)
      .catch((caught: { status: number; response: { data: unknown } }) => caught);
    expect(error).toMatchObject({ status: 422, response: { data: { message: "Validation Failed", errors: [{ field: "content", code: "invalid" }] } } });
    expect(sandbox.github.validationErrors.slice(before)).toMatchObject([
      { operation: "POST /repos/{owner}/{repo}/issues/{issue_number}/reactions", status: 422 },
    ]);
  });

  it("answers 404 Not Found for a route GitHub does not have", async () => {
    const error = await octokit
      .request("GET /repos/{owner}/{repo}/no-such-thing", { owner: OWNER, repo: NAME })
      .catch((caught: { status: number; response: { data: unknown } }) => caught);
    expect(error).toMatchObject({ status: 404, response: { data: { message: "Not Found" } } });
    expect(sandbox.github.unknownRoutes).toContain(`GET /repos/${OWNER}/${NAME}/no-such-thing`);
  });

  it("answers 400 for a body that is not JSON", async () => {
    const { token } = (await octokit.auth({ type: "installation" })) as { token: string };
    const response = await fetch(`${sandbox.github.apiUrl}/repos/${REPO}/issues/${epic}/comments`, {
      method: "POST",
      headers: { authorization: `token ${token}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ message: "Problems parsing JSON" });
  });

  it("reads config files raw, lists the root and reports collaborator permissions like GitHub", async () => {
    const readme = await octokit.rest.repos.getContent({ owner: OWNER, repo: NAME, path: "README.md", mediaType: { format: "raw" } });
    expect(readme.data).toBe("# demo\n");
    const missing = await octokit.rest.repos
      .getContent({ owner: OWNER, repo: ".github", path: ".github/orchestra.yml" })
      .catch((caught: { status: number }) => caught);
    expect(missing).toMatchObject({ status: 404 });
    const root = await octokit.rest.repos.getContent({ owner: OWNER, repo: NAME, path: "" });
    expect((root.data as Array<{ name: string; type: string }>).map((entry) => `${entry.type}:${entry.name}`)).toEqual([
      "file:package.json",
      "file:README.md",
      "dir:src",
    ]);
    const triage = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: OWNER, repo: NAME, username: "carol" });
    // GitHub folds triage into "read" and maintain into "write"; role_name keeps the detail.
    expect(triage.data).toMatchObject({ permission: "read", role_name: "triage" });
  });

  it("refuses a merge at a stale sha with 409, merges at the head sha, then answers 405", async () => {
    const github = sandbox.github;
    github.addCollaborator(REPO, "dev", "write");
    const first = github.pushCommit(REPO, "feature/merge", { files: { "a.txt": "1" }, message: "one", as: "dev" });
    const pr = github.openPull(REPO, "dev", { head: "feature/merge", title: "Merge me", body: "Part of #1" });
    const head = github.pushCommit(REPO, "feature/merge", { files: { "a.txt": "2" }, message: "two", as: "dev" });

    const stale = await octokit.rest.pulls.merge({ owner: OWNER, repo: NAME, pull_number: pr, sha: first }).catch((caught: { status: number; message: string }) => caught);
    expect(stale).toMatchObject({ status: 409 });
    expect((stale as { message: string }).message).toContain("Head branch was modified");

    const merged = await octokit.rest.pulls.merge({ owner: OWNER, repo: NAME, pull_number: pr, sha: head, merge_method: "squash" });
    expect(merged.data).toMatchObject({ merged: true, message: "Pull Request successfully merged" });
    expect(github.branches(REPO).main).toBe(merged.data.sha);
    expect(github.file(REPO, "a.txt")).toBe("2");
    expect(github.pull(REPO, pr)).toMatchObject({ state: "closed", merged: true, mergedBy: "orchestra[bot]" });
    // "Part of #1" is not a closing keyword: the epic stays open.
    expect(github.issue(REPO, epic).state).toBe("open");

    const again = await octokit.rest.pulls.merge({ owner: OWNER, repo: NAME, pull_number: pr, sha: head }).catch((caught: { status: number }) => caught);
    expect(again).toMatchObject({ status: 405 });
  });

  it("keeps a conflicting PR unmergeable until update-branch, which synchronizes it", async () => {
    const github = sandbox.github;
    github.pushCommit(REPO, "feature/conflict", { files: { "b.txt": "b" }, message: "b", as: "dev" });
    const pr = github.openPull(REPO, "dev", { head: "feature/conflict", title: "Conflicting" });
    github.setConflict(REPO, pr, { resolvable: true });
    const head = github.pull(REPO, pr).headSha;
    await until(() => (github.pull(REPO, pr).mergeable === false ? true : undefined), "mergeability");

    const refused = await octokit.rest.pulls.merge({ owner: OWNER, repo: NAME, pull_number: pr, sha: head }).catch((caught: { status: number }) => caught);
    expect(refused).toMatchObject({ status: 405 });
    const update = await octokit.rest.pulls.updateBranch({ owner: OWNER, repo: NAME, pull_number: pr, expected_head_sha: head });
    expect(update.status).toBe(202);
    const moved = await until(() => (github.pull(REPO, pr).headSha !== head ? github.pull(REPO, pr) : undefined), "branch update");
    await until(() => (github.pull(REPO, pr).mergeable === true ? true : undefined), "mergeability");
    expect(moved.mergeable === null || moved.mergeable === true).toBe(true);
  });
});

describe("fake GitHub checks API and PR files (the audit)", () => {
  it("lists a PR's files with patches, takes the App's check runs with at most 50 annotations a request, and shows the App in GraphQL", async () => {
    const github = sandbox.github;
    const base = { owner: OWNER, repo: NAME };
    github.addCollaborator(REPO, "dev", "write");
    github.pushCommit(REPO, "feature/audit", { files: { "src/index.ts": "export const a = 1;\n", "src/new.ts": "new\n" }, message: "audit me", as: "dev" });
    const pr = github.openPull(REPO, "dev", { head: "feature/audit", title: "Audit me", body: "Part of #1" });
    const head = github.pull(REPO, pr).headSha;
    await github.idle();

    const files = await octokit.rest.pulls.listFiles({ ...base, pull_number: pr, per_page: 1 });
    expect(files.data).toMatchObject([{ filename: "src/index.ts", status: "modified", additions: 1, deletions: 1, patch: "@@ -1,1 +1,1 @@\n-export {};\n+export const a = 1;" }]);
    expect(files.headers.link).toContain('rel="next"');
    const all = await octokit.paginate(octokit.rest.pulls.listFiles, { ...base, pull_number: pr, per_page: 1 });
    expect(all.map((file) => [file.filename, file.status])).toEqual([["src/index.ts", "modified"], ["src/new.ts", "added"]]);

    const annotation = (line: number) => ({ path: "src/new.ts", start_line: line, end_line: line, annotation_level: "warning" as const, message: `m${line}` });
    const tooMany = await octokit.rest.checks
      .create({ ...base, name: "Orchestra audit", head_sha: head, status: "completed", conclusion: "failure", output: { title: "t", summary: "s", annotations: Array.from({ length: 51 }, (_, i) => annotation(i + 1)) } })
      .catch((caught: { status: number }) => caught);
    expect(tooMany).toMatchObject({ status: 422 });
    const created = await octokit.rest.checks.create({ ...base, name: "Orchestra audit", head_sha: head, conclusion: "failure", output: { title: "Changes requested", summary: "- fix", annotations: [annotation(1)] } });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ name: "Orchestra audit", head_sha: head, status: "completed", conclusion: "failure", app: { slug: "orchestra" }, output: { annotations_count: 1 } });
    const updated = await octokit.rest.checks.update({ ...base, check_run_id: created.data.id, output: { title: "Changes requested", summary: "- fix", annotations: [annotation(2)] } });
    expect(updated.data.output.annotations_count).toBe(2);
    const bad = await octokit.rest.checks.create({ ...base, name: "x", head_sha: head, status: "completed" } as never).catch((caught: { status: number }) => caught);
    expect(bad).toMatchObject({ status: 422 });

    const data = await octokit.graphql<{ repository: { pullRequest: { commits: { nodes: Array<{ commit: { statusCheckRollup: { contexts: { nodes: Array<{ name: string; conclusion: string; checkSuite: { app: { databaseId: number; slug: string } } }> } } } }> } } } }>(
      `query($owner: String!, $repo: String!, $number: Int!) { repository(owner: $owner, name: $repo) { pullRequest(number: $number) { commits(last: 1) { nodes { commit { statusCheckRollup { contexts(first: 10) { nodes { ... on CheckRun { name conclusion checkSuite { app { databaseId slug } } } } } } } } } } } }`,
      { owner: OWNER, repo: NAME, number: pr },
    );
    const contexts = data.repository.pullRequest.commits.nodes[0]!.commit.statusCheckRollup.contexts.nodes;
    expect(contexts).toEqual([
      { name: "ci / test", conclusion: "SUCCESS", checkSuite: { app: { databaseId: 15368, slug: "github-actions" } } },
      { name: "Orchestra audit", conclusion: "FAILURE", checkSuite: { app: { databaseId: Number(sandbox.env.APP_ID), slug: "orchestra" } } },
    ]);
    expect(github.pull(REPO, pr).checks.find((check) => check.name === "Orchestra audit")).toMatchObject({ app: "orchestra", sha: head });
  });
});

describe("fake GitHub GraphQL", () => {
  it("answers the app's snapshot query with the issue and the PRs of two branches and their checks", async () => {
    const github = sandbox.github;
    github.addCollaborator(REPO, "dev", "write");
    const b0 = `orchestra/${epic}-t1-a1`;
    const b1 = `orchestra/${epic}-t2-a1`;
    github.pushCommit(REPO, b0, { files: { "t1.txt": "t1" }, message: "t1", as: "dev" });
    github.pushCommit(REPO, b1, { files: { "t2.txt": "t2" }, message: "t2", as: "dev", ciConclusion: "failure" });
    const pr0 = github.openPull(REPO, "dev", { head: b0, title: "T1", body: `Part of #${epic}` });
    const pr1 = github.openPull(REPO, "dev", { head: b1, title: "T2", body: `Part of #${epic}` });
    github.submitReview(REPO, pr1, "alice", { event: "REQUEST_CHANGES", body: "Not yet", comments: [{ path: "t2.txt", line: 1, body: "Why?" }] });
    await github.idle();

    const snapshot = await octokit.graphql<GqlSnapshot>(buildSnapshotQuery(2), { owner: OWNER, repo: NAME, issue: epic, b0, b1 });
    const repository = snapshot.repository!;
    expect(repository.issue).toMatchObject({ number: epic, title: "Build a todo app", state: "OPEN", labels: { nodes: [{ name: "epic" }] } });
    expect(repository.defaultBranchRef).toEqual({ name: "main" });
    const [first] = repository.b0!.nodes;
    const [second] = repository.b1!.nodes;
    expect(first).toMatchObject({ number: pr0, state: "OPEN", merged: false, mergeable: "MERGEABLE", headRefName: b0, headRepository: { nameWithOwner: REPO } });
    expect(first!.commits.nodes[0]!.commit).toMatchObject({
      oid: first!.headRefOid,
      statusCheckRollup: { state: "SUCCESS", contexts: { nodes: [{ __typename: "CheckRun", name: "ci / test", status: "COMPLETED", conclusion: "SUCCESS" }] } },
    });
    expect(second!.commits.nodes[0]!.commit.statusCheckRollup).toMatchObject({
      state: "FAILURE",
      contexts: { nodes: [{ __typename: "CheckRun", conclusion: "FAILURE", title: "1 test failed" }] },
    });
    expect(second!.reviews.nodes).toMatchObject([
      {
        state: "CHANGES_REQUESTED",
        body: "Not yet",
        authorCanPushToRepository: true,
        author: { login: "alice" },
        comments: { nodes: [{ path: "t2.txt", line: 1, body: "Why?" }] },
      },
    ]);
    expect(sandbox.github.requestCount("graphql OrchestraSnapshot")).toBeGreaterThanOrEqual(1);
  });

  it("runs Orchestra's batched writes as one request, each mutation with its own outcome and the webhooks REST would send", async () => {
    const github = sandbox.github;
    const gateway = new GitHubGateway(octokit, { owner: OWNER, repo: NAME });
    github.addCollaborator(REPO, "dev", "write");
    const issue = github.openIssue(REPO, "carol", { title: "Batched", body: "before", labels: ["epic"] });
    const branch = `orchestra/${issue}-t1-a1`;
    github.pushCommit(REPO, branch, { files: { "b.txt": "b" }, message: "b", as: "dev" });
    github.openPull(REPO, "dev", { head: branch, title: "B", body: `Part of #${issue}` });
    const status = await gateway.createComment(issue, "status 1");
    const snapshot = await gateway.readSnapshot(issue, [branch]);
    const refId = snapshot.pulls.get(branch)![0]!.headRefId!;
    const issueId = snapshot.issue!.id;
    await github.idle();
    const before = github.deliveries.length;
    const requests = sandbox.github.requestCount("graphql OrchestraWritesMutation");

    const outcomes = await gateway.writeBatch([
      { kind: "update-issue", issueId, body: "after" },
      { kind: "add-comment", subjectId: issueId, body: "done" },
      { kind: "close-issue", issueId },
      { kind: "update-comment", commentId: gateway.commentNodeId(status)!, body: "status 2" },
      { kind: "delete-ref", refId },
      { kind: "delete-ref", refId },
      { kind: "add-reaction", subjectId: gateway.commentNodeId(status)!, content: "rocket" },
    ]);
    await github.idle();

    expect(outcomes.slice(0, 5).map((outcome) => outcome.ok)).toEqual([true, true, true, true, true]);
    expect(outcomes[1]).toMatchObject({ commentId: expect.any(Number) });
    // The branch is gone by the second deletion: GitHub's NOT_FOUND, as the REST 404 of the same write.
    expect(outcomes[5]).toMatchObject({ ok: false, error: { status: 404, type: "NOT_FOUND" } });
    expect(outcomes[6]).toEqual({ ok: true });
    expect(github.comments(REPO, issue)[0]!.reactions).toEqual([{ content: "rocket", user: github.appBot.login }]);
    expect(sandbox.github.requestCount("graphql OrchestraWritesMutation")).toBe(requests + 1);
    expect(github.issue(REPO, issue)).toMatchObject({ body: "after", state: "closed", stateReason: "completed" });
    expect(github.comments(REPO, issue).map((comment) => comment.body)).toEqual(["status 2", "done"]);
    expect(github.branches(REPO)[branch]).toBeUndefined();
    const sent = github.deliveries.slice(before).map((delivery) => `${delivery.event}.${delivery.action}`);
    expect(sent).toEqual(expect.arrayContaining(["issues.edited", "issue_comment.created", "issues.closed", "issue_comment.edited"]));
  });

  it("keeps the edit history of a body and the renames of a title, and says who edited", async () => {
    const github = sandbox.github;
    const issue = github.openIssue(REPO, "carol", { title: "A wish", body: "first" });
    const gateway = new GitHubGateway(octokit, { owner: OWNER, repo: NAME });
    expect((await gateway.getIssue(issue)).counts).toEqual({ edits: 0, renames: 0 });

    github.editIssueBody(REPO, issue, "second", "carol");
    github.editIssueBody(REPO, issue, "third", "alice");
    github.editIssueTitle(REPO, issue, "A bigger wish", "carol");
    const history = await gateway.readEditHistory(issue);
    // The first edit records the original text too, as GitHub does.
    expect(history.counts).toEqual({ edits: 3, renames: 1 });
    expect(history.edits.map((edit) => edit.actor?.login)).toEqual(["alice", "carol", "carol"]);
    expect(new Set(history.edits.map((edit) => edit.at)).size).toBe(3);
    expect(history.renames).toMatchObject([{ kind: "rename", actor: { login: "carol", bot: false } }]);
    expect((await gateway.getIssue(issue)).counts).toEqual({ edits: 3, renames: 1 });
  });

  it("finds a marked comment only among the ones the App wrote, newest first", async () => {
    const github = sandbox.github;
    const issue = github.openIssue(REPO, "alice", { title: "Markers", body: "" });
    const gateway = new GitHubGateway(octokit, { owner: OWNER, repo: NAME });
    const marker = "<!-- orchestra:status -->";
    github.comment(REPO, issue, `${marker}\nplanted`, "carol");
    expect(await gateway.findComment(issue, marker)).toBeNull();
    const older = await gateway.createComment(issue, `${marker}\nmine`);
    const newer = await gateway.createComment(issue, `${marker}\nmine again`);
    github.comment(REPO, issue, `${marker}\nplanted later`, "carol");
    expect(await gateway.findComment(issue, marker)).toBe(newer);
    expect(newer).not.toBe(older);
  });

  it("answers an invalid query with GitHub-like errors", async () => {
    const error = await octokit.graphql(`query { repository(owner: "${OWNER}", name: "${NAME}") { noSuchField } }`).catch((caught: Error & { errors?: unknown[] }) => caught);
    expect((error as { errors?: Array<{ message: string }> }).errors?.[0]?.message).toContain('Cannot query field "noSuchField" on type "Repository"');
    const missing = await octokit
      .graphql(`query { repository(owner: "${OWNER}", name: "nope") { nameWithOwner } }`)
      .catch((caught: Error & { errors?: unknown[] }) => caught);
    expect((missing as { errors?: unknown[] }).errors).toMatchObject([{ type: "NOT_FOUND", path: ["repository"] }]);
  });
});

describe("fake GitHub webhooks", () => {
  it("delivers signed payloads in the shape of @octokit/webhooks-examples", async () => {
    const github = sandbox.github;
    const count = receiver.received.length;
    github.comment(REPO, epic, "/orchestra start", "alice");
    await github.idle();
    const delivery = receiver.received.slice(count).find((entry) => entry.headers["x-github-event"] === "issue_comment");
    expect(delivery).toBeDefined();
    const { headers, body } = delivery!;
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["x-github-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(await verify(sandbox.env.WEBHOOK_SECRET!, body, String(headers["x-hub-signature-256"]))).toBe(true);

    const payload = JSON.parse(body) as Record<string, Record<string, unknown>>;
    const example = exampleOf("issue_comment", "created");
    for (const key of ["action", "issue", "comment", "repository", "sender"]) expect(payload).toHaveProperty(key);
    for (const key of Object.keys(example.comment as object)) expect(payload.comment).toHaveProperty(key);
    for (const key of Object.keys(example.issue as object)) expect(payload.issue).toHaveProperty(key);
    expect(payload.comment).toMatchObject({ body: "/orchestra start", user: { login: "alice" } });
    expect(payload.sender).toMatchObject({ login: "alice", type: "User" });
    expect(payload.installation).toMatchObject({ id: expect.any(Number) });
    expect(JSON.stringify(payload)).not.toContain("api.github.com");
    expect(github.deliveries.every((entry) => entry.status === 200)).toBe(true);
  });
});

describe("fake Cursor", () => {
  it("refuses requests without the API key and invalid bodies", async () => {
    const cursor = sandbox.cursor;
    expect((await fetch(`${cursor.url}/v0/agents`)).status).toBe(401);
    const invalid = await fetch(`${cursor.url}/v0/agents`, {
      method: "POST",
      headers: { authorization: `Bearer ${sandbox.env.CURSOR_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: { text: "x" }, source: { repository: "x/y" }, target: { autoCreatePR: true } }),
    });
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(await invalid.json())).toContain("autoCreatePR");
  });

  it("runs an agent that opens a PR and sends a signed FINISHED statusChange webhook", async () => {
    const cursor = sandbox.cursor;
    const branchName = `orchestra/${epic}-t3-a1`;
    const launch = await fetch(`${cursor.url}/v0/agents`, {
      method: "POST",
      headers: { authorization: `Bearer ${sandbox.env.CURSOR_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        prompt: { text: `# Add the API\n\nWrite "Part of #${epic}" in the description. Never write "Closes #${epic}".` },
        source: { repository: sandbox.github.htmlUrl(REPO), ref: "main" },
        target: { branchName, autoCreatePr: true },
        webhook: { url: `${receiver.url}/orchestra/cursor`, secret: sandbox.env.CURSOR_WEBHOOK_SECRET },
      }),
    });
    expect(launch.status).toBe(201);
    const agent = (await launch.json()) as { id: string; status: string };
    expect(agent).toMatchObject({ id: expect.stringMatching(/^bc-/), status: "CREATING" });

    const [hook] = await receiver.next("/orchestra/cursor");
    expect(hook!.headers["x-webhook-event"]).toBe("statusChange");
    expect(hook!.headers["x-webhook-id"]).toBeTruthy();
    expect(await verify(sandbox.env.CURSOR_WEBHOOK_SECRET!, hook!.body, String(hook!.headers["x-webhook-signature"]))).toBe(true);
    const payload = JSON.parse(hook!.body) as { event: string; id: string; status: string; target: { prUrl: string; branchName: string } };
    expect(payload).toMatchObject({ event: "statusChange", id: agent.id, status: "FINISHED", target: { branchName } });

    const [pull] = sandbox.github.pullsForBranch(REPO, branchName);
    expect(pull).toMatchObject({ title: "Add the API", state: "open", author: "cursor-dev", htmlUrl: payload.target.prUrl });
    expect(pull!.body).toContain(`Part of #${epic}`);
    expect(pull!.body).not.toMatch(/closes/i);

    const polled = await fetch(`${cursor.url}/v0/agents/${agent.id}`, { headers: { authorization: `Bearer ${sandbox.env.CURSOR_API_KEY}` } });
    expect(await polled.json()).toMatchObject({ status: "FINISHED", target: { prUrl: payload.target.prUrl } });
    const listed = await fetch(`${cursor.url}/v0/agents?prUrl=${encodeURIComponent(payload.target.prUrl)}`, {
      headers: { authorization: `Bearer ${sandbox.env.CURSOR_API_KEY}` },
    });
    expect(((await listed.json()) as { agents: Array<{ id: string }> }).agents.map((entry) => entry.id)).toEqual([agent.id]);
    expect(cursor.requestCount("POST /v0/agents")).toBeGreaterThanOrEqual(1);
    expect(cursor.requestCount("GET /v0/agents/{id}")).toBe(1);
  });
  it("follows the ci-fix scenario named in the prompt: red CI first, a follow-up's commit turns it green", async () => {
    const cursor = sandbox.cursor;
    const github = sandbox.github;
    const branchName = `orchestra/${epic}-t4-a1`;
    const headers = { authorization: `Bearer ${sandbox.env.CURSOR_API_KEY}`, "content-type": "application/json" };
    const launch = await fetch(`${cursor.url}/v0/agents`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        prompt: { text: `# Add the tests [scenario:ci-fix]\n\nPart of #${epic}` },
        source: { repository: github.htmlUrl(REPO) },
        target: { branchName, autoCreatePr: true },
        webhook: { url: `${receiver.url}/orchestra/cursor`, secret: sandbox.env.CURSOR_WEBHOOK_SECRET },
      }),
    });
    const agent = (await launch.json()) as { id: string };
    const before = receiver.received.filter((entry) => entry.path === "/orchestra/cursor").length;
    await receiver.next("/orchestra/cursor", before + 1);
    await github.idle();
    const [pull] = github.pullsForBranch(REPO, branchName);
    expect(pull).toMatchObject({ title: "Add the tests", checks: [{ name: "ci / test", conclusion: "failure" }] });

    const followup = await fetch(`${cursor.url}/v0/agents/${agent.id}/followup`, {
      method: "POST",
      headers,
      body: JSON.stringify({ prompt: { text: "The checks failed. Fix them and push." } }),
    });
    expect(await followup.json()).toEqual({ id: agent.id });
    await receiver.next("/orchestra/cursor", before + 2);
    await github.idle();
    const fixed = github.pull(REPO, pull!.number);
    expect(fixed.headSha).not.toBe(pull!.headSha);
    expect(fixed.checks).toMatchObject([{ conclusion: "success", sha: fixed.headSha }]);
    expect(github.deliveries.some((delivery) => delivery.event === "pull_request" && delivery.action === "synchronize" && delivery.payload.number === pull!.number)).toBe(true);
    expect(cursor.requestCount("POST /v0/agents/{id}/followup")).toBe(1);
  });
});

describe("fake OpenAI", () => {
  it("answers Orchestra's audit prompt with a verdict the app's parser accepts: changes once for a task marked [audit:changes], then approve", async () => {
    const client = new OpenAI({ apiKey: sandbox.env.OPENAI_API_KEY!, baseURL: sandbox.env.OPENAI_BASE_URL!, maxRetries: 0 });
    const prompt = (title: string) =>
      renderAuditPrompt({
        task: { title, details: "Do it." },
        epic: { number: 1, title: "Epic", text: "" },
        pull: { number: 9, body: "Part of #1", changedFiles: 1 },
        files: [{ path: "src/a.ts", status: "added", additions: 1, deletions: 0, patch: "@@ -0,0 +1 @@\n+a" }],
        checks: [],
        maxDiffBytes: 1_000,
      });
    const ask = async (title: string) => {
      const completion = await client.chat.completions.create({
        model: "gpt-4o-mini",
        response_format: { type: "json_object" },
        messages: [
          { role: "system", content: AUDIT_SYSTEM_PROMPT },
          { role: "user", content: prompt(title) },
        ],
      });
      return parseAuditAnswer(completion.choices[0]!.message.content ?? "");
    };
    expect(await ask("Add a [audit:changes]")).toMatchObject({ ok: true, verdict: "changes", findings: [{ file: "src/a.ts", severity: "error" }] });
    expect(await ask("Add a [audit:changes]")).toEqual({ ok: true, verdict: "approve", findings: [] });
    expect(await ask("Add b")).toEqual({ ok: true, verdict: "approve", findings: [] });
  });

  it("returns a chat.completion whose content is a plan made of the issue's bullets", async () => {
    const client = new OpenAI({ apiKey: sandbox.env.OPENAI_API_KEY!, baseURL: sandbox.env.OPENAI_BASE_URL!, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: "gpt-4o-mini",
      response_format: { type: "json_object" },
      messages: [
        { role: "system", content: "You are the planner." },
        {
          role: "user",
          content: "# Epic: Build a todo app\n\n## Description\n\nWe want:\n- Add the todo model\n- Add the REST API after the model\n  with pagination\n\n## Repository\n\n- README.md\n\nPlan at most 10 tasks. Reply with only the JSON object.",
        },
      ],
    });
    expect(completion).toMatchObject({ object: "chat.completion", model: "gpt-4o-mini", choices: [{ finish_reason: "stop", message: { role: "assistant" } }] });
    const plan = JSON.parse(completion.choices[0]!.message.content!) as { tasks: Array<{ id: string; title: string; details: string; deps: string[] }> };
    expect(plan.tasks.map(({ id, title, deps }) => ({ id, title, deps }))).toEqual([
      { id: "t1", title: "Add the todo model", deps: [] },
      { id: "t2", title: "Add the REST API after the model", deps: ["t1"] },
    ]);
    expect(plan.tasks[1]!.details).toContain("with pagination");
    await expect(new OpenAI({ apiKey: "sk-wrong", baseURL: sandbox.env.OPENAI_BASE_URL!, maxRetries: 0 }).models.list()).rejects.toMatchObject({ status: 401 });
  });

  it("plans one task per sentence when the description has no bullets", () => {
    const tasks = planTasks(readPlanningPrompt("# Epic: X\n\n## Description\n\nAdd a login page. Then add logout!\n\nPlan at most 5 tasks."));
    expect(tasks.map((task) => task.title)).toEqual(["Add a login page", "Then add logout"]);
  });

  it("always answers a plan the app's own parser accepts (property)", () => {
    const line = fc.string({ minLength: 0, maxLength: 120 });
    const description = fc.array(fc.oneof(line, line.map((text) => `- ${text}`), line.map((text) => `  ${text}`)), { maxLength: 30 });
    fc.assert(
      fc.property(description, fc.integer({ min: 1, max: 20 }), (lines, maxTasks) => {
        const prompt = `# Epic: Anything\n\n## Description\n\n${lines.join("\n")}\n\nPlan at most ${maxTasks} tasks.`;
        const tasks = planTasks(readPlanningPrompt(prompt));
        const parsed = parsePlanAnswer(JSON.stringify({ tasks }), maxTasks);
        expect(parsed).toMatchObject({ ok: true });
      }),
      { numRuns: 200 },
    );
  });
});

describe("fidelity", () => {
  it("serves every REST operation the app may call", async () => {
    const github = sandbox.github;
    const base = { owner: OWNER, repo: NAME };
    const branch = "feature/sweep";
    const sha = github.pushCommit(REPO, branch, { files: { "s.txt": "s" }, message: "sweep", as: "dev" });
    const pr = github.openPull(REPO, "dev", { head: branch, title: "Sweep" });
    github.submitReview(REPO, pr, "alice", { event: "COMMENT", body: "Note", comments: [{ path: "s.txt", line: 1, body: "Hm" }] });
    github.setCommitStatus(REPO, sha, { context: "lint", state: "success" });
    await github.idle();

    const app = new (ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }))({
      auth: { appId: Number(sandbox.env.APP_ID), privateKey: sandbox.env.PRIVATE_KEY! },
      baseUrl: github.apiUrl,
    });
    expect((await app.rest.apps.getAuthenticated()).data).toMatchObject({ slug: "orchestra" });
    expect((await app.rest.apps.listInstallations()).data).toHaveLength(1);
    expect((await octokit.rest.apps.listReposAccessibleToInstallation()).data.total_count).toBe(1);
    expect((await octokit.rest.repos.get(base)).data).toMatchObject({ full_name: REPO, default_branch: "main" });
    expect((await octokit.rest.repos.getReadme(base)).data).toMatchObject({ path: "README.md", encoding: "base64" });
    expect((await octokit.rest.repos.getContent({ ...base, path: "package.json" })).data).toMatchObject({ type: "file" });

    const opened = await octokit.rest.issues.create({ ...base, title: "Filed by the app", labels: ["bug"] });
    expect(opened.data.labels).toMatchObject([{ name: "bug" }]);
    const updated = await octokit.rest.issues.update({ ...base, issue_number: opened.data.number, body: "edited", state: "closed" });
    expect(updated.data).toMatchObject({ state: "closed", body: "edited", closed_by: { login: "orchestra[bot]" } });
    expect((await octokit.rest.issues.addLabels({ ...base, issue_number: epic, labels: ["orchestra:running"] })).data.map((label) => label.name)).toEqual([
      "epic",
      "orchestra:running",
    ]);
    expect((await octokit.rest.issues.get({ ...base, issue_number: epic })).data).toMatchObject({ number: epic });
    const listed = await octokit.rest.issues.listForRepo({ ...base, labels: "epic", state: "open", per_page: 5 });
    expect(listed.data.map((issue) => issue.number)).toEqual([epic]);
    // The resync's search: an OR of labels within the installation's account, and 304 when nothing changed.
    const q = `is:issue is:open org:${OWNER} label:"epic","feature"`;
    const found = await octokit.rest.search.issuesAndPullRequests({ q, sort: "created", order: "asc", per_page: 100 });
    expect(found.data).toMatchObject({ total_count: 1, incomplete_results: false, items: [{ number: epic }] });
    const again = await octokit.rest.search
      .issuesAndPullRequests({ q, sort: "created", order: "asc", per_page: 100, headers: { "if-none-match": found.headers.etag } })
      .catch((caught: { status: number }) => caught);
    expect(again).toMatchObject({ status: 304 });
    const [comment] = (await octokit.rest.issues.listComments({ ...base, issue_number: epic })).data;
    expect((await octokit.rest.issues.updateComment({ ...base, comment_id: comment!.id, body: "Planned." })).data.body).toBe("Planned.");
    expect((await octokit.rest.reactions.createForIssueComment({ ...base, comment_id: comment!.id, content: "eyes" })).status).toBe(201);
    expect((await octokit.rest.reactions.createForIssueComment({ ...base, comment_id: comment!.id, content: "eyes" })).status).toBe(200);
    expect((await octokit.rest.reactions.createForIssue({ ...base, issue_number: epic, content: "rocket" })).status).toBe(201);

    expect((await octokit.rest.pulls.list({ ...base, head: `${OWNER}:${branch}`, state: "all" })).data.map((pull) => pull.number)).toEqual([pr]);
    expect((await octokit.rest.pulls.get({ ...base, pull_number: pr })).data).toMatchObject({ mergeable: true, mergeable_state: "clean", head: { sha } });
    expect((await octokit.rest.pulls.listReviews({ ...base, pull_number: pr })).data).toMatchObject([{ state: "COMMENTED" }]);
    expect((await octokit.rest.pulls.listReviewComments({ ...base, pull_number: pr })).data).toMatchObject([{ path: "s.txt", body: "Hm" }]);
    expect((await octokit.rest.pulls.createReview({ ...base, pull_number: pr, event: "APPROVE" })).data).toMatchObject({ state: "APPROVED" });
    expect((await octokit.rest.checks.listForRef({ ...base, ref: sha })).data).toMatchObject({ total_count: 1, check_runs: [{ name: "ci / test", conclusion: "success" }] });
    expect((await octokit.rest.checks.listSuitesForRef({ ...base, ref: branch })).data).toMatchObject({ total_count: 1 });
    expect((await octokit.rest.repos.getCombinedStatusForRef({ ...base, ref: sha })).data).toMatchObject({ state: "success", total_count: 1 });
    expect((await octokit.rest.git.getRef({ ...base, ref: `heads/${branch}` })).data.object.sha).toBe(sha);
    expect((await octokit.rest.git.createRef({ ...base, ref: "refs/heads/feature/copy", sha })).status).toBe(201);
    expect((await octokit.rest.git.deleteRef({ ...base, ref: "heads/feature/copy" })).status).toBe(204);
    // Deleting a PR's head branch closes the PR, as on GitHub.
    await octokit.rest.git.deleteRef({ ...base, ref: `heads/${branch}` });
    expect(github.pull(REPO, pr).state).toBe("closed");
    await github.idle();
  });

  it("answered every call in the shape GitHub documents, and sent webhooks with every field of GitHub's examples", async () => {
    await sandbox.github.idle();
    expect(sandbox.github.responseErrors).toEqual([]);
    const sent = new Set<string>();
    for (const delivery of sandbox.github.deliveries) {
      const name = `${delivery.event}.${delivery.action}`;
      sent.add(name);
      const example = exampleOf(delivery.event, delivery.action ?? "");
      for (const [key, value] of Object.entries(example)) {
        if (key === "organization" || key === "enterprise") continue;
        expect(delivery.payload, `${name} lacks ${key}`).toHaveProperty(key);
        if (value && typeof value === "object" && !Array.isArray(value) && key !== "changes") {
          for (const field of Object.keys(value)) expect(delivery.payload[key], `${name} lacks ${key}.${field}`).toHaveProperty(field);
        }
      }
    }
    for (const name of [
      "issues.opened",
      "issues.labeled",
      "issues.edited",
      "issues.closed",
      "issue_comment.created",
      "issue_comment.edited",
      "pull_request.opened",
      "pull_request.synchronize",
      "pull_request.closed",
      "check_run.completed",
      "check_suite.completed",
      "pull_request_review.submitted",
    ]) {
      expect(sent, name).toContain(name);
    }
    const edited = sandbox.github.deliveries.filter((delivery) => delivery.event === "issues" && delivery.action === "edited");
    expect(edited.map((delivery) => delivery.payload.changes)).toContainEqual({ body: { from: "" } });
  });
});
