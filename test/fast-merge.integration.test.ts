import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, TEST_NOW, type TestApp } from "./helpers/app.js";
import { checkRunCompleted, count, epic, item, pullReviewSubmitted, seedAgent, seedStatusComment, STATUS_COMMENT_ID } from "./helpers/epic-events.js";
import { NockWorld, type WorldPull } from "./helpers/nock-world.js";

/**
 * A check turning green is merged on its webhook's word: the snapshot read when the PR's checks
 * were running takes the finished check in, and the merge goes out with no read before it
 * (Octokit's throttling would space that read and the merge a second apart). Anything the
 * snapshot cannot take in — another event, a check it never saw start, a failure — costs one
 * read, as before.
 */

const BRANCH = "orchestra/1-t1-a1";
const RUNNING = epic(
  `status=running runs=1 comment=${STATUS_COMMENT_ID}`,
  item("Add the model", `id=t1 state=running attempt=1 agent=bc-1 launched=${TEST_NOW}`),
  item("Add the API", "id=t2 deps=t1"),
);

describe("a green check merged without a read first", () => {
  let app: TestApp;
  let world: NockWorld;
  afterEach(() => app?.stop());

  /** t1's PR is open with its CI running, and Orchestra has read it so. */
  async function setup(): Promise<WorldPull> {
    world = new NockWorld(RUNNING);
    seedStatusComment(world);
    seedAgent(world, "bc-1", BRANCH);
    app = await createTestApp();
    const pull = world.openPull(world.agents[0]!);
    pull.contexts = [{ name: "ci / test", status: "IN_PROGRESS" }];
    await app.receive("check_run", checkRunCompleted(BRANCH));
    await app.settle();
    expect(count(world, "merge #")).toBe(0);
    world.calls.length = 0;
    return pull;
  }

  /** GitHub's check_run.completed for the PR's run (the id the snapshot read) at its head. */
  function ciFinished(pull: WorldPull, conclusion: "success" | "failure") {
    pull.contexts = [{ name: "ci / test", status: "COMPLETED", conclusion: conclusion === "success" ? "SUCCESS" : "FAILURE" }];
    const payload = checkRunCompleted(BRANCH);
    Object.assign(payload.check_run, { id: pull.number * 1000, name: "ci / test", head_sha: pull.sha, status: "completed", conclusion });
    // The suite's only run: the suite is done with it.
    Object.assign(payload.check_run.check_suite, { status: "completed", conclusion });
    return payload;
  }

  it("merges at once, then reads GitHub again for what follows", async () => {
    const pull = await setup();

    await app.receive("check_run", ciFinished(pull, "success"));
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.calls[0]).toBe(`merge #${pull.number} squash`);
    expect(world.merges).toEqual([{ pr: pull.number, sha: pull.sha, checks: pull.checks }]);
    expect(count(world, "cursor create orchestra/1-t2-a1")).toBe(1);
    expect(world.plainBody).toContain("id=t1 state=merged");

    // The merge changed what was read: the next event reads GitHub.
    world.calls.length = 0;
    await app.receive("check_run", checkRunCompleted(BRANCH));
    await app.settle();
    expect(world.calls.filter((call) => call.startsWith("graphql"))).toEqual(["graphql OrchestraSnapshot"]);
  });

  it("reads GitHub first when a review came in meanwhile, and does not merge over its change request", async () => {
    const pull = await setup();
    pull.reviews.push({ databaseId: 77, state: "CHANGES_REQUESTED", body: "Not like this.", author: { login: "maintainer" }, authorCanPushToRepository: true, commit: { oid: pull.sha } });
    await app.receive("pull_request_review", pullReviewSubmitted(BRANCH));

    await app.receive("check_run", ciFinished(pull, "success"));
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.calls[0]).toBe("graphql OrchestraSnapshot");
    expect(count(world, "merge #")).toBe(0);
  });

  it("reads GitHub for a failed check, whose details the agent is sent", async () => {
    const pull = await setup();

    await app.receive("check_run", ciFinished(pull, "failure"));
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.calls[0]).toBe("graphql OrchestraSnapshot");
    expect(count(world, "merge #")).toBe(0);
    expect(count(world, "cursor followup bc-1")).toBe(1);
  });
});
