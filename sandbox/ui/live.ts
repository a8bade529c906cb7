/**
 * SANDBOX TOOL — never part of src/. Server-sent events for the web view: every change the
 * fakes report in the transcript becomes one `change` event (coalesced over a few
 * milliseconds), and the page fetches its new content. A second, later event catches what
 * changes without a transcript line (GitHub computing mergeability a moment after a push).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Transcript } from "../shared/transcript.js";

const COALESCE_MS = 40;
const SETTLE_MS = 400;
const HEARTBEAT_MS = 15_000;

export class LiveUpdates {
  private readonly clients = new Set<ServerResponse>();
  private version = 0;
  private soon: NodeJS.Timeout | undefined;
  private later: NodeJS.Timeout | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly listener = () => this.changed();

  constructor(private readonly transcript: Transcript) {
    transcript.on("event", this.listener);
    this.heartbeat = setInterval(() => this.broadcast(": keep-alive\n\n"), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** `GET /events`: an event stream that stays open until the page or the server goes. */
  subscribe(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    res.write(`retry: 1000\nevent: hello\ndata: ${this.version}\n\n`);
    this.clients.add(res);
    req.on("close", () => this.clients.delete(res));
  }

  get subscribers(): number {
    return this.clients.size;
  }

  /** Tells every page to fetch again (also when the run ends, so the page shows its last state). */
  changed(): void {
    if (!this.soon) {
      this.soon = setTimeout(() => {
        this.soon = undefined;
        this.send();
      }, COALESCE_MS);
    }
    clearTimeout(this.later);
    this.later = setTimeout(() => this.send(), SETTLE_MS);
  }

  close(): void {
    this.transcript.off("event", this.listener);
    clearInterval(this.heartbeat);
    clearTimeout(this.soon);
    clearTimeout(this.later);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  private send(): void {
    this.version += 1;
    this.broadcast(`event: change\ndata: ${this.version}\n\n`);
  }

  private broadcast(text: string): void {
    for (const client of this.clients) client.write(text);
  }
}
