import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import pullRequestEvent from "../fixtures/events/pull_request.opened.json" with { type: "json" };
import { createTestApp, TEST_NOW, withInstallation, type TestApp } from "./helpers/app.js";
import {
  count,
  epic,
  issueComment,
  issuesClosed,
  issuesEdited,
  item,
  PERSON,
  seedAgent,
  type Sender,
  seedStatusComment,
  STATUS_COMMENT_ID,
} from "./helpers/epic-events.js";
import { API, NockWorld, REPO_PATH } from "./helpers/nock-world.js";
import { signBody } from "./helpers/signing.js";

/**
 * People edit the epic while Orchestra runs it: they delete, tick and add checklist items, close
 * the issue, and GitHub sometimes fails a write. The issue body stays the truth and a person's
 * edit is never lost.
 */

/** `pull_request.opened` for a task branch: the hint that makes Orchestra look at the epic again. */
function pullOpened(branch: string, number: number) {
  const payload = withInstallation(pullRequestEvent as unknown as Record<string, unknown>) as typeof pullRequestEvent;
  payload.number = number;
  payload.pull_request = { ...payload.pull_request, number, head: { ...payload.pull_request.head, ref: branch } };
  return payload;
}

describe("a person editing a running epic", () => {
  let app: TestApp;
  afterEach(() => app?.stop());

  async function setup(body: string, statusComment = true): Promise<NockWorld> {
    const world = new NockWorld(body);
    if (statusComment) seedStatusComment(world);
    app = await createTestApp();
    return world;
  }

  /**
   * The person saves `to` in the web UI: GitHub holds the new body (Orchestra's markers as they
   * were), records the edit, and sends `issues.edited`.
   */
  async function personSaves(world: NockWorld, to: string, sender: Sender = PERSON): Promise<void> {
    const from = world.body;
    world.editBody(signBody(to, { editOf: from }), sender.login);
    await app.receive("issues", issuesEdited(from, world.body, sender));
    await app.settle();
  }

  /** t1's agent is working; t2 waits for it. */
  async function setupRunningT1(): Promise<NockWorld> {
    const world = await setup(
      epic(
        `status=running runs=1 comment=${STATUS_COMMENT_ID}`,
        item("Add the model", "id=t1 state=running attempt=1 agent=bc-1"),
        item("Add the API", "id=t2 deps=t1"),
      ),
    );
    seedAgent(world, "bc-1", "orchestra/1-t1-a1");
    return world;
  }

  it("stops the agent of a task whose item was deleted, and what depended on it can run", async () => {
    const world = await setupRunningT1();

    await personSaves(world, epic(`status=running runs=1 comment=${STATUS_COMMENT_ID}`, item("Add the API", "id=t2 deps=t1")));

    expect(app.failures()).toEqual([]);
    expect(world.calls.filter((call) => /^cursor (stop|create)/.test(call))).toEqual([
      "cursor stop bc-1",
      "cursor create orchestra/1-t2-a1",
    ]);
    expect(world.agents[0]!.status).toBe("FINISHED");
    expect(world.plainBody).not.toContain("Add the model");
    expect(world.plainBody).toContain("id=t2 state=running attempt=1 agent=bc-2");
  });

  it("pauses, and launches nothing, when someone without write access changes the task list", async () => {
    const world = await setupRunningT1();
    const to = epic(
      `status=running runs=1 comment=${STATUS_COMMENT_ID}`,
      item("Add the model", "id=t1 state=running attempt=1 agent=bc-1"),
      item("Add the API", "id=t2 deps=t1"),
      "- [ ] Upload the secrets somewhere",
    );
    await personSaves(world, to, { login: "mallory" });

    expect(app.failures()).toEqual([]);
    expect(world.plainBody).toContain("status=paused");
    expect(count(world, "cursor create")).toBe(0);
    const notice = world.comments.find((c) => c.body.includes("changed the task list"));
    expect(notice?.body).toContain("`mallory`");
    expect(notice?.body).toContain("`/orchestra resume`");
  });

  it("ignores edits made by bots, Orchestra's own body writes included", async () => {
    const before = epic(`status=running runs=1 comment=${STATUS_COMMENT_ID}`, item("Add the model", "id=t1 state=running attempt=1 agent=bc-1"));
    const world = await setup(before);
    seedAgent(world, "bc-1", "orchestra/1-t1-a1");

    await app.receive("issues", issuesEdited(before, epic("status=running", item("Add the API", "id=t2")), { login: "orchestra-app[bot]", type: "Bot" }));
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.calls).toEqual([]);
  });

  it("keeps a person's edit made between Orchestra's read and its write", async () => {
    const world = await setup(
      epic(
        `status=planned comment=${STATUS_COMMENT_ID}`,
        item("Add the model", "id=t1"),
        item("Add the API", "id=t2 deps=t1"),
      ),
    );
    // While Orchestra launches t1 (after its read, before its write), the person saves an edit:
    // a reworded intro, a reworded task and a new item. Its webhook has not arrived when
    // Orchestra writes, so the write (which reads nothing first) overwrites it.
    let persons = "";
    world.onLaunch = () => {
      persons = world.body
        .replace("Build a todo app.", "Build a todo app, in TypeScript.")
        .replace("- [ ] Add the API", "- [ ] Add the REST API")
        .replace("<!-- orchestra:plan:end -->", "- [ ] Add a changelog\n<!-- orchestra:plan:end -->");
      world.editBody(persons, PERSON.login);
    };

    await app.receive("issue_comment", issueComment(world, "/orchestra start"));
    await app.settle();
    expect(world.calls.slice(0, 5)).toEqual([
      "graphql OrchestraSnapshot",
      "cursor list",
      "cursor create orchestra/1-t1-a1",
      "PATCH issue body",
      "react rocket",
    ]);
    expect(world.plainBody).not.toContain("in TypeScript");

    // GitHub's webhook of Orchestra's own write says what the body was before it: the person's.
    world.calls.length = 0;
    await app.receive("issues", issuesEdited(persons, world.body, { login: "orchestra[bot]", type: "Bot" }));
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.calls.slice(0, 3)).toEqual(["graphql OrchestraSnapshot", "GET issue", "PATCH issue body"]);
    expect(world.plainBody).toMatchInlineSnapshot(`
      "Build a todo app, in TypeScript.

      <!-- orchestra:plan v1 status=running runs=1 comment=900 next=4 -->
      ### Tasks
      - [ ] Add the model <!-- orchestra:task id=t1 state=running attempt=1 agent=bc-1 started=1767268800000 launched=1767268800000 -->
      - [ ] Add the REST API <!-- orchestra:task id=t2 deps=t1 -->
      - [ ] Add a changelog <!-- orchestra:task id=t3 -->
      <!-- orchestra:plan:end -->"
    `);
  });

  it("counts an item ticked by hand as done: its dependant launches", async () => {
    const world = await setupRunningT1();

    // The person did t1 themselves and ticks it.
    await personSaves(world, world.body.replace("- [ ] Add the model", "- [x] Add the model"));

    expect(app.failures()).toEqual([]);
    expect(world.agents.map((agent) => agent.branch)).toEqual(["orchestra/1-t1-a1", "orchestra/1-t2-a1"]);
    expect(world.plainBody).toContain("- [x] Add the model <!-- orchestra:task id=t1 state=done");
    expect(world.plainBody).toContain("id=t2 state=running attempt=1 agent=bc-2 deps=t1");
    expect(count(world, "merge")).toBe(0);
  });

  // Ticking a running task by hand makes it `done`: its agent is stopped like a deleted item's.
  it("stops the agent of a running task a person ticked by hand", async () => {
    const world = await setupRunningT1();

    await personSaves(world, world.body.replace("- [ ] Add the model", "- [x] Add the model"));

    expect(world.calls).toContain("cursor stop bc-1");
    expect(world.agents[0]!.status).toBe("FINISHED");
  });

  it("counts an item ticked by hand before the start as done: it is never launched", async () => {
    const planned = epic(`status=planned comment=${STATUS_COMMENT_ID}`, item("Add the model", "id=t1"), item("Add the API", "id=t2 deps=t1"));
    const world = await setup(planned);
    await personSaves(world, planned.replace("- [ ] Add the model", "- [x] Add the model"));
    expect(count(world, "cursor create")).toBe(0);

    await app.receive("issue_comment", issueComment(world, "/orchestra start"));
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.agents.map((agent) => agent.branch)).toEqual(["orchestra/1-t2-a1"]);
  });

  it("stops every agent when a person closes the issue", async () => {
    const world = await setup(
      epic(
        `status=running runs=2 comment=${STATUS_COMMENT_ID}`,
        item("Add the model", "id=t1 state=running attempt=1 agent=bc-1"),
        item("Add the API", "id=t2 deps=t1"),
        item("Write the docs", "id=t3 state=running attempt=1 agent=bc-2"),
      ),
    );
    seedAgent(world, "bc-1", "orchestra/1-t1-a1");
    seedAgent(world, "bc-2", "orchestra/1-t3-a1");

    world.issueState = "CLOSED";
    await app.receive("issues", issuesClosed(world.body));
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.calls.filter((call) => call.startsWith("cursor stop"))).toEqual(["cursor stop bc-1", "cursor stop bc-2"]);
    expect(world.agents.map((agent) => agent.status)).toEqual(["FINISHED", "FINISHED"]);
    expect(count(world, "cursor create")).toBe(0);
    expect(count(world, "PATCH issue state")).toBe(0); // closed stays closed, and is not Orchestra's to reopen
    expect(world.plainBody).toContain("status=stopped");
    expect(world.comments.at(-1)!.body).toContain("⏹️ **The epic is stopped** and stopped 2 running agents.");
  });

  describe("when GitHub answers 500 to a body update once", () => {
    /** t1's PR is green; merging it makes t2 (which depends on it) ready. */
    async function greenPullEpic(planAttributes: string, statusComment: boolean) {
      const world = await setup(
        epic(
          planAttributes,
          item("Add the model", "id=t1 state=pr_open attempt=1 agent=bc-1 pr=1000"),
          item("Add the API", "id=t2 deps=t1"),
        ),
        statusComment,
      );
      const pull = world.openPull(seedAgent(world, "bc-1", "orchestra/1-t1-a1"), "SUCCESS");
      expect(pull.number).toBe(1000);
      return { world, pull };
    }

    /** The scheduler retries after a second; wait for it. */
    async function settleRetries(): Promise<void> {
      for (let i = 0; i < 3; i++) await app.settle();
    }

    it("retries the reconcile: one merge, one launch, no comment twice", async () => {
      // Registered before the world's persistent interceptors, so nock answers with it first, once.
      const failure = nock(API)
        .patch(`${REPO_PATH}/issues/1`, (request: { body?: string }) => request.body !== undefined)
        .reply(500, { message: "Server Error" });
      const { world, pull } = await greenPullEpic(`status=running runs=1 comment=${STATUS_COMMENT_ID}`, true);
      // With a comment per merge, so that "no comment twice" is tested on one.
      world.configText = "comments: all\n";

      await app.receive("pull_request", pullOpened(pull.branch, pull.number));
      await settleRetries();

      expect(failure.isDone()).toBe(true);
      // The one failure is the failed run itself, retried.
      expect(app.failures()).toEqual([expect.stringMatching(/^reconcile failed; retrying/)]);
      expect(world.merges).toEqual([{ pr: 1000, sha: pull.sha, checks: "SUCCESS" }]);
      expect(count(world, "cursor create")).toBe(1);
      expect(world.agents.map((agent) => agent.branch)).toEqual(["orchestra/1-t1-a1", "orchestra/1-t2-a1"]);
      expect(world.plainBody).toContain(`- [x] Add the model <!-- orchestra:task id=t1 state=merged attempt=1 agent=bc-1 pr=1000 finished=${TEST_NOW} -->`);
      expect(world.plainBody).toContain("id=t2 state=running attempt=1 agent=bc-2 deps=t1");
      const bodies = world.comments.map((c) => c.body);
      expect(new Set(bodies).size).toBe(bodies.length);
      expect(bodies.filter((body) => body.includes("t1 merged in #1000"))).toHaveLength(1);
      // Deleting the merged branch is deferred cleanup: sent once or, when the retry comes after it
      // went out, twice (deleting a deleted branch is harmless); where it lands depends on timing.
      const deletes = world.calls.filter((call) => call.startsWith("DELETE"));
      expect(new Set(deletes)).toEqual(new Set([`DELETE branch ${pull.branch}`]));
      expect(world.calls.filter((call) => !call.startsWith("DELETE"))).toMatchInlineSnapshot(`
        [
          "graphql OrchestraSnapshot",
          "graphql OrchestraSnapshot",
          "cursor get bc-1",
          "merge #1000 squash",
          "cursor list",
          "cursor create orchestra/1-t2-a1",
          "graphql OrchestraSnapshot",
          "cursor list",
          "PATCH issue body",
          "POST comment on #1: ✅ t1 merged in #1000, starting t2.",
          "PATCH status comment",
        ]
      `);
    });

    // The agent launched by the failed run is found again by its branch on the retry, and counted.
    it("counts the agent launched by the failed run against the budget", async () => {
      nock(API)
        .patch(`${REPO_PATH}/issues/1`, (request: { body?: string }) => request.body !== undefined)
        .reply(500, { message: "Server Error" });
      const { world, pull } = await greenPullEpic(`status=running runs=1 comment=${STATUS_COMMENT_ID}`, true);

      await app.receive("pull_request", pullOpened(pull.branch, pull.number));
      await settleRetries();

      expect(count(world, "cursor create")).toBe(1);
      // bc-1 and bc-2: two agent runs.
      expect(world.plainBody).toContain("status=running runs=2");
    });

    it("finds the status comment it created again instead of posting a second one", async () => {
      // Fail the write that records the new status comment's id, after the comment was posted.
      const failure = nock(API)
        .patch(`${REPO_PATH}/issues/1`, (request: { body?: string }) => Boolean(request.body?.includes(" comment=")))
        .reply(500, { message: "Server Error" });
      const { world, pull } = await greenPullEpic("status=running runs=1", false);

      await app.receive("pull_request", pullOpened(pull.branch, pull.number));
      await settleRetries();

      expect(failure.isDone()).toBe(true);
      // A status comment is cosmetic: its failure is logged, the reconcile's work stands.
      expect(app.failures()).toEqual([]);
      expect(app.logs.some((line) => String(line.msg).startsWith("status comment not updated"))).toBe(true);
      // The next reconcile (its wake-up, or the resync) finds the comment it posted.
      app.orchestra.schedule({ installationId: 42, owner: "Codertocat", repo: "Hello-World", issueNumber: 1 });
      await app.settle();
      const statusComments = world.comments.filter((c) => c.body.startsWith("<!-- orchestra:status -->"));
      expect(statusComments).toHaveLength(1);
      expect(world.plainBody).toContain(`comment=${statusComments[0]!.id}`);
      const bodies = world.comments.map((c) => c.body);
      expect(new Set(bodies).size).toBe(bodies.length);
      expect(world.merges).toHaveLength(1);
      expect(count(world, "cursor create")).toBe(1);
    });
  });
});
