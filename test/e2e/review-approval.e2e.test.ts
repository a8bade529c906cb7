import { afterEach, describe, expect, it } from "vitest";
import { type E2E, E2E_OPTIONS, isDone, pullMerges, startE2E } from "./harness.js";

describe("end to end: review requests changes, approval required", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  afterEach(async () => e2e?.stop());

  it("forwards the review to the agent and merges only the approved head", async () => {
    e2e = await startE2E({ tasks: 2, scenario: "review-changes", config: "requireApproval: true\n" });
    await e2e.until(() => isDone(e2e!), "the epic to close", 15_000);
    const { github, cursor, transcript } = e2e.sandbox;

    const merges = pullMerges(e2e);
    for (const pull of github.pulls(e2e.repo)) {
      expect(pull.merged).toBe(true);
      expect(pull.reviews.map((review) => review.state)).toEqual(["CHANGES_REQUESTED", "APPROVED"]);
      const approval = pull.reviews[1]!;
      expect(approval.commitId, "approved at the merged head").toBe(pull.headSha);
      expect(pull.reviews[0]!.commitId).not.toBe(pull.headSha);
      expect(pull.checks.every((check) => check.sha === pull.headSha && check.conclusion === "success")).toBe(true);

      const approvedAt = transcript.events.findIndex((e) => e.kind === "review" && e.text.includes(`PR #${pull.number}: APPROVED`));
      const mergedAt = merges.find((merge) => merge.pr === pull.number)!.seq;
      expect(approvedAt).toBeGreaterThanOrEqual(0);
      expect(mergedAt, "merged only after the approval").toBeGreaterThan(approvedAt);

      const agent = cursor.agents.find((a) => a.target.branchName === pull.head)!;
      expect(agent.followups).toHaveLength(1);
      expect(agent.followups[0]).toContain("reviewer-bob (who has write access) requested changes");
      expect(agent.followups[0]).toContain("empty input case");
    }
    expect(cursor.agents).toHaveLength(2);
    expect(github.validationErrors).toEqual([]);
  }, 40_000);
});
