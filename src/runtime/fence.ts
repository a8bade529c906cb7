import type { CursorClient } from "../cursor/client.js";
import type { Octokit } from "../github/gateway.js";
import type { Fence } from "./epic-queue.js";

/**
 * Calls `fence` before every request that changes something on GitHub (any method but GET and
 * HEAD, and GraphQL mutations), so a process that lost its epic's lease stops before writing.
 */
export function fenceOctokit(octokit: Octokit, fence: Fence): Octokit {
  octokit.hook.before("request", async (options) => {
    const method = String(options.method ?? "GET").toUpperCase();
    if (method === "GET" || method === "HEAD") return;
    if (String(options.url).endsWith("/graphql")) {
      const query = String((options as { query?: unknown }).query ?? (options.data as { query?: unknown } | undefined)?.query ?? "");
      if (!/^\s*mutation\b/.test(query)) return;
    }
    await fence();
  });
  return octokit;
}

const CURSOR_WRITES = new Set<PropertyKey>(["createAgent", "followup", "stop"]);

/** The Cursor client with `fence` called before each launch, follow-up and stop. */
export function fenceCursor(cursor: CursorClient, fence: Fence): CursorClient {
  return new Proxy(cursor, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!CURSOR_WRITES.has(property)) return method.bind(target);
      return async (...args: unknown[]) => {
        await fence();
        return method.apply(target, args);
      };
    },
  });
}
