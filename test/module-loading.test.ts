import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, "helpers", "loaded-packages.ts");

/**
 * What a running Orchestra loads is most of its memory at rest: the packages only some
 * configurations need stay unloaded until then. A child process, because the test runner's own
 * module graph is not the app's.
 */
async function loadedPackages(env: Record<string, string>): Promise<{ atStart: string[]; afterPlanning?: string[] }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(REDIS_URL|OPENAI_|ANTHROPIC_)/.test(name)));
  const { stdout } = await run(process.execPath, ["--import", "tsx", SCRIPT], {
    env: { ...clean, ORCHESTRA_STATE_SECRET: "module-loading-test", LOG_LEVEL: "fatal", ...env },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as { atStart: string[]; afterPlanning?: string[] };
}

describe("module loading", () => {
  it("without REDIS_URL loads neither BullMQ nor ioredis, and no LLM SDK until a model is asked; then only that vendor's", async () => {
    const loaded = await loadedPackages({ OPENAI_API_KEY: "sk-test", ANTHROPIC_API_KEY: "sk-ant-test", ASK_MODEL: "1" });
    expect(loaded.atStart).toEqual([]);
    expect(loaded.afterPlanning).toEqual(["openai"]);
  }, 90_000);

  it("with REDIS_URL loads BullMQ and ioredis before the queue is made", async () => {
    // Nothing listens on port 1: the queue is made, never connected, and the child exits.
    const loaded = await loadedPackages({ REDIS_URL: "redis://127.0.0.1:1" });
    expect(loaded.atStart).toEqual(["bullmq", "ioredis"]);
  }, 90_000);
});
