import { afterEach, describe, expect, it } from "vitest";
import { PERSON } from "../../sandbox/harness.js";
import { type E2E, E2E_OPTIONS, isDone, startE2E } from "./harness.js";

/**
 * Issue 10's "done when": a `/orchestra start` comment and an `epic` label, both posted while the
 * app is stopped (their webhooks fail), are carried out once it starts again.
 */
describe("end to end: what people ask while the app is down", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  afterEach(async () => e2e?.stop());

  it("carries out a start command and plans a labelled issue after a restart", async () => {
    e2e = await startE2E({ tasks: 1, start: false });
    const { github, cursor } = e2e.sandbox;
    await e2e.kill();

    e2e.comment("/orchestra start");
    const second = github.openIssue(e2e.repo, PERSON, { title: "Docs", body: "Write the docs.\n\n- [ ] Add a README section\n" });
    github.addLabel(e2e.repo, second, "epic", PERSON);

    await e2e.restart();
    await e2e.until(() => isDone(e2e!), "the first epic to run to its end", 20_000);
    await e2e.until(() => github.issue(e2e!.repo, second).body.includes("<!-- orchestra:plan"), "the second issue to be planned");
    expect(cursor.agents).toHaveLength(1);
    const start = github.comments(e2e.repo, e2e.epic).find((c) => c.body === "/orchestra start")!;
    expect(start.reactions.map((r) => r.content)).toEqual(["rocket"]);
    expect(github.validationErrors).toEqual([]);
  }, 40_000);
});
