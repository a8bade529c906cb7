import { afterEach, describe, expect, it } from "vitest";
import { type E2E, E2E_OPTIONS, isDone, pullMerges, startE2E } from "./harness.js";

const BULLETS = ["Add a Todo model with a title and a done flag [audit:changes]", "Add an in-memory store for todos", "Add a README section on the store"];

describe("end to end: the audit gate", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  afterEach(async () => e2e?.stop());

  it("merges every PR only after a passing `Orchestra audit` at its merged sha; the rejected one gets one follow-up and is audited again", async () => {
    e2e = await startE2E({ tasks: 3, bullets: BULLETS, config: "audit:\n  enabled: true\n" });
    await e2e.until(() => isDone(e2e!), "the epic to close", 30_000);
    const { github, cursor, transcript, openai } = e2e.sandbox;
    const events = transcript.events;
    const merges = pullMerges(e2e);

    const pulls = github.pulls(e2e.repo);
    expect(pulls).toHaveLength(3);
    for (const pull of pulls) {
      expect(pull.merged).toBe(true);
      const audit = pull.checks.find((check) => check.name === "Orchestra audit");
      expect(audit, `#${pull.number} has Orchestra's audit at its merged sha`).toMatchObject({ app: "orchestra", sha: pull.headSha, status: "completed", conclusion: "success" });
      const passedAt = events.findIndex((e) => e.kind === "check" && e.text.startsWith(`Orchestra audit success on ${pull.headSha.slice(0, 7)}`));
      expect(passedAt).toBeGreaterThanOrEqual(0);
      expect(merges.find((merge) => merge.pr === pull.number)!.seq, "merged after its passing audit").toBeGreaterThan(passedAt);
    }

    const rejected = pulls.find((pull) => pull.head.includes("-t1-"))!;
    const agent = cursor.agents.find((a) => a.target.branchName === rejected.head)!;
    expect(agent.followups).toHaveLength(1);
    expect(agent.followups[0]).toContain(`Orchestra's auditor read pull request #${rejected.number}`);
    expect(agent.followups[0]).toContain("The change has no test of the new behaviour the task asks for");
    const failed = events.filter((e) => e.kind === "check" && e.text.startsWith("Orchestra audit failure"));
    expect(failed).toHaveLength(1);
    expect(failed[0]!.text).not.toContain(rejected.headSha.slice(0, 7));
    // One audit per head: 3 PRs, one of them audited twice (its first head, then its fix).
    expect(events.filter((e) => e.kind === "audit")).toHaveLength(4);
    expect(openai.requestCount("audit")).toBe(4);
    for (const other of cursor.agents.filter((a) => a !== agent)) expect(other.followups).toEqual([]);
    expect(github.validationErrors).toEqual([]);
  }, 60_000);
});
