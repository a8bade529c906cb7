/**
 * One POST of a notification, with a timeout per attempt and retries on what a retry can fix
 * (no connection, a timeout, 408, 429, 5xx), Retry-After honoured up to a cap. The URL is a
 * secret (a Slack webhook URL is a credential): it appears in no result, error or log line.
 */

export interface DeliveryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  timeoutMs: number;
  /** Wait before the second attempt, doubled at each next one. */
  backoffMs: number;
  /** The longest wait a Retry-After header may ask for. */
  maxRetryAfterMs: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = { attempts: 4, timeoutMs: 5_000, backoffMs: 1_000, maxRetryAfterMs: 30_000 };

export type DeliveryResult =
  | { ok: true; attempts: number; status: number }
  /** `error`: what went wrong, in words that never contain the URL (`HTTP 500`, `timeout`, `ECONNREFUSED`). */
  | { ok: false; attempts: number; error: string };

export interface DeliveryIo {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export async function deliver(url: string, body: string, options: DeliveryOptions = DEFAULT_DELIVERY, io: DeliveryIo = {}): Promise<DeliveryResult> {
  const send = io.fetch ?? fetch;
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref()));
  let error = "not sent";
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    let waitMs = options.backoffMs * 2 ** (attempt - 1);
    try {
      const response = await send(url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "orchestra-notify" },
        body,
        redirect: "error",
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      // The body is not needed; reading it frees the connection.
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return { ok: true, attempts: attempt, status: response.status };
      error = `HTTP ${response.status}`;
      if (!retryable(response.status)) return { ok: false, attempts: attempt, error };
      const after = retryAfterMs(response.headers.get("retry-after"));
      if (after !== undefined) waitMs = Math.min(after, options.maxRetryAfterMs);
    } catch (caught) {
      error = describe(caught);
    }
    if (attempt < options.attempts) await sleep(waitMs);
  }
  return { ok: false, attempts: options.attempts, error };
}

function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (header.trim() !== "" && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

/** A failure in words of our own: an error's message may quote the URL, so it is never used. */
function describe(error: unknown): string {
  if (error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError")) return "timeout";
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === "string" && /^[A-Z0-9_]{2,40}$/.test(cause.code) ? cause.code : undefined;
  return code ?? "no connection";
}
