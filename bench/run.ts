/**
 * `npm run bench [-- --epics 20 --tasks 5 --concurrency 1]`: N epics of M tasks through the
 * sandbox, served by one Orchestra process. Prints and writes `bench/results.json`:
 * GitHub REST calls per task by endpoint (planning excluded), Cursor calls per task, latency
 * from a webhook leaving the fake to Orchestra's first resulting request (p50, p99), wall time
 * and the app's peak RSS.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startSandbox, type Sandbox } from "../sandbox/index.js";
import {
  epicBody,
  freePort,
  PERSON,
  seedRepository,
  startApp,
  UNTHROTTLED_APP,
  waitFor,
  waitForApp,
} from "../sandbox/harness.js";
import { parseBranchName } from "../src/orchestration/naming.js";

const { values } = parseArgs({
  options: {
    epics: { type: "string", default: "20" },
    tasks: { type: "string", default: "5" },
    concurrency: { type: "string", default: "1" },
    timeout: { type: "string", default: "600" },
    out: { type: "string", default: "bench/results.json" },
  },
});
const EPICS = Number(values.epics);
const TASKS = Number(values.tasks);
const CONCURRENCY = Number(values.concurrency);
const TASK_COUNT = EPICS * TASKS;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [key, count] of Object.entries(after)) {
    const delta = count - (before[key] ?? 0);
    if (delta > 0) result[key] = delta;
  }
  return result;
}

function perTask(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts)
      .sort(([, a], [, b]) => b - a)
      .map(([key, count]) => [key, Math.round((count / TASK_COUNT) * 100) / 100]),
  );
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** Which epic a webhook concerns: the issue it is about, or the epic a task branch names. */
function epicOfDelivery(payload: Record<string, unknown>): number | undefined {
  const issue = payload.issue as { number?: number } | undefined;
  if (issue?.number) return issue.number;
  const pull = payload.pull_request as { head?: { ref?: string } } | undefined;
  const suite = (payload.check_suite ?? (payload.check_run as { check_suite?: unknown })?.check_suite) as
    | { head_branch?: string }
    | undefined;
  const branch = pull?.head?.ref ?? suite?.head_branch;
  return branch ? parseBranchName(branch)?.issueNumber : undefined;
}

/**
 * For each webhook the app acts on, the time from the delivery leaving the fake to the app's
 * first request about the same epic. Webhooks about Orchestra's own writes are left out: the
 * app ignores them by design, so nothing results from them.
 */
function latencies(sandbox: Sandbox): number[] {
  const log = sandbox.github.requestLog;
  const samples: number[] = [];
  const firstRequestAfter = (epic: number, at: number) => log.find((entry) => entry.at >= at && entry.issue === epic);
  for (const delivery of sandbox.github.deliveries) {
    const sender = (delivery.payload as { sender?: { type?: string } }).sender;
    if (sender?.type === "Bot" || delivery.sentAt === undefined) continue;
    const epic = epicOfDelivery(delivery.payload as Record<string, unknown>);
    const request = epic === undefined ? undefined : firstRequestAfter(epic, delivery.sentAt);
    if (request) samples.push(request.at - delivery.sentAt);
  }
  for (const delivery of sandbox.cursor.webhookDeliveries) {
    const agent = sandbox.cursor.agents.find((candidate) => candidate.id === delivery.agentId);
    const epic = agent?.target.branchName ? parseBranchName(agent.target.branchName)?.issueNumber : undefined;
    const request = epic === undefined ? undefined : firstRequestAfter(epic, delivery.at);
    if (request) samples.push(request.at - delivery.at);
  }
  return samples.sort((a, b) => a - b);
}

/** The app's own measure (GET /metrics): event to the start of its reconcile, by wait kind. */
async function appLatency(appUrl: string): Promise<Record<string, { count: number; p50: number; p99: number }>> {
  const text = await (await fetch(`${appUrl}/metrics`)).text();
  const result: Record<string, { count: number; p50: number; p99: number }> = {};
  for (const wait of ["idle", "behind_run", "slot"]) {
    const read = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    const quantile = (q: string) =>
      Math.round(read(new RegExp(`orchestra_event_to_reconcile_seconds\\{quantile="${q}",wait="${wait}"\\} ([\\d.e+-]+)`)) * 1000 * 10) / 10;
    result[wait] = {
      count: read(new RegExp(`orchestra_event_to_reconcile_seconds_count\\{wait="${wait}"\\} (\\d+)`)),
      p50: quantile("0.5"),
      p99: quantile("0.99"),
    };
  }
  return result;
}

async function main(): Promise<void> {
  const sandbox = await startSandbox({ ciDelayMs: 50, agentDelayMs: 50, logLevel: "warn", logRequests: true });
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  sandbox.setAppUrl(appUrl);
  const appLog: string[] = [];
  const child = startApp(sandbox, port, {
    command: UNTHROTTLED_APP,
    // No debounce: the latency measured is Orchestra's own, not a deliberate wait.
    env: { ORCHESTRA_DEBOUNCE_MS: "0", ORCHESTRA_RESYNC_INTERVAL_MS: "300000", LOG_LEVEL: "warn" },
    onLine: (line) => appLog.push(line),
  });
  const deadline = Date.now() + Number(values.timeout) * 1000;
  try {
    await waitForApp(appUrl, child, 30_000);
    const repo = seedRepository(sandbox, { config: `concurrency: ${CONCURRENCY}\nplanner:\n  maxTasks: ${Math.max(TASKS, 1)}\n` });
    const epics = Array.from({ length: EPICS }, (_, i) =>
      sandbox.github.openIssue(repo, PERSON, { title: `Epic ${i + 1}`, body: epicBody(TASKS), labels: ["epic"] }),
    );
    console.log(`bench: ${EPICS} epics × ${TASKS} tasks, concurrency ${CONCURRENCY}, one Orchestra process`);
    const planned = await waitFor(
      () => epics.every((n) => sandbox.github.issue(repo, n).body.includes("<!-- orchestra:plan:end -->")),
      deadline,
      child,
    );
    if (!planned) throw new Error("not every epic was planned in time");
    await sandbox.github.idle();
    const beforeGitHub = sandbox.github.requestCounts();
    const beforeCursor = sandbox.cursor.requestCounts();
    const started = Date.now();
    const progress = setInterval(() => {
      const closed = epics.filter((n) => sandbox.github.issue(repo, n).state === "closed").length;
      const merged = sandbox.github.pulls(repo).filter((pull) => pull.merged).length;
      console.log(
        `bench: +${Math.round((Date.now() - started) / 1000)} s — ${merged} of ${TASK_COUNT} PRs merged, ${closed} of ${EPICS} epics closed, ${sandbox.github.deliveries.length} webhooks sent`,
      );
    }, 15_000);
    progress.unref();
    for (const epic of epics) sandbox.github.comment(repo, epic, "/orchestra start", PERSON);
    const done = await waitFor(() => epics.every((n) => sandbox.github.issue(repo, n).state === "closed"), deadline, child);
    const wallMs = Date.now() - started;
    clearInterval(progress);
    if (!done) throw new Error(`not every epic completed in time\n${appLog.slice(-20).join("\n")}`);
    await sandbox.github.idle();

    const github = diff(sandbox.github.requestCounts(), beforeGitHub);
    const rest = Object.fromEntries(Object.entries(github).filter(([key]) => !key.startsWith("graphql") && !key.endsWith("/graphql")));
    const graphql = github["graphql OrchestraSnapshot"] ?? 0;
    const restTotal = Object.values(rest).reduce((a, b) => a + b, 0);
    const cursor = diff(sandbox.cursor.requestCounts(), beforeCursor);
    const cursorTotal = Object.values(cursor).reduce((a, b) => a + b, 0);
    const samples = latencies(sandbox);
    const results = {
      epics: EPICS,
      tasksPerEpic: TASKS,
      concurrency: CONCURRENCY,
      tasks: TASK_COUNT,
      github: {
        restCallsPerTask: Math.round((restTotal / TASK_COUNT) * 100) / 100,
        restByEndpointPerTask: perTask(rest),
        graphqlQueriesPerTask: Math.round((graphql / TASK_COUNT) * 100) / 100,
      },
      cursor: { callsPerTask: Math.round((cursorTotal / TASK_COUNT) * 100) / 100, byEndpointPerTask: perTask(cursor) },
      latencyMs: {
        // Measured by the fakes: a webhook leaving them to the app's first request about its epic,
        // including any wait behind that epic's reconcile already under way (one writer per epic).
        webhookToFirstRequest: { samples: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples.at(-1) ?? null },
        // Measured by the app (GET /metrics): an event to the start of its reconcile; "idle" is
        // Orchestra's own overhead, "behind_run" includes waiting for the epic's running reconcile.
        eventToReconcile: await appLatency(appUrl),
      },
      wallTimeSeconds: Math.round(wallMs / 100) / 10,
      peakRssMb: peakRssMb(child.pid!),
      node: process.version,
      measuredAt: new Date().toISOString(),
    };
    writeFileSync(values.out!, `${JSON.stringify(results, null, 2)}\n`);
    console.log(JSON.stringify(results, null, 2));
    console.log(`bench: wrote ${values.out}`);
  } finally {
    child.kill("SIGKILL");
    await sandbox.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench: ${(error as Error).message}`);
    process.exit(1);
  },
);
