import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CursorLog } from "../src/cursor/client.js";
import { SeenIds } from "../src/cursor/seen-ids.js";
import {
  CURSOR_WEBHOOK_PATH,
  createCursorWebhookHandler,
  signCursorPayload,
  type CursorStatusChange,
  type CursorWebhookOptions,
} from "../src/cursor/webhook.js";

const SECRET = "cursor-webhook-secret-0123456789abcdef";
const RAW = readFileSync(new URL("../fixtures/api/cursor-webhook-status-change.json", import.meta.url), "utf8");

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A real HTTP server running the handler, falling through to 404 like Probot's last handler. */
async function serve(overrides: Partial<CursorWebhookOptions> = {}) {
  const received: Array<{ payload: CursorStatusChange; deliveryId: string | undefined }> = [];
  const onStatusChange = vi.fn(async (payload: CursorStatusChange, deliveryId: string | undefined) => {
    received.push({ payload, deliveryId });
  });
  const logged: unknown[][] = [];
  const record = (...args: unknown[]) => {
    logged.push(args);
  };
  const log: CursorLog = { debug: record, info: record, warn: record, error: record };
  const handler = createCursorWebhookHandler({ secret: SECRET, onStatusChange, log, ...overrides });
  const server = createServer(async (req, res) => {
    if (!(await handler(req, res))) res.writeHead(404).end("not handled");
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}${CURSOR_WEBHOOK_PATH}`, port, received, onStatusChange, logged };
}

async function deliver(
  url: string,
  body: string,
  headers: Record<string, string | undefined> = {},
): Promise<Response> {
  const signature = await signCursorPayload(SECRET, body);
  const all: Record<string, string> = {
    "content-type": "application/json",
    "x-webhook-signature": signature,
    "x-webhook-id": "delivery-1",
    "x-webhook-event": "statusChange",
  };
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) delete all[name];
    else all[name] = value;
  }
  return fetch(url, { method: "POST", headers: all, body });
}

describe("Cursor webhook route", () => {
  it("accepts a correctly signed delivery with 204 and passes the payload on", async () => {
    const { url, received } = await serve();

    const response = await deliver(url, RAW);

    expect(response.status).toBe(204);
    await vi.waitFor(() => expect(received).toHaveLength(1));
    expect(received[0]).toEqual({
      deliveryId: "delivery-1",
      payload: {
        event: "statusChange",
        timestamp: "2025-06-02T09:41:17.804Z",
        id: "bc-7f3a91c2",
        status: "FINISHED",
        source: { repository: "https://github.com/octo-org/widgets", ref: "main" },
        target: {
          url: "https://cursor.com/agents?id=bc-7f3a91c2",
          branchName: "orchestra/7-t2-a1",
          prUrl: "https://github.com/octo-org/widgets/pull/42",
        },
        summary: "Added POST /login with session cookies and tests",
      },
    });
  });

  it("refuses a wrong signature with 401", async () => {
    const { url, onStatusChange } = await serve();

    const forged = await signCursorPayload("another-secret", RAW);
    const response = await deliver(url, RAW, { "x-webhook-signature": forged });

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: "Invalid or missing X-Webhook-Signature" });
    expect(onStatusChange).not.toHaveBeenCalled();
  });

  it("refuses a body altered after signing with 401", async () => {
    const { url, onStatusChange } = await serve();

    const signature = await signCursorPayload(SECRET, RAW);
    const response = await deliver(url, RAW.replace("FINISHED", "ERROR"), { "x-webhook-signature": signature });

    expect(response.status).toBe(401);
    expect(onStatusChange).not.toHaveBeenCalled();
  });

  it("refuses a delivery without a signature with 401", async () => {
    const { url, onStatusChange } = await serve();

    const response = await deliver(url, RAW, { "x-webhook-signature": undefined });

    expect(response.status).toBe(401);
    expect(onStatusChange).not.toHaveBeenCalled();
  });

  it("answers a replayed X-Webhook-ID with 204 and passes it on only once", async () => {
    const { url, onStatusChange } = await serve();

    const first = await deliver(url, RAW);
    const second = await deliver(url, RAW);
    const third = await deliver(url, RAW, { "x-webhook-id": "delivery-2" });

    expect([first.status, second.status, third.status]).toEqual([204, 204, 204]);
    await vi.waitFor(() => expect(onStatusChange).toHaveBeenCalledTimes(2));
    expect(onStatusChange.mock.calls.map((call) => call[1])).toEqual(["delivery-1", "delivery-2"]);
  });

  it("refuses a 2 MB body with 413 without reading it all", async () => {
    const { url, onStatusChange } = await serve();

    const huge = JSON.stringify({ id: "bc-1", status: "FINISHED", padding: "x".repeat(2 * 1024 * 1024) });
    const response = await deliver(url, huge);

    expect(response.status).toBe(413);
    expect(onStatusChange).not.toHaveBeenCalled();
  });

  it("refuses a streamed body that grows past the cap with 413", async () => {
    const { url, onStatusChange } = await serve({ maxBodyBytes: 1024 });

    // A stream body is sent chunked, without Content-Length, so only counting can catch it.
    const chunk = new TextEncoder().encode("x".repeat(512));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await fetch(url, {
      method: "POST",
      headers: { "x-webhook-signature": "sha256=00" },
      body,
      duplex: "half",
    } as RequestInit);

    expect(response.status).toBe(413);
    expect(onStatusChange).not.toHaveBeenCalled();
  });

  it("answers GET on the path with 405", async () => {
    const { url } = await serve();

    const response = await fetch(url);

    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
  });

  it("leaves other paths to the next handler", async () => {
    const { port, onStatusChange } = await serve();

    const response = await deliver(`http://127.0.0.1:${port}/api/github/webhooks`, RAW);

    expect(response.status).toBe(404);
    expect(await response.text()).toBe("not handled");
    expect(onStatusChange).not.toHaveBeenCalled();
  });

  it("handles the path with a query string", async () => {
    const { url, onStatusChange } = await serve();

    const response = await deliver(`${url}?source=cursor`, RAW);

    expect(response.status).toBe(204);
    await vi.waitFor(() => expect(onStatusChange).toHaveBeenCalledTimes(1));
  });

  it("refuses signed JSON that does not parse with 400", async () => {
    const { url, onStatusChange } = await serve();

    const response = await deliver(url, "{not json");

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "Body is not valid JSON" });
    expect(onStatusChange).not.toHaveBeenCalled();
  });

  it("refuses a signed payload without an agent id with 400 naming the field", async () => {
    const { url, onStatusChange } = await serve();

    const response = await deliver(url, JSON.stringify({ event: "statusChange", status: "FINISHED" }));

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toContain("id");
    expect(onStatusChange).not.toHaveBeenCalled();
  });

  it("passes unknown statuses and fields through", async () => {
    const { url, received } = await serve();

    const body = JSON.stringify({ id: "bc-2", status: "SUSPENDED", somethingNew: [1], target: null });
    const response = await deliver(url, body, { "x-webhook-id": undefined });

    expect(response.status).toBe(204);
    await vi.waitFor(() => expect(received).toHaveLength(1));
    expect(received[0]).toEqual({ deliveryId: undefined, payload: { event: "statusChange", id: "bc-2", status: "SUSPENDED" } });
  });

  it("answers 503 naming CURSOR_WEBHOOK_SECRET when no secret is configured", async () => {
    const { url, onStatusChange } = await serve({ secret: undefined });

    const response = await deliver(url, RAW);

    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: string }).error).toContain("CURSOR_WEBHOOK_SECRET is not set");
    expect(onStatusChange).not.toHaveBeenCalled();
  });

  it("still answers 204 when the callback throws, and logs the failure", async () => {
    const onStatusChange = vi.fn(() => {
      throw new Error("queue is closed");
    });
    const { url, logged } = await serve({ onStatusChange });

    const response = await deliver(url, RAW);

    expect(response.status).toBe(204);
    await vi.waitFor(() => expect(onStatusChange).toHaveBeenCalledTimes(1));
    await vi.waitFor(() =>
      expect(logged.some((args) => args[1] === "Cursor webhook handler failed")).toBe(true),
    );
    expect(JSON.stringify(logged)).not.toContain(SECRET);
  });
});

describe("SeenIds", () => {
  it("remembers exactly the most recent ids, up to its capacity", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"), { maxLength: 60 }),
        (capacity, ids) => {
          const seen = new SeenIds(capacity);
          const model: string[] = []; // most recent last
          for (const id of ids) {
            const fresh = seen.add(id);
            expect(fresh).toBe(!model.includes(id));
            const index = model.indexOf(id);
            if (index >= 0) model.splice(index, 1);
            model.push(id);
            if (model.length > capacity) model.shift();
            expect(seen.size).toBe(model.length);
          }
          for (const id of new Set(ids)) expect(seen.has(id)).toBe(model.includes(id));
        },
      ),
    );
  });

  it("rejects a capacity that is not a positive integer", () => {
    expect(() => new SeenIds(0)).toThrow(RangeError);
  });
});
