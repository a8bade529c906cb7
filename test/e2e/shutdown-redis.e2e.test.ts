import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { epicBody, freePort, PERSON, seedRepository, startApp, UNTHROTTLED_APP, waitFor, waitForApp } from "../../sandbox/harness.js";
import { startSandbox, type Sandbox } from "../../sandbox/index.js";
import { redisUnavailable, startRedis, type RedisServer } from "../helpers/redis-server.js";
import { repeated } from "./harness.js";
import { startSpreadProxy, type SpreadProxy } from "./spread-proxy.js";

const EPICS = 3;
const TASKS = 3;

const unavailable = redisUnavailable();
if (unavailable) {
  console.warn(unavailable);
  describe("SIGTERM mid-epic over Redis", () => it.skip(unavailable, () => {}));
}

/**
 * A rolling restart with Redis: two processes share the epics; one gets SIGTERM right as the
 * fleet merges its first PR (a deploy replacing it). It stops taking work, finishes or hands
 * back what it runs, releases its leases and exits 0; the other process completes every epic,
 * and nothing is launched, merged or commented twice.
 */
describe.skipIf(unavailable !== undefined)(`end to end: SIGTERM mid-epic on one of two processes over Redis`, () => {
  let redis: RedisServer;
  let sandbox: Sandbox;
  let proxy: SpreadProxy;
  const apps: Array<{ url: string; child: ChildProcess }> = [];
  const logs: string[] = [];
  let repo = "";
  let epics: number[] = [];
  let exit: { code: number | null; signal: NodeJS.Signals | null; afterMs: number; mergesAtSignal: number; during: string } | undefined;
  let onVictimMerged: (() => void) | undefined;

  beforeAll(async () => {
    redis = await startRedis();
    sandbox = await startSandbox({ ciDelayMs: 20, agentDelayMs: 20, logLevel: "warn" });
    const live = () => apps.filter((app) => app.child.exitCode === null && app.child.signalCode === null && !app.child.killed).map((app) => app.url);
    proxy = await startSpreadProxy(live);
    sandbox.setAppUrl(proxy.url);
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const child = startApp(sandbox, port, {
        command: UNTHROTTLED_APP,
        env: { REDIS_URL: redis.url, ORCHESTRA_LEASE_MS: "5000", ORCHESTRA_DEBOUNCE_MS: "20", ORCHESTRA_RESYNC_INTERVAL_MS: "4000", LOG_LEVEL: "info" },
        onLine: (line) => {
          logs.push(`[app ${i}] ${line}`);
          // The victim has just merged a PR: its reconcile still has the body and comments to write.
          if (i === 0 && /\(orchestra\): merged$/.test(line)) onVictimMerged?.();
        },
      });
      apps.push({ url: `http://127.0.0.1:${port}`, child });
    }
    await Promise.all(apps.map((app) => waitForApp(app.url, app.child, 30_000)));
    repo = seedRepository(sandbox, { config: `planner:\n  maxTasks: ${TASKS}\n` });
    epics = Array.from({ length: EPICS }, (_, i) => sandbox.github.openIssue(repo, PERSON, { title: `Epic ${i + 1}`, body: epicBody(TASKS), labels: ["epic"] }));
    const planned = await waitFor(() => epics.every((n) => sandbox.github.issue(repo, n).body.includes("<!-- orchestra:plan:end -->")), Date.now() + 30_000);
    if (!planned) throw new Error(`not every epic was planned\n${logs.slice(-30).join("\n")}`);

    const victim = apps[0]!.child;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => victim.once("exit", (code, signal) => resolve({ code, signal })));
    let signalledAt = 0;
    let mergesAtSignal = 0;
    let during = "";
    const terminate = (what: string) => {
      if (signalledAt) return;
      signalledAt = Date.now();
      during = what;
      mergesAtSignal = sandbox.github.pulls(repo).filter((pull) => pull.merged).length;
      victim.kill("SIGTERM");
    };
    // Right after the victim merged a PR, mid-reconcile; should the other process do the first
    // merges, at the fourth merge of the fleet, whatever the victim is doing.
    onVictimMerged = () => terminate("its own reconcile, right after its merge");
    const listener = (event: { kind: string }) => {
      if (event.kind !== "merge" || sandbox.github.pulls(repo).filter((pull) => pull.merged).length < 4) return;
      sandbox.off("event", listener);
      terminate("the fleet's fourth merge");
    };
    sandbox.on("event", listener);
    for (const epic of epics) sandbox.github.comment(repo, epic, "/orchestra start", PERSON);
    const { code, signal } = await exited;
    exit = { code, signal, afterMs: Date.now() - signalledAt, mergesAtSignal, during };
    const done = await waitFor(() => epics.every((n) => sandbox.github.issue(repo, n).state === "closed"), Date.now() + 90_000);
    if (!done) throw new Error(`epics still open after the SIGTERM\n${logs.slice(-60).join("\n")}`);
    await sandbox.github.idle();
  }, 150_000);

  afterAll(async () => {
    for (const app of apps) if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill("SIGKILL");
    await proxy?.stop();
    await sandbox?.stop();
    await redis?.stop();
  });

  it("the signalled process exits 0 on its own, soon, mid-epic, after a graceful shutdown", () => {
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit!.afterMs).toBeLessThan(10_000);
    expect(exit!.mergesAtSignal).toBeLessThan(EPICS * TASKS);
    // The reconcile under way (after the victim's own merge, as a rule) finished before the exit.
    expect(exit!.during).not.toBe("");
    expect(logs.some((line) => line.startsWith("[app 0]") && line.includes("shutdown complete: every reconcile in flight finished"))).toBe(true);
  });

  it("the other process completed every epic with every task merged", () => {
    for (const epic of epics) {
      const tasks = sandbox.github.issue(repo, epic).body.split("\n").filter((line) => line.includes("<!-- orchestra:task"));
      expect(tasks).toHaveLength(TASKS);
      expect(tasks.every((line) => line.startsWith("- [x]") && line.includes("state=merged")), `#${epic}`).toBe(true);
    }
  });

  it("nothing was launched, merged or commented twice", () => {
    const { cursor, github } = sandbox;
    expect(repeated(cursor.agents.map((agent) => agent.target.branchName)), "branches with two agents").toEqual([]);
    expect(cursor.requestCount("POST /v0/agents")).toBe(EPICS * TASKS);
    const merges = sandbox.transcript.events.filter((event) => event.kind === "merge").map((event) => /merged PR #(\d+)/.exec(event.text)?.[1]);
    expect(repeated(merges), "PRs merged twice").toEqual([]);
    expect(github.pulls(repo).filter((pull) => pull.merged)).toHaveLength(EPICS * TASKS);
    for (const epic of epics) {
      const bodies = github.comments(repo, epic).filter((comment) => comment.author === "orchestra[bot]").map((comment) => comment.body);
      expect(repeated(bodies), `comments posted twice on #${epic}`).toEqual([]);
      expect(bodies.filter((body) => body.includes("<!-- orchestra:status -->")), `#${epic}`).toHaveLength(1);
    }
    expect(github.validationErrors).toEqual([]);
  });
});
