import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  PLAN_PROMPT_VERSION,
  PLAN_SYSTEM_PROMPT,
  renderPlanPrompt,
  stripOrchestraMarkers,
} from "../src/llm/prompts/plan-v1.js";

describe("plan-v1 prompt", () => {
  it("is versioned", () => {
    expect(PLAN_PROMPT_VERSION).toBe("plan-v1");
  });

  it("asks for one-PR tasks in order, imperative titles, acceptance criteria, sparse deps and JSON only", () => {
    for (const phrase of ["one pull request", "in the order", "imperative", "acceptance criteria", "deps", "only a JSON object"]) {
      expect(PLAN_SYSTEM_PROMPT).toContain(phrase);
    }
  });

  it("renders the epic, the user's wishes, what to keep, the limit and the repository", () => {
    const prompt = renderPlanPrompt({
      title: "Let users sign in",
      body: "Accounts please.\r\n<!-- orchestra:plan v1 -->\n- [x] Add the user model <!-- orchestra:task id=t1 state=merged pr=12 -->\n<!-- orchestra:plan:end -->",
      instructions: "  Use JWT, no sessions ",
      keep: ["Add the user model", " "],
      maxTasks: 7,
      repoContext: "Top-level files: package.json, src/",
    });

    expect(prompt).toMatchInlineSnapshot(`
      "# Epic: Let users sign in

      ## Description

      Accounts please.
      
      - [x] Add the user model

      ## Extra instructions from the user

      Use JWT, no sessions

      ## Tasks already started or finished (they stay; do not plan them again)

      - Add the user model

      ## Repository

      Top-level files: package.json, src/

      Plan at most 7 tasks for the remaining work. Reply with only the JSON object."
    `);
  });

  it("leaves out the optional sections when there is nothing to say", () => {
    const prompt = renderPlanPrompt({ title: "X", body: "", maxTasks: 3 });
    expect(prompt).toBe("# Epic: X\n\n## Description\n\n(no description)\n\nPlan at most 3 tasks. Reply with only the JSON object.");
  });

  it("cuts a huge description", () => {
    const prompt = renderPlanPrompt({ title: "X", body: "word ".repeat(10_000), maxTasks: 3 });
    expect(prompt.length).toBeLessThan(13_000);
    expect(prompt).toContain("(description truncated)");
  });
});

describe("stripOrchestraMarkers", () => {
  it("keeps everything else byte for byte", () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !s.includes("<!--")), (text) => {
        expect(stripOrchestraMarkers(text)).toBe(text);
      }),
    );
  });

  it("leaves no marker behind, even when removing one joins the halves of another", () => {
    const pieces = fc.constantFrom("<!-- orchestra:task id=t1 -->", "<!--", " orchestra:", "-->", "text", "\n", "<!-- orch", "estra:x -->");
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => {
        expect(stripOrchestraMarkers(parts.join(""))).not.toMatch(/<!--\s*orchestra:[\s\S]*?-->/);
      }),
    );
    expect(stripOrchestraMarkers("a<!-- orch<!-- orchestra:x -->estra:y -->b")).toBe("ab");
  });
});
