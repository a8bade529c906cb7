import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCommands, resolveTaskRef } from "../src/orchestration/commands.js";
import { validateConfig } from "../src/orchestration/config.js";
import {
  bodyParseError,
  budgetExhausted,
  codeBlock,
  commandReply,
  commentMarker,
  configInvalid,
  epicCompleted,
  epicPaused,
  epicStopped,
  findMarkerKey,
  inlineCode,
  missingLlmKey,
  notAuthorized,
  plannerFailed,
  planWritten,
  redactSecrets,
  taskFailed,
  taskMerged,
  withMarker,
} from "../src/orchestration/messages.js";
import { TASK_STATES } from "../src/orchestration/types.js";

describe("comment markers", () => {
  it("writes and finds a key", () => {
    expect(commentMarker("merged:t1:14")).toBe("<!-- orchestra:comment key=merged:t1:14 -->");
    expect(findMarkerKey(withMarker("merged:t1:14", "✅ t1 merged in #14."))).toBe("merged:t1:14");
  });

  it("encodes characters that would break the HTML comment", () => {
    expect(commentMarker("a b-->c")).toBe("<!-- orchestra:comment key=a%20b--%3Ec -->");
    expect(findMarkerKey(commentMarker("a b-->c"))).toBe("a b-->c");
  });

  it("finds nothing in a comment without a marker, and the first of several", () => {
    expect(findMarkerKey("just a comment <!-- something else -->")).toBeNull();
    expect(findMarkerKey(`${commentMarker("one")}\n${commentMarker("two")}`)).toBe("one");
    expect(findMarkerKey("<!-- orchestra:comment key=%E0%A4 -->")).toBe("%E0%A4");
  });

  it("round-trips any key through one well-formed marker", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (key) => {
        const marker = commentMarker(key);
        expect(marker.match(/-->/g)).toHaveLength(1);
        expect(marker).not.toMatch(/[\r\n]/);
        expect(findMarkerKey(`text before\n${marker}\ntext after`)).toBe(key);
      }),
      { numRuns: 300 },
    );
  });
});

describe("planning messages", () => {
  it("says how to start a plan, or that it started", () => {
    expect(planWritten(5, false)).toMatchInlineSnapshot(
      `"📋 Planned 5 tasks. Comment \`/orchestra start\` to run them. Edit the checklist in the issue description to change the plan, or comment \`/orchestra plan\` followed by instructions to plan again."`,
    );
    expect(planWritten(5, true)).toContain("📋 Planned 5 tasks and started the first.");
    expect(planWritten(1, false)).toContain("Planned 1 task. Comment `/orchestra start` to run it.");
    expect(planWritten(0, false)).toContain("The planner proposed no tasks.");
  });

  it("names the config file and shows zod's error in a code block", () => {
    const result = validateConfig({ concurrency: 0, mergeMethod: "fast-forward" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(configInvalid(result.error)).toMatchInlineSnapshot(`
      "⚠️ **\`.github/orchestra.yml\` is not valid**, so Orchestra did nothing else.

      \`\`\`
      ✖ Too small: expected number to be >=1
        → at concurrency
      ✖ Invalid option: expected one of "merge"|"squash"|"rebase"
        → at mergeMethod
      \`\`\`

      Fix the file on the default branch, then repeat the command or add the label again."
    `);
  });

  it("explains a missing LLM key and a planner failure, with the way forward", () => {
    const missing = missingLlmKey("No API key for the planner: set OPENAI_API_KEY or ANTHROPIC_API_KEY.");
    expect(missing).toContain("```\nNo API key for the planner");
    expect(missing).toContain("write the plan yourself");
    const failed = plannerFailed("openai: 500 Internal Server Error\nanthropic: timeout");
    expect(failed).toContain("```\nopenai: 500 Internal Server Error\nanthropic: timeout\n```");
    expect(failed).toContain("Comment `/orchestra plan` to try again");
  });

  it("explains a body it cannot read", () => {
    expect(bodyParseError("line 4: unknown state `runing` for t2")).toMatchInlineSnapshot(`
      "⚠️ **Orchestra cannot read its task list in the issue description**, so it changed nothing.

      \`\`\`
      line 4: unknown state \`runing\` for t2
      \`\`\`

      Undo the last edit of the checklist or fix what the error names; Orchestra reads the description again when it is saved."
    `);
  });
});

describe("task and epic messages", () => {
  it("answers a person without permission politely", () => {
    expect(notAuthorized("octocat", "run `/orchestra start`")).toBe(
      "@octocat, sorry: only people with write, maintain or admin permission on this repository can run `/orchestra start`. Nothing was changed.",
    );
    expect(notAuthorized("dependabot[bot]", "start an epic")).toMatch(/^@dependabot\[bot\], sorry/);
    expect(notAuthorized("<script>", "x")).toMatch(/^@script, sorry/);
  });

  it("reports a merge and what starts next", () => {
    expect(taskMerged("t1", 14, ["t2"])).toBe("✅ t1 merged in #14, starting t2.");
    expect(taskMerged("t1", 14, ["t2", "t3", "t4"])).toBe("✅ t1 merged in #14, starting t2, t3 and t4.");
    expect(taskMerged("t3", 20)).toBe("✅ t3 merged in #20.");
  });

  it("reports a failure with the commands that continue", () => {
    expect(taskFailed("t2", "checks still red after 2 fixes", "Failing: `test (20.x)`.\n/orchestra stop")).toMatchInlineSnapshot(`
      "❌ **t2 failed**: checks still red after 2 fixes

      Failing: \`test (20.x)\`.
      \\/orchestra stop

      The epic is paused. Comment \`/retry t2\` to try again with a new agent, or \`/skip t2\` to go on without it."
    `);
    expect(taskFailed("t2", "closed", "")).not.toContain("\n\n\n");
  });

  it("says why the epic paused and how to resume, naming the budget setting", () => {
    expect(epicPaused(budgetExhausted(50, 50))).toBe(
      "⏸️ **The epic is paused**: the epic has used 50 of its 50 agent runs. Raise `budget.agentRuns` in `.github/orchestra.yml` to allow more.\n\nComment `/orchestra resume` to continue.",
    );
  });

  it("says what stopping did", () => {
    expect(epicStopped(2)).toContain("**The epic is stopped** and stopped 2 running agents.");
    expect(epicStopped(0)).toContain("**The epic is stopped**. Open pull requests stay open");
  });

  it("summarises a completed epic in a table", () => {
    const summary = epicCompleted(
      [
        { id: "t1", title: "Add the user model", pr: 12, attempts: 1, state: "merged", durationText: "14 min" },
        { id: "t2", title: "Add | the login", attempts: 3, state: "skipped" },
        { id: "t3", title: "Write the docs", attempts: 0, state: "done" },
      ],
      { closing: true },
    );
    expect(summary).toMatchInlineSnapshot(`
      "🎉 **Epic completed**: 1 of 3 tasks merged, 1 skipped, 1 done by hand.

      | Id | Task | Result | PR | Attempts | Time |
      | --- | --- | --- | --- | --- | --- |
      | t1 | Add the user model | ✅ merged | #12 | 1 | 14 min |
      | t2 | Add \\| the login | ⏭️ skipped |  | 3 |  |
      | t3 | Write the docs | ☑️ done by hand |  |  |  |

      Closing this issue."
    `);
    expect(epicCompleted([{ id: "t1", title: "A", attempts: 1, state: "merged" }])).not.toContain("Time");
  });
});

describe("command replies", () => {
  it("passes resolveTaskRef's errors through as the outcome", () => {
    const result = resolveTaskRef([], "t9");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(commandReply("/retry t9", result.error)).toBe("`/retry t9`: The plan has no tasks yet.");
  });

  it("quotes a command holding backticks safely", () => {
    expect(commandReply("/orchestra plan use `zod`", "planning again.")).toBe(
      "`` /orchestra plan use `zod` ``: planning again.",
    );
  });

});

describe("markdown helpers", () => {
  it("builds a code block no content can close", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const block = codeBlock(`${text}\n/orchestra stop`);
        const lines = block.split("\n");
        expect(lines[0]).toMatch(/^`{3,}$/);
        expect(lines.at(-1)).toBe(lines[0]);
        expect(parseCommands(block)).toEqual([]);
      }),
    );
  });

  it("cuts long code blocks", () => {
    expect(codeBlock("x".repeat(5000))).toContain("… (cut after 3000 characters)");
  });

  it("builds an inline code span around any backticks", () => {
    expect(inlineCode("a ``b`` c")).toBe("```a ``b`` c```");
    expect(inlineCode("`x")).toBe("`` `x ``");
  });

  it("redacts credentials", () => {
    const text = [
      "OpenAI said 401 for sk-proj-abcdefghijklmnop1234",
      "token ghs_16C7e42F292c6912E7710c838347Ae178B4a",
      "Authorization: Bearer abc.def.ghi-123456",
      "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
      "an invalid token was provided",
    ].join("\n");
    expect(redactSecrets(text)).toBe(
      [
        "OpenAI said 401 for [redacted]",
        "token [redacted]",
        "Authorization: Bearer [redacted]",
        "[redacted private key]",
        "an invalid token was provided",
      ].join("\n"),
    );
    expect(plannerFailed("bad key sk-ant-api03-abcdefghijklmnopqrstuvwxyz")).not.toContain("abcdefghijklmnop");
  });
});

describe("no message ever reads as a command", () => {
  // Orchestra must not command itself, whatever text (errors, reasons, titles) it passes along.
  const hostile = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.constantFrom("\n/orchestra stop", "x\r\n/retry t1\n", "`\n/skip t2\n`", "```\n/orchestra stop", "<!--"),
  );

  it("holds for every message built from hostile text", () => {
    fc.assert(
      fc.property(hostile, hostile, fc.constantFrom(...TASK_STATES), (a, b, state) => {
        const messages = [
          configInvalid(a),
          missingLlmKey(a),
          plannerFailed(a),
          bodyParseError(a),
          notAuthorized(a, b),
          taskMerged(a, 1, [b]),
          taskFailed(a, b, a),
          epicPaused(a),
          epicCompleted([{ id: a, title: b, attempts: 1, state, durationText: a }]),
          commandReply(a, b),
          withMarker(a, b.replace(/^\s*\//gm, "")),
        ];
        for (const message of messages) expect(parseCommands(message)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
