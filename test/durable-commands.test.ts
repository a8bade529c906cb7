import fc from "fast-check";
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { findMarkerKey } from "../src/orchestration/messages.js";
import { createTestApp, type TestApp } from "./helpers/app.js";
import { checkRunCompleted, count, epic, issueComment, item, PERSON, seedAgent, seedStatusComment, STATUS_COMMENT_ID } from "./helpers/epic-events.js";
import { NockWorld, OWNER, NAME } from "./helpers/nock-world.js";

/**
 * Commands are read from the comments themselves, after the cursor the block keeps: a command
 * whose webhook is lost, or arrives while the app is down, is carried out by the next reconcile,
 * and none is carried out twice, whatever the deliveries, failures and restarts.
 */

const EPIC_REF = { installationId: 42, owner: OWNER, repo: NAME, issueNumber: 1 };
const PLANNED = epic(`status=planned comment=${STATUS_COMMENT_ID} cmd=10`, item("Add the model", "id=t1"), item("Add the API", "id=t2 deps=t1"));

describe("durable commands", () => {
  let app: TestApp | undefined;
  afterEach(() => {
    app?.stop();
    app = undefined;
    nock.cleanAll();
  });

  async function reconcileNow(): Promise<void> {
    app!.orchestra.schedule(EPIC_REF);
    await app!.settle();
  }

  it("carries out a /orchestra start whose webhook was lost, at the next reconcile, once", async () => {
    const world = new NockWorld(PLANNED);
    seedStatusComment(world);
    app = await createTestApp();
    world.addComment("/orchestra start", PERSON.login); // no webhook

    await reconcileNow();
    await reconcileNow();

    expect(app.failures()).toEqual([]);
    expect(world.agents.map((agent) => agent.branch)).toEqual(["orchestra/1-t1-a1"]);
    expect(world.plainBody).toContain("status=running");
    expect(world.body).toMatch(new RegExp(`cmd=${world.comments.at(-1)!.id}\\b|cmd=\\d+`));
  });

  it("carries out a command posted while the app was stopped, after it starts", async () => {
    const world = new NockWorld(PLANNED);
    seedStatusComment(world);
    world.addComment("Looks good.\n/orchestra start", PERSON.login);
    app = await createTestApp(); // started after the comment

    await app.receive("check_run", checkRunCompleted("orchestra/1-t1-a1")); // any hint, or the resync
    await app.settle();

    expect(world.agents).toHaveLength(1);
  });

  it("does not run a command again when the reconcile that ran it fails afterwards", async () => {
    const world = new NockWorld(
      epic(`status=paused runs=1 comment=${STATUS_COMMENT_ID} cmd=10`, item("Add the model", "id=t1 state=failed attempt=1 agent=bc-1 reason=x")),
    );
    seedStatusComment(world);
    seedAgent(world, "bc-1", "orchestra/1-t1-a1", "ERROR");
    // The launch after /retry fails once: the reconcile is retried.
    nock("http://cursor.test").post("/v0/agents").reply(500, { error: "boom" });
    app = await createTestApp();

    await app.receive("issue_comment", issueComment(world, "/retry t1"));
    for (let i = 0; i < 4; i++) await app.settle();
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await app.settle();

    expect(world.agents.filter((agent) => agent.branch === "orchestra/1-t1-a2")).toHaveLength(1);
    expect(world.reactions.filter((r) => r.content === "rocket")).toHaveLength(1);
  });

  it("posts the status comment again when someone deleted it, and changes nothing else", async () => {
    const world = new NockWorld(epic(`status=running runs=1 comment=${STATUS_COMMENT_ID} cmd=10`, item("Add the model", "id=t1 state=running attempt=1 agent=bc-1")));
    seedStatusComment(world);
    seedAgent(world, "bc-1", "orchestra/1-t1-a1");
    app = await createTestApp();
    world.comments.splice(world.comments.findIndex((c) => c.id === STATUS_COMMENT_ID), 1);

    world.addComment("/orchestra status", PERSON.login);
    await reconcileNow();

    expect(app.failures()).toEqual([]);
    const status = world.comments.filter((c) => c.byApp && c.body.startsWith("<!-- orchestra:status -->"));
    expect(status).toHaveLength(1);
    expect(world.plainBody).toContain(`comment=${status[0]!.id}`);
    expect(world.plainBody).toContain("id=t1 state=running attempt=1 agent=bc-1");
    expect(count(world, "cursor")).toBe(1); // the agent's poll, nothing else
    expect(world.comments.filter((c) => c.byApp && c.body.includes("`/orchestra status`"))).toHaveLength(1);
  });

  describe("an epic label whose webhook was lost", () => {
    const CHECKLIST = "Build a todo app.\n\n- [ ] Add the model\n- [ ] Add the API\n";

    it("is planned by the next reconcile (the resync), when a writer added it", async () => {
      const world = new NockWorld(CHECKLIST);
      app = await createTestApp();

      await reconcileNow();

      expect(app.failures()).toEqual([]);
      expect(world.plainBody).toContain("- [ ] Add the model <!-- orchestra:task id=t1 -->");
      expect(world.comments.filter((c) => c.byApp && c.body.startsWith("<!-- orchestra:status -->"))).toHaveLength(1);
    });

    it("is not planned when someone without write access added it, or when planning it failed before", async () => {
      const world = new NockWorld(CHECKLIST);
      world.labelEvents[0]!.login = "mallory";
      world.permissions.mallory = "triage";
      app = await createTestApp();
      await reconcileNow();
      expect(world.plainBody).toBe(CHECKLIST);

      world.labelEvents[0]!.login = "Codertocat";
      world.comments.push({ id: 5, body: "<!-- orchestra:comment key=plan-failed-invalid-output -->\nThe planner failed.", byApp: true });
      await reconcileNow();
      expect(world.plainBody).toBe(CHECKLIST);
      expect(count(world, "PATCH issue")).toBe(0);
    });
  });

  it("closes out a running task a maintainer deleted, with the edit's webhook lost: agent stopped, PR closed, branch deleted, never merged", async () => {
    const world = new NockWorld(
      epic(
        `status=running runs=1 comment=${STATUS_COMMENT_ID} cmd=10 live=t1.1`,
        item("Add the model", "id=t1 state=running attempt=1 agent=bc-1"),
        item("Add the API", "id=t2 deps=t1"),
      ),
    );
    seedStatusComment(world);
    const agent = seedAgent(world, "bc-1", "orchestra/1-t1-a1");
    const pull = world.openPull(agent, "PENDING");
    agent.status = "RUNNING";
    app = await createTestApp();
    world.editBody(world.body.replace(/- \[ \] Add the model .*\n/, ""), PERSON.login);

    pull.checks = "SUCCESS";
    await reconcileNow();
    await reconcileNow();

    expect(app.failures()).toEqual([]);
    expect(world.merges).toEqual([]);
    expect(count(world, "cursor stop bc-1")).toBe(1);
    expect(pull.state).toBe("CLOSED");
    expect(world.comments.filter((c) => c.issue === pull.number && c.body.includes("removed from the task list"))).toHaveLength(1);
    expect(world.calls).toContain("DELETE branch orchestra/1-t1-a1");
    expect(world.body).not.toContain("live=t1.1");
    expect(world.agents.map((a) => a.branch)).toEqual(["orchestra/1-t1-a1", "orchestra/1-t2-a1"]);
  });

  it("leaves a maintainer's own PR from a deleted task's branch open, and the branch with it", async () => {
    const world = new NockWorld(epic(`status=running runs=1 comment=${STATUS_COMMENT_ID} cmd=10 live=t1.1`, item("Add the model", "id=t1 state=running attempt=1 agent=bc-1")));
    seedStatusComment(world);
    const agent = seedAgent(world, "bc-1", "orchestra/1-t1-a1");
    const agents = world.openPull(agent, "PENDING");
    const theirs = { ...agents, number: 3001, reviews: [] };
    world.pulls.push(theirs);
    app = await createTestApp();
    world.editBody(world.body.replace(/- \[ \] Add the model .*\n/, ""), PERSON.login);

    await reconcileNow();

    expect(app.failures()).toEqual([]);
    expect(agents.state).toBe("CLOSED");
    expect(theirs.state).toBe("OPEN");
    expect(world.calls.filter((call) => call.startsWith("DELETE branch"))).toEqual([]);
  });

  it("runs a command posted before an /orchestra plan first, and the plan after it, losing neither", async () => {
    const world = new NockWorld(epic(`status=running runs=1 comment=${STATUS_COMMENT_ID} cmd=10`, item("Add the model", "id=t1 state=running attempt=1 agent=bc-1")));
    seedStatusComment(world);
    seedAgent(world, "bc-1", "orchestra/1-t1-a1");
    app = await createTestApp();
    world.addComment("/orchestra stop", PERSON.login);
    world.addComment("/orchestra plan add tests", PERSON.login);

    await reconcileNow();
    await reconcileNow();

    expect(app.failures()).toEqual([]);
    expect(world.plainBody).toContain("status=stopped");
    expect(count(world, "cursor stop bc-1")).toBe(1);
    expect(world.comments.filter((c) => c.byApp && c.body.includes("`/orchestra plan add tests`"))).toHaveLength(1);
  });

  it("plans and starts on /orchestra plan and /orchestra start in one comment, and says so of other commands there", async () => {
    const world = new NockWorld("Build a todo app.\n\n- [ ] Add the model\n- [ ] Add the API");
    app = await createTestApp();

    await app.receive("issue_comment", issueComment(world, "/orchestra plan\n/orchestra start\n/orchestra pause"));
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.plainBody).toContain("status=running");
    expect(count(world, "cursor create")).toBe(1);
    const replies = world.comments.filter((c) => c.byApp && c.body.includes("`/orchestra pause`"));
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body).toContain("same comment as `/orchestra plan`");
  });

  it("passes over commands of people without write access, and of bots", async () => {
    const world = new NockWorld(PLANNED);
    seedStatusComment(world);
    world.permissions.mallory = "read";
    app = await createTestApp();
    world.addComment("/orchestra start", "mallory");
    world.addComment("/orchestra start", "some-app[bot]", { bot: true });

    await reconcileNow();

    expect(world.agents).toEqual([]);
    expect(world.comments.filter((c) => c.byApp && c.id !== STATUS_COMMENT_ID)).toEqual([]);
  });
});

/**
 * Any interleaving of comments, their webhooks (delivered, lost, or delivered twice), body writes
 * that fail and restarts of the app: every command by a writer is answered exactly once (a 🚀
 * reaction or one reply), and answered at all by the end.
 */
type Step =
  | { kind: "comment"; command: "status" | "help" | "pause" | "resume"; deliveries: 0 | 1 | 2 }
  | { kind: "fail-next-write" }
  | { kind: "restart" }
  | { kind: "reconcile" };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("comment" as const), command: fc.constantFrom("status", "help", "pause", "resume"), deliveries: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2> }) },
  { weight: 1, arbitrary: fc.constant({ kind: "fail-next-write" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "restart" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "reconcile" as const }) },
);

describe("each command takes effect exactly once", () => {
  it("whatever the deliveries, failures and restarts", async () => {
    let failures = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 6 }), async (steps) => {
        nock.cleanAll(); // each run is a world of its own
        const world = new NockWorld(epic(`status=running comment=${STATUS_COMMENT_ID} cmd=10`, item("Add the model", "id=t1 state=done", true), item("Add the API", "id=t2")));
        seedStatusComment(world);
        let app = await createTestApp();
        const commands: number[] = [];
        try {
          for (const step of steps) {
            if (step.kind === "comment") {
              const payload = issueComment(world, `/orchestra ${step.command}`);
              commands.push(payload.comment.id);
              for (let i = 0; i < step.deliveries; i++) await app.receive("issue_comment", payload);
            } else if (step.kind === "fail-next-write") {
              world.failBodyWrites++;
            } else if (step.kind === "restart") {
              app.stop();
              app = await createTestApp();
            }
            app.orchestra.schedule(EPIC_REF);
            await app.settle();
          }
          // The resync at the end heals whatever a failure left.
          world.failBodyWrites = 0;
          app.stop();
          app = await createTestApp();
          app.orchestra.schedule(EPIC_REF);
          await app.settle();

          failures += world.calls.filter((call) => call.endsWith("→ 500")).length;
          for (const id of commands) {
            const rockets = world.reactions.filter((r) => r.content === "rocket" && r.target.endsWith(`/comments/${id}/reactions`)).length;
            const replies = world.comments.filter((c) => c.byApp && new RegExp(`^(reply|status)-${id}-?`).test(findMarkerKey(c.body) ?? "")).length;
            expect(rockets + replies, `command comment ${id}`).toBe(1);
          }
        } finally {
          app.stop();
        }
      }),
      { numRuns: 25 },
    );
    expect(failures, "some runs had failing writes").toBeGreaterThan(0);
  }, 120_000);
});
