/**
 * Run as a child process (`node --import tsx test/helpers/loaded-packages.ts`) by
 * test/module-loading.test.ts: loads the app as Probot does, with the environment given, and
 * prints which of the packages only some configurations need were loaded, as JSON on stdout:
 * `{ "atStart": [...], "afterPlanning": [...] }`. With ASK_MODEL=1 it then asks the planner's
 * model once (OPENAI_BASE_URL points at a local stand-in) and lists the packages again.
 */
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";
import { Probot } from "probot";

const WATCHED = ["bullmq", "ioredis", "openai", "@anthropic-ai/sdk"];
const loaded = new Set<string>();
const channel = new MessageChannel();
channel.port1.on("message", (url: string) => {
  for (const name of WATCHED) if (url.includes(`/node_modules/${name}/`)) loaded.add(name);
});
channel.port1.unref();
// Every module Node loads from here on, ESM or CommonJS, passes through this hook.
register(
  `data:text/javascript,${encodeURIComponent(`
let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, next) { port.postMessage(url); return next(url, context); }
`)}`,
  { parentURL: import.meta.url, data: { port: channel.port2 }, transferList: [channel.port2] },
);
const { createApp } = await import("../../src/index.js");
const { readEnv } = await import("../../src/env.js");
const { resolveProviders } = await import("../../src/llm/providers.js");

/** Messages from the hook arrive asynchronously: a turn of the event loop lets them in. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
const env = { ...readEnv(process.env), resyncIntervalMs: 0 };
const probot = new Probot({ appId: 1, privateKey, secret: "webhook-secret", logLevel: "fatal" });
await probot.load(createApp({ env, cursor: null }), { cwd: process.cwd(), addHandler: () => {} });
await settle();
const atStart = [...loaded].sort();

let afterPlanning: string[] | undefined;
if (process.env.ASK_MODEL === "1") {
  const server = createServer((_request, response) => {
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ id: "c", object: "chat.completion", created: 0, model: "m", choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "{}" } }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const chain = resolveProviders({ ...process.env, OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` }, { provider: "auto" } as never, { maxRetries: 0 });
  if (!chain.ok) throw new Error(chain.error);
  const answer = await chain.providers[0].complete("system", "user");
  if (answer.text !== "{}") throw new Error(`unexpected answer ${answer.text}`);
  server.close();
  await settle();
  afterPlanning = [...loaded].sort();
}
process.stdout.write(`${JSON.stringify({ atStart, ...(afterPlanning ? { afterPlanning } : {}) })}\n`);
process.exit(0);
