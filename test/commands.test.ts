import { describe, expect, it } from "vitest";
import {
  COMMAND_NAMES,
  MAX_COMMANDS_PER_COMMENT,
  helpText,
  parseCommands,
  resolveTaskRef,
} from "../src/orchestration/commands.js";
import type { Task } from "../src/orchestration/types.js";

const names = (body: string): string[] => parseCommands(body).map((command) => command.name);

describe("parseCommands: forms", () => {
  it.each(COMMAND_NAMES.map((name) => [name]))("reads /orchestra %s", (name) => {
    expect(parseCommands(`/orchestra ${name}`)).toEqual([{ name, arg: "", line: `/orchestra ${name}` }]);
  });

  it("is case-insensitive in the command words and keeps the line as written", () => {
    expect(parseCommands("/Orchestra START")).toEqual([{ name: "start", arg: "", line: "/Orchestra START" }]);
    expect(parseCommands("/RETRY T2")).toEqual([{ name: "retry", arg: "T2", line: "/RETRY T2" }]);
  });

  it("takes the rest of the line as plan instructions, keeping their case and inner spacing", () => {
    expect(parseCommands("/orchestra plan   Use Zod, and at most  3 tasks  ")).toEqual([
      { name: "plan", arg: "Use Zod, and at most  3 tasks", line: "/orchestra plan   Use Zod, and at most  3 tasks" },
    ]);
  });

  it("reads the short forms /retry and /skip with and without a task", () => {
    expect(parseCommands("/retry\n/retry t2\n/skip\n/skip Add the login endpoint")).toEqual([
      { name: "retry", arg: "", line: "/retry" },
      { name: "retry", arg: "t2", line: "/retry t2" },
      { name: "skip", arg: "", line: "/skip" },
      { name: "skip", arg: "Add the login endpoint", line: "/skip Add the login endpoint" },
    ]);
  });

  it("reads /orchestra retry and skip with a task", () => {
    expect(parseCommands("/orchestra retry #3\n/orchestra skip t4")).toEqual([
      { name: "retry", arg: "#3", line: "/orchestra retry #3" },
      { name: "skip", arg: "t4", line: "/orchestra skip t4" },
    ]);
  });

  it("accepts leading whitespace, tabs and text around the command lines", () => {
    const body = "Thanks, looks good!\n   /orchestra start\n\t/orchestra status\nCheers";
    expect(names(body)).toEqual(["start", "status"]);
  });

  it("tolerates a full stop after the command word", () => {
    expect(names("/orchestra stop.")).toEqual(["stop"]);
  });

  it("answers /orchestra alone and unknown words with `unknown`", () => {
    expect(parseCommands("/orchestra")).toEqual([{ name: "unknown", word: "", line: "/orchestra" }]);
    expect(parseCommands("/orchestra   ")).toEqual([{ name: "unknown", word: "", line: "/orchestra" }]);
    expect(parseCommands("/orchestra frobnicate now")).toEqual([
      { name: "unknown", word: "frobnicate", line: "/orchestra frobnicate now" },
    ]);
  });

  it("handles CRLF and lone CR line endings", () => {
    expect(parseCommands("hello\r\n/orchestra plan Keep it small\r\n/skip t1\r\n")).toEqual([
      { name: "plan", arg: "Keep it small", line: "/orchestra plan Keep it small" },
      { name: "skip", arg: "t1", line: "/skip t1" },
    ]);
    expect(names("a\r/orchestra pause\rb")).toEqual(["pause"]);
  });

  it("returns at most ten commands per comment", () => {
    const body = Array.from({ length: 25 }, (_, i) => `/retry t${i + 1}`).join("\n");
    const commands = parseCommands(body);
    expect(commands).toHaveLength(MAX_COMMANDS_PER_COMMENT);
    expect(commands.at(-1)).toEqual({ name: "retry", arg: "t10", line: "/retry t10" });
  });

  it("stays fast on hostile comments of GitHub's maximum size", () => {
    const hostile = [
      "a `b\n".repeat(13_000),
      `\`\n${"``x\n".repeat(16_000)}`,
      "x <!--\n".repeat(9_000),
      "```\n~~~~\n".repeat(6_000),
    ];
    const startedAt = performance.now();
    for (const body of hostile) {
      expect(parseCommands(`${body.slice(0, 65_536)}\n/orchestra status`)).toEqual([
        { name: "status", arg: "", line: "/orchestra status" },
      ]);
    }
    // Quadratic scanning took seconds here; linear scanning takes milliseconds.
    expect(performance.now() - startedAt).toBeLessThan(1_500);
  });

  it("returns nothing for a comment without commands", () => {
    expect(parseCommands("")).toEqual([]);
    expect(parseCommands("LGTM, ship it")).toEqual([]);
  });
});

describe("parseCommands: what is never a command", () => {
  it("ignores commands that do not start the line", () => {
    expect(names("please /orchestra start\n- /orchestra stop\n* /retry t2\n1. /skip")).toEqual([]);
  });

  it("ignores words that only begin with /orchestra, /retry or /skip", () => {
    expect(names("/orchestrate start\n/orchestra-start\n/orchestra:start\n/retrying t2\n/skipped")).toEqual([]);
  });

  it("ignores backtick fences", () => {
    expect(names("Run this:\n```\n/orchestra stop\n```\n/orchestra status")).toEqual(["status"]);
    expect(names("```markdown\n/orchestra stop\n```")).toEqual([]);
  });

  it("ignores tilde fences", () => {
    expect(names("~~~\n/orchestra stop\n~~~\n/orchestra status")).toEqual(["status"]);
  });

  it("closes a fence only with the same character, at least as long", () => {
    expect(names("````\n```\n/orchestra stop\n````\n/orchestra pause")).toEqual(["pause"]);
    expect(names("~~~\n```\n/orchestra stop\n~~~\n/orchestra pause")).toEqual(["pause"]);
    expect(names("```\n/orchestra stop\n``` not a close\n/orchestra stop\n```\n/orchestra pause")).toEqual(["pause"]);
  });

  it("treats an unterminated fence as code to the end of the comment", () => {
    expect(names("/orchestra status\n```\n/orchestra stop\n\n/orchestra start")).toEqual(["status"]);
    expect(names("~~~~\n/retry t2")).toEqual([]);
  });

  it("ignores fences indented inside list items", () => {
    expect(names("- example:\n  ```\n/orchestra stop\n  ```\n/orchestra status")).toEqual(["status"]);
  });

  it("ignores inline code, also a code span that runs across lines", () => {
    expect(names("`/orchestra start`")).toEqual([]);
    expect(names("Use `code\n/orchestra stop\nhere` then\n/orchestra status")).toEqual(["status"]);
    expect(names("``a ` b\n/orchestra stop``")).toEqual([]);
  });

  it("treats a backtick without a matching closer as a literal", () => {
    expect(names("a lone ` backtick\n/orchestra status")).toEqual(["status"]);
    expect(names("an escaped \\`\n/orchestra status\n`")).toEqual(["status"]);
  });

  it("does not carry a code span across a blank line", () => {
    expect(names("open `span\n\n/orchestra status\n`")).toEqual(["status"]);
  });

  it("ignores quoted lines at any depth", () => {
    expect(names("> /orchestra stop")).toEqual([]);
    expect(names(">/orchestra stop")).toEqual([]);
    expect(names("> > /orchestra stop\n>> /retry t2\n  > /skip")).toEqual([]);
  });

  it("ignores an email reply's quoted text but reads the reply itself", () => {
    const email = [
      "/orchestra resume",
      "",
      "On Mon, 3 Mar 2025 at 10:00, orchestra[bot] <notifications@github.com> wrote:",
      "> Comment /orchestra resume to continue.",
      "> /orchestra stop",
      ">",
      "> > /orchestra skip t1",
    ].join("\r\n");
    expect(names(email)).toEqual(["resume"]);
  });

  it("ignores a fence opened inside a quote", () => {
    expect(names("> ```\n> /orchestra stop\n/orchestra status")).toEqual(["status"]);
  });

  it("ignores commands hidden in HTML comments", () => {
    expect(names("<!--\n/orchestra stop\n\n/retry t2\n-->\n/orchestra status")).toEqual(["status"]);
    expect(names("text <!-- hidden\n/orchestra stop -->\n/orchestra status")).toEqual(["status"]);
    expect(names("<!-- one line --> \n/orchestra status")).toEqual(["status"]);
  });
});

function task(id: string, title: string, extra: Partial<Task> = {}): Task {
  return { id, title, details: "", checked: false, state: "pending", attempt: 0, deps: [], fixes: 0, ...extra };
}

const TASKS: Task[] = [
  task("t1", "Add the user model", { state: "merged", pr: 12 }),
  task("t2", "Add the login endpoint", { state: "failed", pr: 14 }),
  task("t3", "Write the docs"),
  task("t10", "Add rate limiting"),
];

describe("resolveTaskRef", () => {
  it.each([
    ["t2", "t2"],
    ["T3", "t3"],
    ["t10", "t10"],
    ["`t2`", "t2"],
    ["t2.", "t2"],
    ["2", "t2"],
    ["#3", "t3"],
    ["4", "t10"],
    ["write", "t3"],
    ["WRITE THE   docs", "t3"],
    ["“Add the login”", "t2"],
    ["add the user", "t1"],
    ["#14", "t2"],
  ])("resolves %j to %s", (ref, taskId) => {
    expect(resolveTaskRef(TASKS, ref)).toEqual({ ok: true, taskId });
  });

  it("falls back to the current task for an empty reference", () => {
    expect(resolveTaskRef(TASKS, "  ", { currentTaskId: "t2" })).toEqual({ ok: true, taskId: "t2" });
  });

  it("asks which task when the reference is empty and there is no current task", () => {
    expect(resolveTaskRef(TASKS, "")).toEqual({
      ok: false,
      error: "Which task? Please name it by id (t2), number (2) or the start of its title.",
    });
  });

  it("lists the candidates of an ambiguous title prefix", () => {
    expect(resolveTaskRef(TASKS, "add")).toEqual({
      ok: false,
      error:
        "“add” matches 3 tasks: t1 (Add the user model), t2 (Add the login endpoint), t10 (Add rate limiting). Name one by its id.",
    });
  });

  it("prefers the exact title among several prefix matches", () => {
    const tasks = [task("t1", "Docs"), task("t2", "Docs for the API")];
    expect(resolveTaskRef(tasks, "docs")).toEqual({ ok: true, taskId: "t1" });
  });

  it("explains a reference that matches nothing", () => {
    expect(resolveTaskRef(TASKS, "foo")).toEqual({
      ok: false,
      error: "No task matches “foo”: name it by id (t2), number (2) or the start of its title.",
    });
  });

  it("explains a number beyond the list", () => {
    expect(resolveTaskRef(TASKS, "#9")).toEqual({ ok: false, error: "There is no task 9: the plan has 4 tasks." });
    expect(resolveTaskRef(TASKS, "0")).toEqual({ ok: false, error: "There is no task 0: the plan has 4 tasks." });
  });

  it("says when the plan has no tasks", () => {
    expect(resolveTaskRef([], "t1")).toEqual({ ok: false, error: "The plan has no tasks yet." });
  });

  it("caps a long reference in its error", () => {
    const result = resolveTaskRef(TASKS, "x".repeat(500));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.length).toBeLessThan(160);
  });
});

describe("helpText", () => {
  it("documents every command on its own line and is not itself a command", () => {
    const help = helpText();
    for (const name of COMMAND_NAMES) expect(help).toContain(`\`/orchestra ${name}`);
    expect(parseCommands(help)).toEqual([]);
  });
});
