/**
 * SANDBOX — never part of src/. `npm run sandbox [-- --scenario <name>] [--tasks N]`:
 * starts the fake GitHub, Cursor and OpenAI, runs the real app (`node lib/main.js`) against
 * them, plays a person who files an epic and starts it, and prints what happens until the
 * epic is closed. Exit code 0 when the epic closed, 1 on timeout or failure. It also serves a
 * read-only web view of the fakes (`ui/`; `--no-ui` turns it off), which in a terminal stays
 * up after the run until Ctrl-C.
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { epicBody, freePort, openEpic, PERSON, ROOT, seedRepository, startApp, waitFor, waitForApp } from "./harness.js";
import { SCENARIOS, startSandbox } from "./index.js";
import type { Sandbox, TranscriptEvent } from "./index.js";
import { NotifyReceiver } from "./notify/receiver.js";
import { startWebView, type WebView } from "./ui/server.js";

interface Options {
  scenario: string;
  tasks: number;
  timeoutMs: number;
  verbose: boolean;
  /** Serve the web view; `uiPort` 0 takes any free port. */
  ui: boolean;
  uiPort: number;
}

const DEFAULT_UI_PORT = 4100;

/** Scenarios about the epic's shape rather than how an agent behaves (every agent passes). */
const EPIC_SCENARIOS = {
  "sub-issues": "an epic made of four existing sub-issues, the first blocked by the third: adopted without the LLM, run in dependency order",
} as const;

function isEpicScenario(name: string): name is keyof typeof EPIC_SCENARIOS {
  return Object.hasOwn(EPIC_SCENARIOS, name);
}

function usage(): string {
  const scenarios = [...Object.entries(SCENARIOS), ...Object.entries(EPIC_SCENARIOS)].map(([name, text]) => `  ${name.padEnd(16)} ${text}`).join("\n");
  return [
    "Usage: npm run sandbox [-- --scenario <name>] [--tasks N] [--timeout <seconds>] [--verbose] [--no-ui] [--ui-port N]",
    "",
    "Runs Orchestra against local fakes of GitHub, Cursor and OpenAI (nothing leaves this machine).",
    `Serves a read-only web view of the fakes on 127.0.0.1 (port ${DEFAULT_UI_PORT}, or any free one; --no-ui: none);`,
    "in a terminal it stays up after the run until Ctrl-C.",
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
      "no-ui": { type: "boolean", default: false },
      "ui-port": { type: "string", default: String(DEFAULT_UI_PORT) },
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
  const uiPort = Number(values["ui-port"]);
  if (!Number.isInteger(uiPort) || uiPort < 0 || uiPort > 65535) throw new Error(`--ui-port must be a port number, got "${values["ui-port"]}"`);
  if (!Object.hasOwn(SCENARIOS, values.scenario) && !isEpicScenario(values.scenario)) {
    throw new Error(`unknown scenario "${values.scenario}"\n\n${usage()}`);
  }
  return { scenario: values.scenario, tasks, timeoutMs: timeout * 1000, verbose: values.verbose, ui: !values["no-ui"], uiPort };
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
  notify: "\x1b[95m",
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
  const agents = isEpicScenario(options.scenario) ? "pass" : options.scenario;
  const sandbox = await startSandbox({ scenario: agents, logLevel: options.verbose ? "debug" : "warn" });
  sandbox.on("event", (event: TranscriptEvent) => print(event.kind, event.text));
  print("info", `SANDBOX: every service below is a local fake (scenario "${options.scenario}", ${options.tasks} tasks)`);
  const view = options.ui ? await startWebView(sandbox, { port: options.uiPort }) : undefined;
  if (view) print("info", `web view (read-only, updates live): ${view.url}/`);

  // Where the app sends its notifications (planned, paused, failed, completed): printed as they come.
  const receiver = new NotifyReceiver({ transcript: sandbox.transcript });
  await receiver.start();

  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  sandbox.setAppUrl(appUrl);
  const child = startApp(sandbox, port, {
    env: { LOG_LEVEL: options.verbose ? "debug" : (sandbox.env.LOG_LEVEL ?? "warn"), ORCHESTRA_NOTIFY_URL: receiver.url },
    onLine: (line) => print("app", line),
  });
  const stopAll = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await sandbox.stop();
    await receiver.stop();
  };
  const interrupted = () => {
    void Promise.all([stopAll(), view?.close()]).then(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);

  let code: number;
  try {
    code = await runEpic(sandbox, child, appUrl, options, view);
    // Notifications are sent off the reconciles' path: give the last one a moment to arrive.
    await waitFor(() => receiver.received.some((notification) => notification.body.event === "completed"), Date.now() + 3_000, child);
    print("info", `notifications received: ${receiver.received.map((notification) => String(notification.body.event)).join(", ") || "none"}`);
  } finally {
    process.off("SIGINT", interrupted);
    await stopAll();
  }
  if (view && process.stdout.isTTY) {
    // The fakes are stopped but their state stays in memory: the page keeps showing the end.
    view.refresh();
    print("info", `the web view stays up at ${view.url}/ — press Ctrl-C to quit`);
    await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  }
  await view?.close();
  return code;
}

async function runEpic(sandbox: Sandbox, child: ChildProcess, appUrl: string, options: Options, view: WebView | undefined): Promise<number> {
  await waitForApp(appUrl, child, 30_000);
  print("info", `the app listens on ${appUrl}`);
  const deadline = Date.now() + options.timeoutMs;
  const github = sandbox.github;
  // A short retry backoff keeps the agent-error and expire scenarios quick to watch.
  const audit = options.scenario === "audit";
  const repo = seedRepository(sandbox, { config: `retryBackoffSeconds: 2\n${audit ? AUDIT_CONFIG : ""}` });
  const epic = options.scenario === "sub-issues" ? openSubIssueEpic(sandbox, repo) : openEpic(sandbox, repo, audit ? auditedEpicBody(options.tasks) : epicBody(options.tasks));
  if (view) print("info", `the epic in the web view: ${view.url}/${repo}/issues/${epic}`);

  const planned = await waitFor(() => github.issue(repo, epic).body.includes("<!-- orchestra:plan"), deadline, child);
  if (!planned) {
    print("info", "✗ no plan appeared in the issue before the timeout");
    summary(sandbox);
    return 1;
  }
  print("info", `the plan is in issue #${epic}; ${PERSON} starts it`);
  github.comment(repo, epic, "/orchestra start", PERSON);

  const closed = await waitFor(() => github.issue(repo, epic).state === "closed", deadline, child);
  await github.idle().catch(() => undefined);
  console.log("\n──── final body of issue #%d ────\n%s\n────", epic, github.issue(repo, epic).body);
  summary(sandbox);
  if (!closed) {
    print("info", `✗ the epic was not closed within ${options.timeoutMs / 1000} s`);
    return 1;
  }
  print("info", "✓ the epic is done and closed");
  return 0;
}

/** The `sub-issues` scenario: four sub-issues written by a maintainer, the first blocked by the third, then the epic label. */
function openSubIssueEpic(sandbox: Sandbox, repo: string): number {
  const github = sandbox.github;
  const epic = github.openIssue(repo, PERSON, { title: "Build a todo app", body: "A small todo application; the work is in the sub-issues.\n" });
  const children = [
    { title: "Add a REST API", body: "Expose the todos over HTTP: GET and POST /todos." },
    { title: "Add a README section", body: "Explain how to run the app." },
    { title: "Add a Todo model", body: "A Todo has a title and a done flag." },
    { title: "Add a CLI", body: "List todos from the command line." },
  ].map((child) => github.openIssue(repo, PERSON, child));
  for (const child of children) github.addSubIssue(repo, epic, child, PERSON);
  github.addBlockedBy(repo, children[0]!, children[2]!, PERSON);
  print("info", `sub-issues ${children.map((child) => `#${child}`).join(", ")} of #${epic}; #${children[0]} is blocked by #${children[2]}`);
  github.addLabel(repo, epic, "epic", PERSON);
  return epic;
}

/** The audit scenario turns the audit gate on; the fake auditor sends back the task marked `[audit:changes]` once. */
const AUDIT_CONFIG = "audit:\n  enabled: true\n";

function auditedEpicBody(tasks: number): string {
  return epicBody(tasks).replace(/^- (.*)$/m, "- $1 [audit:changes]");
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`sandbox: ${(error as Error).message}`);
    process.exit(1);
  },
);
