import { afterEach, describe, expect, it } from "vitest";
import commentEvent from "../fixtures/events/issue_comment.created.json" with { type: "json" };
import { signCursorPayload } from "../src/cursor/webhook.js";
import { createTestApp, serveRoutes, withInstallation, type TestApp } from "./helpers/app.js";
import { NockWorld, type WorldAgent } from "./helpers/nock-world.js";

const SECRET = "cursor-webhook-secret";

const PLANNED = [
  "Build a todo app.",
  "",
  "<!-- orchestra:plan v1 comment=900 -->",
  "### Tasks",
  "- [ ] Add the model <!-- orchestra:task id=t1 -->",
  "- [ ] Add the API <!-- orchestra:task id=t2 deps=t1 -->",
  "  CRUD endpoints.",
  "- [ ] Write the docs <!-- orchestra:task id=t3 -->",
  "<!-- orchestra:plan:end -->",
].join("\n");

function comment(body: string, login = "Codertocat", id = 77) {
  const payload = withInstallation(commentEvent as unknown as Record<string, unknown>) as typeof commentEvent;
  payload.comment = { ...payload.comment, id, body, user: { ...payload.comment.user, login } };
  payload.sender = { ...payload.sender, login, type: "User" };
  payload.issue = { ...payload.issue, number: 1, body: PLANNED, pull_request: undefined } as typeof payload.issue;
  return payload;
}

async function cursorWebhook(url: string, agent: WorldAgent, deliveryId: string) {
  const body = JSON.stringify({
    event: "statusChange",
    timestamp: "2026-01-01T00:00:00Z",
    id: agent.id,
    status: agent.status,
    source: { repository: "https://github.com/Codertocat/Hello-World", ref: "master" },
    target: { branchName: agent.branch, prUrl: agent.prUrl },
    summary: "done",
  });
  const response = await fetch(`${url}/orchestra/cursor`, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-webhook-signature": await signCursorPayload(SECRET, body),
      "x-webhook-id": deliveryId,
      "x-webhook-event": "statusChange",
    },
  });
  expect(response.status).toBe(204);
}

describe("running an epic", () => {
  let app: TestApp;
  let routes: Awaited<ReturnType<typeof serveRoutes>>;
  afterEach(async () => {
    app?.stop();
    await routes?.close();
  });

  it("runs a three-task epic with a dependency from /orchestra start to the closed issue", async () => {
    const world = new NockWorld(PLANNED);
    world.comments.push({ id: 900, body: "<!-- orchestra:status -->\nold" });
    app = await createTestApp({ processEnv: { CURSOR_WEBHOOK_SECRET: SECRET, PUBLIC_URL: "https://orchestra.example" } });
    routes = await serveRoutes(app);

    await app.receive("issue_comment", comment("/orchestra start"));
    await app.settle();
    // The agent of each launch finishes with a green PR, and Cursor calls back (twice: duplicates are harmless).
    for (let round = 0; round < 6 && world.issueState === "OPEN"; round++) {
      for (const agent of world.agents.filter((a) => a.status === "CREATING")) {
        world.openPull(agent);
        await cursorWebhook(routes.url, agent, `delivery-${agent.id}`);
        await cursorWebhook(routes.url, agent, `delivery-${agent.id}`);
        await app.settle();
      }
    }

    expect(app.failures()).toEqual([]);
    expect(world.issueState).toBe("CLOSED");
    expect(world.body).toMatchInlineSnapshot(`
      "Build a todo app.

      <!-- orchestra:plan v1 status=completed runs=3 comment=900 -->
      ### Tasks
      - [x] Add the model <!-- orchestra:task id=t1 state=merged attempt=1 agent=bc-1 pr=1000 -->
      - [x] Add the API <!-- orchestra:task id=t2 state=merged attempt=1 agent=bc-2 pr=1003 deps=t1 -->
        CRUD endpoints.
      - [x] Write the docs <!-- orchestra:task id=t3 state=merged attempt=1 agent=bc-3 pr=1006 -->
      <!-- orchestra:plan:end -->"
    `);
    // Each PR merged once, at the sha its checks passed at.
    expect(world.merges).toEqual(world.pulls.map((pull) => ({ pr: pull.number, sha: pull.sha, checks: "SUCCESS" })));
    expect(world.agents[0]!.prompt).toContain("Part of #1");
    expect(world.agents[0]!.prompt).toContain('Never write "Closes #1"');
    expect(world.calls).toMatchInlineSnapshot(`
      [
        "react eyes",
        "graphql OrchestraSnapshot",
        "cursor list",
        "cursor create orchestra/1-t1-a1",
        "GET issue",
        "PATCH issue body",
        "react rocket",
        "PATCH status comment",
        "graphql OrchestraSnapshot",
        "cursor get bc-1",
        "merge #1000 squash",
        "DELETE branch orchestra/1-t1-a1",
        "cursor list",
        "cursor create orchestra/1-t2-a1",
        "GET issue",
        "PATCH issue body",
        "POST comment on #1: ✅ t1 merged in #1000, starting t2.",
        "PATCH status comment",
        "graphql OrchestraSnapshot",
        "cursor get bc-2",
        "merge #1003 squash",
        "DELETE branch orchestra/1-t2-a1",
        "cursor list",
        "cursor create orchestra/1-t3-a1",
        "GET issue",
        "PATCH issue body",
        "POST comment on #1: ✅ t2 merged in #1003, starting t3.",
        "PATCH status comment",
        "graphql OrchestraSnapshot",
        "cursor get bc-3",
        "merge #1006 squash",
        "DELETE branch orchestra/1-t3-a1",
        "GET issue",
        "PATCH issue body",
        "POST comment on #1: ✅ t3 merged in #1006.",
        "POST comment on #1: 🎉 **Epic completed**: 3 of 3 tasks merged.",
        "PATCH status comment",
        "PATCH issue state=closed",
      ]
    `);
    const posted = world.comments.map((c) => c.body.split("\n").find((line) => line && !line.startsWith("<!--")));
    expect(posted).toMatchInlineSnapshot(`
      [
        "### Orchestra status",
        "✅ t1 merged in #1000, starting t2.",
        "✅ t2 merged in #1003, starting t3.",
        "✅ t3 merged in #1006.",
        "🎉 **Epic completed**: 3 of 3 tasks merged.",
      ]
    `);
  });
});
