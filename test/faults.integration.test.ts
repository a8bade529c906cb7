import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, CURSOR_URL, type TestApp } from "./helpers/app.js";
import { count, epic, issueComment, item, PERSON, seedAgent, seedStatusComment, STATUS_COMMENT_ID } from "./helpers/epic-events.js";
import { NockWorld, OWNER, NAME } from "./helpers/nock-world.js";

/**
 * Faults that must end in a clear state, said once in the issue, and never in a loop: Cursor
 * refusing the API key, at launch or while following an agent.
 */

const EPIC_REF = { installationId: 42, owner: OWNER, repo: NAME, issueNumber: 1 };

describe("faults", () => {
  let app: TestApp | undefined;
  afterEach(() => {
    app?.stop();
    app = undefined;
  });

  async function reconcileNow(): Promise<void> {
    app!.orchestra.schedule(EPIC_REF);
    await app!.settle();
  }

  it.each([401, 403])("Cursor answering %i to a launch pauses the epic with one comment, and nothing retries", async (status) => {
    // Registered before the world's interceptors, so nock answers with these first.
    nock(CURSOR_URL).post("/v0/agents").times(5).reply(status, { error: "Invalid API key" });
    const world = new NockWorld(epic(`status=planned comment=${STATUS_COMMENT_ID}`, item("Add the model", "id=t1")));
    seedStatusComment(world);
    app = await createTestApp();

    await app.receive("issue_comment", issueComment(world, "/orchestra start", PERSON));
    await app.settle();
    await reconcileNow();

    expect(app.failures()).toEqual([]);
    expect(world.plainBody).toContain("status=paused");
    const notices = world.comments.filter((c) => c.body.includes("Cursor rejected the API key"));
    expect(notices).toHaveLength(1);
    expect(notices[0]!.body).toContain("`/orchestra resume`");
    expect(world.agents).toEqual([]);
  });

  it.each([
    { announced: false, outcome: "announces the completion and closes the issue" },
    { announced: true, outcome: "leaves the issue a person reopened alone" },
  ])("an epic completed in the body whose issue is open: $outcome", async ({ announced }) => {
    const world = new NockWorld(epic(`status=completed runs=1 comment=${STATUS_COMMENT_ID}`, item("Add the model", "id=t1 state=merged attempt=1 pr=5", true)));
    seedStatusComment(world);
    if (announced) world.comments.push({ id: 950, body: "<!-- orchestra:comment key=completed -->\n🎉 done", byApp: true });
    app = await createTestApp();

    await reconcileNow();
    await reconcileNow();

    expect(app.failures()).toEqual([]);
    expect(world.issueState).toBe(announced ? "OPEN" : "CLOSED");
    expect(world.comments.filter((c) => c.body.includes("key=completed"))).toHaveLength(1);
  });

  it("Cursor refusing the key while Orchestra follows an agent pauses the epic once", async () => {
    nock(CURSOR_URL).get("/v0/agents/bc-1").times(5).reply(401, { error: "Unauthorized" });
    const world = new NockWorld(epic(`status=running runs=1 comment=${STATUS_COMMENT_ID}`, item("Add the model", "id=t1 state=running attempt=1 agent=bc-1")));
    seedStatusComment(world);
    seedAgent(world, "bc-1", "orchestra/1-t1-a1");
    app = await createTestApp();

    await reconcileNow();
    await reconcileNow();

    expect(app.failures()).toEqual([]);
    expect(world.plainBody).toContain("status=paused");
    expect(world.comments.filter((c) => c.body.includes("Cursor rejected the API key"))).toHaveLength(1);
    expect(count(world, "cursor create")).toBe(0);
  });
});
