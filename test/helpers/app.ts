import { generateKeyPairSync } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Writable } from "node:stream";
import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import { CursorClient } from "../../src/cursor/client.js";
import { readEnv, type OrchestraEnv } from "../../src/env.js";
import { createApp } from "../../src/index.js";
import { REDACTED_PATHS } from "../../src/logger.js";
import type { Orchestra } from "../../src/orchestra.js";
import { TEST_STATE_SECRET } from "./signing.js";

let cachedKey: string | undefined;
/** A real RSA key: Probot signs its app JWT with it. Generated once per test file. */
export function privateKey(): string {
  cachedKey ??= generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey;
  return cachedKey;
}

export interface TestApp {
  probot: Probot;
  orchestra: Orchestra;
  /** Every log line, parsed: tests assert what is logged and that no secret is. */
  logs: Array<Record<string, unknown>>;
  handlers: Array<(req: IncomingMessage, res: ServerResponse) => unknown>;
  /** Sends a webhook through Probot (signature checking is Probot's own, tested there). */
  receive: (name: string, payload: unknown) => Promise<void>;
  /** Warnings and errors Orchestra logged (failed reconciles, steps); tests expect none. */
  failures: () => string[];
  /** Waits until every reconcile due soon has run. */
  settle: () => Promise<void>;
  stop: () => void;
}

export const CURSOR_URL = "http://cursor.test";
/** The app's clock in integration tests, so the timestamps Orchestra writes into bodies are stable. */
export const TEST_NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
export const OPENAI_URL = "http://llm.test";

/** Probot as production builds it, with throttling and retries off so nock sees every request once. */
export async function createTestApp(
  options: {
    env?: Partial<OrchestraEnv>;
    processEnv?: Record<string, string | undefined>;
    cursor?: CursorClient | null;
    /** The app's clock; TEST_NOW by default. Tests of deadlines and backoffs move it. */
    now?: () => number;
  } = {},
): Promise<TestApp> {
  const logs: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const log = pino({ level: "debug", redact: { paths: REDACTED_PATHS, censor: "[redacted]" } }, stream);
  const probot = new Probot({
    appId: 1,
    privateKey: privateKey(),
    secret: "webhook-secret",
    log,
    // The function form applies last; Probot's own defaults would otherwise turn throttling back on.
    Octokit: ProbotOctokit.defaults((options: object) => ({
      ...options,
      retry: { enabled: false },
      throttle: { enabled: false },
    })),
  });
  const env: OrchestraEnv = {
    ...readEnv({ CURSOR_API_KEY: "cursor-key", CURSOR_API_URL: CURSOR_URL, ORCHESTRA_STATE_SECRET: TEST_STATE_SECRET, ...options.processEnv }),
    resyncIntervalMs: 0,
    debounceMs: 0,
    ...options.env,
  };
  const cursor =
    options.cursor !== undefined
      ? options.cursor
      : env.cursorApiKey
        ? new CursorClient({ apiKey: env.cursorApiKey, baseUrl: CURSOR_URL, maxRetries: 0, sleep: async () => {} })
        : null;
  let orchestra: Orchestra | undefined;
  const handlers: TestApp["handlers"] = [];
  await probot.load(createApp({ env, cursor, now: options.now ?? (() => TEST_NOW), onReady: (ready) => (orchestra = ready) }), {
    cwd: process.cwd(),
    addHandler: (handler) => handlers.push(handler),
  });
  const ready = orchestra!;
  return {
    probot,
    orchestra: ready,
    logs,
    handlers,
    receive: async (name, payload) => {
      await probot.receive({ id: `delivery-${Math.random()}`, name, payload } as never);
    },
    settle: async () => {
      // Deferred cosmetic writes (status edits, reactions) are sent at once in tests, and a
      // reconcile they lead to is waited for too.
      await ready.scheduler.idle();
      await ready.writes.drain();
      await ready.scheduler.idle();
    },
    failures: () =>
      logs
        .filter((line) => (line.level as number) >= 50 || /(reconcile|step|resync) failed/.test(String(line.msg)))
        .map((line) => `${String(line.msg)} ${line.err ? JSON.stringify(line.err).slice(0, 400) : ""}`),
    stop: () => ready.scheduler.stop(),
  };
}

/** A payload of @octokit/webhooks-examples with this test's installation, repository and sender. */
export function withInstallation<T extends Record<string, unknown>>(payload: T, installationId = 42): T {
  return { ...structuredClone(payload), installation: { id: installationId, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI=" } };
}

/**
 * Serves the app's custom routes (the Cursor webhook, health) on a loopback port, as Probot's
 * server would, and returns a function that POSTs to a path.
 */
export async function serveRoutes(app: TestApp): Promise<{ url: string; close: () => Promise<void> }> {
  const { createServer } = await import("node:http");
  const server = createServer(async (req, res) => {
    for (const handler of app.handlers) if (await handler(req, res)) return;
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
