import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { completedEvent, plannedEvent, transitionEvents, type EventSubject } from "../src/orchestration/epic-events.js";
import type { Plan, Task } from "../src/orchestration/types.js";
import { formatFor, isSlackWebhook, jsonMessage, notificationBody, slackLink, slackMessage, slackText } from "../src/notify/format.js";

const subject: EventSubject = {
  owner: "acme",
  repo: "widgets",
  issueNumber: 7,
  title: "Sign-in <!channel> & @here see <https://evil.example|your bank> <@U024BE7LH>",
  webUrl: "https://github.com",
  now: Date.UTC(2026, 0, 1, 12, 0, 0),
};

function task(id: string, overrides: Partial<Task> = {}): Task {
  return { id, title: `Task ${id}`, details: "", checked: false, state: "pending", attempt: 0, deps: [], fixes: 0, ...overrides };
}

function plan(overrides: Partial<Plan> = {}): Plan {
  return { status: "running", runs: 3, llmTokens: 1234, tasks: [task("t1"), task("t2")], ...overrides };
}

describe("which format a URL gets", () => {
  it.each([
    ["https://hooks.slack.com/services/T000/B000/XXXX", true],
    ["https://HOOKS.SLACK.COM/services/T000/B000/XXXX", true],
    ["https://hooks.slack-gov.com/services/T000/B000/XXXX", true],
    ["http://hooks.slack.com/services/T000/B000/XXXX", false],
    ["https://hooks.slack.com.evil.example/services/x", false],
    ["https://hooks.slack.com/workflows/x", false],
    ["https://example.com/hook", false],
    ["not a url", false],
  ])("%s is Slack's: %s", (url, slack) => {
    expect(isSlackWebhook(url)).toBe(slack);
    expect(formatFor(url)).toBe(slack ? "slack" : "json");
  });
});

describe("Slack's format", () => {
  it("escapes &, < and > as Slack asks, so the title can neither mention nor link", () => {
    expect(slackText("a & b <!channel> <@U1> <https://x|y>")).toBe("a &amp; b &lt;!channel&gt; &lt;@\u2060U1&gt; &lt;https:\u2060//x|y&gt;");
  });

  it("breaks what Slack would turn into a mention or a link by itself", () => {
    expect(slackText("@here @channel @everyone mail me@example.com")).toBe("@\u2060here @\u2060channel @\u2060everyone mail me@\u2060example.com");
    expect(slackText("see https://evil.example and www.evil.example")).toBe("see https:\u2060//evil.example and www\u2060.evil.example");
  });

  it("writes Orchestra's links as <url|text> with the text escaped and no early end", () => {
    expect(slackLink("https://github.com/acme/widgets/issues/7?a=1&b=2", "acme/widgets#7 | <x>")).toBe(
      "<https://github.com/acme/widgets/issues/7?a=1&amp;b=2|acme/widgets#7 ¦ &lt;x&gt;>",
    );
  });

  it("a pause: the reason and the command that continues, the title as data", () => {
    const [event] = transitionEvents(subject, plan(), plan({ status: "paused" }), { reason: "the epic has used 3 of its 3 agent runs.", key: "paused-budget-3" });
    expect(slackMessage(event!)).toMatchInlineSnapshot(`
      {
        "blocks": [
          {
            "text": {
              "text": "⏸️ *Epic acme/widgets#7 paused.*
      <https://github.com/acme/widgets/issues/7|acme/widgets#7> Sign-in &lt;!channel&gt; &amp; @⁠here see &lt;https:⁠//evil.example|your bank&gt; &lt;@⁠U024BE7LH&gt;
      *Why:* the epic has used 3 of its 3 agent runs.
      Comment \`/orchestra resume\` on the issue to continue.",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "elements": [
              {
                "text": "Spent: 3 agent runs, 1,234 LLM tokens",
                "type": "mrkdwn",
              },
            ],
            "type": "context",
          },
        ],
        "text": "Epic acme/widgets#7 paused. Sign-in &lt;!channel&gt; &amp; @⁠here see &lt;https:⁠//evil.example|your bank&gt; &lt;@⁠U024BE7LH&gt;",
      }
    `);
  });

  it("a completion: the summary and a link to each merged pull request", () => {
    const done = plan({
      status: "completed",
      tasks: [task("t1", { state: "merged", pr: 12 }), task("t2", { state: "skipped" }), task("t3", { state: "merged", pr: 14 })],
    });
    const message = slackMessage(completedEvent(subject, done));
    expect(message.blocks[0]).toMatchObject({ text: { text: expect.stringContaining("*Epic acme/widgets#7 completed: 2 of 3 tasks merged.*") } });
    expect(message.blocks[0]).toMatchObject({ text: { text: expect.stringContaining("\n1 skipped") } });
    expect(message.blocks[1]).toMatchObject({
      elements: [
        { text: "Spent: 3 agent runs, 1,234 LLM tokens" },
        { text: "<https://github.com/acme/widgets/pull/12|#12 (t1)> · <https://github.com/acme/widgets/pull/14|#14 (t3)>" },
      ],
    });
  });

  it("no text from the issue ever forms a Slack control sequence or a link (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("<", ">", "&", "|", "!", "@", "channel", "here", "U1", "https", "://", "www.", "x", " ", "`", "*") }), (title) => {
        const message = slackMessage(plannedEvent({ ...subject, title }, plan({ status: "planned" }), false));
        const section = message.blocks[0]!;
        const text = section.type === "section" ? section.text.text : "";
        // Only Orchestra's own link opens with "<": the issue's.
        const opened = [...text.matchAll(/</g)].length;
        expect(opened).toBe(1);
        expect(text).toContain("<https://github.com/acme/widgets/issues/7|acme/widgets#7>");
        for (const raw of [message.text, text]) {
          expect(raw).not.toMatch(/@(here|channel|everyone)/);
          expect(raw).not.toMatch(/https?:\/\/(?!github\.com\/acme\/widgets\/issues\/7\|)/);
        }
      }),
    );
  });
});

describe("the plain JSON format", () => {
  it("a failed task: documented shape, the title as typed (data for the receiver)", () => {
    const before = plan({ tasks: [task("t1", { state: "pr_open", attempt: 2, pr: 12 }), task("t2")] });
    const after = plan({ status: "paused", tasks: [task("t1", { state: "failed", attempt: 2, pr: 12, reason: "checks are failing on #12" }), task("t2")] });
    const events = transitionEvents(subject, before, after, { reason: "t1 failed", key: "failed-ci-t1-abc" });
    expect(events).toHaveLength(1);
    expect(jsonMessage(events[0]!)).toMatchInlineSnapshot(`
      {
        "at": "2026-01-01T12:00:00.000Z",
        "command": "/retry t1",
        "event": "failed",
        "headline": "Task t1 of epic acme/widgets#7 failed; the epic is paused.",
        "id": "acme/widgets#7:failed:t1:a2",
        "issue": {
          "number": 7,
          "title": "Sign-in <!channel> & @here see <https://evil.example|your bank> <@U024BE7LH>",
          "url": "https://github.com/acme/widgets/issues/7",
        },
        "links": [
          {
            "text": "acme/widgets#7",
            "url": "https://github.com/acme/widgets/issues/7",
          },
          {
            "text": "#12 (t1)",
            "url": "https://github.com/acme/widgets/pull/12",
          },
        ],
        "reason": "checks are failing on #12",
        "repository": "acme/widgets",
        "spent": {
          "agentRuns": 3,
          "llmTokens": 1234,
        },
        "task": {
          "id": "t1",
          "title": "Task t1",
        },
      }
    `);
  });

  it("a plan waiting for /orchestra start", () => {
    const body = JSON.parse(notificationBody(plannedEvent(subject, plan({ status: "planned", llmTokens: 0 }), false), "json"));
    expect(body).toMatchObject({ event: "planned", tasks: 2, command: "/orchestra start", headline: "Epic acme/widgets#7 planned: 2 tasks, waiting for /orchestra start.", spent: { agentRuns: 3, llmTokens: 0 } });
    const started = JSON.parse(notificationBody(plannedEvent(subject, plan(), true), "json"));
    expect(started.command).toBeUndefined();
    expect(started.headline).toBe("Epic acme/widgets#7 planned: 2 tasks, started.");
  });

  it("removes what looks like a credential from reasons", () => {
    const [event] = transitionEvents(subject, plan(), plan({ status: "paused" }), { reason: "Cursor said: Bearer key_abcdefghijklmnopqrstuvwxyz0123", key: "x" });
    expect(JSON.stringify(jsonMessage(event!))).not.toContain("key_abcdefghijklmnopqrstuvwxyz0123");
  });
});
