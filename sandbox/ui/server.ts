/**
 * SANDBOX TOOL — never part of src/. `startWebView`: a small read-only web server that shows
 * the sandbox's fake GitHub as a person would see it on github.com (issues, the epic, comments,
 * pull requests with checks and reviews, each agent's status) and pushes a server-sent event
 * whenever the fakes change, so an open page follows the epic without reloading. It reads the
 * fakes' state and never changes it: every route is a GET.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FakeCursor } from "../cursor/fake-cursor.js";
import type { FakeGitHub } from "../github/fake-github.js";
import type { Transcript } from "../shared/transcript.js";
import { EditLog } from "./edits.js";
import { html, type Html } from "./html.js";
import { LiveUpdates } from "./live.js";
import { exists, type ViewSource } from "./source.js";
import { indexPage } from "./views/index-page.js";
import { issuePage } from "./views/issue-page.js";
import { page } from "./views/parts.js";
import { pullPage } from "./views/pull-page.js";

export interface WebViewOptions {
  /** Port to listen on; 0 (the default) takes any free one, and a busy port falls back to that. */
  port?: number;
}

export interface WebView {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Tells open pages to fetch again now (e.g. once the run is over). */
  refresh(): void;
  close(): Promise<void>;
}

const ASSETS: Record<string, { type: string; body: Buffer }> = {
  "/assets/style.css": { type: "text/css; charset=utf-8", body: readFileSync(new URL("./assets/style.css", import.meta.url)) },
  "/assets/live.js": { type: "text/javascript; charset=utf-8", body: readFileSync(new URL("./assets/live.js", import.meta.url)) },
};

/** Only the page's own script and style run: sanitised markdown could never add a script anyway. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ISSUE_ROUTE = /^\/([\w.-]+\/[\w.-]+)\/(issues|pull)\/(\d+)\/?$/;

export async function startWebView(
  fakes: { github: FakeGitHub; cursor: FakeCursor; transcript: Transcript },
  options: WebViewOptions = {},
): Promise<WebView> {
  const edits = new EditLog(fakes.transcript);
  const source: ViewSource = { github: fakes.github, cursor: fakes.cursor, edits };
  const live = new LiveUpdates(fakes.transcript);
  const server = createServer((req, res) => handle(source, live, req, res));
  const port = await listen(server, options.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}`,
    refresh: () => live.changed(),
    async close() {
      live.close();
      edits.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function listen(server: Server, port: number): Promise<number> {
  const attempt = (wanted: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(wanted, "127.0.0.1", () => {
        server.off("error", reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  try {
    return await attempt(port);
  } catch (error) {
    if (port === 0 || (error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    return attempt(0);
  }
}

function handle(source: ViewSource, live: LiveUpdates, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== "GET" && req.method !== "HEAD") {
    send(res, 405, "text/plain; charset=utf-8", "The sandbox's web view is read-only.\n", { allow: "GET, HEAD" });
    return;
  }
  const path = new URL(req.url ?? "/", "http://web-view").pathname;
  if (path === "/events") return live.subscribe(req, res);
  const asset = ASSETS[path];
  if (asset) return send(res, 200, asset.type, asset.body);
  try {
    const view = route(source, path);
    if (!view) return send(res, 404, "text/html; charset=utf-8", page("Not found", html`<h1>Not found</h1><p><a href="/">Back to the repositories</a></p>`).value);
    send(res, 200, "text/html; charset=utf-8", page(view.title, view.main).value);
  } catch (error) {
    send(res, 500, "text/plain; charset=utf-8", `The web view failed: ${(error as Error).message}\n`);
  }
}

function route(source: ViewSource, path: string): { title: string; main: Html } | undefined {
  if (path === "/") return indexPage(source);
  const match = ISSUE_ROUTE.exec(path);
  if (!match) return undefined;
  const [, repo, kind, digits] = match;
  const number = Number(digits);
  const isPull = kind === "pull";
  if (!exists(source, repo!, number, isPull)) return undefined;
  return isPull ? pullPage(source, repo!, number) : issuePage(source, repo!, number);
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": type,
    "cache-control": "no-store",
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(body);
}
