import { afterAll } from "vitest";
import type { ChildProcess } from "node:child_process";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../sandbox/index.js";
import {
  epicBody,
  freePort,
  openEpic,
  PERSON,
  seedRepository,
  startApp,
  UNTHROTTLED_APP,
  waitFor,
  waitForApp,
} from "../../sandbox/harness.js";

/**
 * One end-to-end run: the sandbox's fakes, the real app as a child process, a repository and
 * an epic. Tests act as people through the fake GitHub and read its state.
 */
export interface E2E {
  sandbox: Sandbox;
  repo: string;
  epic: number;
  appUrl: string;
  logs: string[];
  body(): string;
  /** Waits for `check`, failing with the app's last log lines if it does not hold in time. */
  until(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** `/orchestra …` (or any comment) as alice. */
  comment(text: string): void;
  /** Kills the app with SIGKILL: no shutdown, in-flight requests abandoned. */
  kill(): Promise<void>;
  /** The app's process as it runs now (it changes at each restart). */
  app(): ChildProcess;
  /** Starts the app again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Every app process a test of this file started: killed when the file ends, so that a test that
 * timed out before it had a handle to stop (a slow start on a loaded machine) leaves none behind.
 */
const live = new Set<ChildProcess>();
afterAll(() => {
  for (const child of live) child.kill("SIGKILL");
});

export async function startE2E(
  options: SandboxOptions & {
    tasks?: number;
    bullets?: string[];
    config?: string;
    start?: boolean;
    /** Who opens the epic (with read access), before alice labels it; alice by default. */
    author?: string;
    /** The epic's description instead of the bullets'. */
    body?: string;
    /** Runs after the epic is opened and before alice labels it (sub-issues to add, say). */
    beforeLabel?: (sandbox: Sandbox, repo: string, epic: number) => void;
    /** More of the app's environment (ORCHESTRA_NOTIFY_URL…). */
    appEnv?: Record<string, string>;
  } = {},
): Promise<E2E> {
  const sandbox = await startSandbox({ ciDelayMs: 20, agentDelayMs: 20, logLevel: "warn", ...options });
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  sandbox.setAppUrl(appUrl);
  const logs: string[] = [];
  let child: ChildProcess;
  const launch = async () => {
    child = startApp(sandbox, port, {
      command: UNTHROTTLED_APP,
      env: { ORCHESTRA_DEBOUNCE_MS: "20", ORCHESTRA_RESYNC_INTERVAL_MS: "2000", ...options.appEnv },
      onLine: (line) => logs.push(line),
    });
    const started = child;
    live.add(started);
    started.once("exit", () => live.delete(started));
    await waitForApp(appUrl, child, 20_000);
  };
  await launch();
  const repo = seedRepository(sandbox, options.config ? { config: options.config } : {});
  if (options.author) sandbox.github.addCollaborator(repo, options.author, "read");
  const body = options.body ?? epicBody(options.tasks ?? 3, options.bullets);
  let epic: number;
  if (options.beforeLabel) {
    epic = sandbox.github.openIssue(repo, options.author ?? PERSON, { title: "Build a todo app", body });
    options.beforeLabel(sandbox, repo, epic);
    sandbox.github.addLabel(repo, epic, "epic", PERSON);
  } else {
    epic = openEpic(sandbox, repo, body, undefined, options.author);
  }
  const e2e: E2E = {
    sandbox,
    repo,
    epic,
    appUrl,
    logs,
    body: () => sandbox.github.issue(repo, epic).body,
    until: async (check, what, timeoutMs = 30_000) => {
      const ok = await waitFor(check, Date.now() + timeoutMs, child);
      if (!ok) throw new Error(`timed out waiting for ${what}\n--- body ---\n${e2e.body()}\n--- app ---\n${logs.slice(-30).join("\n")}`);
    },
    comment: (text) => void sandbox.github.comment(repo, epic, text, PERSON),
    kill: async () => {
      child.kill("SIGKILL");
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once("exit", resolve)));
    },
    app: () => child,
    restart: launch,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await sandbox.stop();
    },
  };
  await e2e.until(() => e2e.body().includes("<!-- orchestra:plan"), "the plan");
  if (options.start !== false) e2e.comment("/orchestra start");
  return e2e;
}

/** Every item of the block ticked, and the issue closed. */
export function isDone(e2e: E2E): boolean {
  return e2e.sandbox.github.issue(e2e.repo, e2e.epic).state === "closed";
}

export function taskLines(body: string): string[] {
  return body.split("\n").filter((line) => line.includes("<!-- orchestra:task"));
}

// ---- reading what happened, for the scenario tests --------------------------------------------

import type { CommentView } from "../../sandbox/index.js";

/** One fake's transcript line, with its place in the whole transcript (times tie at 1 ms). */
export interface Happening {
  seq: number;
  at: number;
  text: string;
}

const OPENED_PULL = /opened PR #(\d+) ".*" \((\S+) → /;
const MERGED_PULL = /^(\S+) merged PR #(\d+) into /;
const LAUNCHED = /^agent (bc-\S+) launched on (\S+) \(scenario (\S+), attempt (\d+)\)/;
const AGENT_STATUS = /^agent (bc-\S+) (RUNNING|FINISHED|ERROR|EXPIRED|stopped)\b/;

function happenings(e2e: E2E, kind: string, pattern: RegExp): Array<Happening & { match: RegExpExecArray }> {
  const found: Array<Happening & { match: RegExpExecArray }> = [];
  e2e.sandbox.transcript.events.forEach((event, seq) => {
    const match = event.kind === kind ? pattern.exec(event.text) : null;
    if (match) found.push({ seq, at: event.at, text: event.text, match });
  });
  return found;
}

/** Pull requests as they were opened, in order. */
export function pullOpenings(e2e: E2E): Array<Happening & { pr: number; head: string }> {
  return happenings(e2e, "pull", OPENED_PULL).map(({ match, ...rest }) => ({ ...rest, pr: Number(match[1]), head: match[2]! }));
}

/** Merges as they happened, in order (a PR merged twice would appear twice). */
export function pullMerges(e2e: E2E): Array<Happening & { pr: number; by: string }> {
  return happenings(e2e, "merge", MERGED_PULL).map(({ match, ...rest }) => ({ ...rest, pr: Number(match[2]), by: match[1]! }));
}

/** Agent launches as the fake Cursor saw them; `agent` is the id's first 11 characters. */
export function agentLaunches(e2e: E2E): Array<Happening & { agent: string; branch: string; scenario: string; attempt: number }> {
  return happenings(e2e, "agent", LAUNCHED).map(({ match, ...rest }) => ({
    ...rest,
    agent: match[1]!,
    branch: match[2]!,
    scenario: match[3]!,
    attempt: Number(match[4]),
  }));
}

/** Agent status changes (`stopped` included), in order. */
export function agentStatuses(e2e: E2E): Array<Happening & { agent: string; status: string }> {
  return happenings(e2e, "agent", AGENT_STATUS).map(({ match, ...rest }) => ({ ...rest, agent: match[1]!, status: match[2]! }));
}

/**
 * The most agents live at once over the run: live from launch until FINISHED, ERROR, EXPIRED
 * or stopped (a follow-up's RUNNING makes it live again).
 */
export function peakLiveAgents(e2e: E2E): number {
  const live = new Set<string>();
  let peak = 0;
  const events = [...agentLaunches(e2e).map((e) => ({ ...e, status: "LAUNCHED" })), ...agentStatuses(e2e)].sort((a, b) => a.seq - b.seq);
  for (const event of events) {
    if (event.status === "LAUNCHED" || event.status === "RUNNING") live.add(event.agent);
    else live.delete(event.agent);
    peak = Math.max(peak, live.size);
  }
  return peak;
}

/** The seq of the first transcript line of `kind` that matches, or undefined. */
export function firstHappening(e2e: E2E, kind: string, pattern: RegExp): Happening | undefined {
  const [first] = happenings(e2e, kind, pattern);
  return first && { seq: first.seq, at: first.at, text: first.text };
}

/** Comments on the epic by Orchestra's bot. */
export function botComments(e2e: E2E): CommentView[] {
  return e2e.sandbox.github.comments(e2e.repo, e2e.epic).filter((comment) => comment.author === "orchestra[bot]");
}

/** A comment on the epic as someone other than alice (add them with `addCollaborator` first). */
export function commentAs(e2e: E2E, login: string, text: string): number {
  return e2e.sandbox.github.comment(e2e.repo, e2e.epic, text, login);
}

/** The metadata of a task's line in the body (`state`, `attempt`, `pr`, …), or undefined. */
export function taskMeta(body: string, id: string): Record<string, string> | undefined {
  for (const line of taskLines(body)) {
    const meta = /<!-- orchestra:task ([^>]*?) ?-->/.exec(line)?.[1];
    if (!meta) continue;
    const fields = Object.fromEntries(
      meta
        .split(/\s+/)
        .map((pair) => pair.split("="))
        .filter((pair): pair is [string, string] => pair.length === 2),
    );
    if (fields.id === id) return { ...fields, checked: line.startsWith("- [x]") ? "true" : "false" };
  }
  return undefined;
}

/** Values that occur more than once (for "nothing done twice" assertions). */
export function repeated<T>(values: readonly T[]): T[] {
  return [...new Set(values.filter((value, index) => values.indexOf(value) !== index))];
}

/**
 * End-to-end tests run real processes against real timers; on CI one retry keeps a machine
 * hiccup from failing the whole submission. Locally a failure shows at once.
 */
export const E2E_OPTIONS = { retry: process.env.CI ? 1 : 0 };
