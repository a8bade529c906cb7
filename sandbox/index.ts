/**
 * SANDBOX FAKE — never part of src/. Starts the three fakes the app can run against — GitHub,
 * Cursor and OpenAI — on loopback ports, with a fresh RSA key and secrets, and hands back the
 * environment that points a real Orchestra process at them.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { FakeCursor } from "./cursor/fake-cursor.js";
import { isScenario, SCENARIOS } from "./cursor/scenarios.js";
import { FakeGitHub } from "./github/fake-github.js";
import { FakeOpenAI } from "./openai/fake-openai.js";
import { Transcript } from "./shared/transcript.js";
import type { TranscriptEvent } from "./shared/transcript.js";

export { FakeCursor } from "./cursor/fake-cursor.js";
export type { FakeAgent, CursorWebhookDelivery } from "./cursor/fake-cursor.js";
export { FakeGitHub } from "./github/fake-github.js";
export type { CiCompleted, CiHook, CommentView, IssueView, PullView, ValidationFailure, WebhookDelivery } from "./github/fake-github.js";
export { FakeOpenAI } from "./openai/fake-openai.js";
export { SCENARIOS } from "./cursor/scenarios.js";
export { NotifyReceiver } from "./notify/receiver.js";
export type { ReceivedNotification } from "./notify/receiver.js";
export type { ScenarioName } from "./cursor/scenarios.js";
export type { TranscriptEvent } from "./shared/transcript.js";

export interface SandboxOptions {
  /** Scenario of every task that does not choose its own (see SCENARIOS). Default `pass`. */
  scenario?: string;
  /** Scenario by task id, e.g. `{ t2: "ci-fix" }`. */
  scenarios?: Record<string, string>;
  /** Time a CI run takes. Default 150 ms. */
  ciDelayMs?: number;
  /** Time each step of an agent takes. Default 100 ms. */
  agentDelayMs?: number;
  /** LOG_LEVEL for the app. Default `info`. */
  logLevel?: string;
  /** Check GitHub responses against GitHub's documented schemas too (slower first calls). */
  validateResponses?: boolean;
  /** Keep a timed log of GitHub requests (the benchmark's latency figures). */
  logRequests?: boolean;
}

export interface Sandbox extends EventEmitter<{ event: [TranscriptEvent] }> {
  github: FakeGitHub;
  cursor: FakeCursor;
  openai: FakeOpenAI;
  transcript: Transcript;
  /** The app's environment: every variable it needs to talk to the fakes. */
  env: Record<string, string>;
  /** The app's public address: GitHub webhooks go to `<url>/api/github/webhooks`; use it as PUBLIC_URL. */
  setAppUrl(url: string): void;
  stop(): Promise<void>;
}

/** The app id of the sandbox's fake GitHub App. */
export const SANDBOX_APP_ID = 4242;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const scenario = options.scenario ?? "pass";
  if (!isScenario(scenario)) {
    throw new Error(`Unknown scenario "${scenario}"; choose one of: ${Object.keys(SCENARIOS).join(", ")}`);
  }
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const webhookSecret = randomBytes(20).toString("hex");
  const cursorWebhookSecret = randomBytes(32).toString("hex");
  const cursorApiKey = `key_sandbox_${randomBytes(16).toString("hex")}`;
  const openaiApiKey = `sk-sandbox-${randomBytes(16).toString("hex")}`;

  const transcript = new Transcript();
  const github = new FakeGitHub({
    appId: SANDBOX_APP_ID,
    appPublicKey: publicKey,
    ciDelayMs: options.ciDelayMs ?? 150,
    transcript,
    validateResponses: options.validateResponses ?? false,
    logRequests: options.logRequests ?? false,
  });
  const cursor = new FakeCursor({
    github,
    apiKey: cursorApiKey,
    agentDelayMs: options.agentDelayMs ?? 100,
    scenario,
    scenarios: options.scenarios ?? {},
    transcript,
  });
  const openai = new FakeOpenAI({ apiKey: openaiApiKey, transcript });

  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    for (const fake of [github, cursor, openai]) {
      await fake.start();
      started.push(fake);
    }
  } catch (error) {
    await Promise.all(started.map((fake) => fake.stop()));
    throw error;
  }

  const emitter = new EventEmitter<{ event: [TranscriptEvent] }>();
  transcript.on("event", (event) => emitter.emit("event", event));

  const env: Record<string, string> = {
    APP_ID: String(SANDBOX_APP_ID),
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: webhookSecret,
    GHE_HOST: new URL(github.url).host,
    GHE_PROTOCOL: "http",
    CURSOR_API_URL: cursor.url,
    CURSOR_API_KEY: cursorApiKey,
    CURSOR_WEBHOOK_SECRET: cursorWebhookSecret,
    OPENAI_BASE_URL: openai.baseUrl,
    OPENAI_API_KEY: openaiApiKey,
    LOG_LEVEL: options.logLevel ?? "info",
  };

  return Object.assign(emitter, {
    github,
    cursor,
    openai,
    transcript,
    env,
    setAppUrl(url: string): void {
      const base = url.replace(/\/+$/, "");
      github.webhookTarget = { url: `${base}/api/github/webhooks`, secret: webhookSecret };
      env.PUBLIC_URL = base;
      transcript.record("info", `GitHub webhooks now go to ${base}/api/github/webhooks`);
    },
    async stop(): Promise<void> {
      await Promise.all([cursor.stop(), openai.stop()]);
      await github.stop();
    },
  });
}
