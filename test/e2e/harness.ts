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
  /** Starts the app again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startE2E(
  options: SandboxOptions & { tasks?: number; bullets?: string[]; config?: string; start?: boolean } = {},
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
      env: { ORCHESTRA_DEBOUNCE_MS: "20", ORCHESTRA_RESYNC_INTERVAL_MS: "2000" },
      onLine: (line) => logs.push(line),
    });
    await waitForApp(appUrl, child, 20_000);
  };
  await launch();
  const repo = seedRepository(sandbox, options.config ? { config: options.config } : {});
  const epic = openEpic(sandbox, repo, epicBody(options.tasks ?? 3, options.bullets));
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
