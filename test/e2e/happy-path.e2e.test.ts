import { afterEach, describe, expect, it } from "vitest";
import { type E2E, E2E_OPTIONS, isDone, startE2E, taskLines } from "./harness.js";

describe("end to end through the sandbox", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  afterEach(async () => e2e?.stop());

  it("plans, runs and closes an epic, every item ticked, nothing done twice", async () => {
    e2e = await startE2E({ tasks: 3 });
    await e2e.until(() => isDone(e2e!), "the epic to close");
    const github = e2e.sandbox.github;
    expect(taskLines(e2e.body()).every((line) => line.startsWith("- [x]") && line.includes("state=merged"))).toBe(true);
    const pulls = github.pulls(e2e.repo);
    expect(pulls).toHaveLength(3);
    expect(pulls.every((pull) => pull.merged)).toBe(true);
    const comments = github.comments(e2e.repo, e2e.epic).filter((c) => c.author === "orchestra[bot]");
    const bodies = comments.map((c) => c.body);
    expect(new Set(bodies).size).toBe(bodies.length);
    expect(bodies.filter((b) => b.includes("<!-- orchestra:status -->"))).toHaveLength(1);
    expect(github.validationErrors).toEqual([]);
  });
});

describe("webhooks the app must refuse", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  afterEach(async () => e2e?.stop());

  it("answers a GitHub webhook with a bad or missing signature with an error, and does nothing", async () => {
    e2e = await startE2E({ tasks: 1, start: false });
    const github = e2e.sandbox.github;
    await github.idle();
    // What a genuine command would cause first: a permission look-up, a reaction, a reply.
    const effects = () =>
      [
        "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
        "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
      ].map((route) => github.requestCount(route));
    const before = effects();
    const body = JSON.stringify({ action: "created", comment: { id: 1, body: "/orchestra start" } });
    const send = (headers: Record<string, string>) =>
      fetch(`${e2e!.appUrl}/api/github/webhooks`, {
        method: "POST",
        body,
        headers: { "content-type": "application/json", "x-github-event": "issue_comment", "x-github-delivery": "forged", ...headers },
      });
    const forged = await send({ "x-hub-signature-256": `sha256=${"0".repeat(64)}` });
    const unsigned = await send({});
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect(unsigned.status).toBeGreaterThanOrEqual(400);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(effects()).toEqual(before);
    expect(e2e.body()).not.toContain("status=running");
  });
});
