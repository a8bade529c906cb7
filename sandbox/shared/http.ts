/**
 * SANDBOX FAKE — never part of src/. Minimal node:http plumbing shared by the fake servers:
 * listening on loopback, reading bodies, answering JSON and matching route templates.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface Listening {
  server: Server;
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 with an OS-chosen port; a handler that throws answers 500. */
export async function listenOnLoopback(handler: Handler, port = 0): Promise<Listening> {
  const server = createServer((req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { message: `Fake server error: ${(error as Error).message}` });
        else res.end();
      });
  });
  // Keep-alive sockets would hold stop() open for seconds.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export class BodyTooLargeError extends Error {}

/** The raw request body, refusing more than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = 5_000_000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new BodyTooLargeError(`body larger than ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { "content-type": "application/json; charset=utf-8" } : {}),
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** `{"a":1}` → value; anything else → undefined, so callers can answer 400 themselves. */
export function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (raw.length === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw.toString("utf8")) };
  } catch {
    return { ok: false };
  }
}

export interface CompiledTemplate {
  template: string;
  regex: RegExp;
  params: string[];
}

/**
 * `/repos/{owner}/{repo}/git/ref/{ref}` → a regex. Parameters named in `multiSegment` may span
 * several path segments (GitHub's `x-multi-segment`, e.g. a ref `heads/feature/x`).
 */
export function compileTemplate(template: string, multiSegment: ReadonlySet<string> = new Set()): CompiledTemplate {
  const params: string[] = [];
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const param = /^\{([^}]+)\}$/.exec(part);
      if (!param) return part.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
      params.push(param[1]!);
      return multiSegment.has(param[1]!) ? "(.+)" : "([^/]+)";
    })
    .join("");
  return { template, regex: new RegExp(`^${source}$`), params };
}

/** Decoded parameters when `path` matches, null otherwise (or when a segment is badly encoded). */
export function matchTemplate(compiled: CompiledTemplate, path: string): Record<string, string> | null {
  const match = compiled.regex.exec(path);
  if (!match) return null;
  const params: Record<string, string> = {};
  try {
    compiled.params.forEach((name, index) => {
      params[name] = decodeURIComponent(match[index + 1]!);
    });
  } catch {
    return null;
  }
  return params;
}

/** Counts requests per `METHOD /route-template`, the unit tests and budgets speak in. */
export class RequestCounter {
  private readonly counts = new Map<string, number>();

  add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  all(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  total(): number {
    let sum = 0;
    for (const count of this.counts.values()) sum += count;
    return sum;
  }

  reset(): void {
    this.counts.clear();
  }
}

/** The bearer token of `Authorization: Bearer x` (or GitHub's older `token x`). */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
