import type { CursorClient } from "../cursor/client.js";
import type { Octokit } from "../github/gateway.js";
import type { Fence } from "./epic-queue.js";

type Fetch = typeof globalThis.fetch;

/**
 * Calls `fence` before every request that changes something on GitHub (any method but GET and
 * HEAD, and GraphQL mutations), so a process that lost its epic's lease stops before writing.
 * The check runs in the request's own `fetch`, the innermost step: a hook registered now runs
 * before the throttle's and retry's waits (they were registered when the client was built), and
 * a write that waited a second or more in the throttle queue must be checked when it leaves,
 * not when it joined the queue.
 */
export function fenceOctokit(octokit: Octokit, fence: Fence): Octokit {
  octokit.hook.before("request", (options) => {
    if (!changesSomething(options)) return;
    const request = (options.request ?? {}) as { fetch?: Fetch };
    const send: Fetch = request.fetch ?? globalThis.fetch;
    const fenced: Fetch = async (input, init) => {
      await fence();
      return send(input, init);
    };
    options.request = { ...request, fetch: fenced } as typeof options.request;
  });
  return octokit;
}

function changesSomething(options: { method?: string; url?: string; data?: unknown; query?: unknown }): boolean {
  const method = String(options.method ?? "GET").toUpperCase();
  if (method === "GET" || method === "HEAD") return false;
  if (!String(options.url).endsWith("/graphql")) return true;
  const query = String(options.query ?? (options.data as { query?: unknown } | undefined)?.query ?? "");
  return /^\s*mutation\b/.test(query);
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
