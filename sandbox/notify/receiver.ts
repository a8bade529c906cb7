/**
 * SANDBOX FAKE — never part of src/. `NotifyReceiver`: a local endpoint for
 * ORCHESTRA_NOTIFY_URL that keeps and prints every notification it gets (the plain JSON format,
 * docs/notifications.md). It can fail or stall the next requests, to show the app's retries.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { listenOnLoopback, parseJson, readBody, sendJson, type Listening } from "../shared/http.js";
import { Transcript } from "../shared/transcript.js";

export interface ReceivedNotification {
  at: number;
  /** The parsed JSON body. */
  body: Record<string, unknown>;
  /** The HTTP status the receiver answered. */
  status: number;
}

export class NotifyReceiver {
  readonly transcript: Transcript;
  /** Every request, answered 2xx or not. */
  readonly requests: ReceivedNotification[] = [];
  private readonly failures: Array<{ status: number; remaining: number }> = [];
  private listening: Listening | undefined;

  constructor(options: { transcript?: Transcript } = {}) {
    this.transcript = options.transcript ?? new Transcript();
  }

  async start(): Promise<{ url: string }> {
    if (this.listening) return { url: this.url };
    this.listening = await listenOnLoopback((req, res) => this.handle(req, res));
    this.transcript.record("info", `notification receiver (sandbox) listening on ${this.url}`);
    return { url: this.url };
  }

  async stop(): Promise<void> {
    await this.listening?.close();
    this.listening = undefined;
  }

  /** ORCHESTRA_NOTIFY_URL. The path plays the secret part of a real webhook URL. */
  get url(): string {
    if (!this.listening) throw new Error("NotifyReceiver is not started");
    return `${this.listening.url}/hooks/sandbox-secret-path`;
  }

  /** Notifications accepted (answered 2xx), in order. */
  get received(): ReceivedNotification[] {
    return this.requests.filter((request) => request.status < 300);
  }

  /** The next `times` requests are answered `status`. */
  failNext(status: number, times = 1): void {
    this.failures.push({ status, remaining: times });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = parseJson(await readBody(req, 1_000_000));
    if (req.method !== "POST" || !parsed.ok || typeof parsed.value !== "object" || parsed.value === null) {
      return sendJson(res, 400, { error: "expected a JSON object, POSTed" });
    }
    const body = parsed.value as Record<string, unknown>;
    const failure = this.failures.find((entry) => entry.remaining > 0);
    const status = failure ? failure.status : 200;
    if (failure) failure.remaining--;
    this.requests.push({ at: Date.now(), body, status });
    if (failure) {
      this.transcript.record("notify", `receiver answered ${status} to a "${String(body.event)}" notification`);
      return sendJson(res, status, { error: "injected failure" });
    }
    const reason = typeof body.reason === "string" ? ` (${body.reason})` : "";
    this.transcript.record("notify", `received "${String(body.event)}": ${String(body.headline)}${reason}`);
    sendJson(res, 200, { ok: true });
  }
}
