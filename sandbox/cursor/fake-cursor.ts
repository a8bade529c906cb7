/**
 * SANDBOX FAKE — never part of src/. `FakeCursor`: a local server answering like Cursor's v0
 * background-agent API. Each agent, after a short delay, starts RUNNING, pushes a commit to its
 * branch in the FakeGitHub (in-process, through its control API), opens a pull request, ends
 * FINISHED and sends a signed `statusChange` webhook — or misbehaves as its scenario says.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { FakeGitHub } from "../github/fake-github.js";
import { bearerToken, compileTemplate, listenOnLoopback, matchTemplate, parseJson, readBody, RequestCounter, sendJson } from "../shared/http.js";
import type { CompiledTemplate, Listening } from "../shared/http.js";
import { Transcript } from "../shared/transcript.js";
import { chooseScenario, isScenario, taskKey } from "./scenarios.js";
import { firstLine, identifier, pullBody, pullTitle, repositoryName, slug } from "./text.js";
import type { ScenarioName } from "./scenarios.js";
import type { CursorWebhookDelivery } from "./status-webhook.js";
import { followupSchema, launchAgentSchema } from "./schemas.js";
import { sendStatusChange } from "./status-webhook.js";

export interface FakeCursorOptions {
  github: FakeGitHub;
  /** The key the app must send as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** Delay before each step of an agent (CREATING → RUNNING → done). Default 100 ms. */
  agentDelayMs?: number;
  /** Scenario of every task that does not choose its own. Default `pass`. */
  scenario?: string;
  /** Scenario by task id (`t2`), read from branch names `orchestra/<issue>-<task>-a<n>`. */
  scenarios?: Record<string, string>;
  /** Who opens the agents' pull requests (the person behind the API key). Default `cursor-dev`. */
  prAuthor?: string;
  /** The reviewer of the `review-changes` scenario. Default `reviewer-bob`. */
  reviewer?: string;
  /** Cursor sends no webhook for EXPIRED; set to send one anyway. */
  notifyExpired?: boolean;
  /** Send every webhook this many times (Cursor may deliver more than once). Default 1. */
  webhookCopies?: number;
  transcript?: Transcript;
  port?: number;
}

export type { CursorWebhookDelivery } from "./status-webhook.js";

export type AgentStatus = "CREATING" | "RUNNING" | "FINISHED" | "ERROR" | "EXPIRED";

export interface FakeAgent {
  id: string;
  name: string;
  status: AgentStatus;
  createdAt: string;
  prompt: string;
  model: string;
  source: { repository: string; ref: string };
  repo: string;
  target: {
    branchName: string;
    url: string;
    prUrl?: string;
    autoCreatePr: boolean;
    openAsCursorGithubApp: boolean;
    skipReviewerRequest: boolean;
  };
  summary?: string;
  webhook?: { url: string; secret?: string };
  scenario: ScenarioName;
  /** 1 for the first agent launched for a task, 2 for the next, … */
  attempt: number;
  taskId?: string;
  commits: string[];
  pr?: number;
  followups: string[];
  stopped: boolean;
  deleted: boolean;
  conversation: Array<{ id: string; type: "user_message" | "assistant_message"; text: string }>;
}

interface Injection {
  status: number;
  remaining: number;
  endpoint?: string;
  retryAfter?: string;
  body?: unknown;
}

type Handler = (req: IncomingMessage, params: Record<string, string>, url: URL) => Promise<{ status: number; body: unknown }>;

const MODELS = ["default", "claude-4-sonnet", "gpt-5", "composer-1"];

export class FakeCursor {
  readonly transcript: Transcript;
  readonly agents: FakeAgent[] = [];
  readonly webhookDeliveries: CursorWebhookDelivery[] = [];
  private readonly counter = new RequestCounter();
  private readonly launches = new Map<string, number>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly injections: Injection[] = [];
  private readonly routes: Array<{ key: string; method: string; compiled: CompiledTemplate; handler: Handler }>;
  private readonly unsubscribe: () => void;
  private listening: Listening | undefined;
  private pendingWork = 0;
  private stopped = false;
  private readonly fallback: ScenarioName;

  constructor(private readonly options: FakeCursorOptions) {
    this.transcript = options.transcript ?? options.github.transcript ?? new Transcript();
    const scenario = options.scenario ?? "pass";
    if (!isScenario(scenario)) throw new Error(`FakeCursor: unknown scenario "${scenario}"`);
    this.fallback = scenario;
    this.routes = [
      this.route("POST", "/v0/agents", (req) => this.launch(req)),
      this.route("GET", "/v0/agents", async (_req, _params, url) => this.list(url)),
      this.route("GET", "/v0/agents/{id}", async (_req, params) => ({ status: 200, body: this.view(this.agent(params.id)) })),
      this.route("DELETE", "/v0/agents/{id}", async (_req, params) => this.remove(params.id ?? "")),
      this.route("POST", "/v0/agents/{id}/followup", (req, params) => this.followup(req, params.id ?? "")),
      this.route("POST", "/v0/agents/{id}/stop", async (_req, params) => this.stopAgent(params.id ?? "")),
      this.route("GET", "/v0/agents/{id}/conversation", async (_req, params) => {
        const agent = this.agent(params.id);
        return { status: 200, body: { id: agent.id, messages: agent.conversation } };
      }),
      this.route("GET", "/v0/me", async () => ({
        status: 200,
        body: { apiKeyName: "orchestra-sandbox", createdAt: new Date().toISOString(), userEmail: "cursor-dev@example.invalid" },
      })),
      this.route("GET", "/v0/models", async () => ({ status: 200, body: { models: MODELS } })),
    ];
    this.unsubscribe = options.github.onCiCompleted((event) => this.afterCi(event.sha, event.conclusion));
  }

  async start(): Promise<{ url: string }> {
    if (this.listening) return { url: this.listening.url };
    this.listening = await listenOnLoopback((req, res) => this.handle(req, res), this.options.port ?? 0);
    this.transcript.record("info", `fake Cursor API (sandbox) listening on ${this.listening.url}`);
    return { url: this.listening.url };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.listening?.close();
    this.listening = undefined;
  }

  get url(): string {
    if (!this.listening) throw new Error("FakeCursor is not started");
    return this.listening.url;
  }

  /** Requests seen for `METHOD /v0/route`, e.g. `POST /v0/agents/{id}/followup`. */
  requestCount(key: string): number {
    return this.counter.get(key);
  }

  requestCounts(): Record<string, number> {
    return this.counter.all();
  }

  /** The next `times` requests (to `endpoint`, e.g. `POST /v0/agents`, or to any) fail with `status`. */
  failNext(status: number, options: { times?: number; endpoint?: string; retryAfter?: string; body?: unknown } = {}): void {
    const injection: Injection = { status, remaining: options.times ?? 1 };
    if (options.endpoint !== undefined) injection.endpoint = options.endpoint;
    if (options.retryAfter !== undefined) injection.retryAfter = options.retryAfter;
    if (options.body !== undefined) injection.body = options.body;
    this.injections.push(injection);
  }

  /** Resolves when no agent has work under way. */
  async idle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pendingWork > 0) {
      if (Date.now() > deadline) throw new Error("FakeCursor did not become idle in time");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private route(method: string, template: string, handler: Handler) {
    return { key: `${method} ${template}`, method, compiled: compileTemplate(template), handler };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake-cursor.invalid");
    const method = (req.method ?? "GET").toUpperCase();
    let found: { key: string; handler: Handler; params: Record<string, string> } | undefined;
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const params = matchTemplate(route.compiled, url.pathname.replace(/\/+$/, "") || "/");
      if (params) {
        found = { key: route.key, handler: route.handler, params };
        break;
      }
    }
    this.counter.add(found?.key ?? `${method} (unknown) ${url.pathname}`);
    if (bearerToken(req) !== this.options.apiKey) return sendJson(res, 401, { error: "Unauthorized: invalid or missing API key" });
    if (!found) return sendJson(res, 404, { error: `No route ${method} ${url.pathname}` });

    const injection = this.injections.find((entry) => entry.remaining > 0 && (!entry.endpoint || entry.endpoint === found.key));
    if (injection) {
      injection.remaining--;
      const headers: Record<string, string> = injection.retryAfter ? { "retry-after": injection.retryAfter } : {};
      return sendJson(res, injection.status, injection.body ?? { error: `Injected failure (${injection.status})` }, headers);
    }
    try {
      const answer = await found.handler(req, found.params, url);
      sendJson(res, answer.status, answer.body);
    } catch (error) {
      if (error instanceof CursorError) return sendJson(res, error.status, { error: error.message });
      throw error;
    }
  }

  private async json<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
    const parsed = parseJson(await readBody(req, 1_000_000));
    if (!parsed.ok) throw new CursorError(400, "Invalid JSON body");
    const result = schema.safeParse(parsed.value);
    if (!result.success) throw new CursorError(400, `Invalid request: ${z.prettifyError(result.error)}`);
    return result.data;
  }

  private agent(id: string | undefined): FakeAgent {
    const agent = this.agents.find((entry) => entry.id === id && !entry.deleted);
    if (!agent) throw new CursorError(404, `Agent ${id} not found`);
    return agent;
  }

  /** The agent as Cursor's API shows it. */
  view(agent: FakeAgent): Record<string, unknown> {
    const target: Record<string, unknown> = {
      branchName: agent.target.branchName,
      url: agent.target.url,
      autoCreatePr: agent.target.autoCreatePr,
      openAsCursorGithubApp: agent.target.openAsCursorGithubApp,
      skipReviewerRequest: agent.target.skipReviewerRequest,
    };
    if (agent.target.prUrl) target.prUrl = agent.target.prUrl;
    const view: Record<string, unknown> = {
      id: agent.id,
      name: agent.name,
      status: agent.status,
      source: agent.source,
      target,
      createdAt: agent.createdAt,
    };
    if (agent.summary) view.summary = agent.summary;
    return view;
  }

  private async launch(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const body = await this.json(req, launchAgentSchema);
    const repo = repositoryName(body.source.repository);
    if (!repo) throw new CursorError(400, `source.repository must name a GitHub repository, got "${body.source.repository}"`);
    let branches: Record<string, string>;
    try {
      branches = this.options.github.branches(repo);
    } catch {
      throw new CursorError(403, `Cursor cannot access the repository ${repo}; is the Cursor GitHub app installed?`);
    }
    const ref = body.source.ref ?? this.options.github.defaultBranch(repo);
    if (!Object.hasOwn(branches, ref)) throw new CursorError(400, `source.ref "${ref}" is not a branch of ${repo}`);
    const id = `bc-${randomUUID()}`;
    const prompt = body.prompt.text;
    const branchName = body.target?.branchName ?? `cursor/${slug(firstLine(prompt)).slice(0, 40)}-${id.slice(3, 7)}`;
    if (this.agents.some((agent) => !agent.deleted && agent.target.branchName === branchName && agent.repo === repo && isLive(agent.status))) {
      throw new CursorError(409, `An agent is already running on branch ${branchName}`);
    }
    const task = taskKey(repo, branchName, prompt);
    const attempt = (this.launches.get(task.key) ?? 0) + 1;
    this.launches.set(task.key, attempt);
    const agent: FakeAgent = {
      id,
      name: firstLine(prompt).replace(/^#+\s*/, "").slice(0, 80) || "Background agent",
      status: "CREATING",
      createdAt: new Date().toISOString(),
      prompt,
      model: body.model ?? "default",
      source: { repository: body.source.repository, ref },
      repo,
      target: {
        branchName,
        url: `https://cursor.com/agents?id=${id}`,
        autoCreatePr: body.target?.autoCreatePr ?? false,
        openAsCursorGithubApp: body.target?.openAsCursorGithubApp ?? false,
        skipReviewerRequest: body.target?.skipReviewerRequest ?? false,
      },
      scenario: chooseScenario(prompt, task.taskId, this.options.scenarios ?? {}, this.fallback),
      attempt,
      commits: [],
      followups: [],
      stopped: false,
      deleted: false,
      conversation: [{ id: randomUUID(), type: "user_message", text: prompt }],
    };
    if (task.taskId) agent.taskId = task.taskId;
    if (body.webhook) agent.webhook = body.webhook.secret ? { url: body.webhook.url, secret: body.webhook.secret } : { url: body.webhook.url };
    this.agents.push(agent);
    this.transcript.record(
      "agent",
      `agent ${short(id)} launched on ${branchName} (scenario ${agent.scenario}, attempt ${attempt}): ${agent.name}`,
    );
    this.enqueue(agent, () => this.firstRun(agent));
    return { status: 201, body: this.view(agent) };
  }

  private list(url: URL): { status: number; body: unknown } {
    const limitText = url.searchParams.get("limit");
    const limit = limitText === null ? 20 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new CursorError(400, "limit must be an integer from 1 to 100");
    const cursorText = url.searchParams.get("cursor");
    let start = 0;
    if (cursorText) {
      start = Number(Buffer.from(cursorText, "base64url").toString("utf8").replace(/^offset:/, ""));
      if (!Number.isInteger(start) || start < 0) throw new CursorError(400, "cursor is invalid");
    }
    const prUrl = url.searchParams.get("prUrl");
    const matching = this.agents
      .filter((agent) => !agent.deleted && (!prUrl || agent.target.prUrl === prUrl))
      .slice()
      .reverse();
    const page = matching.slice(start, start + limit);
    const body: Record<string, unknown> = { agents: page.map((agent) => this.view(agent)) };
    if (start + limit < matching.length) body.nextCursor = Buffer.from(`offset:${start + limit}`).toString("base64url");
    return { status: 200, body };
  }

  private async followup(req: IncomingMessage, id: string): Promise<{ status: number; body: unknown }> {
    const body = await this.json(req, followupSchema);
    const agent = this.agent(id);
    if (agent.status === "EXPIRED") throw new CursorError(409, `Agent ${id} has expired and cannot take follow-ups`);
    agent.followups.push(body.prompt.text);
    agent.stopped = false;
    agent.conversation.push({ id: randomUUID(), type: "user_message", text: body.prompt.text });
    this.transcript.record("agent", `agent ${short(id)} got a follow-up: ${firstLine(body.prompt.text).slice(0, 100)}`);
    this.enqueue(agent, () => this.followupRun(agent, body.prompt.text));
    return { status: 200, body: { id } };
  }

  private stopAgent(id: string): { status: number; body: unknown } {
    const agent = this.agent(id);
    if (isLive(agent.status)) {
      agent.stopped = true;
      agent.status = "FINISHED";
      agent.summary = "Stopped on request before finishing.";
      this.transcript.record("agent", `agent ${short(id)} stopped`);
    }
    return { status: 200, body: { id } };
  }

  private remove(id: string): { status: number; body: unknown } {
    const agent = this.agent(id);
    agent.deleted = true;
    agent.stopped = true;
    return { status: 200, body: { id } };
  }

  /** Runs one agent's steps one after another, as a follow-up waits for the current run. */
  private enqueue(agent: FakeAgent, work: () => Promise<void>): void {
    this.pendingWork++;
    const previous = this.queues.get(agent.id) ?? Promise.resolve();
    const next = previous
      .then(work)
      .catch((error: unknown) => {
        agent.status = "ERROR";
        agent.summary = `The fake agent failed: ${(error as Error).message}`;
        this.transcript.record("agent", `agent ${short(agent.id)} ERROR: ${(error as Error).message}`);
      })
      .finally(() => {
        this.pendingWork--;
      });
    this.queues.set(agent.id, next);
  }

  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve(false);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve(!this.stopped);
      }, ms);
      this.timers.add(timer);
    });
  }

  private get delay(): number {
    return this.options.agentDelayMs ?? 100;
  }

  private async firstRun(agent: FakeAgent): Promise<void> {
    if (!(await this.sleep(this.delay)) || agent.stopped) return;
    this.setStatus(agent, "RUNNING");
    if (!(await this.sleep(this.delay)) || agent.stopped) return;
    const first = agent.attempt === 1;
    if (agent.scenario === "agent-error" && first) {
      agent.summary = "The agent could not finish: the environment setup failed (sandbox scenario agent-error).";
      this.setStatus(agent, "ERROR");
      return this.notify(agent);
    }
    if (agent.scenario === "expire" && first) {
      agent.summary = "The agent expired before finishing (sandbox scenario expire).";
      this.setStatus(agent, "EXPIRED");
      if (this.options.notifyExpired) await this.notify(agent);
      return;
    }
    const github = this.options.github;
    const sha = github.pushCommit(agent.repo, agent.target.branchName, {
      files: this.changedFiles(agent, 0),
      message: firstLine(agent.prompt).replace(/^#+\s*/, "") || "Implement the task",
      as: this.author(agent),
      from: agent.source.ref,
      ...(agent.scenario === "ci-fix" ? { ciConclusion: "failure" as const } : {}),
    });
    agent.commits.push(sha);
    if (agent.target.autoCreatePr) this.openPull(agent);
    agent.summary = `Implemented "${agent.name}" and pushed ${sha.slice(0, 7)} to ${agent.target.branchName}.`;
    agent.conversation.push({ id: randomUUID(), type: "assistant_message", text: agent.summary });
    this.setStatus(agent, "FINISHED");
    await this.notify(agent);
  }

  private async followupRun(agent: FakeAgent, text: string): Promise<void> {
    this.setStatus(agent, "RUNNING");
    if (!(await this.sleep(this.delay)) || agent.stopped) return;
    const round = agent.followups.length;
    const sha = this.options.github.pushCommit(agent.repo, agent.target.branchName, {
      files: this.changedFiles(agent, round),
      message: `Address follow-up: ${firstLine(text).replace(/^#+\s*/, "").slice(0, 60)}`,
      as: this.author(agent),
      from: agent.source.ref,
      resolvesConflict: agent.scenario === "conflict-rebase",
    });
    agent.commits.push(sha);
    if (agent.target.autoCreatePr && agent.pr === undefined) this.openPull(agent);
    agent.summary = `Addressed the follow-up in ${sha.slice(0, 7)}.`;
    agent.conversation.push({ id: randomUUID(), type: "assistant_message", text: agent.summary });
    this.setStatus(agent, "FINISHED");
    await this.notify(agent);
  }

  private author(agent: FakeAgent): string {
    return agent.target.openAsCursorGithubApp ? "cursor[bot]" : (this.options.prAuthor ?? "cursor-dev");
  }

  /** A small change per task and round, so each commit differs and merges replay cleanly. */
  private changedFiles(agent: FakeAgent, round: number): Record<string, string> {
    const name = slug(agent.taskId ?? agent.name).slice(0, 40) || "task";
    return {
      [`src/${name}.ts`]: `// ${agent.name}\n// written by the sandbox's fake Cursor agent ${agent.id}, round ${round}\nexport const ${identifier(name)} = ${round + 1};\n`,
      [`test/${name}.test.ts`]: `// test for ${agent.name}, round ${round}\n`,
    };
  }

  private openPull(agent: FakeAgent): void {
    const github = this.options.github;
    const author = this.author(agent);
    github.ensureCollaborator(agent.repo, author, "write");
    const existing = github.pullsForBranch(agent.repo, agent.target.branchName).find((pull) => pull.state === "open");
    const number =
      existing?.number ??
      github.openPull(agent.repo, author, {
        head: agent.target.branchName,
        base: agent.source.ref,
        title: pullTitle(agent.prompt),
        body: pullBody(agent),
      });
    agent.pr = number;
    agent.target.prUrl = github.pull(agent.repo, number).htmlUrl;
    if (agent.scenario === "conflict" || agent.scenario === "conflict-rebase") {
      github.setConflict(agent.repo, number, { resolvable: agent.scenario === "conflict" });
    }
  }

  /** `review-changes`: the reviewer reacts to green CI on the agent's commits. */
  private afterCi(sha: string, conclusion: string): void {
    if (conclusion !== "success" || this.stopped) return;
    const agent = this.agents.find((entry) => entry.scenario === "review-changes" && entry.commits.includes(sha));
    if (!agent || agent.pr === undefined) return;
    const github = this.options.github;
    const reviewer = this.options.reviewer ?? "reviewer-bob";
    github.ensureCollaborator(agent.repo, reviewer, "write");
    const pull = github.pull(agent.repo, agent.pr);
    if (pull.state !== "open" || pull.headSha !== sha) return;
    const first = agent.commits.indexOf(sha) === 0;
    const already = pull.reviews.some((review) => review.author === reviewer && review.state === (first ? "CHANGES_REQUESTED" : "APPROVED"));
    if (already) return;
    if (first) {
      github.submitReview(agent.repo, agent.pr, reviewer, {
        event: "REQUEST_CHANGES",
        body: "Please handle the empty input case and add a test for it.",
        comments: [{ path: Object.keys(this.changedFiles(agent, 0))[0]!, line: 3, body: "What happens when the list is empty?" }],
      });
    } else {
      github.submitReview(agent.repo, agent.pr, reviewer, { event: "APPROVE", body: "Looks good now, thanks!" });
    }
  }

  private setStatus(agent: FakeAgent, status: AgentStatus): void {
    agent.status = status;
    const pr = status === "FINISHED" && agent.target.prUrl ? ` with ${agent.target.prUrl}` : "";
    this.transcript.record("agent", `agent ${short(agent.id)} ${status}${pr}`);
  }

  /** The signed `statusChange` webhook, sent for FINISHED and ERROR as Cursor does. */
  private async notify(agent: FakeAgent): Promise<void> {
    if (!agent.webhook || this.stopped) return;
    await sendStatusChange(agent, agent.webhook, this.options.webhookCopies ?? 1, this.webhookDeliveries, this.transcript);
  }
}

class CursorError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function isLive(status: AgentStatus): boolean {
  return status === "CREATING" || status === "RUNNING";
}

function short(id: string): string {
  return id.slice(0, 11);
}
