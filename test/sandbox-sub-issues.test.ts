/**
 * The fake GitHub models sub-issues and issue dependencies as GitHub does: the REST routes of
 * GitHub's OpenAPI description (judged by it, answers checked against its response schemas),
 * the GraphQL fields of GitHub's schema (`subIssues`, `parent`, `subIssuesSummary`,
 * `stateReason`, `addSubIssue`), and the `sub_issues` / `issue_dependencies` webhooks with the
 * fields GitHub documents for them (openapi-webhooks-types; the examples have none yet).
 */
import { ProbotOctokit } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConditionalRequests } from "../src/github/conditional-requests.js";
import { GitHubGateway } from "../src/github/gateway.js";
import { startSandbox } from "../sandbox/index.js";
import type { Sandbox } from "../sandbox/index.js";

const REPO = "octo-org/subs";
const [OWNER, NAME] = ["octo-org", "subs"] as const;
const base = { owner: OWNER, repo: NAME };

let sandbox: Sandbox;
let octokit: InstanceType<typeof ProbotOctokit>;

beforeAll(async () => {
  sandbox = await startSandbox({ ciDelayMs: 30, agentDelayMs: 10, validateResponses: true });
  const github = sandbox.github;
  github.createRepo(REPO, { ownerType: "Organization" });
  const installationId = github.installApp(OWNER);
  github.addCollaborator(REPO, "alice", "admin");
  github.addCollaborator(REPO, "rita", "read");
  octokit = new (ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }))({
    auth: { appId: Number(sandbox.env.APP_ID), privateKey: sandbox.env.PRIVATE_KEY!, installationId },
    baseUrl: `${sandbox.env.GHE_PROTOCOL}://${sandbox.env.GHE_HOST}/api/v3`,
  });
});

afterAll(async () => {
  await sandbox?.stop();
});

/** The installation token the shared client authenticates with. */
async function installationToken(): Promise<string> {
  const auth = (await octokit.auth({ type: "installation" })) as { token: string };
  return auth.token;
}

async function open(title: string): Promise<{ number: number; id: number; node_id: string }> {
  const { data } = await octokit.rest.issues.create({ ...base, title });
  return data;
}

describe("fake GitHub sub-issues (REST)", () => {
  it("adds sub-issues by database id, lists them in priority order, reprioritizes and removes them", async () => {
    const parent = await open("Epic");
    const [a, b, c] = [await open("A"), await open("B"), await open("C")];
    for (const child of [a, b, c]) {
      const added = await octokit.rest.issues.addSubIssue({ ...base, issue_number: parent.number, sub_issue_id: child.id });
      expect(added.status).toBe(201);
    }
    const list = async () => (await octokit.rest.issues.listSubIssues({ ...base, issue_number: parent.number })).data.map((issue) => issue.number);
    expect(await list()).toEqual([a.number, b.number, c.number]);

    await octokit.rest.issues.reprioritizeSubIssue({ ...base, issue_number: parent.number, sub_issue_id: c.id, before_id: a.id });
    expect(await list()).toEqual([c.number, a.number, b.number]);
    await octokit.rest.issues.reprioritizeSubIssue({ ...base, issue_number: parent.number, sub_issue_id: c.id, after_id: b.id });
    expect(await list()).toEqual([a.number, b.number, c.number]);

    // The number is not the id: GitHub answers 404 for an id it does not know.
    const byNumber = await octokit.rest.issues.addSubIssue({ ...base, issue_number: parent.number, sub_issue_id: 999_999 }).catch((error: { status: number }) => error);
    expect(byNumber).toMatchObject({ status: 404 });
    // One parent per issue; a second parent needs replace_parent.
    const other = await open("Other epic");
    const twice = await octokit.rest.issues.addSubIssue({ ...base, issue_number: other.number, sub_issue_id: a.id }).catch((error: { status: number }) => error);
    expect(twice).toMatchObject({ status: 422 });

    const parentIssue = (await octokit.rest.issues.get({ ...base, issue_number: parent.number })).data as unknown as Record<string, unknown>;
    expect(parentIssue.sub_issues_summary).toEqual({ total: 3, completed: 0, percent_completed: 0 });
    expect(((await octokit.rest.issues.get({ ...base, issue_number: a.number })).data as unknown as Record<string, unknown>).parent_issue_url).toMatch(
      new RegExp(`/issues/${parent.number}$`),
    );

    await octokit.rest.issues.removeSubIssue({ ...base, issue_number: parent.number, sub_issue_id: b.id });
    expect(await list()).toEqual([a.number, c.number]);
    await sandbox.github.idle();
  });

  it("records blocked-by links both ways and refuses a person without triage", async () => {
    const [first, second] = [await open("First"), await open("Second")];
    expect((await octokit.rest.issues.addBlockedByDependency({ ...base, issue_number: second.number, issue_id: first.id })).status).toBe(201);
    expect((await octokit.rest.issues.listDependenciesBlockedBy({ ...base, issue_number: second.number })).data.map((issue) => issue.number)).toEqual([first.number]);
    expect((await octokit.rest.issues.listDependenciesBlocking({ ...base, issue_number: first.number })).data.map((issue) => issue.number)).toEqual([second.number]);
    const summary = ((await octokit.rest.issues.get({ ...base, issue_number: second.number })).data as unknown as Record<string, unknown>).issue_dependencies_summary;
    expect(summary).toEqual({ blocked_by: 1, blocking: 0, total_blocked_by: 1, total_blocking: 0 });
    const again = await octokit.rest.issues.addBlockedByDependency({ ...base, issue_number: second.number, issue_id: first.id }).catch((error: { status: number }) => error);
    expect(again).toMatchObject({ status: 422 });
    await octokit.rest.issues.removeDependencyBlockedBy({ ...base, issue_number: second.number, issue_id: first.id });
    expect(sandbox.github.blockedBy(REPO, second.number)).toEqual([]);

    expect(() => sandbox.github.addBlockedBy(REPO, second.number, first.number, "rita")).toThrow(/triage/);
    expect(() => sandbox.github.addSubIssue(REPO, first.number, second.number, "rita")).toThrow(/triage/);
    await sandbox.github.idle();
  });
});

describe("blocked-by links read again", () => {
  it("cost a 304 while they are unchanged, and show a change at once", async () => {
    const github = sandbox.github;
    const [blocked, blocker] = [github.openIssue(REPO, "alice", { title: "Blocked" }), github.openIssue(REPO, "alice", { title: "Blocker" })];
    const conditional = new ConditionalRequests();
    const client = conditional.apply(new (ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }))({ auth: { token: await installationToken() }, baseUrl: octokit.request.endpoint.DEFAULTS.baseUrl }) as never, 1);
    const gateway = new GitHubGateway(client, base);
    expect(await gateway.blockedBy(blocked)).toEqual([]);
    expect(await gateway.blockedBy(blocked)).toEqual([]);
    expect(conditional.notModified).toBe(1);
    github.addBlockedBy(REPO, blocked, blocker, "alice");
    expect(await gateway.blockedBy(blocked)).toEqual([blocker]);
    expect(conditional.notModified).toBe(1);
    await github.idle();
  });
});

describe("fake GitHub sub-issues (GraphQL)", () => {
  it("reads subIssues, parent, subIssuesSummary and stateReason, and adds a sub-issue with addSubIssue", async () => {
    const github = sandbox.github;
    const parent = github.openIssue(REPO, "alice", { title: "GraphQL epic" });
    const done = github.openIssue(REPO, "alice", { title: "Done child" });
    const dropped = github.openIssue(REPO, "alice", { title: "Dropped child" });
    github.addSubIssue(REPO, parent, done, "alice");
    github.addSubIssue(REPO, parent, dropped, "alice");
    github.closeIssue(REPO, done, "alice");
    github.closeIssue(REPO, dropped, "alice", "not_planned");
    const added = await open("Added by mutation");

    const ids = await octokit.graphql<{ repository: { parent: { id: string }; child: { id: string } } }>(
      `query($owner: String!, $repo: String!, $parent: Int!, $child: Int!) { repository(owner: $owner, name: $repo) { parent: issue(number: $parent) { id } child: issue(number: $child) { id } } }`,
      { owner: OWNER, repo: NAME, parent, child: added.number },
    );
    const mutation = await octokit.graphql<{ addSubIssue: { issue: { number: number }; subIssue: { number: number; parent: { number: number } } } }>(
      `mutation($issueId: ID!, $subIssueId: ID!) { addSubIssue(input: { issueId: $issueId, subIssueId: $subIssueId }) { issue { number } subIssue { number parent { number } } } }`,
      { issueId: ids.repository.parent.id, subIssueId: ids.repository.child.id },
    );
    expect(mutation.addSubIssue).toEqual({ issue: { number: parent }, subIssue: { number: added.number, parent: { number: parent } } });

    const read = await octokit.graphql<{ repository: { issue: Record<string, unknown> } }>(
      `query($owner: String!, $repo: String!, $n: Int!) { repository(owner: $owner, name: $repo) { issue(number: $n) {
        subIssuesSummary { total completed percentCompleted }
        subIssues(first: 10) { totalCount nodes { number databaseId state stateReason title } }
      } } }`,
      { owner: OWNER, repo: NAME, n: parent },
    );
    expect(read.repository.issue.subIssuesSummary).toEqual({ total: 3, completed: 2, percentCompleted: 66 });
    expect(read.repository.issue.subIssues).toMatchObject({
      totalCount: 3,
      nodes: [
        { number: done, state: "CLOSED", stateReason: "COMPLETED", title: "Done child" },
        { number: dropped, state: "CLOSED", stateReason: "NOT_PLANNED" },
        { number: added.number, state: "OPEN", stateReason: null, databaseId: added.id },
      ],
    });
    await github.idle();
  });

  it("records who removed a sub-issue, who closed one and as what, in the timeline items GitHub's schema names, and answers Orchestra's query", async () => {
    const github = sandbox.github;
    github.addCollaborator(REPO, "tess", "triage");
    const parent = github.openIssue(REPO, "alice", { title: "Timeline epic" });
    const [kept, removed] = [github.openIssue(REPO, "alice", { title: "Kept" }), github.openIssue(REPO, "alice", { title: "Removed" })];
    for (const child of [kept, removed]) github.addSubIssue(REPO, parent, child, "alice");
    github.removeSubIssue(REPO, parent, removed, "tess");
    github.closeIssue(REPO, kept, "tess", "not_planned");

    const history = await new GitHubGateway(octokit as never, base).childHistory(parent, true, [kept]);
    expect([...history.removed]).toEqual([[removed, { actor: { login: "tess", bot: false }, at: expect.any(String) }]]);
    expect(history.closed.get(kept)).toMatchObject({ actor: { login: "tess", bot: false }, reason: "not_planned" });

    const child = await octokit.graphql<{ repository: { issue: { timelineItems: { nodes: Array<Record<string, unknown>> } } } }>(
      `query($owner: String!, $repo: String!, $n: Int!) { repository(owner: $owner, name: $repo) { issue(number: $n) {
        timelineItems(itemTypes: [PARENT_ISSUE_ADDED_EVENT, PARENT_ISSUE_REMOVED_EVENT], first: 10) { nodes { __typename ... on ParentIssueRemovedEvent { actor { login } parent { number } } } }
      } } }`,
      { owner: OWNER, repo: NAME, n: removed },
    );
    expect(child.repository.issue.timelineItems.nodes).toEqual([{ __typename: "ParentIssueAddedEvent" }, { __typename: "ParentIssueRemovedEvent", actor: { login: "tess" }, parent: { number: parent } }]);
    await github.idle();
  });
});

describe("fake GitHub sub-issue webhooks", () => {
  it("sends sub_issues and issue_dependencies events with the fields GitHub documents", async () => {
    await sandbox.github.idle();
    expect(sandbox.github.responseErrors).toEqual([]);
    const deliveries = sandbox.github.deliveries;
    const named = (event: string, action: string) => deliveries.filter((delivery) => delivery.event === event && delivery.action === action);
    for (const action of ["sub_issue_added", "parent_issue_added", "sub_issue_removed", "parent_issue_removed"]) {
      const [delivery] = named("sub_issues", action);
      expect(delivery, action).toBeDefined();
      for (const key of ["sub_issue_id", "sub_issue", "sub_issue_repo", "parent_issue_id", "parent_issue", "installation", "repository", "sender"]) {
        expect(delivery!.payload, `${action} lacks ${key}`).toHaveProperty(key);
      }
      expect(delivery!.payload.sub_issue_id).toBe((delivery!.payload.sub_issue as { id: number }).id);
    }
    for (const action of ["blocked_by_added", "blocking_added", "blocked_by_removed", "blocking_removed"]) {
      const [delivery] = named("issue_dependencies", action);
      expect(delivery, action).toBeDefined();
      for (const key of ["blocked_issue_id", "blocked_issue", "blocking_issue_id", "blocking_issue", "blocking_issue_repo", "installation", "repository", "sender"]) {
        expect(delivery!.payload, `${action} lacks ${key}`).toHaveProperty(key);
      }
    }
  });
});
