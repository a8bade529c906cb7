import { afterEach, describe, expect, it } from "vitest";
import { epicBody, openEpic, seedRepository } from "../../sandbox/harness.js";
import { NotifyReceiver } from "../../sandbox/index.js";
import { type E2E, E2E_OPTIONS, isDone, startE2E } from "./harness.js";

/**
 * The issue's "done when", tried as a new user would: the real app, configured only through its
 * environment, sends its notifications to the sandbox's receiver. One epic runs to completion;
 * another, in a repository with `budget.llmTokens: 1`, reaches its budget with its plan.
 */
describe("notifications and the token budget, end to end", { ...E2E_OPTIONS, timeout: 60_000 }, () => {
  let e2e: E2E | undefined;
  let receiver: NotifyReceiver | undefined;
  afterEach(async () => {
    await e2e?.stop();
    await receiver?.stop();
  });

  it("one message per planned, paused and completed epic; the epic over budget.llmTokens pauses with the figure", async () => {
    receiver = new NotifyReceiver();
    await receiver.start();
    // The receiver fails its first answer: the app retries (the message still arrives once).
    receiver.failNext(503);
    e2e = await startE2E({ tasks: 2, appEnv: { ORCHESTRA_NOTIFY_URL: receiver.url } });
    const github = e2e.sandbox.github;

    const costly = seedRepository(e2e.sandbox, { repo: "octo-org/costly", config: "autoStart: true\nbudget:\n  llmTokens: 1\n" });
    const over = openEpic(e2e.sandbox, costly, epicBody(2));
    const costlyBody = () => github.issue(costly, over).body;
    await e2e.until(() => costlyBody().includes("status=paused"), "the epic over its token budget to pause");
    await e2e.until(() => isDone(e2e!), "the first epic to close");

    const tokens = Number(/<!-- orchestra:plan [^>]*\btokens=(\d+)/.exec(costlyBody())?.[1]);
    expect(tokens).toBeGreaterThan(1);
    const pausesNow = () => github.comments(costly, over).filter((comment) => comment.author === "orchestra[bot]" && comment.body.includes("The epic is paused"));
    // The comment follows the body write that pauses the epic, and may come after the other epic closed.
    await e2e.until(() => pausesNow().length > 0, "the pause comment");
    const pauses = pausesNow();
    expect(pauses).toHaveLength(1);
    expect(pauses[0]!.body).toContain(`the epic has spent ${tokens.toLocaleString("en-US")} LLM tokens`);
    expect(e2e.sandbox.cursor.requestCount("POST /v0/agents")).toBe(2); // the first epic's two; none for the paused one

    // Resyncs come every 2 s: give them time to see both epics again, and send nothing more.
    await e2e.until(() => receiver!.received.length >= 4, "four notifications");
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    const got = receiver.received.map((notification) => `${String((notification.body.issue as { url: string }).url.replace(/^.*\/octo-org\//, ""))} ${String(notification.body.event)}`);
    expect(got.sort()).toEqual(["costly/issues/1 paused", "costly/issues/1 planned", "demo/issues/1 completed", "demo/issues/1 planned"]);
    const paused = receiver.received.find((notification) => notification.body.event === "paused")!.body;
    expect(paused).toMatchObject({ command: "/orchestra resume", spent: { agentRuns: 0, llmTokens: tokens }, reason: expect.stringContaining(tokens.toLocaleString("en-US")) });
    const completed = receiver.received.find((notification) => notification.body.event === "completed")!.body;
    expect(completed).toMatchObject({ summary: { tasks: 2, merged: 2 }, links: [expect.anything(), expect.objectContaining({ text: expect.stringMatching(/^#\d+ \(t1\)$/) }), expect.anything()] });
    expect(receiver.requests.filter((request) => request.status === 503)).toHaveLength(1);
    expect(e2e.logs.join("\n")).not.toContain("sandbox-secret-path");
    expect(github.validationErrors).toEqual([]);
  });
});
