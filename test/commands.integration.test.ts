import { afterEach, describe, expect, it } from "vitest";
import { parseCommands } from "../src/orchestration/commands.js";
import { createTestApp, serveRoutes, TEST_NOW, type TestApp } from "./helpers/app.js";
import {
  count,
  CURSOR_WEBHOOK_ENV,
  epic,
  issueComment,
  item,
  planState,
  postCursorStatus,
  seedAgent,
  seedStatusComment,
  STATUS_COMMENT_ID,
  type CommentOptions,
} from "./helpers/epic-events.js";
import { NockWorld, type WorldAgent } from "./helpers/nock-world.js";

/**
 * Every slash command's effect on an epic, end to end: a real `issue_comment.created` payload
 * goes through Probot, the handler and a reconcile, and NockWorld answers as GitHub and Cursor
 * would. Bodies are written with Orchestra's block directly, so each test starts mid-run.
 */

/** The comments Orchestra posted (not the seeded status comment), without their hidden markers. */
function posted(world: NockWorld): string[] {
  return world.comments
    .filter((c) => c.byApp && c.id !== STATUS_COMMENT_ID)
    .map((c) => c.body.split("\n").filter((line) => !line.startsWith("<!--")).join("\n"));
}

/**
 * A command that changes nothing but gets an answer still moves the block's command cursor (so it
 * is answered once, whatever happens next): at most that one write, and the state is as it was.
 */
function unchangedBut(world: NockWorld): boolean {
  const writes = world.calls.filter((call) => call.startsWith("PATCH issue"));
  return writes.length <= 1 && planState(world.body) === planState(world.initialBody);
}

describe("slash commands on an epic", () => {
  let app: TestApp;
  let routes: Awaited<ReturnType<typeof serveRoutes>> | undefined;
  let world: NockWorld;

  afterEach(async () => {
    app?.stop();
    await routes?.close();
    routes = undefined;
  });

  async function setup(body: string): Promise<NockWorld> {
    world = new NockWorld(body);
    seedStatusComment(world);
    app = await createTestApp({ processEnv: CURSOR_WEBHOOK_ENV });
    return world;
  }

  /** Sends a comment and waits for every reconcile it causes. */
  async function say(body: string, options: CommentOptions = {}): Promise<void> {
    await app.receive("issue_comment", issueComment(world, body, options));
    await app.settle();
  }

  /** Cursor calls back as it does when an agent finishes (signed, through the app's own route). */
  async function agentFinished(agent: WorldAgent): Promise<void> {
    routes ??= await serveRoutes(app);
    await postCursorStatus(routes.url, agent);
    await app.settle();
  }

  const PLANNED = epic(
    `status=planned comment=${STATUS_COMMENT_ID}`,
    item("Add the model", "id=t1"),
    item("Add the API", "id=t2 deps=t1"),
    item("Write the docs", "id=t3"),
  );
  /** t1's agent is working; t2 waits for it. */
  const RUNNING_T1 = epic(
    `status=running runs=1 comment=${STATUS_COMMENT_ID}`,
    item("Add the model", "id=t1 state=running attempt=1 agent=bc-1"),
    item("Add the API", "id=t2 deps=t1"),
    item("Write the docs", "id=t3"),
  );

  describe("start", () => {
    it("launches the first ready task once, and a second start launches nothing", async () => {
      await setup(PLANNED);
      await say("/orchestra start");
      await say("/orchestra start");

      expect(app.failures()).toEqual([]);
      expect(world.agents.map((agent) => agent.branch)).toEqual(["orchestra/1-t1-a1"]);
      expect(world.calls).toMatchInlineSnapshot(`
        [
          "graphql OrchestraSnapshot",
          "cursor list",
          "cursor create orchestra/1-t1-a1",
          "PATCH issue body",
          "react rocket",
          "PATCH status comment",
          "graphql OrchestraSnapshot",
          "PATCH issue body",
          "POST comment on #1: \`/orchestra start\`: the epic is already running.",
          "react confused",
        ]
      `);
      expect(posted(world)).toEqual(["`/orchestra start`: the epic is already running."]);
      expect(world.plainBody).toContain("status=running runs=1");
    });

    it("launches once when two starts arrive together", async () => {
      await setup(PLANNED);
      await Promise.all([
        app.receive("issue_comment", issueComment(world, "/orchestra start")),
        app.receive("issue_comment", issueComment(world, "/Orchestra START")),
      ]);
      await app.settle();

      expect(app.failures()).toEqual([]);
      expect(count(world, "cursor create")).toBe(1);
      expect(world.plainBody).toContain("runs=1");
    });
  });

  describe("pause and resume", () => {
    it("holds a green PR unmerged while paused and merges it on resume", async () => {
      await setup(RUNNING_T1);
      const agent = seedAgent(world, "bc-1", "orchestra/1-t1-a1");
      await say("/orchestra pause");
      expect(world.plainBody).toContain("status=paused");

      const pull = world.openPull(agent, "SUCCESS");
      await agentFinished(agent);
      expect(count(world, "merge")).toBe(0);
      expect(count(world, "cursor create")).toBe(0);
      // The open PR is not written to the body (found again at every read); the status shows it.
      expect(world.plainBody).toContain("id=t1 state=running attempt=1 agent=bc-1");
      expect(world.comments.find((c) => c.id === STATUS_COMMENT_ID)!.body).toContain(`#${pull.number}`);
      expect(count(world, "cursor stop")).toBe(0); // pausing lets running agents finish
      expect(world.plainBody).toContain("status=paused");
      const status = world.comments.find((c) => c.id === STATUS_COMMENT_ID)!.body;
      expect(status).toContain("epic paused");
      expect(status).toContain("`/orchestra resume`");

      await say("/ORCHESTRA Resume");
      expect(app.failures()).toEqual([]);
      expect(world.merges).toEqual([{ pr: pull.number, sha: pull.sha, checks: "SUCCESS" }]);
      expect(world.agents.map((a) => a.branch)).toEqual(["orchestra/1-t1-a1", "orchestra/1-t2-a1"]);
      expect(world.plainBody).toContain("status=running");
      expect(world.reactions.map((r) => r.content)).toEqual(["rocket", "rocket"]);
    });

    it("launches nothing while paused, even when a dependency gets merged", async () => {
      await setup(RUNNING_T1);
      const agent = seedAgent(world, "bc-1", "orchestra/1-t1-a1");
      await say("/orchestra pause");
      // A person merges the PR themselves while the epic is paused.
      const pull = world.openPull(agent, "SUCCESS");
      pull.state = "MERGED";
      await agentFinished(agent);

      expect(world.plainBody).toContain(`- [x] Add the model <!-- orchestra:task id=t1 state=merged`);
      expect(count(world, "cursor create")).toBe(0);

      await say("/orchestra resume");
      expect(app.failures()).toEqual([]);
      expect(world.agents.map((a) => a.branch)).toEqual(["orchestra/1-t1-a1", "orchestra/1-t2-a1"]);
    });

    it("answers a pause of an epic that is not running", async () => {
      await setup(PLANNED);
      await say("/orchestra pause");
      expect(posted(world)).toEqual(["`/orchestra pause`: the epic is planned, not running."]);
      expect(world.reactions.map((r) => r.content)).toEqual(["confused"]);
      expect(unchangedBut(world)).toBe(true);
    });
  });

  it("stop stops every live agent and marks the epic stopped", async () => {
    await setup(
      epic(
        `status=running runs=2 comment=${STATUS_COMMENT_ID}`,
        item("Add the model", "id=t1 state=running attempt=1 agent=bc-1"),
        item("Add the API", "id=t2 deps=t1"),
        item("Write the docs", "id=t3 state=running attempt=1 agent=bc-2"),
      ),
    );
    seedAgent(world, "bc-1", "orchestra/1-t1-a1");
    seedAgent(world, "bc-2", "orchestra/1-t3-a1");

    await say("/orchestra stop");

    expect(app.failures()).toEqual([]);
    expect(world.calls.filter((call) => call.startsWith("cursor stop"))).toEqual(["cursor stop bc-1", "cursor stop bc-2"]);
    expect(world.agents.map((agent) => agent.status)).toEqual(["FINISHED", "FINISHED"]);
    expect(world.plainBody).toContain("status=stopped");
    expect(world.plainBody).not.toContain("state=running");
    expect(posted(world)).toEqual([
      "⏹️ **The epic is stopped** and stopped 2 running agents. Open pull requests stay open; nothing more will be started on this issue.",
    ]);
    expect(count(world, "cursor create")).toBe(0);

    // Stopping again is a no-op with an answer.
    await say("/orchestra stop");
    expect(count(world, "cursor stop")).toBe(2);
    expect(posted(world).at(-1)).toBe("`/orchestra stop`: the epic is already stopped.");
  });

  it("status replies with the task table: state, PR, attempts, agent state, what Orchestra waits for", async () => {
    await setup(
      epic(
        `status=running runs=3 comment=${STATUS_COMMENT_ID}`,
        item("Add the model", "id=t1 state=merged attempt=1 agent=bc-1 pr=12", true),
        item("Add the API", "id=t2 state=running attempt=2 agent=bc-2 deps=t1"),
        item("Write the docs", "id=t3"),
      ),
    );
    seedAgent(world, "bc-1", "orchestra/1-t1-a1", "FINISHED");
    seedAgent(world, "bc-2", "orchestra/1-t2-a2");

    await say("/orchestra status");

    expect(app.failures()).toEqual([]);
    const [reply, ...others] = posted(world);
    expect(others).toEqual([]);
    expect(reply).toMatchInlineSnapshot(`
      "\`/orchestra status\`: 

      | # | Id | Task | State | PR | Attempts | Agent | Waiting for |
      | ---: | --- | --- | --- | --- | ---: | --- | --- |
      | 1 | t1 | Add the model | ✅ merged | #12 | 1 |  |  |
      | 2 | t2 | Add the API | 🤖 running |  | 2 | RUNNING | agent working |
      | 3 | t3 | Write the docs | ⏳ pending |  |  |  | waiting for a free slot |"
    `);
    // Asking changes nothing: no launch, no body write.
    expect(count(world, "cursor create")).toBe(0);
    expect(unchangedBut(world)).toBe(true);
  });

  describe("retry", () => {
    it("relaunches a failed task on a fresh branch and resumes the epic", async () => {
      await setup(
        epic(
          `status=paused runs=3 comment=${STATUS_COMMENT_ID}`,
          item("Add the model", "id=t1 state=failed attempt=1 agent=bc-1 reason=the%20agent%20ended%20with%20ERROR"),
          item("Add the API", "id=t2 deps=t1"),
        ),
      );
      seedAgent(world, "bc-1", "orchestra/1-t1-a1", "ERROR");

      await say("/orchestra retry 1"); // by its number in the list

      expect(app.failures()).toEqual([]);
      expect(world.agents.map((agent) => agent.branch)).toEqual(["orchestra/1-t1-a1", "orchestra/1-t1-a2"]);
      expect(count(world, "cursor stop")).toBe(0); // the failed attempt's agent had already ended
      expect(world.plainBody).toContain("status=running runs=4");
      expect(world.plainBody).toContain("id=t1 state=running attempt=2 agent=bc-2");
      expect(world.reactions.map((r) => r.content)).toEqual(["rocket"]);
    });

    it("stops the running agent of a named task and starts a fresh attempt", async () => {
      await setup(RUNNING_T1);
      seedAgent(world, "bc-1", "orchestra/1-t1-a1");

      await say("/retry add the MODEL");

      expect(app.failures()).toEqual([]);
      const cursorCalls = world.calls.filter((call) => call.startsWith("cursor") && call !== "cursor get bc-1");
      expect(cursorCalls).toEqual(["cursor stop bc-1", "cursor list", "cursor create orchestra/1-t1-a2"]);
      expect(world.plainBody).toContain("id=t1 state=running attempt=2 agent=bc-2");
    });

    it("on a task's pull request, acts on that PR's task", async () => {
      await setup(
        epic(
          `status=paused runs=2 comment=${STATUS_COMMENT_ID}`,
          item("Add the model", "id=t1 state=failed attempt=1 agent=bc-1 reason=boom"),
          item("Add the API", "id=t2 state=pr_open attempt=1 agent=bc-2 pr=1000"),
        ),
      );
      seedAgent(world, "bc-1", "orchestra/1-t1-a1", "ERROR");
      const pull = world.openPull(seedAgent(world, "bc-2", "orchestra/1-t2-a1"), "PENDING");
      expect(pull.number).toBe(1000);

      // On the epic a bare `/retry` would mean the failed t1; on t2's PR it means t2.
      await say("/retry", { onPull: pull.number, id: 7777 });

      expect(app.failures()).toEqual([]);
      expect(world.calls[0]).toEqual(`GET pull #${pull.number}`);
      expect(world.agents.map((agent) => agent.branch)).toEqual([
        "orchestra/1-t1-a1",
        "orchestra/1-t2-a1",
        "orchestra/1-t2-a2",
      ]);
      expect(world.plainBody).toContain("id=t1 state=failed attempt=1 agent=bc-1");
      expect(world.plainBody).toContain("id=t2 state=running attempt=2 agent=bc-3");
      // The abandoned attempt's PR is closed: the new attempt opens its own.
      expect(world.calls).toContain(`close #${pull.number}`);
      expect(pull.state).toBe("CLOSED");
      expect(world.reactions).toEqual([
        { target: expect.stringMatching(/\/issues\/comments\/7777\/reactions$/), content: "rocket" },
      ]);
    });

    it("explains why a task that has not failed and is not running cannot be retried", async () => {
      await setup(RUNNING_T1);
      seedAgent(world, "bc-1", "orchestra/1-t1-a1");

      await say("/retry t2");

      expect(posted(world)).toEqual(["`/retry t2`: t2 has not failed and is not running."]);
      expect(world.reactions.map((r) => r.content)).toEqual(["confused"]);
      expect(count(world, "cursor stop")).toBe(0);
      expect(count(world, "cursor create")).toBe(0);
    });
  });

  it("skip mid-run stops the agent, ticks the task and unblocks its dependants", async () => {
    await setup(
      epic(
        `status=running runs=2 comment=${STATUS_COMMENT_ID}`,
        item("Add the model", "id=t1 state=merged attempt=1 agent=bc-1 pr=12", true),
        item("Add the API", "id=t2 state=running attempt=1 agent=bc-2 deps=t1"),
        item("Write the docs", "id=t3 deps=t2"),
      ),
    );
    seedAgent(world, "bc-1", "orchestra/1-t1-a1", "FINISHED");
    seedAgent(world, "bc-2", "orchestra/1-t2-a1");

    await say("/SKIP T2");

    expect(app.failures()).toEqual([]);
    expect(world.calls.filter((call) => /^cursor (stop|create)/.test(call))).toEqual([
      "cursor stop bc-2",
      "cursor create orchestra/1-t3-a1",
    ]);
    expect(world.plainBody).toContain("- [x] Add the API <!-- orchestra:task id=t2 state=skipped");
    expect(world.plainBody).toContain(`- [ ] Write the docs <!-- orchestra:task id=t3 state=running attempt=1 agent=bc-3 deps=t2 started=${TEST_NOW} launched=${TEST_NOW} -->`);
    expect(world.reactions.map((r) => r.content)).toEqual(["rocket"]);
  });

  it("answers help and an unknown word with the command list", async () => {
    await setup(PLANNED);
    await say("/orchestra help\n/orchestra frobnicate");

    expect(app.failures()).toEqual([]);
    const replies = posted(world);
    expect(replies).toHaveLength(2);
    expect(replies[0]).toMatch(/^`\/orchestra help`: \*\*Orchestra commands\*\*/);
    expect(replies[1]).toMatch(/^`\/orchestra frobnicate`: \*\*Orchestra commands\*\*/);
    for (const reply of replies) {
      for (const usage of ["/orchestra start", "/orchestra pause", "/orchestra resume", "/orchestra stop", "/orchestra status", "/orchestra plan", "/orchestra retry", "/orchestra skip", "/orchestra help"]) {
        expect(reply).toContain(`\`${usage}`);
      }
      // Orchestra's own answer can never command Orchestra.
      expect(parseCommands(reply!)).toEqual([]);
    }
    expect(unchangedBut(world)).toBe(true);
  });

  it("ignores commands in code blocks, inline code and quoted replies", async () => {
    await setup(RUNNING_T1);
    seedAgent(world, "bc-1", "orchestra/1-t1-a1");
    await say(
      [
        "What does this do?",
        "",
        "```",
        "/orchestra stop",
        "```",
        "",
        "> /orchestra stop",
        "",
        "`/orchestra stop` is what I would type.",
      ].join("\n"),
    );

    expect(app.failures()).toEqual([]);
    expect(world.calls).toEqual([]);
    expect(world.reactions).toEqual([]);
  });

  it("runs a person's own command next to a quoted one, and only that", async () => {
    await setup(RUNNING_T1);
    seedAgent(world, "bc-1", "orchestra/1-t1-a1");
    await say(["> /orchestra stop", "", "No, let's keep going:", "", "/orchestra status"].join("\n"));

    expect(app.failures()).toEqual([]);
    expect(count(world, "cursor stop")).toBe(0);
    expect(world.plainBody).toContain("status=running");
    expect(posted(world)).toEqual([expect.stringMatching(/^`\/orchestra status`: \n\n\| # \| Id \|/)]);
  });

  it("does not run the commands of an edited comment again", async () => {
    await setup(RUNNING_T1);
    seedAgent(world, "bc-1", "orchestra/1-t1-a1");
    const edited = { ...issueComment(world, "/orchestra stop"), action: "edited", changes: { body: { from: "/orchestra stop" } } };
    await app.receive("issue_comment", edited);
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.calls).toEqual([]);
  });

  it("reacts once to a command carried out within seconds: 🚀 after the launch is recorded, no 👀 before", async () => {
    await setup(PLANNED);
    await say("/orchestra start", { id: 4242 });
    await new Promise((resolve) => setTimeout(resolve, app.orchestra.eyesAfterMs + 100));

    expect(world.reactions).toEqual([{ target: expect.stringMatching(/\/issues\/comments\/4242\/reactions$/), content: "rocket" }]);
    expect(world.calls.indexOf("react rocket")).toBeGreaterThan(world.calls.indexOf("PATCH issue body"));
  }, 15_000);

  it("reacts 👀 to a command that visibly waits (not answered within seconds), then 🚀 once it took effect", async () => {
    await setup(PLANNED);
    app.orchestra.eyesAfterMs = 0;
    await say("/orchestra start", { id: 4243 });
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(world.reactions.map((reaction) => reaction.content).sort()).toEqual(["eyes", "rocket"]);
  });

  it("explains a task reference it cannot resolve, and changes nothing", async () => {
    await setup(RUNNING_T1);
    seedAgent(world, "bc-1", "orchestra/1-t1-a1");

    await say(["/retry t9", "/skip 7", "/orchestra skip add"].join("\n"));

    expect(app.failures()).toEqual([]);
    expect(posted(world)).toEqual([
      "`/retry t9`: No task matches “t9”: name it by id (t2), number (2) or the start of its title.",
      "`/skip 7`: There is no task 7: the plan has 3 tasks.",
      "`/orchestra skip add`: “add” matches 2 tasks: t1 (Add the model), t2 (Add the API). Name one by its id.",
    ]);
    expect(world.reactions.map((r) => r.content)).toEqual(["confused"]);
    expect(count(world, "cursor stop")).toBe(0);
    expect(unchangedBut(world)).toBe(true);
  });

  it("keeps one status comment, edited in place only when the epic's state changed", async () => {
    await setup(PLANNED);
    await say("/orchestra start");
    expect(count(world, "PATCH status comment")).toBe(1);

    await say("/orchestra status");
    await say("/orchestra status");
    expect(count(world, "PATCH status comment")).toBe(1);
    expect(posted(world)).toHaveLength(2); // the two status replies

    await say("/orchestra pause");
    expect(count(world, "PATCH status comment")).toBe(2);

    expect(app.failures()).toEqual([]);
    const statusComments = world.comments.filter((c) => c.body.startsWith("<!-- orchestra:status -->"));
    expect(statusComments.map((c) => c.id)).toEqual([STATUS_COMMENT_ID]);
    expect(statusComments[0]!.body).toContain("epic paused");
    expect(world.plainBody).toContain(`comment=${STATUS_COMMENT_ID}`);
  });
});
