import { LRUCache } from "lru-cache";
import type { Octokit } from "./gateway.js";

/** What GitHub last answered to a GET, kept to be served again when it answers 304. */
interface Answer {
  etag: string;
  url: string;
  headers: Record<string, unknown>;
  data: unknown;
  /** Approximate bytes held: what bounds the cache. */
  size: number;
}

/** Answers larger than this are not kept: one would push out many small ones. */
const MAX_ANSWER_BYTES = 512 * 1024;

/**
 * Conditional REST requests: a GET GitHub answered with an ETag is sent again with
 * `If-None-Match`, and a 304 (which does not count against the rate limit) is served from what
 * was kept. One cache per process, bounded by count and by bytes, keyed by installation so one
 * installation never reads what another's token was shown.
 */
export class ConditionalRequests {
  private readonly answers: LRUCache<string, Answer>;
  private readonly wrapped = new WeakSet<object>();
  /** 304s served, for tests and metrics. */
  notModified = 0;

  constructor(options: { maxEntries?: number; maxBytes?: number } = {}) {
    this.answers = new LRUCache<string, Answer>({
      max: options.maxEntries ?? 5_000,
      maxSize: options.maxBytes ?? 16 * 1024 * 1024,
      maxEntrySize: MAX_ANSWER_BYTES,
      sizeCalculation: (answer) => answer.size,
    });
  }

  /** Makes `octokit`'s REST GETs conditional; GraphQL (POST) is never cached. Idempotent. */
  apply(octokit: Octokit, installationId: number): Octokit {
    if (this.wrapped.has(octokit)) return octokit;
    this.wrapped.add(octokit);
    octokit.hook.wrap("request", async (request, options) => {
      if (String(options.method ?? "GET").toUpperCase() !== "GET") return request(options);
      const endpoint = octokit.request.endpoint.parse(options as Parameters<typeof octokit.request.endpoint.parse>[0]);
      const key = `${installationId} ${endpoint.url} ${String(endpoint.headers.accept ?? "")}`;
      const kept = this.answers.get(key);

      // The hook chain passes the same options object along: a header is added by changing it.
      if (kept) (options.headers as Record<string, unknown>)["if-none-match"] = kept.etag;
      try {
        const response = await request(options);
        const etag = response.headers.etag;
        if (response.status === 200 && typeof etag === "string") {
          const text = typeof response.data === "string" ? response.data : JSON.stringify(response.data ?? null);
          // A copy: the pagination plugin rewrites the list answers it is handed.
          const data = typeof response.data === "object" && response.data !== null ? structuredClone(response.data) : response.data;
          this.answers.set(key, { etag, url: response.url, headers: { ...response.headers }, data, size: text.length * 2 + key.length + 200 });
        }
        return response;
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (status !== 304 || !kept) throw error;
        this.notModified++;
        const fresh = (error as { response?: { headers?: Record<string, unknown> } }).response?.headers ?? {};
        // A copy: callers may change what they are given, and the kept answer must stay as GitHub sent it.
        return { status: 200, url: kept.url, headers: { ...kept.headers, ...fresh }, data: structuredClone(kept.data) } as Awaited<ReturnType<typeof request>>;
      }
    });
    return octokit;
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.answers.calculatedSize;
  }
}
