import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../sandbox/ui/markdown.js";

/** The web view's markdown, as GitHub renders issues and comments, sanitised. */
const context = { refLink: (number: number) => (number === 3 ? "/o/r/pull/3" : undefined) };
const render = (text: string) => renderMarkdown(text, context).value;

describe("the web view's markdown", () => {
  it("renders task lists as read-only checkboxes and hides HTML comments", () => {
    const out = render("### Tasks\n- [x] Done <!-- orchestra:task id=t1 -->\n- [ ] Not yet\n");
    expect(out).toContain("<h3>Tasks</h3>");
    expect(out).toMatch(/<input checked disabled type="checkbox" \/> Done\s*<\/li>/);
    expect(out).toMatch(/<input disabled type="checkbox" \/> Not yet/);
    expect(out).not.toContain("orchestra:task");
  });

  it("keeps a table's columns when a cell holds an escaped pipe", () => {
    const out = render("| a | b |\n| --- | --- |\n| x \\| y * z @carol | 2 |\n");
    expect(out.match(/<td>/g)).toHaveLength(2);
    expect(out).toContain("<td>x | y * z <span class=\"user-mention\"");
  });

  it("links #N to pages that exist and leaves the rest as text", () => {
    expect(render("merged in #3, see #4 and a#3")).toBe('<p>merged in <a class="issue-link" href="/o/r/pull/3">#3</a>, see #4 and a#3</p>\n');
  });

  it("marks @mentions but not e-mail addresses or code", () => {
    const out = render("ask @bob, mail bob@example.com, `@carol`");
    expect(out).toContain('<span class="user-mention" title="GitHub would notify bob">@bob</span>');
    expect(out).toContain('<a href="mailto:bob@example.com">bob@example.com</a>');
    expect(out).toContain("<code>@carol</code>");
  });

  it("keeps <details> and drops scripts, event handlers, styles and javascript: links", () => {
    const out = render(
      '<details><summary>More</summary>\n\n**inside**\n\n</details>\n\n<script>alert(1)</script><img src=x onerror="alert(1)"><a href="javascript:alert(1)" style="color:red">x</a><input type="text" value="y">',
    );
    expect(out).toContain("<details><summary>More</summary><p><strong>inside</strong></p>\n</details>");
    expect(out).not.toMatch(/script|onerror|javascript|style=|<img|type="text"/);
  });

  it("closes a <details> that a comment leaves open, so it cannot swallow the page", () => {
    expect(render("<details><summary>open</summary>\n\nrest")).toMatch(/<\/details>$/);
  });
});
