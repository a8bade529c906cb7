/**
 * `npm run bench`: epics through the sandbox's fakes of GitHub, Cursor and OpenAI, served by one
 * Orchestra process, as a new user runs it: the `npm start` build (`node lib/main.js`) with
 * Probot's own Octokit throttling (writes and GraphQL a second apart, content-creating writes
 * three). Writes `bench/results.json`; see README's "Performance".
 *
 *   npm run bench                                   # 1 epic × 5 tasks, throttled: the table's figures
 *   npm run bench -- --epics 100 --tasks 10 --unthrottled --out bench/results-100x10.json
 *   npm run bench -- --epics 1000 --tasks 10 --out bench/results-1000.json  # unthrottled, always
 *   npm run bench -- --epics 20 --tasks 10 --unthrottled --node-options ""  # without npm start's heap options
 *
 * `--unthrottled` runs the same build without Octokit's spacing (bench/app-unthrottled.mjs): one
 * installation's spacing would make a thousand epics take hours, and the counts per task and the
 * memory do not depend on it. Memory is the app process's own: its peak (VmHWM) and its RSS once
 * it listens, read from /proc.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startSandbox, type Sandbox } from "../sandbox/index.js";
import { BUILT_APP, epicBody, freePort, PERSON, ROOT, seedRepository, startApp, waitFor, waitForApp } from "../sandbox/harness.js";
import { parseBranchName } from "../src/orchestration/naming.js";
import { classifyGitHub, diff, ownTimePerTask, percentile, perTask, round, type Interval } from "./figures.js";

const { values } = parseArgs({
  options: {
    epics: { type: "string", default: "1" },
    tasks: { type: "string", default: "5" },
    concurrency: { type: "string", default: "1" },
    unthrottled: { type: "boolean", default: false },
    "ci-ms": { type: "string" },
    "agent-ms": { type: "string" },
    timeout: { type: "string", default: "1800" },
    /** Node options for the app instead of the start script's (`--node-options ""` to compare without them). */
    "node-options": { type: "string" },
    out: { type: "string", default: "bench/results.json" },
    /** Also write every GitHub request and sandbox event, in time order, to this file. */
    timeline: { type: "string" },
  },
});
const EPICS = Number(values.epics);
const TASKS = Number(values.tasks);
const CONCURRENCY = Number(values.concurrency);
const TASK_COUNT = EPICS * TASKS;
/** A thousand epics through one installation's one-second spacing would take hours. */
const THROTTLED = !values.unthrottled && EPICS < 1000;
// Throttled: an agent takes 2 s and CI 5 s (real ones take minutes; `--ci-ms 2000 --agent-ms 500`
// is the stress case, where each state arrives while the writes of the last are under way).
// Unthrottled (counts and memory): as fast as can be.
const CI_MS = Number(values["ci-ms"] ?? (THROTTLED ? 5000 : 50));
const AGENT_MS = Number(values["agent-ms"] ?? (THROTTLED ? 1000 : 50));
/**
 * Both modes run the build with the Node options `npm start` gives it (package.json's start
 * script: `node <options> lib/main.js`, the heap's sizing); unthrottled only turns Octokit's
 * spacing off.
 */
const START_OPTIONS = values["node-options"] !== undefined ? values["node-options"].split(/\s+/).filter(Boolean) : startScriptOptions();
const APP_COMMAND = THROTTLED ? [process.execPath, ...START_OPTIONS, ...BUILT_APP.slice(1)] : [process.execPath, ...START_OPTIONS, join(ROOT, "bench", "app-unthrottled.mjs")];

function startScriptOptions(): string[] {
  const start = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.start ?? "";
  const words = start.trim().split(/\s+/);
  if (words[0] !== "node" || words.at(-1) !== "lib/main.js") throw new Error(`package.json's start script is not \`node [options] lib/main.js\`: ${start}`);
  return words.slice(1, -1);
}

function memoryMb(pid: number, field: "VmHWM" | "VmRSS"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** CPU time the app process has used (user + system), from /proc: a figure a busy machine does not inflate as much as wall time. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command's name; in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** `npm start` runs `npm run build` first; so does the benchmark, when lib/ is older than src/. */
function ensureBuilt(): void {
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((entry) => (entry.isDirectory() ? newest(join(dir, entry.name)) : statSync(join(dir, entry.name)).mtimeMs)));
  const main = join(ROOT, "lib", "main.js");
  if (existsSync(main) && statSync(main).mtimeMs >= newest(join(ROOT, "src"))) return;
  console.log("bench: building the app (npm run build)…");
  if (spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" }).status !== 0) throw new Error("npm run build failed");
}

/** Time figures of each merged PR, from the fakes' transcript and CI events. */
function timings(sandbox: Sandbox, repo: string, epics: number[], startedAt: Map<number, number>, greens: Array<{ at: number; sha: string; pulls: number[] }>) {
  const events = sandbox.transcript.events;
  const launchedAt = new Map<string, number>();
  const mergedAt = new Map<number, number>();
  const closedAt = new Map<number, number>();
  for (const event of events) {
    const launch = /^agent \S+ launched on (\S+)/.exec(event.text);
    if (event.kind === "agent" && launch && !launchedAt.has(launch[1]!)) launchedAt.set(launch[1]!, event.at);
    const merge = /merged PR #(\d+)/.exec(event.text);
    if (event.kind === "merge" && merge) mergedAt.set(Number(merge[1]), event.at);
    const closed = /^\S+ closed #(\d+)$/.exec(event.text);
    if (event.kind === "issue" && closed && !closedAt.has(Number(closed[1]))) closedAt.set(Number(closed[1]), event.at);
  }
  const greenToMerge: number[] = [];
  const own: number[] = [];
  const external = new Map<number, Interval[]>();
  for (const pull of sandbox.github.pulls(repo)) {
    const merged = mergedAt.get(pull.number);
    const epic = parseBranchName(pull.head)?.issueNumber;
    if (!pull.merged || merged === undefined || epic === undefined) continue;
    // The last check of the merged head turning green, before the merge.
    const green = greens.filter((g) => g.sha === pull.headSha && g.pulls.includes(pull.number) && g.at <= merged).at(-1);
    if (green) greenToMerge.push(merged - green.at);
    const launched = launchedAt.get(pull.head);
    if (launched !== undefined && green) external.set(epic, [...(external.get(epic) ?? []), { from: launched, to: green.at }]);
  }
  for (const epic of epics) {
    const start = startedAt.get(epic);
    const end = closedAt.get(epic);
    if (start !== undefined && end !== undefined) own.push(ownTimePerTask(start, end, external.get(epic) ?? [], TASKS));
  }
  return { greenToMerge: greenToMerge.sort((a, b) => a - b), ownTime: own.sort((a, b) => a - b) };
}

/** Which epic a webhook concerns: the issue it is about, or the epic a task branch names. */
function epicOfDelivery(payload: Record<string, unknown>): number | undefined {
  const issue = payload.issue as { number?: number } | undefined;
  if (issue?.number) return issue.number;
  const pull = payload.pull_request as { head?: { ref?: string } } | undefined;
  const suite = (payload.check_suite ?? (payload.check_run as { check_suite?: unknown })?.check_suite) as { head_branch?: string } | undefined;
  const branch = pull?.head?.ref ?? suite?.head_branch;
  return branch ? parseBranchName(branch)?.issueNumber : undefined;
}

/**
 * For each webhook the app acts on (not those about Orchestra's own writes), the time from the
 * delivery leaving the fake to the app's first request about the same epic.
 */
function webhookLatencies(sandbox: Sandbox, since: number): number[] {
  const log = sandbox.github.requestLog;
  const samples: number[] = [];
  const firstRequestAfter = (epic: number, at: number) => log.find((entry) => entry.at >= at && entry.issue === epic);
  for (const delivery of sandbox.github.deliveries) {
    const sender = (delivery.payload as { sender?: { type?: string } }).sender;
    if (sender?.type === "Bot" || delivery.sentAt === undefined || delivery.sentAt < since) continue;
    const epic = epicOfDelivery(delivery.payload as Record<string, unknown>);
    const request = epic === undefined ? undefined : firstRequestAfter(epic, delivery.sentAt);
    if (request) samples.push(request.at - delivery.sentAt);
  }
  for (const delivery of sandbox.cursor.webhookDeliveries) {
    if (delivery.at < since) continue;
    const agent = sandbox.cursor.agents.find((candidate) => candidate.id === delivery.agentId);
    const epic = agent?.target.branchName ? parseBranchName(agent.target.branchName)?.issueNumber : undefined;
    const request = epic === undefined ? undefined : firstRequestAfter(epic, delivery.at);
    if (request) samples.push(request.at - delivery.at);
  }
  return samples.sort((a, b) => a - b);
}

/** The app's own measure (GET /metrics): an event to the start of its reconcile, by what it waited for. */
async function appLatency(appUrl: string): Promise<Record<string, { count: number; p50: number; p99: number }>> {
  const text = await (await fetch(`${appUrl}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
  const result: Record<string, { count: number; p50: number; p99: number }> = {};
  for (const wait of ["idle", "behind_run", "slot"]) {
    const read = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    const quantile = (q: string) => round(read(new RegExp(`orchestra_event_to_reconcile_seconds\\{quantile="${q}",wait="${wait}"\\} ([\\d.e+-]+)`)) * 1000, 1);
    result[wait] = { count: read(new RegExp(`orchestra_event_to_reconcile_seconds_count\\{wait="${wait}"\\} (\\d+)`)), p50: quantile("0.5"), p99: quantile("0.99") };
  }
  return result;
}

/** Where the time goes: every GitHub request and every sandbox event, relative to the start command. */
function writeTimeline(sandbox: Sandbox, started: number, path: string): void {
  const lines = [
    ...sandbox.github.requestLog.map((entry) => ({ at: entry.at, text: `→ ${entry.key}${entry.issue ? ` #${entry.issue}` : ""}` })),
    ...sandbox.transcript.events.filter((event) => event.kind !== "webhook").map((event) => ({ at: event.at, text: `  ${event.kind}: ${event.text}` })),
  ]
    .filter((line) => line.at >= started)
    .sort((a, b) => a.at - b.at)
    .map((line) => `${((line.at - started) / 1000).toFixed(3).padStart(8)}  ${line.text}`);
  writeFileSync(path, `${lines.join("\n")}\n`);
}

async function main(): Promise<void> {
  ensureBuilt();
  const sandbox = await startSandbox({ ciDelayMs: CI_MS, agentDelayMs: AGENT_MS, logLevel: "warn", logRequests: true });
  const greens: Array<{ at: number; sha: string; pulls: number[] }> = [];
  sandbox.github.onCiCompleted((event) => {
    if (event.conclusion === "success") greens.push({ at: Date.now(), sha: event.sha, pulls: event.pulls });
  });
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  sandbox.setAppUrl(appUrl);
  const appLog: string[] = [];
  const child = startApp(sandbox, port, {
    command: APP_COMMAND,
    // Throttled: the product's defaults, as a new user has them. Unthrottled: no debounce, so that
    // the large runs measure Orchestra rather than a deliberate wait.
    env: { ORCHESTRA_DEBOUNCE_MS: THROTTLED ? "250" : "0", ORCHESTRA_RESYNC_INTERVAL_MS: "300000", LOG_LEVEL: "warn" },
    onLine: (line) => appLog.push(line),
  });
  const deadline = Date.now() + Number(values.timeout) * 1000;
  try {
    await waitForApp(appUrl, child, 60_000);
    const idleRssMb = memoryMb(child.pid!, "VmRSS");
    const repo = seedRepository(sandbox, { config: `concurrency: ${CONCURRENCY}\nplanner:\n  maxTasks: ${Math.max(TASKS, 1)}\n` });
    const epics = Array.from({ length: EPICS }, (_, i) =>
      sandbox.github.openIssue(repo, PERSON, { title: `Epic ${i + 1}`, body: epicBody(TASKS), labels: ["epic"] }),
    );
    console.log(`bench: ${EPICS} epics × ${TASKS} tasks, concurrency ${CONCURRENCY}, ${THROTTLED ? "throttled (npm start build)" : "unthrottled"}, CI ${CI_MS} ms, agent steps ${AGENT_MS} ms`);
    const planned = await waitFor(() => epics.every((n) => sandbox.github.issue(repo, n).body.includes("<!-- orchestra:plan:end -->")), deadline, child);
    if (!planned) throw new Error("not every epic was planned in time");
    await sandbox.github.idle();
    // Let the planning's spaced writes (status comment) drain before counting.
    if (THROTTLED) await new Promise((resolve) => setTimeout(resolve, 5_000));
    await sandbox.github.idle();
    const beforeGitHub = sandbox.github.requestCounts();
    const beforeCursor = sandbox.cursor.requestCounts();
    const started = Date.now();
    const cpuBefore = cpuSeconds(child.pid!);
    const progress = setInterval(() => {
      const closed = epics.filter((n) => sandbox.github.issue(repo, n).state === "closed").length;
      const merged = sandbox.github.pulls(repo).filter((pull) => pull.merged).length;
      console.log(`bench: +${Math.round((Date.now() - started) / 1000)} s — ${merged} of ${TASK_COUNT} PRs merged, ${closed} of ${EPICS} epics closed`);
    }, 15_000);
    progress.unref();
    const startedAt = new Map<number, number>();
    for (const epic of epics) {
      startedAt.set(epic, Date.now());
      sandbox.github.comment(repo, epic, "/orchestra start", PERSON);
    }
    const done = await waitFor(() => epics.every((n) => sandbox.github.issue(repo, n).state === "closed"), deadline, child);
    const wallMs = Date.now() - started;
    const appCpuSeconds = cpuSeconds(child.pid!) - cpuBefore;
    clearInterval(progress);
    if (!done) {
      // Out of time (`--timeout`): what the run reached, and the memory so far, rather than nothing.
      const partial = {
        mode: THROTTLED ? "throttled" : "unthrottled",
        completed: false,
        epics: EPICS,
        tasksPerEpic: TASKS,
        timeoutSeconds: Number(values.timeout),
        mergedPulls: sandbox.github.pulls(repo).filter((pull) => pull.merged).length,
        closedEpics: epics.filter((n) => sandbox.github.issue(repo, n).state === "closed").length,
        githubRequests: classifyGitHub(diff(sandbox.github.requestCounts(), beforeGitHub)).requests,
        wallTimeSeconds: round(wallMs / 1000, 1),
        appCpuSeconds: round(appCpuSeconds, 1),
        peakRssMb: memoryMb(child.pid!, "VmHWM"),
        idleRssMb,
        node: process.version,
        measuredAt: new Date().toISOString(),
      };
      writeFileSync(values.out!, `${JSON.stringify(partial, null, 2)}\n`);
      throw new Error(`not every epic completed in time (what was reached is in ${values.out})\n${appLog.slice(-20).join("\n")}`);
    }
    // What the app still writes after closing (the last status edit, deferred branch deletes)
    // belongs to the run: wait until it has sent nothing for a while.
    const quietMs = THROTTLED ? 4_000 : 1_000;
    const lastRequestAt = () => sandbox.github.requestLog.at(-1)?.at ?? 0;
    await waitFor(() => Date.now() - lastRequestAt() > quietMs, Math.min(deadline, Date.now() + 60_000), child);
    await sandbox.github.idle();

    const github = classifyGitHub(diff(sandbox.github.requestCounts(), beforeGitHub));
    const cursor = diff(sandbox.cursor.requestCounts(), beforeCursor);
    const cursorTotal = Object.values(cursor).reduce((a, b) => a + b, 0);
    const { greenToMerge, ownTime } = timings(sandbox, repo, epics, startedAt, greens);
    const peakRssMb = memoryMb(child.pid!, "VmHWM");
    const results = {
      mode: THROTTLED ? `throttled: node ${START_OPTIONS.join(" ")} lib/main.js (npm start), Probot's Octokit throttling on` : `unthrottled: node ${START_OPTIONS.join(" ")} bench/app-unthrottled.mjs (the npm start build, no Octokit spacing)`,
      epics: EPICS,
      tasksPerEpic: TASKS,
      concurrency: CONCURRENCY,
      tasks: TASK_COUNT,
      ciMs: CI_MS,
      agentStepMs: AGENT_MS,
      github: {
        // REST and GraphQL together, happy path, planning excluded.
        requestsPerTask: round(github.requests / TASK_COUNT),
        writesPerTask: round(github.writes / TASK_COUNT),
        commentsPerTask: round(github.comments / TASK_COUNT),
        restByEndpointPerTask: perTask(github.rest, TASK_COUNT),
        graphqlByOperationPerTask: perTask(github.graphql, TASK_COUNT),
      },
      cursor: { callsPerTask: round(cursorTotal / TASK_COUNT), byEndpointPerTask: perTask(cursor, TASK_COUNT) },
      // From the fake marking the last check of the merged head green to the merge request arriving.
      greenToMergeMs: { samples: greenToMerge.length, p50: percentile(greenToMerge, 50), p99: percentile(greenToMerge, 99), max: greenToMerge.at(-1) ?? null },
      // A webhook leaving the fakes to the app's first request about its epic (debounce and any
      // wait behind the epic's running reconcile included); and the app's own event → reconcile.
      webhookToFirstRequestMs: (() => {
        const samples = webhookLatencies(sandbox, started);
        return { samples: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99) };
      })(),
      // A busy app may not answer in time; the figure is then left out rather than the run.
      eventToReconcileMs: await appLatency(appUrl).catch((error: unknown) => ({ error: String((error as Error).message) })),
      // Start command to the issue closing, minus the time an agent worked or CI ran, per task (median, max over epics).
      ownTimePerTaskMs: { p50: round(percentile(ownTime, 50) ?? Number.NaN, 0), max: round(ownTime.at(-1) ?? Number.NaN, 0) },
      wallTimeSeconds: round(wallMs / 1000, 1),
      // The app's own CPU time over the same span, per task.
      appCpuMsPerTask: round((appCpuSeconds * 1000) / TASK_COUNT, 1),
      peakRssMb,
      idleRssMb,
      rssPerEpicMb: round((peakRssMb - idleRssMb) / EPICS, 3),
      node: process.version,
      measuredAt: new Date().toISOString(),
    };
    writeFileSync(values.out!, `${JSON.stringify(results, null, 2)}\n`);
    if (values.timeline) writeTimeline(sandbox, started, values.timeline);
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
