import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, serveRoutes, type TestApp } from "./helpers/app.js";
import {
  CURSOR_WEBHOOK_ENV,
  epic,
  issueComment,
  item,
  postCursorStatus,
  seedStatusComment,
  STATUS_COMMENT_ID,
} from "./helpers/epic-events.js";
import { NockWorld } from "./helpers/nock-world.js";

const PLANNED = epic(
  `comment=${STATUS_COMMENT_ID}`,
  item("Add the model", "id=t1"),
  item("Add the API", "id=t2 deps=t1"),
  "  CRUD endpoints.",
  item("Write the docs", "id=t3"),
);

describe("running an epic", () => {
  let app: TestApp;
  let routes: Awaited<ReturnType<typeof serveRoutes>>;
  afterEach(async () => {
    app?.stop();
    await routes?.close();
  });

  /** From `/orchestra start` to the closed issue: each agent finishes with a green PR. */
  async function runToCompletion(configText?: string): Promise<NockWorld> {
    const world = new NockWorld(PLANNED);
    if (configText !== undefined) world.configText = configText;
    seedStatusComment(world);
    app = await createTestApp({ processEnv: CURSOR_WEBHOOK_ENV });
    routes = await serveRoutes(app);

    await app.receive("issue_comment", issueComment(world, "/orchestra start"));
    await app.settle();
    // The agent of each launch finishes with a green PR, and Cursor calls back (twice: duplicates are harmless).
    for (let round = 0; round < 6 && world.issueState === "OPEN"; round++) {
      for (const agent of world.agents.filter((a) => a.status === "CREATING")) {
        world.openPull(agent);
        await postCursorStatus(routes.url, agent, `delivery-${agent.id}`);
        await postCursorStatus(routes.url, agent, `delivery-${agent.id}`);
        await app.settle();
      }
    }
    return world;
  }

  it("comments: all brings back a comment for each merge", async () => {
    const world = await runToCompletion("comments: all\n");
    expect(app.failures()).toEqual([]);
    expect(world.issueState).toBe("CLOSED");
    const posted = world.comments.map((c) => c.body.split("\n").find((line) => line && !line.startsWith("<!--")));
    expect(posted).toEqual([
      "### Orchestra status",
      "/orchestra start",
      "✅ t1 merged in #1001, starting t2.",
      "✅ t2 merged in #1004, starting t3.",
      "✅ t3 merged in #1007.",
      "🎉 **Epic completed**: 3 of 3 tasks merged.",
    ]);
  });

  it("runs a three-task epic with a dependency from /orchestra start to the closed issue, quietly", async () => {
    const world = await runToCompletion();

    expect(app.failures()).toEqual([]);
    expect(world.issueState).toBe("CLOSED");
    expect(world.plainBody).toMatchInlineSnapshot(`
      "Build a todo app.

      <!-- orchestra:plan v1 status=completed runs=3 comment=900 next=4 -->
      ### Tasks
      - [x] Add the model <!-- orchestra:task id=t1 state=merged attempt=1 agent=bc-1 pr=1001 started=1767268800000 finished=1767268800000 launched=1767268800000 -->
      - [x] Add the API <!-- orchestra:task id=t2 state=merged attempt=1 agent=bc-2 pr=1003 deps=t1 started=1767268800000 finished=1767268800000 launched=1767268800000 -->
        CRUD endpoints.
      - [x] Write the docs <!-- orchestra:task id=t3 state=merged attempt=1 agent=bc-3 pr=1005 started=1767268800000 finished=1767268800000 launched=1767268800000 -->
      <!-- orchestra:plan:end -->"
    `);
    // Each PR merged once, at the sha its checks passed at.
    expect(world.merges).toEqual(world.pulls.map((pull) => ({ pr: pull.number, sha: pull.sha, checks: "SUCCESS" })));
    expect(world.agents[0]!.prompt).toContain("Part of #1");
    expect(world.agents[0]!.prompt).toContain('Never write "Closes #1"');
    // Cursor's agents are listed once, before the process's first launch (what a process that died
    // mid-launch may have left); each later launch is one create.
    expect(world.calls).toMatchInlineSnapshot(`
      [
        "graphql OrchestraSnapshot",
        "cursor list",
        "cursor create orchestra/1-t1-a1",
        "PATCH issue body",
        "react rocket",
        "PATCH status comment",
        "graphql OrchestraSnapshot",
        "cursor get bc-1",
        "merge #1001 squash",
        "cursor create orchestra/1-t2-a1",
        "PATCH issue body",
        "PATCH status comment",
        "DELETE branch orchestra/1-t1-a1",
        "graphql OrchestraSnapshot",
        "cursor get bc-2",
        "merge #1003 squash",
        "cursor create orchestra/1-t3-a1",
        "PATCH issue body",
        "PATCH status comment",
        "DELETE branch orchestra/1-t2-a1",
        "graphql OrchestraSnapshot",
        "cursor get bc-3",
        "merge #1005 squash",
        "graphql OrchestraWritesMutation: updateIssue, addComment, closeIssue",
        "PATCH issue body",
        "POST comment on #1: 🎉 **Epic completed**: 3 of 3 tasks merged.",
        "PATCH issue state=closed",
        "PATCH status comment",
        "DELETE branch orchestra/1-t3-a1",
      ]
    `);
    const posted = world.comments.map((c) => c.body.split("\n").find((line) => line && !line.startsWith("<!--")));
    expect(posted).toMatchInlineSnapshot(`
      [
        "### Orchestra status",
        "/orchestra start",
        "🎉 **Epic completed**: 3 of 3 tasks merged.",
      ]
    `);
  });
});
