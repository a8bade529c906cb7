/** A failed Cursor API call, with a message fit to show a user in an issue comment. */
export class CursorApiError extends Error {
  override readonly name = "CursorApiError";
  /** HTTP status, absent for connection errors and timeouts. */
  readonly status?: number;
  /** True when trying again later may succeed (429, 5xx, connection error, timeout). */
  readonly retryable: boolean;
  /** `METHOD /path/template`, e.g. `POST /v0/agents`. */
  readonly endpoint?: string;

  constructor(
    message: string,
    options: { status?: number; retryable: boolean; endpoint?: string; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.status !== undefined) this.status = options.status;
    this.retryable = options.retryable;
    if (options.endpoint !== undefined) this.endpoint = options.endpoint;
  }
}

const DETAIL_LIMIT = 300;

/** Cursor's own explanation from an error body (`{error}` or `{message}`), capped. */
export function errorDetail(body: string): string {
  let detail = body.trim();
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object") {
      const record = parsed as Record<string, unknown>;
      const candidate = record.error ?? record.message;
      if (typeof candidate === "string") detail = candidate;
      else if (candidate && typeof candidate === "object" && "message" in candidate) {
        const nested = (candidate as { message: unknown }).message;
        if (typeof nested === "string") detail = nested;
      }
    }
  } catch {
    // Not JSON: keep the text as it is.
  }
  detail = detail.replace(/\s+/g, " ");
  return detail.length > DETAIL_LIMIT ? `${detail.slice(0, DETAIL_LIMIT)}…` : detail;
}

/** Turns an HTTP error status into the error a user reads. */
export function errorForStatus(status: number, endpoint: string, body: string): CursorApiError {
  const detail = errorDetail(body);
  const suffix = detail ? `: ${detail}` : "";
  const make = (message: string, retryable: boolean) =>
    new CursorApiError(message, { status, retryable, endpoint });
  switch (status) {
    case 400:
      return make(`Cursor rejected the request ${endpoint} as invalid (400)${suffix}`, false);
    case 401:
      return make("Cursor rejected the API key (401): check CURSOR_API_KEY", false);
    case 403:
      return make(
        `Cursor refused ${endpoint} (403): the API key may lack access to this repository or to background agents${suffix}`,
        false,
      );
    case 404:
      return make(`Cursor found nothing at ${endpoint} (404)${suffix}`, false);
    case 409:
      return make(`Cursor reported a conflict for ${endpoint} (409)${suffix}`, false);
    case 429:
      return make(`Cursor rate-limited ${endpoint} (429); try again later`, true);
    default:
      if (status >= 500) return make(`Cursor failed on ${endpoint} (${status})${suffix}`, true);
      return make(`Cursor answered ${endpoint} with ${status}${suffix}`, false);
  }
}

/** Cursor refused the API key itself (401, 403): nothing works until whoever runs the app changes it. */
export function isKeyRejected(error: unknown): boolean {
  return error instanceof CursorApiError && (error.status === 401 || error.status === 403);
}
