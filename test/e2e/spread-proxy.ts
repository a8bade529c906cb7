import { createServer, type IncomingMessage } from "node:http";
import { freePort } from "../../sandbox/harness.js";

/**
 * A load balancer for the scale tests: every request (GitHub webhooks, Cursor callbacks) goes to
 * a random live app process, skipping dead ones, and then once more to a random process, as a
 * redelivery would. The fakes see the first answer.
 */
export interface SpreadProxy {
  url: string;
  /** Requests forwarded per app address, duplicates included. */
  forwarded: Map<string, number>;
  stop(): Promise<void>;
}

const HOP_BY_HOP = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

export async function startSpreadProxy(targets: () => string[]): Promise<SpreadProxy> {
  const forwarded = new Map<string, number>();
  const send = async (target: string, req: IncomingMessage, body: Buffer) => {
    const headers = Object.fromEntries(
      Object.entries(req.headers)
        .filter(([name, value]) => !HOP_BY_HOP.has(name) && typeof value === "string")
        .map(([name, value]) => [name, value as string]),
    );
    const response = await fetch(`${target}${req.url}`, {
      method: req.method!,
      headers,
      ...(body.length ? { body: new Uint8Array(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    forwarded.set(target, (forwarded.get(target) ?? 0) + 1);
    return { status: response.status, text: await response.text() };
  };
  const shuffled = () => [...targets()].sort(() => Math.random() - 0.5);
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    let answered = false;
    for (const target of shuffled()) {
      try {
        const { status, text } = await send(target, req, body);
        res.writeHead(status, { "content-type": "application/json" }).end(text);
        answered = true;
        break;
      } catch {
        // That process is dead or restarting: the next one.
      }
    }
    if (!answered) res.writeHead(502).end("no app process answered");
    // The same delivery again, to any process, a moment later.
    const [again] = shuffled();
    if (again) setTimeout(() => void send(again, req, body).catch(() => {}), Math.floor(Math.random() * 50));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
