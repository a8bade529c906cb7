/**
 * SANDBOX FAKE — never part of src/. The HTTP face of the fake GitHub: REST under /api/v3 and
 * GraphQL at /api/graphql, as GitHub Enterprise lays them out (Probot's GHE_HOST points here).
 * Every REST request is matched and validated against GitHub's OpenAPI description before a
 * handler runs; failures are recorded so tests can assert the app never sent a bad request.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { bearerToken, BodyTooLargeError, readBody, RequestCounter, sendJson } from "../shared/http.js";
import type { AppAuth, Caller } from "./auth.js";
import { ApiError } from "./errors.js";
import { executeGraphql, mutationFields } from "./graphql/execute.js";
import type { GitHubOpenApi, RouteMatch, ValidationIssue } from "./openapi.js";
import { ROUTES } from "./rest-routes.js";
import type { RestResponse } from "./rest-routes.js";
import type { World } from "./world.js";

export interface ValidationFailure {
  at: number;
  /** `METHOD /route-template` */
  operation: string;
  status: number;
  issues: ValidationIssue[];
  body: string;
}

export interface ResponseProblem {
  operation: string;
  status: number;
  problems: string[];
}

/** One request the app made, for the benchmark's latency figures. */
export interface RequestLogEntry {
  at: number;
  key: string;
  /** The issue the request concerns, when its path or GraphQL variables name one. */
  issue?: number;
}

export interface ServerRecords {
  counter: RequestCounter;
  /** Every request with its time; the benchmark reads it, so it is kept only when asked for. */
  log?: RequestLogEntry[];
  validationErrors: ValidationFailure[];
  responseErrors: ResponseProblem[];
  unknownRoutes: string[];
}

const DOCS = "https://docs.github.com/rest";
const RATE_LIMIT = 5_000;
const MAX_BODY = 25 * 1024 * 1024;

class RateLimits {
  private readonly used = new Map<string, number>();
  private windowStart = Date.now();

  headers(key: string, resource: "core" | "graphql", count: boolean): Record<string, string> {
    if (Date.now() - this.windowStart > 3_600_000) {
      this.used.clear();
      this.windowStart = Date.now();
    }
    const bucket = `${resource}:${key}`;
    const used = (this.used.get(bucket) ?? 0) + (count ? 1 : 0);
    this.used.set(bucket, used);
    const limit = key === "anonymous" ? 60 : RATE_LIMIT;
    return {
      "x-ratelimit-limit": String(limit),
      "x-ratelimit-remaining": String(Math.max(0, limit - used)),
      "x-ratelimit-used": String(used),
      "x-ratelimit-reset": String(Math.floor((this.windowStart + 3_600_000) / 1000)),
      "x-ratelimit-resource": resource,
    };
  }
}

function callerKey(caller: Caller): string {
  return caller.kind === "installation" ? caller.token : caller.kind;
}

function errorBody(status: number, message: string, documentationUrl = DOCS, errors?: unknown[]): Record<string, unknown> {
  return { message, ...(errors ? { errors } : {}), documentation_url: documentationUrl, status: String(status) };
}

export function createGitHubHandler(
  world: World,
  openapi: GitHubOpenApi,
  auth: AppAuth,
  records: ServerRecords,
  options: { validateResponses: boolean },
) {
  const limits = new RateLimits();

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
    const method = (req.method ?? "GET").toUpperCase();
    const common = { "x-github-request-id": createHash("sha1").update(`${Date.now()}${Math.random()}`).digest("hex").slice(0, 20).toUpperCase() };

    if (url.pathname === "/api/graphql") {
      records.counter.add(`${method} /graphql`);
      if (method !== "POST") return sendJson(res, 404, errorBody(404, "Not Found"), common);
      return handleGraphql(req, res, common);
    }
    if (!url.pathname.startsWith("/api/v3/")) {
      records.unknownRoutes.push(`${method} ${url.pathname}`);
      return sendJson(res, 404, errorBody(404, "Not Found"), common);
    }
    const path = url.pathname.slice("/api/v3".length);
    const match = matchRoute(method, path);
    if (!match) {
      records.counter.add(`${method} (unknown) ${path}`);
      records.unknownRoutes.push(`${method} ${path}`);
      return sendJson(res, 404, errorBody(404, "Not Found"), common);
    }
    const key = match.operation.key;
    records.counter.add(key);
    const issueInPath = /\/issues\/(\d+)/.exec(path)?.[1];
    records.log?.push({ at: Date.now(), key, ...(issueInPath ? { issue: Number(issueInPath) } : {}) });

    let raw: Buffer;
    try {
      raw = await readBody(req, MAX_BODY);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return sendJson(res, 413, errorBody(413, "Payload too large"), common);
      throw error;
    }
    const check = openapi.checkRequest(match, url.searchParams, raw);
    if (!check.ok) {
      records.validationErrors.push({ at: Date.now(), operation: key, status: check.status, issues: check.issues, body: raw.toString("utf8").slice(0, 2_000) });
      const docs = match.operation.documentationUrl;
      if (check.status === 400) return sendJson(res, 400, errorBody(400, "Problems parsing JSON", docs), common);
      if (check.status === 404) return sendJson(res, 404, errorBody(404, "Not Found", docs), common);
      return sendJson(res, 422, errorBody(422, "Validation Failed", docs, check.issues), common);
    }

    let caller: Caller;
    try {
      caller = auth.identify(bearerToken(req));
    } catch (error) {
      if (error instanceof ApiError) return sendJson(res, error.status, errorBody(error.status, error.message), common);
      throw error;
    }
    const conditional = method === "GET" && req.headers["if-none-match"] !== undefined;
    let answer: RestResponse;
    try {
      answer = ROUTES[key](world, { params: match.params, query: check.query, body: check.body, caller, accept: req.headers.accept ?? "" }, auth);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const headers = { ...common, ...limits.headers(callerKey(caller), "core", true) };
      const body = errorBody(error.status, error.message, match.operation.documentationUrl, error.errors);
      return sendJson(res, error.status, body, headers);
    }

    const headers: Record<string, string> = { ...common };
    let body = answer.body;
    if (answer.items) {
      const page = paginate(answer.items, check.query, url);
      body = answer.wrap ? answer.wrap(page.items, answer.items.length) : page.items;
      if (page.link) headers.link = page.link;
    }
    if (options.validateResponses && answer.raw === undefined) {
      const problems = openapi.checkResponse(key, answer.status, body);
      if (problems.length > 0) records.responseErrors.push({ operation: key, status: answer.status, problems });
    }
    const text = answer.raw ?? (body === undefined ? "" : JSON.stringify(body));
    const etag = `W/"${createHash("sha1").update(text).digest("hex")}"`;
    // A 304 does not count against the rate limit, which is why conditional requests pay off.
    if (conditional && answer.status === 200 && req.headers["if-none-match"] === etag) {
      res.writeHead(304, { ...headers, etag, ...limits.headers(callerKey(caller), "core", false) });
      res.end();
      return;
    }
    Object.assign(headers, limits.headers(callerKey(caller), "core", true));
    if (answer.status === 200 && method === "GET") headers.etag = etag;
    if (answer.raw !== undefined) {
      res.writeHead(answer.status, { ...headers, "content-type": "application/vnd.github.raw; charset=utf-8", "content-length": String(Buffer.byteLength(text)) });
      res.end(text);
      return;
    }
    if (answer.status === 204) {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    sendJson(res, answer.status, body, headers);
  };

  function matchRoute(method: string, path: string): RouteMatch | null {
    // The root listing is `contents/` or `contents`: the path parameter is empty.
    const root = /^\/repos\/([^/]+)\/([^/]+)\/contents\/?$/.exec(path);
    if (root && method === "GET") {
      const operation = openapi.resolved().find((op) => op.key === "GET /repos/{owner}/{repo}/contents/{path}")!;
      try {
        return { operation, params: { owner: decodeURIComponent(root[1]!), repo: decodeURIComponent(root[2]!), path: "" } };
      } catch {
        return null;
      }
    }
    return openapi.match(method, path);
  }

  async function handleGraphql(req: IncomingMessage, res: ServerResponse, common: Record<string, string>): Promise<void> {
    let caller: Caller;
    try {
      caller = auth.identify(bearerToken(req));
    } catch (error) {
      if (error instanceof ApiError) return sendJson(res, error.status, { message: error.message, documentation_url: "https://docs.github.com/graphql" }, common);
      throw error;
    }
    if (caller.kind !== "installation") {
      return sendJson(res, 401, { message: "This endpoint requires you to be authenticated.", documentation_url: "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql" }, common);
    }
    const raw = await readBody(req, MAX_BODY);
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw.toString("utf8"));
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
      body = parsed as Record<string, unknown>;
    } catch {
      return sendJson(res, 400, { message: "Problems parsing JSON", documentation_url: "https://docs.github.com/graphql" }, common);
    }
    const name = typeof body.operationName === "string" ? body.operationName : /(?:query|mutation)\s+(\w+)/.exec(String(body.query ?? ""))?.[1];
    records.counter.add(`graphql ${name ?? "(anonymous)"}`);
    // Not requests: what a request's mutations did (one request may add a comment and edit another).
    for (const field of mutationFields(body)) records.counter.add(`mutation ${field}`);
    const issueVariable = (body.variables as { issue?: unknown } | undefined)?.issue;
    records.log?.push({ at: Date.now(), key: `graphql ${name ?? "(anonymous)"}`, ...(typeof issueVariable === "number" ? { issue: issueVariable } : {}) });
    const installation = world.state.installations.get(caller.installationId);
    const result = await executeGraphql(body, { world, installationOwner: installation?.account.login ?? "" });
    sendJson(res, 200, result, { ...common, ...limits.headers(callerKey(caller), "graphql", true) });
  }
}

function paginate(items: unknown[], query: Record<string, unknown>, url: URL): { items: unknown[]; link?: string } {
  const perPage = Math.min(100, Math.max(1, typeof query.per_page === "number" ? query.per_page : 30));
  const page = Math.max(1, typeof query.page === "number" ? query.page : 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const link = (target: number, rel: string) => {
    const next = new URL(url.href);
    next.searchParams.set("per_page", String(perPage));
    next.searchParams.set("page", String(target));
    return `<${next.href}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, "prev"), link(1, "first"));
  if (page < last) links.push(link(page + 1, "next"), link(last, "last"));
  return links.length > 0 ? { items: slice, link: links.join(", ") } : { items: slice };
}
