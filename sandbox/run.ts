/**
 * SANDBOX — never part of src/. `npm run sandbox [-- --scenario <name>] [--tasks N]`:
 * starts the fake GitHub, Cursor and OpenAI, runs the real app (`node lib/main.js`) against
 * them, plays a person who files an epic and starts it, and prints what happens until the
 * epic is closed. Exit code 0 when the epic closed, 1 on timeout or failure.
 */
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { SCENARIOS, startSandbox } from "./index.js";
import type { Sandbox, TranscriptEvent } from "./index.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const REPO = "octo-org/demo";
const OWNER = "octo-org";
const PERSON = "alice";

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

interface Options {
  scenario: string;
  tasks: number;
  timeoutMs: number;
  verbose: boolean;
}

function usage(): string {
  const scenarios = Object.entries(SCENARIOS).map(([name, text]) => `  ${name.padEnd(16)} ${text}`).join("\n");
  return [
    "Usage: npm run sandbox [-- --scenario <name>] [--tasks N] [--timeout <seconds>] [--verbose]",
    "",
    "Runs Orchestra against local fakes of GitHub, Cursor and OpenAI (nothing leaves this machine).",
    "",
    "Scenarios:",
    scenarios,
  ].join("\n");
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      scenario: { type: "string", default: "pass" },
      tasks: { type: "string", default: "5" },
      timeout: { type: "string", default: "120" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(usage());
    process.exit(0);
  }
  const tasks = Number(values.tasks);
  const timeout = Number(values.timeout);
  if (!Number.isInteger(tasks) || tasks < 1 || tasks > 20) throw new Error(`--tasks must be a whole number from 1 to 20, got "${values.tasks}"`);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new Error(`--timeout must be a number of seconds, got "${values.timeout}"`);
  if (!Object.hasOwn(SCENARIOS, values.scenario)) {
    throw new Error(`unknown scenario "${values.scenario}"\n\n${usage()}`);
  }
  return { scenario: values.scenario, tasks, timeoutMs: timeout * 1000, verbose: values.verbose };
}

const started = Date.now();
const COLORS: Record<string, string> = {
  webhook: "\x1b[90m",
  comment: "\x1b[36m",
  issue: "\x1b[35m",
  label: "\x1b[35m",
  agent: "\x1b[33m",
  pull: "\x1b[34m",
  merge: "\x1b[32m",
  check: "\x1b[32m",
  review: "\x1b[34m",
  plan: "\x1b[36m",
  branch: "\x1b[90m",
  info: "\x1b[37m",
  app: "\x1b[2m",
};
const useColor = process.stdout.isTTY === true;

function print(kind: string, text: string): void {
  const clock = `+${((Date.now() - started) / 1000).toFixed(2)}s`.padStart(8);
  const label = kind.padEnd(8);
  const line = `${clock}  ${label} ${text}`;
  console.log(useColor ? `${COLORS[kind] ?? ""}${line}\x1b[0m` : line);
}

/** Builds lib/ once when it is missing or older than any source file. */
function ensureBuilt(): void {
  const main = join(ROOT, "lib", "main.js");
  const newest = (dir: string): number => {
    let latest = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
    }
    return latest;
  };
  if (existsSync(main) && statSync(main).mtimeMs >= newest(join(ROOT, "src"))) return;
  print("info", "building the app (npm run build)…");
  const build = spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
  if (build.status !== 0) throw new Error("npm run build failed; fix the errors above and run the sandbox again");
}

async function freePort(): Promise<number> {
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

function startApp(sandbox: Sandbox, port: number, verbose: boolean): ChildProcess {
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...sandbox.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: sandbox.env.PUBLIC_URL ?? `http://127.0.0.1:${port}`,
    LOG_LEVEL: verbose ? "debug" : sandbox.env.LOG_LEVEL!,
    NODE_ENV: "development",
    // Heal lost or never-sent webhooks (EXPIRED agents send none) within seconds, not minutes.
    ORCHESTRA_RESYNC_INTERVAL_MS: process.env.ORCHESTRA_RESYNC_INTERVAL_MS ?? "5000",
    ORCHESTRA_DEBOUNCE_MS: process.env.ORCHESTRA_DEBOUNCE_MS ?? "100",
  };
  // Probot narrows LOG_LEVEL's type in NodeJS.ProcessEnv; the values above are valid levels.
  const child = spawn(process.execPath, [join(ROOT, "lib", "main.js")], {
    cwd: ROOT,
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const relay = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split(/\r?\n/)) if (line.trim()) print("app", line);
  };
  child.stdout?.on("data", relay);
  child.stderr?.on("data", relay);
  return child;
}

async function waitForApp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the app exited with code ${child.exitCode} before listening`);
    try {
      await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((resolveWait) => setTimeout(resolveWait, 150));
    }
  }
  throw new Error(`the app did not answer on ${url} within ${timeoutMs / 1000} s`);
}

async function waitFor(check: () => boolean, deadline: number, child: ChildProcess): Promise<boolean> {
  while (Date.now() < deadline) {
    if (check()) return true;
    if (child.exitCode !== null) throw new Error(`the app exited with code ${child.exitCode}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  return check();
}

function epicBody(tasks: number): string {
  const bullets = Array.from({ length: tasks }, (_, index) => TODO_BULLETS[index] ?? `Add extra feature number ${index + 1}`);
  return [
    "A small todo application, built one pull request at a time.",
    "",
    ...bullets.map((bullet) => `- ${bullet}`),
    "",
  ].join("\n");
}

function summary(sandbox: Sandbox): void {
  const github = sandbox.github;
  const deliveries = github.deliveries;
  const failed = deliveries.filter((delivery) => delivery.status === null || delivery.status >= 400);
  print("info", `GitHub requests: ${JSON.stringify(github.requestCounts())}`);
  print("info", `Cursor requests: ${JSON.stringify(sandbox.cursor.requestCounts())}`);
  print("info", `OpenAI requests: ${JSON.stringify(sandbox.openai.requestCounts())}`);
  print("info", `webhooks sent: ${deliveries.length} (${failed.length} not answered 2xx)`);
  if (github.validationErrors.length > 0) {
    print("info", `⚠ ${github.validationErrors.length} request(s) failed GitHub's OpenAPI validation:`);
    for (const failure of github.validationErrors) print("info", `  ${failure.operation} → ${failure.status} ${JSON.stringify(failure.issues)}`);
  }
  if (github.unknownRoutes.length > 0) print("info", `⚠ requests to routes the fake does not serve: ${github.unknownRoutes.join(", ")}`);
}

async function main(): Promise<number> {
  const options = readOptions();
  ensureBuilt();
  const sandbox = await startSandbox({ scenario: options.scenario, logLevel: options.verbose ? "debug" : "warn" });
  sandbox.on("event", (event: TranscriptEvent) => print(event.kind, event.text));
  print("info", `SANDBOX: every service below is a local fake (scenario "${options.scenario}", ${options.tasks} tasks)`);

  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  sandbox.setAppUrl(appUrl);
  const child = startApp(sandbox, port, options.verbose);
  const stopAll = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await sandbox.stop();
  };
  process.once("SIGINT", () => {
    void stopAll().then(() => process.exit(130));
  });

  try {
    await waitForApp(appUrl, child, 30_000);
    print("info", `the app listens on ${appUrl}`);
    const deadline = Date.now() + options.timeoutMs;
    const github = sandbox.github;
    github.createRepo(REPO, {
      ownerType: "Organization",
      files: {
        "README.md": "# demo\n\nA todo application.\n",
        "package.json": `${JSON.stringify({ name: "demo", version: "0.1.0", type: "module", scripts: { test: "vitest run" } }, null, 2)}\n`,
      },
    });
    github.installApp(OWNER);
    github.addCollaborator(REPO, PERSON, "admin");
    const epic = github.openIssue(REPO, PERSON, { title: "Build a todo app", body: epicBody(options.tasks) });
    github.addLabel(REPO, epic, "epic", PERSON);

    const planned = await waitFor(() => github.issue(REPO, epic).body.includes("<!-- orchestra:plan"), deadline, child);
    if (!planned) {
      print("info", "✗ no plan appeared in the issue before the timeout");
      summary(sandbox);
      return 1;
    }
    print("info", `the plan is in issue #${epic}; ${PERSON} starts it`);
    github.comment(REPO, epic, "/orchestra start", PERSON);

    const closed = await waitFor(() => github.issue(REPO, epic).state === "closed", deadline, child);
    await github.idle().catch(() => undefined);
    console.log("\n──── final body of issue #%d ────\n%s\n────", epic, github.issue(REPO, epic).body);
    summary(sandbox);
    if (!closed) {
      print("info", `✗ the epic was not closed within ${options.timeoutMs / 1000} s`);
      return 1;
    }
    print("info", "✓ the epic is done and closed");
    return 0;
  } finally {
    await stopAll();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`sandbox: ${(error as Error).message}`);
    process.exit(1);
  },
);
