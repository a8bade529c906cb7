import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../sandbox/harness.js";

/**
 * A real `redis-server` (Debian's package) on a free loopback port, with its data in a temporary
 * directory (append-only file on, so a restart keeps the queue). Never a fake of Redis.
 */
export interface RedisServer {
  url: string;
  /** Stops the server (SIGTERM: it writes its data) and starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const INSTALL_HINT = "install it with `apt-get install -y redis-server` (.ci/run does this when it is missing)";

/** Why Redis tests cannot run here, or undefined when `redis-server` is available. */
export function redisUnavailable(): string | undefined {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    return `redis-server cannot be started (${probe.error?.message ?? probe.stderr.trim()}): the Redis tests are skipped; ${INSTALL_HINT}`;
  }
  return undefined;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "orchestra-redis-"));
  let child: ChildProcess | undefined;
  const launch = async () => {
    const server = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--save", "", "--loglevel", "warning"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child = server;
    let output = "";
    server.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    server.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (server.exitCode !== null) throw new Error(`redis-server exited with code ${server.exitCode}: ${output}; ${INSTALL_HINT}`);
      const ping = spawnSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" });
      if (ping.stdout?.trim() === "PONG") return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`redis-server did not answer on port ${port} within 10 s: ${output}`);
  };
  const halt = async () => {
    const server = child;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    server.kill("SIGTERM");
    await new Promise((resolve) => server.once("exit", resolve));
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    restart: async () => {
      await halt();
      await launch();
    },
    stop: async () => {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
