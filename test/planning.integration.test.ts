import nock from "nock";
import { afterEach, describe, expect, it, vi } from "vitest";
import commentEvent from "../fixtures/events/issue_comment.created.json" with { type: "json" };
import labeledEvent from "../fixtures/events/issues.labeled.json" with { type: "json" };
import openedEvent from "../fixtures/events/issues.opened.json" with { type: "json" };
import { createTestApp, OPENAI_URL, withInstallation, type TestApp } from "./helpers/app.js";
import { ISSUE_NODE_ID, withoutMacs } from "./helpers/signing.js";

const API = "https://api.github.com";
const REPO = "/repos/Codertocat/Hello-World";
const EPIC_TEXT = "Build a todo app.\n\nUsers add, tick and delete todos.";

function labeled(overrides: { body?: string; sender?: string } = {}) {
  const payload = withInstallation(labeledEvent as unknown as Record<string, unknown>) as typeof labeledEvent & {
    installation: { id: number };
  };
  payload.label = { ...payload.label, name: "epic" };
  payload.issue.body = overrides.body ?? EPIC_TEXT;
  if (overrides.sender) payload.sender = { ...payload.sender, login: overrides.sender };
  return payload;
}

function plannerAnswer(tasks: unknown) {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "gpt-4o-mini",
    choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: JSON.stringify(tasks) } }],
  };
}

const PLAN = {
  tasks: [
    { id: "t1", title: "Add the todo model", details: "A Todo has a title and a done flag.", deps: [] },
    { id: "t2", title: "Add the todo API", details: "CRUD endpoints.", deps: ["t1"] },
  ],
};

/** What every labelled event costs before planning: token, config, permission, reaction. */
function mockLabelHandling(github: nock.Scope, permission = "admin") {
  github
    .post("/app/installations/42/access_tokens")
    .reply(201, { token: "ghs_installation", expires_at: "2999-01-01T00:00:00Z" })
    .get(`${REPO}/contents/.github%2Forchestra.yml`)
    .reply(404, { message: "Not Found" })
    .get(`${REPO}/collaborators/Codertocat/permission`)
    .reply(200, { permission, role_name: permission, user: { login: "Codertocat" } });
}

const TITLE = "Spelling error in the README file";

function snapshotResponse(body: string) {
  return {
    data: {
      repository: {
        nameWithOwner: "Codertocat/Hello-World",
        defaultBranchRef: { name: "master" },
        issue: {
          id: ISSUE_NODE_ID,
          number: 1,
          title: TITLE,
          body,
          state: "OPEN",
          createdAt: "2019-05-15T15:20:18Z",
          labels: { nodes: [{ name: "epic" }] },
        },
      },
    },
  };
}

function issueResponse(body: string) {
  const { labels: _labels, ...issue } = snapshotResponse(body).data.repository.issue;
  return { data: { repository: { issue: { ...issue, userContentEdits: { totalCount: 0 }, timelineItems: { totalCount: 0 } } } } };
}

/** Matches a GraphQL request by its operation name. */
const isQuery = (name: string) => (request: { query: string }) => request.query.includes(`query ${name}`);
const NO_COMMENTS = { data: { repository: { issue: { comments: { nodes: [], pageInfo: { hasPreviousPage: false, startCursor: null } } } } } };

/**
 * Adopting the issue's checklist: the snapshot read (twice: planning, then the reconcile after
 * it), the re-read before the write, the status comment and the body write into `issue`.
 */
function mockChecklistAdoption(
  github: nock.Scope,
  issue: { body: string },
  commentId: number,
  comment: (body: string) => boolean = () => true,
) {
  github
    .post("/graphql", isQuery("OrchestraSnapshot"))
    .times(2)
    .reply(200, () => snapshotResponse(issue.body))
    .post("/graphql", isQuery("OrchestraIssue"))
    .reply(200, () => issueResponse(issue.body))
    .post("/graphql", isQuery("OrchestraComments"))
    .reply(200, NO_COMMENTS)
    .post(`${REPO}/issues/1/comments`, (request: { body: string }) => comment(request.body))
    .reply(201, { id: commentId })
    .patch(`${REPO}/issues/1`, (request: { body: string }) => {
      issue.body = request.body;
      return true;
    })
    .reply(200, {});
}

function mockRepoContext(github: nock.Scope) {
  github
    .get(`${REPO}/contents`)
    .reply(200, [{ name: "README.md", path: "README.md", type: "file" }])
    .get(`${REPO}/readme`)
    .reply(200, "# Hello World\n");
}

describe("planning an epic", () => {
  let app: TestApp;
  afterEach(() => {
    if (process.env.DEBUG_LOGS) console.log(app.logs.filter((l) => (l.level as number) >= Number(process.env.DEBUG_LOGS)).map((l) => `${l.time} ${l.msg} ${l.err ? JSON.stringify(l.err).slice(0, 300) : ""}`).join("\n"));
    app?.stop();
  });

  it("turns a labelled issue into a plan in its body and one status comment", async () => {
    app = await createTestApp({ processEnv: { OPENAI_API_KEY: "sk-test-secret", OPENAI_BASE_URL: `${OPENAI_URL}/v1` } });
    const github = nock(API);
    mockLabelHandling(github);
    const llmRequest = vi.fn((_body: unknown) => true);
    const llm = nock(OPENAI_URL).post("/v1/chat/completions", llmRequest).reply(200, plannerAnswer(PLAN));
    let body = EPIC_TEXT;
    const patched = vi.fn((request: { body?: string }) => {
      body = request.body ?? body;
      return true;
    });
    const commentBody = vi.fn((_request: { body: string }) => true);
    github
      .post(`${REPO}/issues/1/reactions`, { content: "eyes" })
      .reply(201, { id: 1, content: "eyes" })
      .post("/graphql", isQuery("OrchestraSnapshot"))
      .reply(200, () => snapshotResponse(body));
    mockRepoContext(github);
    github
      .post("/graphql", isQuery("OrchestraIssue"))
      .reply(200, () => issueResponse(body))
      .post("/graphql", isQuery("OrchestraComments"))
      .reply(200, NO_COMMENTS)
      .post(`${REPO}/issues/1/comments`, commentBody)
      .reply(201, { id: 555 })
      .patch(`${REPO}/issues/1`, patched)
      .reply(200, () => ({ number: 1, body }))
      // The reconcile that follows planning reads again and finds nothing to do.
      .post("/graphql")
      .reply(200, () => snapshotResponse(body));

    await app.receive("issues", labeled());
    await app.settle();

    expect(patched).toHaveBeenCalledTimes(1);
    expect(body).toMatch(/<!-- orchestra:plan v1 .*mac=[\w-]{22} -->/);
    expect(withoutMacs(body)).toMatchInlineSnapshot(`
      "Build a todo app.

      Users add, tick and delete todos.

      <!-- orchestra:plan v1 comment=555 next=3 -->
      ### Tasks
      - [ ] Add the todo model <!-- orchestra:task id=t1 -->
        A Todo has a title and a done flag.
      - [ ] Add the todo API <!-- orchestra:task id=t2 deps=t1 -->
        CRUD endpoints.
      <!-- orchestra:plan:end -->"
    `);
    expect(commentBody.mock.calls[0]![0].body).toContain("Planned 2 tasks. Comment `/orchestra start` to run them.");
    expect(commentBody.mock.calls[0]![0].body).toContain("<!-- orchestra:status -->");
    const sent = llmRequest.mock.calls[0]![0] as { messages: Array<{ content: string }> };
    expect(JSON.stringify(sent.messages)).toContain("Users add, tick and delete todos.");
    expect(JSON.stringify(app.logs)).not.toContain("sk-test-secret");
    expect(app.failures()).toEqual([]);
    expect(github.isDone()).toBe(true);
    expect(llm.isDone()).toBe(true);
  });

  it("adopts a checklist the user wrote, in place, without calling an LLM", async () => {
    app = await createTestApp({ processEnv: {} });
    const github = nock(API);
    mockLabelHandling(github);
    const issue = { body: "Plan:\n\n- [ ] Write the model\n- [x] Sketch the UI\n\nThanks!" };
    github.post(`${REPO}/issues/1/reactions`).reply(201, {});
    mockChecklistAdoption(github, issue, 7, (comment) => comment.includes("Planned 2 tasks"));

    await app.receive("issues", labeled({ body: issue.body }));
    await app.settle();

    expect(withoutMacs(issue.body)).toMatchInlineSnapshot(`
      "Plan:

      <!-- orchestra:plan v1 comment=7 next=3 -->
      ### Tasks
      - [ ] Write the model <!-- orchestra:task id=t1 -->
      - [x] Sketch the UI <!-- orchestra:task id=t2 state=done -->
      <!-- orchestra:plan:end -->

      Thanks!"
    `);
    expect(app.failures()).toEqual([]);
    expect(github.isDone()).toBe(true);
  });

  it("plans an issue opened with the label already on it, and ignores one opened without labels", async () => {
    app = await createTestApp({ processEnv: {} });
    const github = nock(API);
    mockLabelHandling(github);
    const issue = { body: "- [ ] Write the model\n" };
    github.post(`${REPO}/issues/1/reactions`, { content: "eyes" }).reply(201, {});
    mockChecklistAdoption(github, issue, 8);
    const opened = (labels: Array<{ name: string }>) => {
      const payload = withInstallation(openedEvent as unknown as Record<string, unknown>) as typeof openedEvent;
      payload.issue = { ...payload.issue, number: 1, body: issue.body, labels: labels as typeof payload.issue.labels };
      payload.sender = { ...payload.sender, login: "Codertocat" };
      return payload;
    };

    await app.receive("issues", opened([]));
    await app.receive("issues", opened([{ name: "epic" }]));
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(withoutMacs(issue.body)).toContain("- [ ] Write the model <!-- orchestra:task id=t1 -->");
    expect(github.isDone()).toBe(true);
  });

  it("answers a label from a person without write access politely and plans nothing", async () => {
    app = await createTestApp();
    const github = nock(API);
    mockLabelHandling(github, "read");
    github
      .post(`${REPO}/issues/1/comments`, (request: { body: string }) =>
        request.body.includes("only people with write, maintain or admin permission"),
      )
      .reply(201, { id: 9 });

    await app.receive("issues", labeled());
    await app.settle();
    expect(app.failures()).toEqual([]);
    expect(github.isDone()).toBe(true);
  });

  it("says which variable to set when no LLM key is configured", async () => {
    app = await createTestApp({ processEnv: {} });
    const github = nock(API);
    mockLabelHandling(github);
    github
      .post(`${REPO}/issues/1/reactions`)
      .reply(201, {})
      .post("/graphql")
      .reply(200, snapshotResponse(EPIC_TEXT));
    mockRepoContext(github);
    github
      .post("/graphql", isQuery("OrchestraComments"))
      .reply(200, NO_COMMENTS)
      .post(`${REPO}/issues/1/comments`, (request: { body: string }) => request.body.includes("OPENAI_API_KEY"))
      .reply(201, { id: 10 });

    await app.receive("issues", labeled());
    await app.settle();
    expect(app.failures()).toEqual([]);
    expect(github.isDone()).toBe(true);
  });

  it("comments once on an invalid config and does nothing else", async () => {
    app = await createTestApp();
    const github = nock(API);
    github
      .post("/app/installations/42/access_tokens")
      .reply(201, { token: "ghs_installation", expires_at: "2999-01-01T00:00:00Z" })
      .get(`${REPO}/contents/.github%2Forchestra.yml`)
      .reply(200, "concurrency: lots\n")
      .get(`${REPO}/collaborators/Codertocat/permission`)
      .reply(200, { permission: "admin", role_name: "admin" })
      .post(`${REPO}/issues/1/reactions`)
      .reply(201, {})
      .post("/graphql", isQuery("OrchestraComments"))
      .reply(200, NO_COMMENTS)
      .post(`${REPO}/issues/1/comments`, (request: { body: string }) =>
        request.body.includes("`.github/orchestra.yml` is not valid") && request.body.includes("at concurrency"),
      )
      .reply(201, { id: 11 });

    await app.receive("issues", labeled());
    await app.settle();
    expect(app.failures()).toEqual([]);
    expect(github.isDone()).toBe(true);
  });
});

describe("re-planning with /orchestra plan", () => {
  let app: TestApp;
  afterEach(() => app?.stop());

  it("replaces the tasks that have not started, keeps the rest, and passes the instructions on", async () => {
    const { NockWorld } = await import("./helpers/nock-world.js");
    const world = new NockWorld(
      [
        "Build a todo app.",
        "",
        "<!-- orchestra:plan v1 status=paused runs=1 comment=900 -->",
        "### Tasks",
        "- [x] Add the model <!-- orchestra:task id=t1 state=merged attempt=1 agent=bc-1 pr=5 -->",
        "- [ ] Add the API <!-- orchestra:task id=t2 deps=t1 -->",
        "- [ ] Write the docs <!-- orchestra:task id=t3 -->",
        "<!-- orchestra:plan:end -->",
      ].join("\n"),
    );
    world.comments.push({ id: 900, body: "<!-- orchestra:status -->\nold" });
    app = await createTestApp({ processEnv: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: `${OPENAI_URL}/v1` } });
    const github = nock(API);
    mockRepoContext(github);
    const asked = vi.fn((_body: unknown) => true);
    const llm = nock(OPENAI_URL)
      .post("/v1/chat/completions", asked)
      .reply(
        200,
        plannerAnswer({
          tasks: [
            { id: "a", title: "Add the REST API with validation", details: "", deps: [] },
            { id: "b", title: "Document the API", details: "", deps: ["a"] },
          ],
        }),
      );
    const payload = withInstallation(commentEvent as unknown as Record<string, unknown>) as typeof commentEvent;
    payload.comment = { ...payload.comment, id: 4242, body: "/orchestra plan validate every input" };
    payload.issue = { ...payload.issue, number: 1, body: world.body, labels: [{ ...payload.issue.labels[0]!, name: "epic" }], pull_request: undefined } as typeof payload.issue;

    await app.receive("issue_comment", payload);
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.plainBody).toContain("- [x] Add the model <!-- orchestra:task id=t1 state=merged attempt=1 agent=bc-1 pr=5 -->");
    expect(world.plainBody).toContain("- [ ] Add the REST API with validation <!-- orchestra:task id=t2 -->");
    expect(world.plainBody).toContain("- [ ] Document the API <!-- orchestra:task id=t3 deps=t2 -->");
    expect(world.plainBody).not.toContain("Write the docs");
    const prompt = JSON.stringify((asked.mock.calls[0]![0] as { messages: unknown }).messages);
    expect(prompt).toContain("validate every input");
    expect(prompt).toContain("Add the model");
    expect(world.reactions.map((r) => r.content)).toEqual(["rocket"]);
    expect(github.isDone()).toBe(true);
    expect(llm.isDone()).toBe(true);
  });
});
