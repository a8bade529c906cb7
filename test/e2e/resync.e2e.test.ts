import { afterEach, describe, expect, it } from "vitest";
import { PERSON, seedRepository } from "../../sandbox/harness.js";
import { type E2E, E2E_OPTIONS, startE2E } from "./harness.js";

/**
 * The resync against the fake GitHub, every 2 s here: it finds epics with the issue search (a
 * repository's own label included, for an epic whose webhook was lost), and leaves an epic that
 * waits for a person alone until its issue changes.
 */
describe("the resync through the sandbox", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  afterEach(async () => e2e?.stop());

  const waitResyncs = async (n: number) => {
    const github = e2e!.sandbox.github;
    const searches = github.requestCount("GET /search/issues");
    await e2e!.until(() => github.requestCount("GET /search/issues") >= searches + n, `${n} resyncs`, 20_000);
    await github.idle();
    await new Promise((resolve) => setTimeout(resolve, 300)); // the reconciles it scheduled
  };

  it("costs an idle epic nothing but the search, finds an epic whose label webhook was lost under its repository's own label, and looks again when a person comments", async () => {
    e2e = await startE2E({ tasks: 2, start: false });
    const github = e2e.sandbox.github;
    await e2e.until(() => e2e!.body().includes("<!-- orchestra:plan:end -->"), "the plan");
    await waitResyncs(2);

    // Planned and waiting for `/orchestra start`: the resyncs read nothing of it.
    const snapshots = () => github.requestCount("graphql OrchestraSnapshot");
    const idle = snapshots();
    await waitResyncs(2);
    expect(snapshots()).toBe(idle);

    // A second repository names its own label; its epic is labelled while webhooks are lost.
    const other = seedRepository(e2e.sandbox, { repo: "octo-org/docs", config: "label: big-work\n" });
    const target = github.webhookTarget;
    github.webhookTarget = null;
    const lost = github.openIssue(other, PERSON, { title: "Write the guide", body: "- [ ] Write the intro\n- [ ] Write the API reference\n" });
    github.addLabel(other, lost, "big-work", PERSON);
    await github.idle();
    github.webhookTarget = target;
    await e2e.until(() => github.issue(other, lost).body.includes("<!-- orchestra:plan:end -->"), "the resync to plan the epic whose webhook was lost", 20_000);

    // A comment that is no command sends a webhook that starts no reconcile; the resync sees the issue moved.
    await waitResyncs(2);
    const before = snapshots();
    github.comment(e2e.repo, e2e.epic, "Looks good, will start it tomorrow.", PERSON);
    await waitResyncs(1);
    expect(snapshots()).toBeGreaterThan(before);
    expect(github.validationErrors).toEqual([]);
  }, 60_000);
});
