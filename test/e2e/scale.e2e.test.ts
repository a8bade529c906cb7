import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { epicBody, freePort, PERSON, seedRepository, startApp, UNTHROTTLED_APP, waitFor, waitForApp } from "../../sandbox/harness.js";
import { startSandbox, type Sandbox } from "../../sandbox/index.js";
import { redisUnavailable, startRedis, type RedisServer } from "../helpers/redis-server.js";
import { Redis } from "ioredis";
import { repeated } from "./harness.js";
import { startSpreadProxy, type SpreadProxy } from "./spread-proxy.js";

const EPICS = Number(process.env.ORCHESTRA_SCALE_EPICS ?? 20);
const TASKS = 3;
const PROCESSES = 2;

const unavailable = redisUnavailable();
if (unavailable) {
  console.warn(unavailable);
  describe("scale-out over Redis", () => it.skip(unavailable, () => {}));
}

/**
 * The fleet: two app processes sharing one real redis-server, behind a proxy that sends every
 * webhook and Cursor callback to a random process and then again to a random process. One
 * process is killed with SIGKILL mid-run and Redis is restarted once; the survivor completes
 * every epic, and nothing is launched, merged or commented twice.
 */
describe.skipIf(unavailable !== undefined)(`scale-out: ${EPICS} epics × ${TASKS} tasks on ${PROCESSES} processes over Redis`, () => {
  let redis: RedisServer;
  let sandbox: Sandbox;
  let proxy: SpreadProxy;
  const apps: Array<{ url: string; child: ChildProcess }> = [];
  const logs: string[] = [];
  let repo = "";
  let epics: number[] = [];
  const milestones: string[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    sandbox = await startSandbox({ ciDelayMs: 20, agentDelayMs: 20, logLevel: "warn" });
    proxy = await startSpreadProxy(() => apps.filter((app) => app.child.exitCode === null && app.child.signalCode === null).map((app) => app.url));
    sandbox.setAppUrl(proxy.url);
    for (let i = 0; i < PROCESSES; i++) {
      const port = await freePort();
      const child = startApp(sandbox, port, {
        command: UNTHROTTLED_APP,
        env: {
          REDIS_URL: redis.url,
          ORCHESTRA_LEASE_MS: "5000",
          ORCHESTRA_DEBOUNCE_MS: "20",
          ORCHESTRA_RESYNC_INTERVAL_MS: "4000",
          LOG_LEVEL: process.env.ORCHESTRA_SCALE_LOG_LEVEL ?? "warn",
        },
        onLine: (line) => logs.push(`[app ${i}] ${line}`),
      });
      apps.push({ url: `http://127.0.0.1:${port}`, child });
    }
    await Promise.all(apps.map((app) => waitForApp(app.url, app.child, 30_000)));
    repo = seedRepository(sandbox, { config: `planner:\n  maxTasks: ${TASKS}\n` });
    epics = Array.from({ length: EPICS }, (_, i) =>
      sandbox.github.openIssue(repo, PERSON, { title: `Epic ${i + 1}`, body: epicBody(TASKS), labels: ["epic"] }),
    );
    const planned = await waitFor(() => epics.every((n) => sandbox.github.issue(repo, n).body.includes("<!-- orchestra:plan:end -->")), Date.now() + 60_000);
    if (!planned) throw new Error(`not every epic was planned\n${logs.slice(-30).join("\n")}`);
    const merged = () => sandbox.github.pulls(repo).filter((pull) => pull.merged).length;
    // A third of the way (by agents launched): one process dies without warning; two thirds of
    // the merges: Redis restarts. (Not at a merge: a run killed between writing "completed" in
    // the body and closing the issue leaves the epic open for good — a known gap of the core,
    // not of scale-out; see the note on issue 12.)
    const killed = waitFor(() => sandbox.cursor.agents.length >= Math.ceil((EPICS * TASKS) / 3), Date.now() + 120_000).then(() => {
      apps[0]!.child.kill("SIGKILL");
      milestones.push(`killed app 0 at ${merged()} merges`);
    });
    const restarted = killed
      .then(() => waitFor(() => merged() >= Math.ceil((EPICS * TASKS * 2) / 3), Date.now() + 120_000))
      .then(async () => {
        await redis.restart();
        milestones.push(`restarted redis at ${merged()} merges`);
      });
    for (const epic of epics) sandbox.github.comment(repo, epic, "/orchestra start", PERSON);
    const done = await waitFor(() => epics.every((n) => sandbox.github.issue(repo, n).state === "closed"), Date.now() + Number(process.env.ORCHESTRA_SCALE_TIMEOUT_MS ?? 150_000));
    if (!done && process.env.ORCHESTRA_SCALE_LOG_FILE) writeFileSync(process.env.ORCHESTRA_SCALE_LOG_FILE, `${logs.join("\n")}\n${sandbox.transcript.events.map((e) => `${e.at} ${e.kind} ${e.text}`).join("\n")}`);
    await Promise.race([restarted, new Promise((resolve) => setTimeout(resolve, 1_000))]);
    if (!done) {
      const open = epics.filter((n) => sandbox.github.issue(repo, n).state !== "closed");
      const detail = open.map((n) => {
        const tasks = sandbox.github.issue(repo, n).body.split("\n").filter((line) => line.includes("orchestra:task"));
        const agents = sandbox.cursor.agents.filter((agent) => agent.target.branchName.startsWith(`orchestra/${n}-`)).map((agent) => `${agent.id} ${agent.target.branchName} ${agent.status}`);
        const pulls = sandbox.github.pulls(repo).filter((pull) => pull.head.startsWith(`orchestra/${n}-`)).map((pull) => `#${pull.number} ${pull.head} merged=${pull.merged} state=${pull.state} head=${pull.headSha} mergeable=${pull.mergeable}/${pull.mergeableState} checks=${JSON.stringify(pull.checks)}`);
        return [`#${n}`, ...tasks, ...agents, ...pulls].join("\n  ");
      });
      throw new Error(`epics still open: ${open.join(", ")}; ${milestones.join("; ")}\n${detail.join("\n")}\n${await redisState(redis.url, repo, open)}\n${logs.slice(-40).join("\n")}`);
    }
    await sandbox.github.idle();
  }, 240_000);

  afterAll(async () => {
    for (const app of apps) if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill("SIGKILL");
    await proxy?.stop();
    await sandbox?.stop();
    await redis?.stop();
  });

  it("killed one process and restarted Redis mid-run, and both processes took webhooks", () => {
    expect(milestones).toEqual([expect.stringMatching(/^killed app 0/), expect.stringMatching(/^restarted redis/)]);
    for (const app of apps) expect(proxy.forwarded.get(app.url) ?? 0).toBeGreaterThan(0);
  });

  it("completed every epic with every task merged", () => {
    for (const epic of epics) {
      const body = sandbox.github.issue(repo, epic).body;
      const tasks = body.split("\n").filter((line) => line.includes("<!-- orchestra:task"));
      expect(tasks).toHaveLength(TASKS);
      expect(tasks.every((line) => line.startsWith("- [x]") && line.includes("state=merged")), `#${epic}`).toBe(true);
    }
  });

  it("launched one agent per task", () => {
    const { cursor } = sandbox;
    expect(repeated(cursor.agents.map((agent) => agent.target.branchName)), "branches with two agents").toEqual([]);
    expect(cursor.agents).toHaveLength(EPICS * TASKS);
    expect(cursor.requestCount("POST /v0/agents")).toBe(EPICS * TASKS);
  });

  it("merged every pull request once", () => {
    const pulls = sandbox.github.pulls(repo);
    expect(pulls).toHaveLength(EPICS * TASKS);
    expect(pulls.every((pull) => pull.merged)).toBe(true);
    const merges = sandbox.transcript.events.filter((event) => event.kind === "merge").map((event) => /merged PR #(\d+)/.exec(event.text)?.[1]);
    expect(repeated(merges), "PRs merged twice").toEqual([]);
    expect(sandbox.github.requestCount("PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge")).toBe(EPICS * TASKS);
  });

  it("posted no comment twice and one status comment per epic", () => {
    for (const epic of epics) {
      const bodies = sandbox.github.comments(repo, epic).filter((comment) => comment.author === "orchestra[bot]").map((comment) => comment.body);
      expect(repeated(bodies), `comments posted twice on #${epic}`).toEqual([]);
      const status = bodies.filter((body) => body.includes("<!-- orchestra:status -->"));
      expect(status, `#${epic}`).toHaveLength(1);
      // Kept true across processes: no process skipped the last edit for text it remembered.
      expect(status[0], `status of #${epic}`).toContain(`**${TASKS} of ${TASKS} merged** · epic completed`);
    }
    expect(sandbox.github.validationErrors).toEqual([]);
  });

  it("stops the surviving process gracefully on SIGTERM: its worker and Redis connections closed, exit 0", async () => {
    const survivor = apps[1]!.child;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      survivor.once("exit", (code, signal) => resolve({ code, signal })),
    );
    const signalledAt = Date.now();
    survivor.kill("SIGTERM");
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
  });
});

/** What Redis holds about the epics still open, for the failure message. */
async function redisState(url: string, repo: string, open: number[]): Promise<string> {
  const client = new Redis(url);
  try {
    const lines: string[] = [];
    for (const n of open) {
      const epic = `${repo}#${n}`.toLowerCase();
      const [lock, held, covered, seq, intents] = await Promise.all([
        client.get(`orchestra:lock:${epic}`),
        client.get(`orchestra:held:${epic}`),
        client.get(`orchestra:covered:${epic}`),
        client.get(`orchestra:seq:${epic}`),
        client.llen(`orchestra:intents:${epic}`),
      ]);
      lines.push(`#${n}: lock=${lock} held=${held} covered=${covered} seq=${seq} intents=${intents}`);
    }
    const counts = await Promise.all(["wait", "active", "delayed", "failed", "completed"].map(async (state) => `${state}=${await (state === "wait" || state === "active" ? client.llen(`orchestra:epics:${state}`) : client.zcard(`orchestra:epics:${state}`))}`));
    lines.push(`queue: ${counts.join(" ")}`);
    const delayed = await client.zrange("orchestra:epics:delayed", 0, 20);
    lines.push(`delayed: ${delayed.join(" ")}`);
    const active = await client.lrange("orchestra:epics:active", 0, 20);
    lines.push(`active: ${active.join(" ")}`);
    return lines.join("\n");
  } finally {
    client.disconnect();
  }
}
