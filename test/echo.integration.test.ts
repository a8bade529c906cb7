import { afterEach, describe, expect, it } from "vitest";
import pullClosedEvent from "../fixtures/events/pull_request.closed.json" with { type: "json" };
import { createTestApp, withInstallation, type TestApp } from "./helpers/app.js";
import {
  checkRunCompleted,
  epic,
  issueComment,
  issuesClosed,
  issuesEdited,
  item,
  PERSON,
  seedAgent,
  seedStatusComment,
  STATUS_COMMENT_ID,
  type Sender,
} from "./helpers/epic-events.js";
import { APP_SLUG, NockWorld } from "./helpers/nock-world.js";

/**
 * Webhooks that only echo Orchestra's own writes (its body edits, its comments, its merges, its
 * closing of the epic) cost no snapshot; anything a person or another app did in the same window
 * still costs one. GitHub's `sender` tells them apart: a `[bot]` login no person can take.
 */

const ORCHESTRA: Sender = { login: `${APP_SLUG}[bot]`, type: "Bot" };
const RUNNING = epic(
  `status=running runs=1 comment=${STATUS_COMMENT_ID}`,
  item("Add the model", "id=t1 state=running attempt=1 agent=bc-1"),
  item("Add the API", "id=t2 deps=t1"),
);

/** A real `pull_request.closed` payload for task PR `number` on `branch`, closed by `sender`. */
function pullClosed(branch: string, number: number, sender: Sender, merged = true) {
  const payload = withInstallation(pullClosedEvent as unknown as Record<string, unknown>) as typeof pullClosedEvent;
  const repository = payload.repository;
  payload.number = number;
  payload.pull_request = {
    ...payload.pull_request,
    number,
    merged,
    head: { ...payload.pull_request.head, ref: branch, repo: repository },
  } as typeof payload.pull_request;
  payload.sender = { ...payload.sender, login: sender.login, type: sender.type ?? "User" };
  return payload;
}

describe("events that echo Orchestra's own writes", () => {
  let app: TestApp;
  afterEach(() => app?.stop());

  async function setup(): Promise<NockWorld> {
    const world = new NockWorld(RUNNING);
    seedStatusComment(world);
    seedAgent(world, "bc-1", "orchestra/1-t1-a1");
    // Events within 100 ms share one reconcile, as in production (250 ms by default).
    app = await createTestApp({ env: { debounceMs: 100 } });
    // One reconcile first: after a start, the first one also learns the epic's branches and
    // the App's slug; what follows is what every later event costs.
    await app.receive("check_run", checkRunCompleted("orchestra/1-t1-a1"));
    await app.settle();
    world.calls.length = 0;
    return world;
  }

  async function sendEchoes(world: NockWorld): Promise<void> {
    const body = world.body;
    await app.receive("issues", issuesEdited(body, body, ORCHESTRA));
    await app.receive("issue_comment", issueComment(world, "✅ t1 merged in #1000, starting t2.", ORCHESTRA));
    await app.receive("pull_request", pullClosed("orchestra/1-t1-a1", 1000, ORCHESTRA));
    await app.receive("pull_request", pullClosed("orchestra/1-t1-a1", 1000, ORCHESTRA, false));
    await app.receive("issues", issuesClosed(body, ORCHESTRA));
  }

  it("cost no request at all", async () => {
    const world = await setup();

    await sendEchoes(world);
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.calls).toEqual([]);
  });

  it("do not hide a person's event in the same window: it costs one snapshot", async () => {
    const world = await setup();

    await sendEchoes(world);
    await app.receive("check_run", checkRunCompleted("orchestra/1-t1-a1"));
    await app.receive("pull_request", pullClosed("orchestra/1-t1-a1", 1000, PERSON, false));
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.calls.filter((call) => call.startsWith("graphql"))).toEqual(["graphql OrchestraSnapshot"]);
  });

  it("are told apart by GitHub's sender, not by a name that looks like Orchestra's", async () => {
    const world = await setup();

    // Another app's bot, and a person whose login resembles the App's: both are reconciled.
    await app.receive("pull_request", pullClosed("orchestra/1-t1-a1", 1000, { login: "other-app[bot]", type: "Bot" }));
    await app.settle();
    await app.receive("issues", issuesClosed(world.body, { login: APP_SLUG }));
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.calls.filter((call) => call === "graphql OrchestraSnapshot")).toHaveLength(2);
  });
});
