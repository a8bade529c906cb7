import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEpic, PERSON, seedRepository } from "../../sandbox/harness.js";
import { startSandbox, type Sandbox } from "../../sandbox/index.js";
import { startWebView, type WebView } from "../../sandbox/ui/server.js";

/**
 * The web view's pages over HTTP, on fakes that people changed by hand (no app, no browser):
 * what each page shows, and that reading them changes nothing.
 */
let sandbox: Sandbox;
let view: WebView;
let repo: string;
let epic: number;
let pr: number;

beforeAll(async () => {
  sandbox = await startSandbox({ ciDelayMs: 5, logLevel: "warn" });
  view = await startWebView(sandbox);
  const github = sandbox.github;
  repo = seedRepository(sandbox);
  github.addCollaborator(repo, "bob", "write");
  epic = openEpic(sandbox, repo, "Build it.\n\n<details><summary>Notes</summary>\n\nfolded text\n\n</details>\n\n<!-- hidden note -->");
  const comment = github.comment(repo, epic, "First draft <script>alert(1)</script>", PERSON);
  github.editComment(repo, comment, "Second draft, for @bob", PERSON);
  github.react(repo, { comment }, "heart", "bob");
  github.react(repo, { comment }, "heart", PERSON);
  github.pushCommit(repo, "feature", { files: { "a.txt": "a\n" }, message: "Add a", as: "bob", ciConclusion: "failure" });
  pr = github.openPull(repo, "bob", { head: "feature", title: "Add a | b", body: `Part of #${epic}` });
  github.submitReview(repo, pr, PERSON, { event: "REQUEST_CHANGES", body: "Please **rename** it." });
  await github.idle();
  github.setConflict(repo, pr, { resolvable: false });
  await new Promise((resolve) => setTimeout(resolve, 50)); // GitHub computes mergeability
});

afterAll(async () => {
  await view.close();
  await sandbox.stop();
});

async function get(path: string, init?: RequestInit): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${view.url}${path}`, init);
  return { status: response.status, text: await response.text(), headers: response.headers };
}

describe("the web view's pages", () => {
  it("shows an issue with its folded details, hidden comments, edits, reactions and linked pull request", async () => {
    const { status, text, headers } = await get(`/${repo}/issues/${epic}`);
    expect(status).toBe(200);
    expect(headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(text).toContain("<details><summary>Notes</summary><p>folded text</p>");
    expect(text).not.toContain("hidden note");
    expect(text).not.toContain("<script>alert");
    expect(text).toContain('<span class="edited" title="edited once, last by alice">edited</span>');
    expect(text).toContain('<span class="user-mention" title="GitHub would notify bob">@bob</span>');
    expect(text).toMatch(/<span class="reaction" data-content="heart" title="bob, alice">❤️ 2<\/span>/);
    expect(text).toContain(`<a href="/${repo}/pull/${pr}">#${pr}</a> Add a | b`);
  });

  it("shows a pull request with its failing check, the review asking for changes and the conflict", async () => {
    const { status, text } = await get(`/${repo}/pull/${pr}`);
    expect(status).toBe(200);
    expect(text).toContain('data-state="open"');
    expect(text).toMatch(/<span class="icon failure" title="failure">✗<\/span> <strong>ci \/ test<\/strong>/);
    expect(text).toContain("requested changes at");
    expect(text).toContain("Please <strong>rename</strong> it.");
    expect(text).toContain("This branch has conflicts that must be resolved.");
    expect(text).toContain(`Part of <a class="issue-link" href="/${repo}/issues/${epic}">#${epic}</a>`);
  });

  it("lists issues and pull requests on the front page, and answers 404 for what does not exist", async () => {
    const { text } = await get("/");
    expect(text).toContain(`<a href="/${repo}/issues/${epic}">Build a todo app</a>`);
    expect(text).toContain(`<a href="/${repo}/pull/${pr}">Add a | b</a>`);
    expect((await get(`/${repo}/issues/${pr}`)).status).toBe(404); // a pull request, not an issue
    expect((await get(`/${repo}/issues/999`)).status).toBe(404);
    expect((await get("/nope")).status).toBe(404);
  });

  it("only reads: other methods are refused and reading changes nothing", async () => {
    const before = sandbox.transcript.events.length;
    const counts = JSON.stringify(sandbox.github.requestCounts());
    for (const path of ["/", `/${repo}/issues/${epic}`, `/${repo}/pull/${pr}`]) expect((await get(path)).status).toBe(200);
    expect((await get(`/${repo}/issues/${epic}`, { method: "POST", body: "x" })).status).toBe(405);
    expect(sandbox.transcript.events.length).toBe(before);
    expect(JSON.stringify(sandbox.github.requestCounts())).toBe(counts);
  });

  it("sends a server-sent event when the fakes change", async () => {
    const controller = new AbortController();
    const response = await fetch(`${view.url}/events`, { signal: controller.signal });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = response.body!.getReader();
    let seen = "";
    const read = async () => {
      while (!seen.includes("event: change")) seen += new TextDecoder().decode((await reader.read()).value);
    };
    const first = (await reader.read()).value;
    expect(new TextDecoder().decode(first)).toContain("event: hello");
    sandbox.github.comment(repo, epic, "a new comment", PERSON);
    await read();
    controller.abort();
    expect(seen).toContain("event: change");
  });
});
