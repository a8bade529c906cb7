import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COMMAND_NAMES, MAX_COMMANDS_PER_COMMENT, parseCommands } from "../src/orchestration/commands.js";

/** Text made of the pieces that matter to the parser, so the interesting cases come up often. */
const markdownish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "```",
        "~~~",
        "````",
        "`",
        "``",
        ">",
        "> ",
        "<!--",
        "-->",
        "\\",
        "/orchestra",
        "/Orchestra",
        "/retry",
        "/skip",
        "/orchestrate",
        " start",
        " plan do it",
        " t2",
        " ",
        "\t",
        "\n",
        "\r\n",
        "\r",
        "\n\n",
        "x",
      ),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 60 },
  )
  .map((pieces) => pieces.join(""));

const anyText = fc.oneof(markdownish, fc.string({ unit: "grapheme", maxLength: 200 }), fc.string({ unit: "binary", maxLength: 200 }));

const longestRun = (text: string, char: string): number =>
  Math.max(0, ...(text.match(new RegExp(`\\${char}+`, "g")) ?? []).map((run) => run.length));

describe("parseCommands properties", () => {
  it("never throws, and returns well-formed commands, at most ten", () => {
    fc.assert(
      fc.property(anyText, (body) => {
        const commands = parseCommands(body);
        expect(commands.length).toBeLessThanOrEqual(MAX_COMMANDS_PER_COMMENT);
        for (const command of commands) {
          expect(command.line).not.toMatch(/[\r\n]/);
          expect(command.line).toMatch(/^\/(orchestra|retry|skip)/i);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("finds nothing in any text inside a fenced code block, closed or not", () => {
    fc.assert(
      fc.property(anyText, fc.constantFrom("`", "~"), fc.boolean(), (inside, char, closed) => {
        // A fence longer than any run of its character inside cannot be closed by the content.
        const fence = char.repeat(Math.max(3, longestRun(inside, char) + 1));
        const body = `${fence}\n${inside}${closed ? `\n${fence}` : ""}`;
        expect(parseCommands(body)).toEqual([]);
        // The commands around the block still count; its content adds none.
        const around = parseCommands(`/orchestra status\n${body}\n/retry t2`).map((command) => command.name);
        expect(around).toEqual(closed ? ["status", "retry"] : ["status"]);
      }),
      { numRuns: 300 },
    );
  });

  it("finds nothing in any text quoted with `> ` on every line", () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 1, max: 3 }), (text, depth) => {
        const quote = "> ".repeat(depth);
        const body = text
          .split(/\r\n|\r|\n/)
          .map((line) => quote + line)
          .join("\n");
        expect(parseCommands(body)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("round-trips `/orchestra NAME arg` in any letter case and spacing", () => {
    const oneLineArg = fc.string({ maxLength: 40 }).filter((arg) => !/[\r\n]/.test(arg));
    fc.assert(
      fc.property(
        fc.constantFrom(...COMMAND_NAMES),
        oneLineArg,
        fc.constantFrom(" ", "  ", "\t", " \t "),
        fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }),
        fc.constantFrom("", "  ", "\t"),
        (name, arg, gap, upper, indent) => {
          const cased = (text: string): string =>
            Array.from(text, (char, i) => (upper[i % upper.length] ? char.toUpperCase() : char)).join("");
          const body = `${indent}${cased("/orchestra")}${gap}${cased(name)}${arg === "" ? "" : ` ${arg}`}`;
          const [command, ...rest] = parseCommands(body);
          expect(rest).toEqual([]);
          expect(command).toEqual({ name, arg: arg.trim(), line: body.trim() });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("round-trips the short forms `/retry` and `/skip`", () => {
    fc.assert(
      fc.property(fc.constantFrom("retry", "skip"), fc.stringMatching(/^[A-Za-z0-9# ]{0,20}$/), (name, arg) => {
        expect(parseCommands(`/${name} ${arg}`)).toEqual([{ name, arg: arg.trim(), line: `/${name} ${arg}`.trim() }]);
      }),
    );
  });

  it("reads the same commands from LF and CRLF bodies", () => {
    const lfText = markdownish.map((text) => text.replace(/\r/g, ""));
    fc.assert(
      fc.property(lfText, (body) => {
        expect(parseCommands(body.replace(/\n/g, "\r\n"))).toEqual(parseCommands(body));
      }),
      { numRuns: 300 },
    );
  });
});
