import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../sandbox/harness.js";
import { startWebView, type WebView } from "../../sandbox/ui/server.js";
import { E2E_OPTIONS, startE2E, type E2E } from "../e2e/harness.js";
import { launchChromium, requireBrowser } from "./chromium.js";

/**
 * The sandbox's web view in a real headless Chromium, while a real Orchestra runs an epic
 * against the fakes: what a person sees on the epic's page, from planned to completed, without
 * reloading. `UPDATE_SCREENSHOTS=1` writes the three screenshots the README shows.
 */
const TRICKY = 'Accept "a | b" filters with * wildcards, reviewed by @carol';
const BULLETS = ["Add a Todo model with a title and a done flag", TRICKY, "Add a README section that documents the API"];
const SHOTS = process.env.UPDATE_SCREENSHOTS ? join(ROOT, "docs", "images") : join(tmpdir(), "orchestra-web-view");
/** Pages the README does not show, for a look after a run. */
const EXTRA_SHOTS = join(tmpdir(), "orchestra-web-view");
const INVISIBLE = /[\u200b-\u200d\u2060\ufeff]/g;

let launched: Awaited<ReturnType<typeof launchChromium>> = {};
let e2e: E2E | undefined;
let view: WebView | undefined;

beforeAll(async () => {
  launched = await launchChromium();
}, 30_000);

afterAll(async () => {
  await launched.browser?.close();
  await view?.close();
  await e2e?.stop();
});

/** The text of the status comment's table: header cells and every row's cells. */
async function statusTable(page: Page): Promise<{ header: string[]; rows: string[][] }> {
  const table = page.locator("article.comment", { hasText: "Orchestra status" }).locator("table");
  const header = await table.locator("thead th").allInnerTexts();
  const rows = await table.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.innerText)));
  return { header, rows };
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe("the sandbox's web view in Chromium", () => {
  it("shows the epic move from planned to completed, rendered as GitHub renders it", { ...E2E_OPTIONS, timeout: 90_000 }, async ({ skip, onTestFailed }) => {
    const browser = requireBrowser(launched, skip);
    for (const folder of [SHOTS, EXTRA_SHOTS]) mkdirSync(folder, { recursive: true });
    // A retry (CI) starts from scratch.
    await view?.close();
    await e2e?.stop();
    view = e2e = undefined;
    // Steps slow enough that "running" lasts long enough to be seen and photographed: the status
    // comment is edited once the epic has been quiet for a moment (newer states replace older ones).
    e2e = await startE2E({ tasks: 3, bullets: BULLETS, start: false, agentDelayMs: 1_500, ciDelayMs: 250 });
    view = await startWebView(e2e.sandbox);
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    onTestFailed(async () => {
      const path = join(EXTRA_SHOTS, "failure.png");
      await page.screenshot({ path, fullPage: true }).catch(() => undefined);
      console.error(`the page when the browser test failed: ${path}\n--- app ---\n${e2e?.logs.slice(-20).join("\n")}`);
    });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });

    await page.goto(`${view.url}/${e2e.repo}/issues/${e2e.epic}`);
    await page.locator("#live[data-state=live]").waitFor();
    // Marks this document: if the page reloaded, the mark would be gone.
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));

    // Planned: the checklist is in the body, nothing ticked, the status comment says so.
    const status = page.locator("article.comment", { hasText: "Orchestra status" });
    const progress = (text: RegExp) => status.locator("p", { hasText: text });
    await progress(/0 of 3 merged · epic planned/).waitFor();
    const boxes = page.locator("#issue-body .markdown-body input[type=checkbox]");
    expect(await boxes.count()).toBe(3);
    expect(await boxes.evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).checked))).toEqual([false, false, false]);
    expect(await page.locator("#issue-body").innerText()).not.toContain("orchestra:plan"); // hidden comments stay hidden
    await shoot(page, "epic-planned");

    // Running: a person starts it and the page follows on its own.
    e2e.comment("/orchestra start");
    await progress(/[0-2] of 3 merged · 1 in progress · epic running/).waitFor({ timeout: 30_000 });
    await shoot(page, "epic-running");

    // Completed.
    await page.locator(".issue[data-state=closed]").waitFor({ timeout: 40_000 });
    const summary = page.locator("article.comment", { hasText: /Epic completed:/ });
    await summary.waitFor();
    await progress(/3 of 3 merged · epic completed/).waitFor();
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);

    // Every task ticked.
    expect(await boxes.evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).checked))).toEqual([true, true, true]);
    expect(await page.locator("#issue-body li").nth(1).innerText()).toContain("a | b");

    // The status table: every row has every column, the tricky title in one cell.
    const table = await statusTable(page);
    expect(table.header).toEqual(["#", "Id", "Task", "State", "PR", "Attempts", "Agent", "Waiting for"]);
    expect(table.rows).toHaveLength(3);
    for (const row of table.rows) expect(row).toHaveLength(8);
    expect(table.rows.map((row) => row[1])).toEqual(["t1", "t2", "t3"]);
    expect(table.rows[1]![2]!.replace(INVISIBLE, "")).toBe(TRICKY);
    expect(table.rows.map((row) => row[3])).toEqual(["✅ merged", "✅ merged", "✅ merged"]);

    // The completion summary, with its own table.
    expect(await summary.innerText()).toMatch(/Epic completed: 3 of 3 tasks? merged/);
    const summaryRows = await summary.locator("tbody tr").count();
    expect(summaryRows).toBe(3);

    // Tasks link to their pull requests, which are merged with green checks.
    const merged = e2e.sandbox.github.pulls(e2e.repo).filter((pull) => pull.merged).map((pull) => pull.number);
    const links = status.locator("tbody tr td:nth-child(5) a");
    const hrefs = await links.evaluateAll((anchors) => anchors.map((anchor) => anchor.getAttribute("href")));
    expect(hrefs).toEqual(merged.map((number) => `/${e2e!.repo}/pull/${number}`));
    await shoot(page, "epic-completed");

    await links.nth(1).click();
    await page.locator(".pull[data-state=merged]").waitFor();
    expect(await page.locator("h1.title").innerText()).toContain(`#${merged[1]}`);
    expect(await page.locator(".checks li .icon.success").count()).toBeGreaterThan(0);
    expect(await page.locator(".sidebar .agent-status").first().innerText()).toBe("FINISHED");
    await page.screenshot({ path: join(EXTRA_SHOTS, "pull.png"), fullPage: true });

    // The front page lists the repository's issues, pull requests and agents.
    await page.locator("header.top a.home").click();
    await page.locator("section.repo").waitFor();
    expect(await page.locator("ul.issues li").count()).toBe(1);
    expect(await page.locator("ul.pulls li .badge-merged").count()).toBe(3);
    expect(await page.locator("table.agents tbody tr").count()).toBe(3);
    await page.screenshot({ path: join(EXTRA_SHOTS, "index.png"), fullPage: true });

    expect(errors).toEqual([]);
  });
});
