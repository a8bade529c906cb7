import type { Logger } from "probot";
import { z } from "zod";
import {
  agentListWireSchema,
  agentWireSchema,
  normalizeRepository,
  toCursorAgent,
  type CursorAgent,
} from "./agent.js";
import { backoffDelay, parseRetryAfter } from "./backoff.js";
import { CursorApiError, errorForStatus } from "./errors.js";

export { isLive, isTerminal, LIVE_STATUSES, TERMINAL_STATUSES, type CursorAgent } from "./agent.js";
export { CursorApiError } from "./errors.js";

export const DEFAULT_CURSOR_API_URL = "https://api.cursor.com";

export type CursorLog = Pick<Logger, "debug" | "info" | "warn" | "error">;

export interface CursorClientOptions {
  apiKey: string;
  /** Defaults to CURSOR_API_URL, then https://api.cursor.com. May carry a path prefix. */
  baseUrl?: string;
  log?: CursorLog;
  /** Retries after the first attempt, for 429, 5xx, connection errors and timeouts. */
  maxRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Longest wait a Retry-After header can impose; longer ones are cut to this. */
  maxRetryAfterMs?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface CreateAgentInput {
  prompt: string;
  model?: string;
  /** `https://github.com/owner/repo` */
  repository: string;
  ref: string;
  branchName: string;
  webhookUrl?: string;
  webhookSecret?: string;
}

export interface ListAgentsQuery {
  limit?: number;
  cursor?: string;
  prUrl?: string;
}

interface RequestSpec {
  method: "GET" | "POST";
  /** The path with placeholders, used as the endpoint's name in counts, logs and errors. */
  template: string;
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
}

type AttemptResult =
  | { ok: true; text: string }
  | {
      ok: false;
      error: CursorApiError;
      /** Wait asked for by the server (Retry-After). */
      retryAfterMs?: number;
      /** The request may have taken effect (5xx, connection lost, timeout). */
      ambiguous: boolean;
    };

const LIST_PAGE_SIZE = 100;

/** One HTTP request to Cursor: its endpoint template, `ok`-or-status outcome (`error`: no answer), and duration. */
export interface CursorRequestObservation {
  endpoint: string;
  outcome: string;
  durationMs: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The Cursor background-agent API (v0). Every call retries what is safe to retry and counts
 * each HTTP request it makes, per endpoint, so the budget of a run can be measured.
 */
export class CursorClient {
  readonly #apiKey: string;
  readonly #baseUrl: string;
  readonly #log: CursorLog | undefined;
  readonly #maxRetries: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #timeoutMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #counts: Record<string, number> = {};
  #requestCount = 0;
  #observers: Array<(request: CursorRequestObservation) => void> = [];

  constructor(options: CursorClientOptions) {
    if (!options.apiKey?.trim()) {
      throw new CursorApiError("CURSOR_API_KEY is empty: set it to a Cursor API key", { retryable: false });
    }
    this.#apiKey = options.apiKey.trim();
    const baseUrl = options.baseUrl ?? process.env.CURSOR_API_URL ?? DEFAULT_CURSOR_API_URL;
    this.#baseUrl = baseUrl.replace(/\/+$/, "");
    this.#log = options.log;
    this.#maxRetries = options.maxRetries ?? 4;
    this.#baseDelayMs = options.baseDelayMs ?? 500;
    this.#maxDelayMs = options.maxDelayMs ?? 8_000;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#random = options.random ?? Math.random;
  }

  /** Tells `observer` of every HTTP request (retries included): endpoint, outcome, duration (metrics). */
  observe(observer: (request: CursorRequestObservation) => void): void {
    this.#observers.push(observer);
  }

  /** HTTP requests sent so far, retries included. */
  get requestCount(): number {
    return this.#requestCount;
  }

  /** HTTP requests sent so far per endpoint, keyed like `POST /v0/agents`. */
  get counts(): Record<string, number> {
    return { ...this.#counts };
  }

  /**
   * Launches an agent that works on `branchName` and opens a PR. A create that may have reached
   * Cursor (5xx, lost connection, timeout) is retried only after checking that no agent exists
   * for the branch; if one does, it is returned instead of launching a second.
   */
  async createAgent(input: CreateAgentInput): Promise<CursorAgent> {
    const body: Record<string, unknown> = {
      prompt: { text: input.prompt },
      source: { repository: input.repository, ref: input.ref },
      target: { branchName: input.branchName, autoCreatePr: true },
    };
    if (input.model) body.model = input.model;
    if (input.webhookUrl) {
      body.webhook = input.webhookSecret
        ? { url: input.webhookUrl, secret: input.webhookSecret }
        : { url: input.webhookUrl };
    }
    return this.#send(
      { method: "POST", template: "POST /v0/agents", path: "/v0/agents", body },
      (text, endpoint) => toCursorAgent(parseJson(text, agentWireSchema, endpoint)),
      async () => {
        const existing = await this.findAgentByBranch(input.repository, input.branchName);
        if (existing) {
          this.#log?.info(
            { agent: existing.id, branch: input.branchName },
            "Cursor create failed but the agent exists; using it",
          );
        }
        return existing;
      },
    );
  }

  /** The agent, or null when Cursor does not know the id (404). */
  async getAgent(id: string): Promise<CursorAgent | null> {
    try {
      return await this.#send(
        { method: "GET", template: "GET /v0/agents/{id}", path: `/v0/agents/${encodeURIComponent(id)}` },
        (text, endpoint) => toCursorAgent(parseJson(text, agentWireSchema, endpoint)),
      );
    } catch (error) {
      if (error instanceof CursorApiError && error.status === 404) return null;
      throw error;
    }
  }

  async listAgents(query: ListAgentsQuery = {}): Promise<{ agents: CursorAgent[]; nextCursor?: string }> {
    return this.#send(
      {
        method: "GET",
        template: "GET /v0/agents",
        path: "/v0/agents",
        query: { limit: query.limit, cursor: query.cursor, prUrl: query.prUrl },
      },
      (text, endpoint) => {
        const page = parseJson(text, agentListWireSchema, endpoint);
        const agents = page.agents.map(toCursorAgent);
        return page.nextCursor ? { agents, nextCursor: page.nextCursor } : { agents };
      },
    );
  }

  /**
   * The agent working on `branchName` in `repository`, searching at most `maxPages` pages of
   * the newest agents; null when none is found there.
   */
  async findAgentByBranch(repository: string, branchName: string, maxPages = 5): Promise<CursorAgent | null> {
    const wanted = normalizeRepository(repository);
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const result = await this.listAgents(cursor ? { limit: LIST_PAGE_SIZE, cursor } : { limit: LIST_PAGE_SIZE });
      const match = result.agents.find(
        (agent) =>
          agent.target.branchName === branchName && normalizeRepository(agent.source.repository) === wanted,
      );
      if (match) return match;
      if (!result.nextCursor) return null;
      cursor = result.nextCursor;
    }
    return null;
  }

  /**
   * Sends the agent more instructions. Retried on 5xx like the rest: a follow-up delivered
   * twice repeats the same instructions, which costs less than one never delivered.
   */
  async followup(id: string, text: string): Promise<void> {
    await this.#send(
      {
        method: "POST",
        template: "POST /v0/agents/{id}/followup",
        path: `/v0/agents/${encodeURIComponent(id)}/followup`,
        body: { prompt: { text } },
      },
      () => undefined,
    );
  }

  /** Stops the agent; an agent that is gone (404) or already finished (409) counts as stopped. */
  async stop(id: string): Promise<void> {
    try {
      await this.#send(
        { method: "POST", template: "POST /v0/agents/{id}/stop", path: `/v0/agents/${encodeURIComponent(id)}/stop` },
        () => undefined,
      );
    } catch (error) {
      if (error instanceof CursorApiError && (error.status === 404 || error.status === 409)) {
        this.#log?.debug({ agent: id, status: error.status }, "Cursor agent already stopped");
        return;
      }
      throw error;
    }
  }

  /**
   * Sends a request, retrying retryable failures. Before retrying one that may have taken
   * effect, `recover` gets a chance to find its result and end the loop.
   */
  async #send<T>(
    spec: RequestSpec,
    parse: (text: string, endpoint: string) => T,
    recover?: () => Promise<T | null>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.#attempt(spec);
      if (result.ok) return parse(result.text, spec.template);
      const { error } = result;
      if (!error.retryable) throw error;
      const mayHaveTakenEffect = result.ambiguous && recover !== undefined;
      const lastAttempt = attempt >= this.#maxRetries;
      // A final failure needs no wait, unless we must look for what it may have created.
      if (lastAttempt && !mayHaveTakenEffect) throw error;
      const delayMs =
        result.retryAfterMs !== undefined
          ? Math.min(result.retryAfterMs, this.#maxRetryAfterMs)
          : backoffDelay(attempt, { baseDelayMs: this.#baseDelayMs, maxDelayMs: this.#maxDelayMs, random: this.#random });
      this.#log?.warn(
        { endpoint: spec.template, status: error.status, attempt: attempt + 1, delayMs },
        lastAttempt ? `Cursor request failed: ${error.message}` : `Cursor request failed, retrying: ${error.message}`,
      );
      await this.#sleep(delayMs);
      if (mayHaveTakenEffect) {
        const recovered = await recover();
        if (recovered !== null) return recovered;
      }
      if (lastAttempt) throw error;
    }
  }

  async #attempt(spec: RequestSpec): Promise<AttemptResult> {
    this.#requestCount++;
    this.#counts[spec.template] = (this.#counts[spec.template] ?? 0) + 1;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.#apiKey}`,
      Accept: "application/json",
    };
    if (spec.body !== undefined) headers["Content-Type"] = "application/json";
    const started = Date.now();
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.#url(spec), {
        method: spec.method,
        headers,
        body: spec.body === undefined ? null : JSON.stringify(spec.body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await response.text();
    } catch (cause) {
      this.#told(spec.template, "error", started);
      return { ok: false, error: this.#transportError(spec, cause), ambiguous: true };
    }
    this.#told(spec.template, String(response.status), started);
    this.#log?.debug(
      { endpoint: spec.template, status: response.status, ms: Date.now() - started },
      "Cursor request",
    );
    if (response.ok) return { ok: true, text };
    const error = errorForStatus(response.status, spec.template, this.#redact(text));
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), Date.now());
    return {
      ok: false,
      error,
      ambiguous: response.status >= 500,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }

  #told(endpoint: string, outcome: string, startedAt: number): void {
    for (const observer of this.#observers) observer({ endpoint, outcome, durationMs: Date.now() - startedAt });
  }

  #url(spec: RequestSpec): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined && value !== "") params.set(key, String(value));
    }
    const query = params.toString();
    return `${this.#baseUrl}${spec.path}${query ? `?${query}` : ""}`;
  }

  #transportError(spec: RequestSpec, cause: unknown): CursorApiError {
    const timedOut = cause instanceof Error && (cause.name === "TimeoutError" || cause.name === "AbortError");
    const reason = cause instanceof Error ? describeCause(cause) : String(cause);
    const message = timedOut
      ? `Cursor did not answer ${spec.template} within ${Math.round(this.#timeoutMs / 1000)} s`
      : `Could not reach Cursor at ${this.#baseUrl} for ${spec.template}: ${this.#redact(reason)}`;
    return new CursorApiError(message, { retryable: true, endpoint: spec.template, cause });
  }

  /** Error bodies are echoed into messages; make sure the key never rides along. */
  #redact(text: string): string {
    return text.split(this.#apiKey).join("[redacted]");
  }
}

/** fetch says "fetch failed" and hides the reason (ECONNREFUSED, …) in `cause`. */
function describeCause(error: Error): string {
  const inner = error.cause;
  if (inner instanceof Error && inner.message) return `${error.message} (${inner.message})`;
  return error.message;
}

function parseJson<S extends z.ZodType>(text: string, schema: S, endpoint: string): z.output<S> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CursorApiError(`Cursor answered ${endpoint} with something that is not JSON`, {
      retryable: false,
      endpoint,
    });
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    throw new CursorApiError(
      `Cursor answered ${endpoint} with an unexpected shape:\n${z.prettifyError(result.error)}`,
      { retryable: false, endpoint },
    );
  }
  return result.data;
}
