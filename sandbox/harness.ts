/**
 * SANDBOX — never part of src/. What the runner, the end-to-end tests and the benchmark share:
 * start the real app as a child process against the fakes, seed a repository and an epic, and
 * wait for things to happen.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Sandbox } from "./index.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const DEMO_REPO = "octo-org/demo";
export const DEMO_OWNER = "octo-org";
export const PERSON = "alice";

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface AppProcessOptions {
  /** The command that runs the app; `npm start`'s own is `node lib/main.js`. */
  command?: string[];
  env?: Record<string, string>;
  onLine?: (line: string) => void;
}

/** `node lib/main.js` (what `npm start` runs), configured only through the environment contract. */
export const BUILT_APP = [process.execPath, join(ROOT, "lib", "main.js")];
/**
 * The same app function from source through tsx, with Octokit's write spacing off: GitHub's
 * secondary limits need a second between writes, which against a local fake only slows tests.
 */
export const UNTHROTTLED_APP = [process.execPath, "--import", "tsx", join(ROOT, "sandbox", "app-unthrottled.ts")];

export function startApp(sandbox: Sandbox, port: number, options: AppProcessOptions = {}): ChildProcess {
  const [command, ...args] = options.command ?? BUILT_APP;
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...sandbox.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: sandbox.env.PUBLIC_URL ?? `http://127.0.0.1:${port}`,
    NODE_ENV: "development",
    // Heal states no webhook announces (an EXPIRED agent sends none) within seconds, not minutes.
    ORCHESTRA_RESYNC_INTERVAL_MS: process.env.ORCHESTRA_RESYNC_INTERVAL_MS ?? "5000",
    ORCHESTRA_DEBOUNCE_MS: process.env.ORCHESTRA_DEBOUNCE_MS ?? "100",
    ...options.env,
  };
  const child = spawn(command!, args, { cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  const relay = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split(/\r?\n/)) if (line.trim()) options.onLine?.(line);
  };
  child.stdout?.on("data", relay);
  child.stderr?.on("data", relay);
  return child;
}

export async function waitForApp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the app exited with code ${child.exitCode} before listening`);
    try {
      await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
  }
  throw new Error(`the app did not answer on ${url} within ${timeoutMs / 1000} s`);
}

/** Polls `check` until it holds or the deadline passes; fails fast if the app died. */
export async function waitFor(check: () => boolean, deadline: number, child?: ChildProcess): Promise<boolean> {
  while (Date.now() < deadline) {
    if (check()) return true;
    if (child && child.exitCode !== null && child.signalCode === null) {
      throw new Error(`the app exited with code ${child.exitCode}`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
  return check();
}

const TODO_BULLETS = [
  "Add a Todo model with a title and a done flag",
  "Add an in-memory store to create, list, complete and delete todos",
  "Add a REST API over the store, after the store exists",
  "Add input validation to the API with clear error messages",
  "Add a README section that documents the API",
  "Add pagination to the list endpoint",
  "Add due dates to todos",
  "Add filtering by done state",
  "Add a command-line client",
  "Add end-to-end tests for the API",
];

export function epicBody(tasks: number, bullets: string[] = TODO_BULLETS): string {
  const chosen = Array.from({ length: tasks }, (_, index) => bullets[index] ?? `Add extra feature number ${index + 1}`);
  return ["A small todo application, built one pull request at a time.", "", ...chosen.map((b) => `- ${b}`), ""].join("\n");
}

/** The demo repository, with the app installed and `alice` as admin; `config` is its orchestra.yml. */
export function seedRepository(sandbox: Sandbox, options: { repo?: string; config?: string } = {}): string {
  const repo = options.repo ?? DEMO_REPO;
  const files: Record<string, string> = {
    "README.md": "# demo\n\nA todo application.\n",
    "package.json": `${JSON.stringify({ name: "demo", version: "0.1.0", type: "module", scripts: { test: "vitest run" } }, null, 2)}\n`,
  };
  if (options.config) files[".github/orchestra.yml"] = options.config;
  sandbox.github.createRepo(repo, { ownerType: "Organization", files });
  sandbox.github.installApp(repo.split("/")[0]!);
  sandbox.github.addCollaborator(repo, PERSON, "admin");
  return repo;
}

/** Opens and labels an epic as `alice`; returns its number. */
/** `author` opens the issue (alice by default); alice, an admin, labels it. */
export function openEpic(sandbox: Sandbox, repo: string, body: string, title = "Build a todo app", author = PERSON): number {
  const epic = sandbox.github.openIssue(repo, author, { title, body });
  sandbox.github.addLabel(repo, epic, "epic", PERSON);
  return epic;
}
