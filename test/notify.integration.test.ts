import nock from "nock";
import { afterEach, describe, expect, it, vi } from "vitest";
import labeledEvent from "../fixtures/events/issues.labeled.json" with { type: "json" };
import { createTestApp, OPENAI_URL, withInstallation, type TestApp } from "./helpers/app.js";
import { epic, issueComment, item, seedStatusComment, STATUS_COMMENT_ID } from "./helpers/epic-events.js";
import { NockWorld } from "./helpers/nock-world.js";
import { withoutMacs } from "./helpers/signing.js";

/**
 * Notifications and the token budget through Probot: real webhook payloads in, GitHub, the
 * LLM and the notification receiver answered by nock (every mock asserted used), the app's logs
 * checked for the notify URL, which is a secret.
 */

const SLACK_URL = "https://hooks.slack.com/services/T0TEST/B0TEST/s3cretS1ackT0ken";
const JSON_URL = "https://notify.example/hooks/s3cret-path";
const ref = { installationId: 42, owner: "Codertocat", repo: "Hello-World", issueNumber: 1 };

const PLAN = {
  tasks: [
    { id: "t1", title: "Add the todo model", details: "A Todo has a title and a done flag.", deps: [] },
    { id: "t2", title: "Add the todo API", details: "CRUD endpoints.", deps: ["t1"] },
  ],
};

function plannerAnswer() {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "gpt-4o-mini",
    choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: JSON.stringify(PLAN) } }],
    usage: { prompt_tokens: 1117, completion_tokens: 46, total_tokens: 1163 },
  };
}

function labeled(world: NockWorld) {
  const payload = withInstallation(labeledEvent as unknown as Record<string, unknown>) as typeof labeledEvent;
  payload.label = { ...payload.label, name: "epic" };
  payload.issue = { ...payload.issue, number: 1, title: world.title, body: world.body };
  payload.sender = { ...payload.sender, login: "Codertocat" };
  return payload;
}

describe("notifications and the token budget, through Probot", () => {
  let app: TestApp | undefined;
  afterEach(() => app?.stop());

  it("a planned epic: its tokens in the block and the status comment, and one Slack message with the title escaped", async () => {
    const world = new NockWorld("Build a todo app.\n\nUsers add, tick and delete todos.", { signed: false });
    world.title = "Todo app <!channel> @here";
    app = await createTestApp({ processEnv: { OPENAI_API_KEY: "sk-test-secret", OPENAI_BASE_URL: `${OPENAI_URL}/v1`, ORCHESTRA_NOTIFY_URL: SLACK_URL } });
    const llm = nock(OPENAI_URL).post("/v1/chat/completions").reply(200, plannerAnswer());
    const slack = vi.fn((_body: unknown) => true);
    const receiver = nock("https://hooks.slack.com").post("/services/T0TEST/B0TEST/s3cretS1ackT0ken", slack).reply(200, "ok");
    // The repository context the planner reads.
    nock("https://api.github.com")
      .get("/repos/Codertocat/Hello-World/contents")
      .reply(200, [{ name: "README.md", path: "README.md", type: "file" }])
      .get("/repos/Codertocat/Hello-World/readme")
      .reply(200, "# Hello World\n");

    await app.receive("issues", labeled(world));
    await app.settle();
    expect(await app.orchestra.notifier!.drain(5_000)).toBe(true);

    expect(withoutMacs(world.body)).toContain("<!-- orchestra:plan v1 comment=1000 next=3 tokens=1163 -->");
    const status = world.comments.find((comment) => comment.body.startsWith("<!-- orchestra:status -->"))!;
    expect(status.body).toContain("Agent runs: 0 of 50 · LLM tokens: 1,163");
    expect(slack).toHaveBeenCalledTimes(1);
    const message = slack.mock.calls[0]![0] as { text: string; blocks: Array<{ text?: { text: string } }> };
    expect(message.text).toBe("Epic Codertocat/Hello-World#1 planned: 2 tasks, waiting for /orchestra start. Todo app &lt;!channel&gt; @\u2060here");
    expect(message.blocks[0]!.text!.text).toContain("<https://github.com/Codertocat/Hello-World/issues/1|Codertocat/Hello-World#1>");
    expect(JSON.stringify(app.logs)).not.toContain("s3cretS1ackT0ken");
    expect(JSON.stringify(app.logs)).not.toContain("hooks.slack.com");
    expect(app.logs.some((line) => line.msg === "notification sent" && line.event === "planned")).toBe(true);
    expect(app.failures()).toEqual([]);
    expect(llm.isDone()).toBe(true);
    expect(receiver.isDone()).toBe(true);
  });

  it("an epic at budget.llmTokens pauses with the figure in its comment, and the receiver gets one JSON message", async () => {
    const world = new NockWorld(
      epic(`status=running runs=1 comment=${STATUS_COMMENT_ID} tokens=5200`, item("Add the model", "id=t1 state=merged attempt=1 pr=12"), item("Add the API", "id=t2")),
    );
    seedStatusComment(world);
    world.configText = "budget:\n  llmTokens: 5000\nnotify:\n  events: [paused, completed]\n";
    app = await createTestApp({ processEnv: { ORCHESTRA_NOTIFY_URL: JSON_URL } });
    const sent = vi.fn((_body: unknown) => true);
    const receiver = nock("https://notify.example").post("/hooks/s3cret-path", sent).reply(204);

    app.orchestra.schedule(ref);
    await app.settle();
    // A second pass (a webhook, the resync) finds the epic paused: no second message.
    app.orchestra.schedule(ref);
    await app.settle();
    expect(await app.orchestra.notifier!.drain(5_000)).toBe(true);

    expect(world.plainBody).toContain("status=paused");
    expect(world.agents).toEqual([]);
    const pause = world.comments.filter((comment) => comment.byApp && comment.body.includes("The epic is paused"));
    expect(pause).toHaveLength(1);
    expect(pause[0]!.body).toContain("the epic has spent 5,200 LLM tokens (planning and audits), and its budget is 5,000");
    expect(world.comments.find((comment) => comment.id === STATUS_COMMENT_ID)!.body).toContain("LLM tokens: 5,200 of 5,000: the budget is used up");
    expect(sent).toHaveBeenCalledTimes(1);
    expect(sent.mock.calls[0]![0]).toMatchObject({
      event: "paused",
      id: expect.stringMatching(/^codertocat\/hello-world#1:paused:paused-tokens-5200:c\d+$/),
      repository: "Codertocat/Hello-World",
      issue: { number: 1, title: "Epic", url: "https://github.com/Codertocat/Hello-World/issues/1" },
      reason: expect.stringContaining("5,200 LLM tokens"),
      command: "/orchestra resume",
      spent: { agentRuns: 1, llmTokens: 5200 },
    });
    expect(JSON.stringify(app.logs)).not.toContain("s3cret-path");
    expect(app.failures()).toEqual([]);
    expect(receiver.isDone()).toBe(true);
  });

  it("an epic at its token budget is not planned again: /orchestra plan gets a reply, and no LLM is asked", async () => {
    const world = new NockWorld(epic(`status=paused runs=1 comment=${STATUS_COMMENT_ID} tokens=5200`, item("Add the API", "id=t2")));
    seedStatusComment(world);
    world.configText = "budget:\n  llmTokens: 5000\n";
    // An LLM request would meet no mock (net connect is off) and fail the test's last assertion.
    app = await createTestApp({ processEnv: { OPENAI_API_KEY: "sk-test-secret", OPENAI_BASE_URL: `${OPENAI_URL}/v1` } });
    await app.receive("issue_comment", issueComment(world, "/orchestra plan add tests"));
    await app.settle();
    const replies = world.comments.filter((comment) => comment.byApp && comment.body.includes("/orchestra plan add tests"));
    expect(replies.map((comment) => comment.body)).toEqual([
      expect.stringContaining("nothing was planned: the epic has spent 5,200 LLM tokens (planning and audits), and its budget is 5,000."),
    ]);
    expect(world.plainBody).toContain("tokens=5200");
    expect(app.logs.some((line) => String(line.msg).startsWith("planner"))).toBe(false);
    expect(app.failures()).toEqual([]);
  });

  it("without ORCHESTRA_NOTIFY_URL nothing is queued", async () => {
    const world = new NockWorld(epic(`status=running runs=1 comment=${STATUS_COMMENT_ID} tokens=5200`, item("Add the API", "id=t2")));
    seedStatusComment(world);
    world.configText = "budget:\n  llmTokens: 5000\n";
    app = await createTestApp({ processEnv: {} });
    expect(app.orchestra.notifier).toBeUndefined();
    app.orchestra.schedule(ref);
    await app.settle();
    expect(world.plainBody).toContain("status=paused");
    expect(app.failures()).toEqual([]);
  });

  it("an event the repository's notify.events leaves out is not sent", async () => {
    // The same pause where the repository wants only completions: nothing reaches the receiver (nock would refuse it).
    const second = new NockWorld(epic(`status=running runs=1 comment=${STATUS_COMMENT_ID} tokens=5200`, item("Add the API", "id=t2")));
    seedStatusComment(second);
    second.configText = "budget:\n  llmTokens: 5000\nnotify:\n  events: [completed]\n";
    app = await createTestApp({ processEnv: { ORCHESTRA_NOTIFY_URL: JSON_URL } });
    app.orchestra.schedule(ref);
    await app.settle();
    expect(second.plainBody).toContain("status=paused");
    expect(app.orchestra.notifier!.pending).toBe(0);
    expect(app.logs.some((line) => String(line.msg).startsWith("notification"))).toBe(false);
    expect(app.failures()).toEqual([]);
  });
});
